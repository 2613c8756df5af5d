output "state_machine_arn" {
  description = "State machine to start by hand: aws stepfunctions start-execution --state-machine-arn <this>."
  value       = module.hub.state_machine_arn
}

output "bucket_name" {
  description = "Bucket of the configuration."
  value       = module.hub.bucket_name
}

output "config_object_key" {
  description = "Key the configuration is read from."
  value       = module.hub.config_object_key
}

output "slack_token_secret_arn" {
  description = "Secret the Slack bot token goes into."
  value       = module.hub.slack_token_secret_arn
}

output "slack_token_put_command" {
  description = "Run once after the first apply to store the Slack bot token."
  value       = module.hub.slack_token_put_command
}

output "alarm_sns_topic_arn" {
  description = "Subscribe the operators to this topic."
  value       = module.hub.alarm_sns_topic_arn
}

output "member_role_name" {
  description = "Read-only role placed in every member account."
  value       = module.member_roles.role_name
}

output "member_role_stack_set_name" {
  description = "StackSet whose instances show which accounts have the member role."
  value       = module.member_roles.stack_set_name
}

output "google_credentials_secret_arn" {
  description = "Secret the Google service account's JSON key goes into (null unless config_sheet_id is set)."
  value       = module.hub.google_credentials_secret_arn
}

output "google_credentials_put_command" {
  description = "Run once to store the Google service account's key.json (null unless config_sheet_id is set)."
  value       = module.hub.google_credentials_put_command
}

output "state_machine_name" {
  description = "Name of the state machine (orgpulse doctor --name-prefix finds the deployment from it)."
  value       = module.hub.state_machine_name
}

output "lambda_function_names" {
  description = "Names of the plan, report and summarize functions."
  value       = module.hub.lambda_function_names
}
