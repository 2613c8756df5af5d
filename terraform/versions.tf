terraform {
  # 1.9: a variable's validation may refer to other variables (stackset_call_as).
  required_version = ">= 1.9"

  required_providers {
    # One major version: 7.x may change resources this configuration uses (see the lock file
    # note in terraform/README.md).
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0, < 7.0"
    }
  }
}
