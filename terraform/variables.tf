# Everything that differs between organisations is a variable here; nothing in this directory
# names an account, an organisation or a channel. tests/infra/test_root_config.py checks that.

variable "region" {
  description = "Region of the hub (functions, state machine, bucket, table, StackSet)."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.region))
    error_message = "region must be a region name such as ap-northeast-1."
  }
}

variable "aws_profile" {
  description = "Named AWS CLI profile of the management account; null uses the environment's credentials."
  type        = string
  default     = null
}

variable "hub_account_id" {
  description = "ID of the organisation's management account, where the hub runs (Cost Explorer sees every account's costs only there): the provider refuses any other account."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.hub_account_id))
    error_message = "hub_account_id must be a 12-digit account ID, quoted so leading zeros survive."
  }
}

variable "name_prefix" {
  description = "Prefix of every resource name."
  type        = string
  default     = "orgpulse"
}

variable "time_zone" {
  description = "IANA time zone of the organisation (schedule and report dates), e.g. Asia/Tokyo."
  type        = string
}

variable "schedule_expression" {
  description = "When runs start, in time_zone."
  type        = string
  default     = "cron(0 9 * * ? *)"
}

variable "operators_slack_channel_id" {
  description = "Slack channel ID that receives each run's summary."
  type        = string
}

variable "slack_token_secret_arn" {
  description = "Existing secret holding the Slack bot token; null creates one to put the token into."
  type        = string
  default     = null
}

variable "config_file" {
  description = "Local configuration file uploaded to the bucket on apply (path relative to this directory); null leaves the configuration to the operators."
  type        = string
  default     = null
}

variable "config_sheet_id" {
  description = "Google Sheet the business teams edit (its ID, from the URL); null reads the configuration from the bucket (config_file)."
  type        = string
  default     = null
}

variable "config_sheet_range" {
  description = "Tab title, named range or A1 range of the configuration in the sheet; null reads the first tab."
  type        = string
  default     = null
}

variable "google_credentials_secret_arn" {
  description = "Existing secret holding the Google service account's JSON key; null (with config_sheet_id) creates one to put the key into."
  type        = string
  default     = null
}

variable "member_role_target_ou_ids" {
  description = "OUs (ou-...) whose accounts get the member read-only role; empty means the whole organisation (its root)."
  type        = list(string)
  default     = []
}

variable "stackset_call_as" {
  description = "SELF: the member-role StackSet is managed from the management account. DELEGATED_ADMIN: from stackset_admin_account_id (a registered StackSets delegated administrator); the hub stays in the management account."
  type        = string
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.stackset_call_as)
    error_message = "stackset_call_as must be SELF or DELEGATED_ADMIN."
  }

  validation {
    condition     = var.stackset_call_as == "SELF" || (var.stackset_admin_account_id != null && var.stackset_admin_account_id != var.hub_account_id)
    error_message = "stackset_call_as = \"DELEGATED_ADMIN\" needs stackset_admin_account_id: the StackSets delegated administrator account, not hub_account_id (the hub stays in the management account)."
  }

  validation {
    condition     = var.stackset_call_as == "SELF" || var.stackset_admin_profile != null || var.stackset_admin_role_arn != null
    error_message = "stackset_call_as = \"DELEGATED_ADMIN\" needs credentials for the delegated administrator account: stackset_admin_profile, or stackset_admin_role_arn to assume from the management account's credentials."
  }
}

variable "stackset_admin_account_id" {
  description = "With stackset_call_as = DELEGATED_ADMIN: the StackSets delegated administrator account the member-role StackSet is managed from."
  type        = string
  default     = null

  validation {
    condition     = var.stackset_admin_account_id == null || can(regex("^[0-9]{12}$", coalesce(var.stackset_admin_account_id, "-")))
    error_message = "stackset_admin_account_id must be a 12-digit account ID, quoted so leading zeros survive."
  }
}

variable "stackset_admin_profile" {
  description = "With DELEGATED_ADMIN: AWS CLI profile of the delegated administrator account; null uses aws_profile (with stackset_admin_role_arn)."
  type        = string
  default     = null
}

variable "stackset_admin_role_arn" {
  description = "With DELEGATED_ADMIN: role in the delegated administrator account to assume for the StackSet; null uses the profile's own credentials."
  type        = string
  default     = null
}

variable "lambda_architecture" {
  description = "x86_64 (what scripts/build-lambdas builds) or arm64 (scripts/build-lambdas --arm64); plan fails unless it is the build manifest's."
  type        = string
  default     = "x86_64"
}

variable "lambda_artifacts_dir" {
  description = "Directory scripts/build-lambdas wrote (zips and manifest.json), relative to this directory."
  type        = string
  default     = "../build/lambda"
}

variable "max_concurrency" {
  description = "Accounts reported at the same time."
  type        = number
  default     = 10
}

variable "create_alarm_sns_topic" {
  description = "Create an SNS topic notified when a run fails."
  type        = bool
  default     = true
}

variable "alarm_email_addresses" {
  description = "E-mail addresses told when a run fails, also when Slack is broken (each confirms a subscription e-mail first)."
  type        = list(string)
  default     = []
}

variable "alarm_sns_topic_arns" {
  description = "Existing SNS topics (e.g. the team's on-call topic) also notified when a run fails."
  type        = list(string)
  default     = []
}

variable "state_machine_log_include_execution_data" {
  description = "Log state input and output (every account's costs and channel IDs) with the state machine's events; off by default."
  type        = bool
  default     = false
}

variable "kms_key_arn" {
  description = "Optional customer-managed KMS key for everything the hub stores."
  type        = string
  default     = null
}

variable "tags" {
  description = "Tags on every resource (provider default_tags)."
  type        = map(string)
  default     = {}
}
