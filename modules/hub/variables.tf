# ---------------------------------------------------------------------------------------------
# Naming and tagging
# ---------------------------------------------------------------------------------------------

variable "name_prefix" {
  description = "Prefix of every resource name (functions are \"<prefix>-plan\", \"<prefix>-report\", \"<prefix>-summarize\")."
  type        = string
  default     = "orgpulse"

  validation {
    # 24 characters leave room for the longest derived name ("<prefix>-summarize-lambda", IAM's 64-character limit).
    condition     = can(regex("^[a-z][a-z0-9-]{1,23}$", var.name_prefix))
    error_message = "name_prefix must be 2-24 characters: lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "tags" {
  description = "Tags applied to every resource of the module."
  type        = map(string)
  default     = {}
}

# ---------------------------------------------------------------------------------------------
# Organisation
# ---------------------------------------------------------------------------------------------

variable "organization_id" {
  description = "ID of the AWS Organization (o-...). The report function may assume the member role only in accounts of this organisation."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-abcd123456 (o- followed by 10-32 lower-case letters or digits)."
  }
}

variable "member_role_name" {
  description = "Name of the read-only role the StackSet places in every member account (output role_name of the member-roles module)."
  type        = string

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,64}$", var.member_role_name))
    error_message = "member_role_name must be a valid IAM role name (1-64 characters of A-Z a-z 0-9 +=,.@_-)."
  }
}

variable "member_stack_set_name" {
  description = "Name of the StackSet that deploys the member role (output stack_set_name of the member-roles module). The plan function reads its instances once per run and lists the member accounts without a usable instance. Null means \"<name_prefix>-member-roles\"."
  type        = string
  default     = null

  validation {
    condition     = var.member_stack_set_name == null || can(regex("^[A-Za-z][A-Za-z0-9-]{0,127}$", var.member_stack_set_name))
    error_message = "member_stack_set_name must start with a letter and contain only letters, digits and hyphens (at most 128)."
  }
}

variable "member_stack_set_call_as" {
  description = "How the plan function reads the member-role StackSet. SELF from the management account, where the hub belongs (Cost Explorer sees every account only there) and where service-managed StackSets live even when a delegated administrator manages them (terraform/ always passes SELF). DELEGATED_ADMIN only for a hub deployed in a StackSets delegated administrator account."
  type        = string
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.member_stack_set_call_as)
    error_message = "member_stack_set_call_as must be SELF or DELEGATED_ADMIN."
  }
}

variable "time_zone" {
  description = "IANA time zone of the organisation, e.g. \"Asia/Tokyo\". The schedule fires in it and the planner decides which reports are due in it."
  type        = string
  default     = "UTC"

  validation {
    condition     = can(regex("^(UTC|[A-Z][A-Za-z_]+(/[A-Za-z0-9_+-]+){1,2})$", var.time_zone))
    error_message = "time_zone must be an IANA time zone name such as \"UTC\", \"Asia/Tokyo\" or \"America/Argentina/Buenos_Aires\"."
  }
}

variable "operators_slack_channel_id" {
  description = "Slack channel ID (C..., G...) that receives the summary of every run."
  type        = string

  validation {
    condition     = can(regex("^[CG][A-Z0-9]{8,}$", var.operators_slack_channel_id))
    error_message = "operators_slack_channel_id must be a Slack channel ID such as C0123456789 (not the channel's name)."
  }
}

# ---------------------------------------------------------------------------------------------
# Lambda functions
# ---------------------------------------------------------------------------------------------

variable "lambda_artifacts_dir" {
  description = "Directory scripts/build-lambdas wrote (its build/lambda): <binary>/bootstrap.zip for orgpulse-plan, orgpulse-report and orgpulse-summarize, and manifest.json. Plan fails with the build command to run when the manifest is missing or names another architecture."
  type        = string

  validation {
    condition     = trimspace(var.lambda_artifacts_dir) != ""
    error_message = "lambda_artifacts_dir must name the directory scripts/build-lambdas wrote (build/lambda in the orgpulse repository, written by scripts/build-lambdas)."
  }
}

variable "lambda_architecture" {
  description = "Instruction set of the functions; must be the one in lambda_artifacts_dir's manifest.json (scripts/build-lambdas builds x86_64, scripts/build-lambdas --arm64 builds arm64)."
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["arm64", "x86_64"], var.lambda_architecture)
    error_message = "lambda_architecture must be \"arm64\" or \"x86_64\"."
  }
}

