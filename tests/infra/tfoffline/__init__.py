"""Offline Terraform: the AWS provider's real schema served by a test plugin (see cli.py)."""
