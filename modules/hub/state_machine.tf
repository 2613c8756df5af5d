resource "aws_cloudwatch_log_group" "state_machine" {
  # The /aws/vendedlogs/ prefix keeps the log delivery's resource policy small.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.cloudwatch_log_group_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags

  #checkov:skip=CKV_AWS_158:A customer-managed key is optional (var.kms_key_arn); without it CloudWatch Logs encrypts with its own key. The logs hold no secret.
}

resource "aws_sfn_state_machine" "this" {
  name       = local.state_machine_name
  role_arn   = aws_iam_role.state_machine.arn
  type       = "STANDARD"
  definition = local.state_machine_definition

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = var.state_machine_log_include_execution_data
    level                  = var.state_machine_log_level
  }

  tracing_configuration {
    enabled = var.enable_xray_tracing
  }

  dynamic "encryption_configuration" {
    for_each = var.kms_key_arn != null ? [1] : []

    content {
      type                              = "CUSTOMER_MANAGED_KMS_KEY"
      kms_key_id                        = var.kms_key_arn
      kms_data_key_reuse_period_seconds = 300
    }
  }

  tags = var.tags

  depends_on = [aws_iam_role_policy.state_machine]

  #checkov:skip=CKV_AWS_285:Execution history is logged (level ERROR by default), without state input and output unless var.state_machine_log_include_execution_data: they carry every account's costs and channel IDs, which would otherwise sit in the management account's logs for the whole retention. The console keeps each execution's data for 90 days.
  #checkov:skip=CKV_AWS_284:X-Ray tracing is a choice (var.enable_xray_tracing); execution history and logs already show each state.
}