variable "lambda_memory_size" {
  description = "Memory (MB) of each function."
  type = object({
    plan      = optional(number, 512)
    report    = optional(number, 256)
    summarize = optional(number, 256)
  })
  default = {}

  validation {
    condition     = alltrue([for size in values(var.lambda_memory_size) : size >= 128 && size <= 10240])
    error_message = "Every lambda_memory_size must be between 128 and 10240 MB."
  }
}

variable "lambda_timeout_seconds" {
  description = "Timeout (seconds) of each function. The planner lists the whole organisation and queries Cost Explorer, so it gets the longest."
  type = object({
    plan      = optional(number, 600)
    report    = optional(number, 180)
    summarize = optional(number, 120)
  })
  default = {}

  validation {
    condition     = alltrue([for seconds in values(var.lambda_timeout_seconds) : seconds >= 1 && seconds <= 900])
    error_message = "Every lambda_timeout_seconds must be between 1 and 900 (Lambda's 15-minute maximum)."
  }
}

variable "lambda_log_level" {
  description = "Application log level of the functions (Lambda advanced logging, JSON format)."
  type        = string
  default     = "INFO"

  validation {
    condition     = contains(["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"], var.lambda_log_level)
    error_message = "lambda_log_level must be one of TRACE, DEBUG, INFO, WARN, ERROR, FATAL."
  }
}

variable "cloudwatch_log_group_retention_in_days" {
  description = "Retention of the functions' and the state machine's log groups."
  type        = number
  default     = 365

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.cloudwatch_log_group_retention_in_days)
    error_message = "cloudwatch_log_group_retention_in_days must be a value CloudWatch Logs accepts (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)."
  }
}

variable "enable_xray_tracing" {
  description = "Trace the state machine and the functions with AWS X-Ray."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Customer-managed KMS key for the bucket, table, secret, log groups, environment variables and alarm topic. Null uses AWS-managed encryption. The key policy must let CloudWatch Logs (logs.<region>.amazonaws.com) and CloudWatch alarms use it."
  type        = string
  default     = null

  validation {
    condition     = var.kms_key_arn == null || can(regex("^arn:aws[a-z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/[a-f0-9-]+$", var.kms_key_arn))
    error_message = "kms_key_arn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>), not an alias."
  }
}

# ---------------------------------------------------------------------------------------------
# State machine and schedule
# ---------------------------------------------------------------------------------------------

variable "max_concurrency" {
  description = "How many accounts are reported at the same time (Map MaxConcurrency). Bounded so Cost Explorer and Slack rate limits hold."
  type        = number
  default     = 10

  validation {
    condition     = var.max_concurrency >= 1 && var.max_concurrency <= 1000 && floor(var.max_concurrency) == var.max_concurrency
    error_message = "max_concurrency must be a whole number between 1 and 1000."
  }
}

variable "map_child_execution_type" {
  description = "Execution type of the Distributed Map's child executions."
  type        = string
  default     = "STANDARD"

  validation {
    condition     = contains(["STANDARD", "EXPRESS"], var.map_child_execution_type)
    error_message = "map_child_execution_type must be \"STANDARD\" or \"EXPRESS\"."
  }
}

variable "task_retry_interval_seconds" {
  description = "First retry interval of every task of the state machine (doubled on each attempt, with jitter)."
  type        = number
  default     = 2

  validation {
    condition     = var.task_retry_interval_seconds >= 1 && var.task_retry_interval_seconds <= 300
    error_message = "task_retry_interval_seconds must be between 1 and 300."
  }
}

variable "state_machine_log_level" {
  description = "Execution history events written to CloudWatch Logs."
  type        = string
  default     = "ERROR"

  validation {
    condition     = contains(["ALL", "ERROR", "FATAL", "OFF"], var.state_machine_log_level)
    error_message = "state_machine_log_level must be ALL, ERROR, FATAL or OFF."
  }
}

variable "state_machine_log_include_execution_data" {
  description = "Include state input and output in the logged events (account IDs, channel IDs and costs of every account, kept for cloudwatch_log_group_retention_in_days; never the Slack token). Off by default: the execution history in the Step Functions console shows them for 90 days; turn on to keep them in the logs while investigating."
  type        = bool
  default     = false
}

