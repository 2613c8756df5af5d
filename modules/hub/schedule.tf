resource "aws_sqs_queue" "schedule_dead_letter" {
  count = var.create_schedule_dead_letter_queue ? 1 : 0

  name                      = "${var.name_prefix}-schedule-dead-letter"
  message_retention_seconds = 1209600 # 14 days, SQS's maximum: time for an operator to notice.
  sqs_managed_sse_enabled   = var.kms_key_arn == null ? true : null
  kms_master_key_id         = var.kms_key_arn
  tags                      = var.tags
}

resource "aws_scheduler_schedule" "this" {
  name        = "${var.name_prefix}-run"
  group_name  = "default"
  description = "Starts the ${local.state_machine_name} run (${var.schedule_expression}, ${var.time_zone})."

  schedule_expression          = var.schedule_expression
  schedule_expression_timezone = var.time_zone
  state                        = var.schedule_enabled ? "ENABLED" : "DISABLED"
  kms_key_arn                  = var.kms_key_arn

  # Reports are expected at a fixed time; a flexible window would only make them late.
  flexible_time_window {
    mode = "OFF"
  }

  target {
    arn      = aws_sfn_state_machine.this.arn
    role_arn = aws_iam_role.scheduler.arn
    # The planner decides which reports are due from the scheduled time, not from when it runs.
    input = jsonencode({
      trigger        = "schedule"
      scheduled_time = "<aws.scheduler.scheduled-time>"
    })

    retry_policy {
      maximum_event_age_in_seconds = var.schedule_retry_maximum_event_age_seconds
      maximum_retry_attempts       = var.schedule_retry_maximum_attempts
    }

    dynamic "dead_letter_config" {
      for_each = var.create_schedule_dead_letter_queue ? [1] : []

      content {
        arn = aws_sqs_queue.schedule_dead_letter[0].arn
      }
    }
  }
}
