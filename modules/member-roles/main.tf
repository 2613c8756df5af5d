data "aws_region" "current" {}

locals {
  role_name             = "${var.role_name_prefix}-member-readonly"
  stack_instance_region = coalesce(var.stack_instance_region, data.aws_region.current.region)
  # Keyed "<region>_<ou>" so adding an OU never replaces the instances of the others.
  stack_instances = { for ou in var.organizational_unit_ids : "${local.stack_instance_region}_${ou}" => ou }
}

resource "aws_cloudformation_stack_set" "this" {
  name             = var.stack_set_name
  description      = "orgpulse read-only role in every member account, trusted only by the hub's report function."
  permission_model = "SERVICE_MANAGED"
  call_as          = var.call_as
  capabilities     = ["CAPABILITY_NAMED_IAM"]
  template_body    = file("${path.module}/../../stacksets/member-role.yaml")

  parameters = {
    RoleNamePrefix       = var.role_name_prefix
    HubAccountId         = var.hub_account_id
    TrustedPrincipalArns = join(",", var.trusted_principal_arns)
    OrganizationId       = var.organization_id
  }

  # New accounts (and accounts moved into a targeted OU) get the role without anyone acting.
  auto_deployment {
    enabled                          = true
    retain_stacks_on_account_removal = var.retain_stacks_on_account_removal
  }

  managed_execution {
    active = true
  }

  operation_preferences {
    failure_tolerance_percentage = var.operation_preferences.failure_tolerance_percentage
    max_concurrent_percentage    = var.operation_preferences.max_concurrent_percentage
    region_concurrency_type      = var.operation_preferences.region_concurrency_type
  }

  tags = var.tags

  lifecycle {
    # Service-managed StackSets report an administration role AWS manages; never fight it.
    ignore_changes = [administration_role_arn]
  }
}

resource "aws_cloudformation_stack_set_instance" "this" {
  for_each = local.stack_instances

  stack_set_name            = aws_cloudformation_stack_set.this.name
  call_as                   = var.call_as
  stack_set_instance_region = local.stack_instance_region

  deployment_targets {
    organizational_unit_ids = [each.value]
  }

  operation_preferences {
    failure_tolerance_percentage = var.operation_preferences.failure_tolerance_percentage
    max_concurrent_percentage    = var.operation_preferences.max_concurrent_percentage
    region_concurrency_type      = var.operation_preferences.region_concurrency_type
  }
}