variable "schedule_expression" {
  description = "When the run starts, in time_zone: an EventBridge Scheduler cron() or rate() expression."
  type        = string
  default     = "cron(0 9 * * ? *)"

  validation {
    condition     = can(regex("^(cron\\(.+\\)|rate\\([0-9]+ (minute|minutes|hour|hours|day|days)\\))$", var.schedule_expression))
    error_message = "schedule_expression must be cron(...) or rate(N unit), e.g. \"cron(0 9 * * ? *)\" for 09:00 every day."
  }
}

variable "schedule_enabled" {
  description = "Whether the schedule starts runs. Disable to pause the product without destroying it."
  type        = bool
  default     = true
}

variable "schedule_retry_maximum_attempts" {
  description = "How many times the scheduler retries StartExecution when it fails."
  type        = number
  default     = 3

  validation {
    condition     = var.schedule_retry_maximum_attempts >= 0 && var.schedule_retry_maximum_attempts <= 185
    error_message = "schedule_retry_maximum_attempts must be between 0 and 185."
  }
}

variable "schedule_retry_maximum_event_age_seconds" {
  description = "How long (seconds) the scheduler keeps retrying one start before giving up (or sending it to the dead-letter queue)."
  type        = number
  default     = 3600

  validation {
    condition     = var.schedule_retry_maximum_event_age_seconds >= 60 && var.schedule_retry_maximum_event_age_seconds <= 86400
    error_message = "schedule_retry_maximum_event_age_seconds must be between 60 and 86400."
  }
}

variable "create_schedule_dead_letter_queue" {
  description = "Create an SQS queue that receives schedule invocations the scheduler gave up on."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------
# Slack token
# ---------------------------------------------------------------------------------------------

variable "slack_token_secret_arn" {
  description = "ARN of an existing Secrets Manager secret holding the Slack bot token. Null creates an empty secret; put the token into it out of band (see the README), so it never enters Terraform state."
  type        = string
  default     = null

  validation {
    condition     = var.slack_token_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.slack_token_secret_arn))
    error_message = "slack_token_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "slack_token_secret_recovery_window_in_days" {
  description = "Days a deleted Slack token secret can still be restored (0 deletes at once)."
  type        = number
  default     = 7

  validation {
    condition     = var.slack_token_secret_recovery_window_in_days == 0 || (var.slack_token_secret_recovery_window_in_days >= 7 && var.slack_token_secret_recovery_window_in_days <= 30)
    error_message = "slack_token_secret_recovery_window_in_days must be 0 or between 7 and 30."
  }
}

# ---------------------------------------------------------------------------------------------
# Bucket (configuration and fan-out items)
# ---------------------------------------------------------------------------------------------

variable "bucket_name" {
  description = "Name of the bucket for configuration and run items. Null means \"<name_prefix>-<account id>-<region>\"."
  type        = string
  default     = null

  validation {
    condition     = var.bucket_name == null || can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.bucket_name))
    error_message = "bucket_name must be a valid S3 bucket name (3-63 lower-case letters, digits, dots and hyphens)."
  }
}

variable "bucket_force_destroy" {
  description = "Let terraform destroy the bucket with its objects (configuration history included)."
  type        = bool
  default     = false
}

variable "bucket_access_logs" {
  description = "Where to send S3 server access logs of the bucket (an existing log bucket and a key prefix). Null disables access logging."
  type = object({
    bucket = string
    prefix = optional(string, "orgpulse/")
  })
  default = null
}

variable "run_items_expiration_days" {
  description = "Days after which the per-run fan-out items and results (prefix runs/) are deleted."
  type        = number
  default     = 30

  validation {
    condition     = var.run_items_expiration_days >= 1
    error_message = "run_items_expiration_days must be at least 1."
  }
}

variable "config_noncurrent_version_retention_days" {
  description = "Days earlier versions of the configuration and of the planner's state are kept (the history of what business teams edited)."
  type        = number
  default     = 400

  validation {
    condition     = var.config_noncurrent_version_retention_days >= 1
    error_message = "config_noncurrent_version_retention_days must be at least 1."
  }
}

variable "config_file" {
  description = "Local configuration file (JSON or CSV rows) uploaded to the bucket. Null leaves the object to the operators (`aws s3 cp` or `orgpulse config`), so business teams can change it without a deployment."
  type        = string
  default     = null

  validation {
    condition     = var.config_file == null || can(regex("\\.(json|csv)$", lower(var.config_file)))
    error_message = "config_file must end in .json or .csv."
  }
}

