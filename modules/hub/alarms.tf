locals {
  # Step Functions publishes these only when they happen, so no data means no failure.
  failed_execution_metrics = {
    failed    = "ExecutionsFailed"
    timed_out = "ExecutionsTimedOut"
  }
  alarm_actions = concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)
}

resource "aws_sns_topic" "alarms" {
  count = var.create_alarm_sns_topic ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags

  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, so encryption needs the customer-managed var.kms_key_arn (used when set). Messages carry only the alarm's name and state.
}

resource "aws_cloudwatch_metric_alarm" "executions" {
  for_each = local.failed_execution_metrics

  alarm_name          = "${var.name_prefix}-executions-${replace(each.key, "_", "-")}"
  alarm_description   = "An orgpulse run ${replace(each.key, "_", " ")}: some reports or the summary may not have been sent. Look at the execution in the Step Functions console."
  namespace           = "AWS/States"
  metric_name         = each.value
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions

  dimensions = {
    StateMachineArn = aws_sfn_state_machine.this.arn
  }

  tags = var.tags
}
