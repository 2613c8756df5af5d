"""Test doubles shared by every Python test: the Cost Explorer emulator, the cost dataset
generator and the Slack Web API sink. See each module's docstring for its protocol and
control API."""
