# The organisation is discovered, not typed in: its ID and root come from Organizations.
data "aws_organizations_organization" "this" {}

locals {
  stackset_delegated        = var.stackset_call_as == "DELEGATED_ADMIN"
  member_role_target_ou_ids = length(var.member_role_target_ou_ids) > 0 ? var.member_role_target_ou_ids : [data.aws_organizations_organization.this.roots[0].id]
}

module "hub" {
  source = "../modules/hub"

  name_prefix                   = var.name_prefix
  organization_id               = data.aws_organizations_organization.this.id
  member_role_name              = module.member_roles.role_name
  member_stack_set_name         = module.member_roles.stack_set_name
  time_zone                     = var.time_zone
  schedule_expression           = var.schedule_expression
  operators_slack_channel_id    = var.operators_slack_channel_id
  slack_token_secret_arn        = var.slack_token_secret_arn
  config_file                   = var.config_file == null ? null : "${path.root}/${var.config_file}"
  config_sheet_id               = var.config_sheet_id
  config_sheet_range            = var.config_sheet_range
  google_credentials_secret_arn = var.google_credentials_secret_arn
  lambda_architecture           = var.lambda_architecture
  lambda_artifacts_dir          = "${path.root}/${var.lambda_artifacts_dir}"
  max_concurrency               = var.max_concurrency
  create_alarm_sns_topic        = var.create_alarm_sns_topic
  alarm_email_addresses         = var.alarm_email_addresses
  alarm_actions                 = var.alarm_sns_topic_arns
  kms_key_arn                   = var.kms_key_arn

  state_machine_log_include_execution_data = var.state_machine_log_include_execution_data

  # The hub runs in the management account, where service-managed StackSets live even when a
  # delegated administrator manages them: it reads their instances as SELF.
  member_stack_set_call_as = "SELF"
}

module "member_roles" {
  source = "../modules/member-roles"

  # The management account, or the StackSets delegated administrator (providers.tf).
  providers = {
    aws = aws.stacksets
  }

  stack_set_name          = "${var.name_prefix}-member-roles"
  role_name_prefix        = var.name_prefix
  hub_account_id          = var.hub_account_id
  trusted_principal_arns  = module.hub.member_role_trusted_principal_arns
  organization_id         = data.aws_organizations_organization.this.id
  organizational_unit_ids = local.member_role_target_ou_ids
  call_as                 = var.stackset_call_as
}
