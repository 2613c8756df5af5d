# Two provider configurations. Organizations and Cost Explorer are global services whose SDK
# endpoints live in us-east-1, which the AWS SDKs (and the data source below) resolve by
# themselves whatever the hub's region, so no us-east-1 alias is needed.

# The hub, always in the management account: only there does Cost Explorer return every member
# account's costs (a delegated administrator's Cost Explorer sees its own account only).
provider "aws" {
  region = var.region

  # Credentials of the management account: from the environment or the profile, never from
  # this file.
  profile = var.aws_profile

  allowed_account_ids = [var.hub_account_id]

  default_tags {
    tags = merge({ "orgpulse:managed-by" = "terraform" }, var.tags)
  }
}

# The member-role StackSet. With stackset_call_as = "SELF" it is the management account again;
# with "DELEGATED_ADMIN" it is the StackSets delegated administrator account, reached through
# its own profile or a role assumed from the management account's credentials. (Service-managed
# StackSets live in the management account either way, so the hub reads their instances with
# CallAs=SELF: https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateStackSet.html)
provider "aws" {
  alias  = "stacksets"
  region = var.region

  # Without a profile of its own, the management account's credentials (profile or environment),
  # from which stackset_admin_role_arn is assumed.
  profile = local.stackset_delegated && var.stackset_admin_profile != null ? var.stackset_admin_profile : var.aws_profile

  allowed_account_ids = [local.stackset_delegated ? var.stackset_admin_account_id : var.hub_account_id]

  dynamic "assume_role" {
    for_each = local.stackset_delegated && var.stackset_admin_role_arn != null ? [var.stackset_admin_role_arn] : []

    content {
      role_arn     = assume_role.value
      session_name = "orgpulse-terraform"
    }
  }

  default_tags {
    tags = merge({ "orgpulse:managed-by" = "terraform" }, var.tags)
  }
}
