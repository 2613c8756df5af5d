output "state_machine_arn" {
  description = "ARN of the state machine that runs plan -> report every account -> summarize."
  value       = aws_sfn_state_machine.this.arn
}

output "state_machine_name" {
  description = "Name of the state machine."
  value       = aws_sfn_state_machine.this.name
}

output "state_machine_role_arn" {
  description = "ARN of the state machine's IAM role."
  value       = aws_iam_role.state_machine.arn
}

output "state_machine_log_group_name" {
  description = "CloudWatch Logs group of the state machine."
  value       = aws_cloudwatch_log_group.state_machine.name
}

output "lambda_function_arns" {
  description = "ARNs of the functions, keyed plan, report, summarize."
  value       = { for key, function in aws_lambda_function.this : key => function.arn }
}

output "lambda_function_names" {
  description = "Names of the functions, keyed plan, report, summarize."
  value       = { for key, function in aws_lambda_function.this : key => function.function_name }
}

output "lambda_role_arns" {
  description = "ARNs of the functions' IAM roles, keyed plan, report, summarize."
  value       = { for key, role in aws_iam_role.lambda : key => role.arn }
}

output "lambda_log_group_names" {
  description = "CloudWatch Logs groups of the functions, keyed plan, report, summarize."
  value       = { for key, group in aws_cloudwatch_log_group.lambda : key => group.name }
}

output "member_role_trusted_principal_arns" {
  description = "Role ARNs the member accounts' read-only role must trust (the report function's role): wire into the member-roles module."
  value       = [aws_iam_role.lambda["report"].arn]
}

output "bucket_name" {
  description = "Bucket holding the configuration (config/), the planner's state (state/) and the run items (runs/)."
  value       = aws_s3_bucket.this.id
}

output "bucket_arn" {
  description = "ARN of the bucket."
  value       = aws_s3_bucket.this.arn
}

output "config_object_key" {
  description = "Key of the configuration object the planner reads."
  value       = local.config_object_key
}

output "config_object_version_id" {
  description = "Version of the configuration uploaded from config_file (null when config_file is not set)."
  value       = one(aws_s3_object.config[*].version_id)
}

output "deliveries_table_name" {
  description = "Name of the DynamoDB table recording every delivery (exactly once)."
  value       = aws_dynamodb_table.deliveries.name
}

output "deliveries_table_arn" {
  description = "ARN of the deliveries table."
  value       = aws_dynamodb_table.deliveries.arn
}

output "slack_token_secret_arn" {
  description = "ARN of the secret holding the Slack bot token (created here or passed in)."
  value       = local.slack_token_secret_arn
}

output "slack_token_put_command" {
  description = "Command that reads the Slack bot token from the terminal (not echoed) and puts it into the secret through standard input: never in Terraform state, shell history or a process's arguments (ps)."
  # printf is a shell builtin and the AWS CLI reads the value from file:///dev/stdin, so the token
  # is in no command line.
  value = "read -rs SLACK_BOT_TOKEN && printf '%s' \"$SLACK_BOT_TOKEN\" | aws secretsmanager put-secret-value --secret-id '${local.slack_token_secret_arn}' --secret-string file:///dev/stdin; unset SLACK_BOT_TOKEN"
}

output "schedule_arn" {
  description = "ARN of the EventBridge Scheduler schedule that starts each run."
  value       = aws_scheduler_schedule.this.arn
}

output "schedule_role_arn" {
  description = "ARN of the role the scheduler uses to start executions."
  value       = aws_iam_role.scheduler.arn
}

output "schedule_dead_letter_queue_arn" {
  description = "ARN of the queue receiving schedule invocations that failed (null when not created)."
  value       = one(aws_sqs_queue.schedule_dead_letter[*].arn)
}

output "alarm_sns_topic_arn" {
  description = "ARN of the alarm topic (null when not created): subscribe operators to it."
  value       = one(aws_sns_topic.alarms[*].arn)
}

output "alarm_arns" {
  description = "ARNs of the failed / timed-out execution alarms."
  value       = { for key, alarm in aws_cloudwatch_metric_alarm.executions : key => alarm.arn }
}

output "lambda_environment" {
  description = "Environment variables the functions receive (non-secret settings); the operator CLI reads the same names."
  value       = local.lambda_environment
}

output "google_credentials_secret_arn" {
  description = "ARN of the secret holding the Google service account's JSON key (created here or passed in); null when the configuration is the bucket's object."
  value       = local.google_credentials_secret_arn
}

output "google_credentials_put_command" {
  description = "Command that puts the Google service account's JSON key (key.json) into the secret without it entering Terraform state; null when the configuration is the bucket's object."
  value       = local.config_sheet_enabled ? "aws secretsmanager put-secret-value --secret-id '${local.google_credentials_secret_arn}' --secret-string file://key.json && rm key.json" : null
}