variable "config_object_key" {
  description = "Key of the configuration object. Null means \"config/orgpulse.json\" (or .csv after the extension of config_file)."
  type        = string
  default     = null

  validation {
    condition     = var.config_object_key == null || can(regex("^config/[A-Za-z0-9._/-]+\\.(json|csv)$", var.config_object_key))
    error_message = "config_object_key must live under config/ and end in .json or .csv (the planner may read only config/)."
  }
}

# ---------------------------------------------------------------------------------------------
# Deliveries table (exactly-once ledger)
# ---------------------------------------------------------------------------------------------

variable "deliveries_table_point_in_time_recovery" {
  description = "Enable point-in-time recovery of the deliveries table."
  type        = bool
  default     = true
}

variable "deliveries_table_deletion_protection" {
  description = "Protect the deliveries table from deletion (losing it can re-send reports of the TTL window)."
  type        = bool
  default     = true
}

# ---------------------------------------------------------------------------------------------
# Alarms
# ---------------------------------------------------------------------------------------------

variable "create_alarm_sns_topic" {
  description = "Create an SNS topic that the failed-execution alarms notify."
  type        = bool
  default     = false
}

variable "alarm_actions" {
  description = "Further ARNs (SNS topics, ...) notified when an execution fails or times out."
  type        = list(string)
  default     = []
}

variable "alarm_email_addresses" {
  description = "E-mail addresses subscribed to the alarm topic (created when any is given), so a failed run reaches a person even when Slack is broken. AWS e-mails each a confirmation link; nothing arrives until it is clicked."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for address in var.alarm_email_addresses : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", address))])
    error_message = "alarm_email_addresses must be e-mail addresses such as cloud-team@example.com."
  }
}

# ---------------------------------------------------------------------------------------------
# Configuration source: Google Sheet (instead of the object in the bucket)
# ---------------------------------------------------------------------------------------------

variable "config_sheet_id" {
  description = "ID of the Google Sheet business teams edit (the part of its URL between /d/ and /edit). Set, the planner reads the configuration from the sheet instead of the bucket's object (config_object_key); share the sheet with the service account whose key is in the Google credentials secret. Null reads the object."
  type        = string
  default     = null

  validation {
    condition     = var.config_sheet_id == null || can(regex("^[A-Za-z0-9_-]{20,100}$", var.config_sheet_id))
    error_message = "config_sheet_id must be the sheet's ID (20-100 letters, digits, - and _, from the URL between /d/ and /edit), not the whole URL or the sheet's name."
  }
}

variable "config_sheet_range" {
  description = "Where in the sheet the configuration is: a tab's title (e.g. \"Accounts\"), a named range, or an A1 range such as \"'Accounts'!A1:T\". Null reads the whole first tab."
  type        = string
  default     = null

  validation {
    condition     = var.config_sheet_range == null || (length(coalesce(var.config_sheet_range, "-")) <= 200 && trimspace(coalesce(var.config_sheet_range, "-")) != "")
    error_message = "config_sheet_range must be null or a non-empty tab title, named range or A1 range of at most 200 characters."
  }
}

variable "google_credentials_secret_arn" {
  description = "ARN of an existing Secrets Manager secret holding the Google service account's JSON key the sheet is read with. Null (with config_sheet_id set) creates an empty secret; put the key into it out of band (see the README), so it never enters Terraform state. Only the plan function may read it."
  type        = string
  default     = null

  validation {
    condition     = var.google_credentials_secret_arn == null || can(regex("^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:[0-9]{12}:secret:.+$", var.google_credentials_secret_arn))
    error_message = "google_credentials_secret_arn must be a Secrets Manager secret ARN."
  }
}

variable "google_credentials_secret_recovery_window_in_days" {
  description = "Days a deleted Google credentials secret (created by the module) can still be restored (0 deletes at once)."
  type        = number
  default     = 7

  validation {
    condition     = var.google_credentials_secret_recovery_window_in_days == 0 || (var.google_credentials_secret_recovery_window_in_days >= 7 && var.google_credentials_secret_recovery_window_in_days <= 30)
    error_message = "google_credentials_secret_recovery_window_in_days must be 0 or between 7 and 30."
  }
}
