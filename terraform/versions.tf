terraform {
  # 1.9: a variable's validation may refer to other variables (stackset_call_as).
  required_version = ">= 1.9"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 6.0"
    }
  }
}
