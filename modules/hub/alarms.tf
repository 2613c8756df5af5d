locals {
  # Step Functions publishes these only when they happen, so no data means no failure.
  failed_execution_metrics = {
    failed    = "ExecutionsFailed"
    timed_out = "ExecutionsTimedOut"
  }
  alarm_actions = concat(aws_sns_topic.alarms[*].arn, var.alarm_actions)
}

resource "aws_sns_topic" "alarms" {
  # E-mail addresses need a topic to subscribe to: giving some creates it.
  count = var.create_alarm_sns_topic || length(var.alarm_email_addresses) > 0 ? 1 : 0

  name              = "${var.name_prefix}-alarms"
  kms_master_key_id = var.kms_key_arn
  tags              = var.tags

  #checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key, so encryption needs the customer-managed var.kms_key_arn (used when set). Messages carry only the alarm's name and state.
}

# The alarm reaches a person even when Slack is what is broken (a failed run's message to the
# operators' channel then cannot be posted). Each address gets a confirmation e-mail from AWS
# and receives nothing until someone clicks its link.
resource "aws_sns_topic_subscription" "alarm_email" {
  for_each = toset(var.alarm_email_addresses)

  topic_arn = aws_sns_topic.alarms[0].arn
  protocol  = "email"
  endpoint  = each.value
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
