terraform {
  required_version = ">= 1.5"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      # One major version: 7.x may change resources this configuration uses (see the lock file
      # note in terraform/README.md).
      version = ">= 6.0, < 7.0"
    }
  }
}
