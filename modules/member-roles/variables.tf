variable "stack_set_name" {
  description = "Name of the StackSet that places the read-only role in the member accounts."
  type        = string
  default     = "orgpulse-member-roles"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,127}$", var.stack_set_name))
    error_message = "stack_set_name must start with a letter and contain only letters, digits and hyphens (at most 128)."
  }
}

variable "role_name_prefix" {
  description = "Prefix of the member role's name; the role is \"<prefix>-member-readonly\" in every member account."
  type        = string
  default     = "orgpulse"

  validation {
    condition     = can(regex("^[A-Za-z0-9+=,.@_-]{1,47}$", var.role_name_prefix))
    error_message = "role_name_prefix must be 1-47 characters of A-Z a-z 0-9 +=,.@_- (role names are limited to 64)."
  }
}

variable "hub_account_id" {
  description = "Account ID of the orgpulse hub: the management account, whose report function role the member role trusts (also when a delegated administrator manages the StackSet)."
  type        = string

  validation {
    condition     = can(regex("^[0-9]{12}$", var.hub_account_id))
    error_message = "hub_account_id must be a 12-digit AWS account ID (keep leading zeros: it is a string)."
  }
}

variable "trusted_principal_arns" {
  description = "IAM role ARNs in the hub account that may assume the member role (output member_role_trusted_principal_arns of the hub module)."
  type        = list(string)

  validation {
    condition     = length(var.trusted_principal_arns) > 0 && alltrue([for arn in var.trusted_principal_arns : can(regex("^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$", arn))])
    error_message = "trusted_principal_arns must list at least one IAM role ARN (arn:aws:iam::<account>:role/<name>); wildcards are not allowed."
  }
}

variable "organization_id" {
  description = "ID of the AWS Organization (o-...): the member role may only be assumed from inside it."
  type        = string

  validation {
    condition     = can(regex("^o-[a-z0-9]{10,32}$", var.organization_id))
    error_message = "organization_id must look like o-abcd123456."
  }
}

variable "organizational_unit_ids" {
  description = "Organisation root (r-...) or OUs (ou-...) whose accounts, present and future, get the role. Usually the root."
  type        = list(string)

  validation {
    condition     = length(var.organizational_unit_ids) > 0 && alltrue([for id in var.organizational_unit_ids : can(regex("^(r-[0-9a-z]{4,32}|ou-[0-9a-z]{4,32}-[a-z0-9]{8,32})$", id))])
    error_message = "organizational_unit_ids must list at least one root ID (r-xxxx) or OU ID (ou-xxxx-xxxxxxxx)."
  }
}

variable "stack_instance_region" {
  description = "The one region the stack instances are created in (IAM is global, so one is enough). Null means the provider's region."
  type        = string
  default     = null

  validation {
    condition     = var.stack_instance_region == null || can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]$", var.stack_instance_region))
    error_message = "stack_instance_region must be a region name such as us-east-1."
  }
}

variable "call_as" {
  description = "SELF when Terraform runs in the management account, DELEGATED_ADMIN in a StackSets delegated administrator account."
  type        = string
  default     = "SELF"

  validation {
    condition     = contains(["SELF", "DELEGATED_ADMIN"], var.call_as)
    error_message = "call_as must be SELF or DELEGATED_ADMIN."
  }
}

variable "retain_stacks_on_account_removal" {
  description = "Keep the role in an account that leaves the targeted OUs (false removes it, so a departed account keeps no door open)."
  type        = bool
  default     = false
}

variable "operation_preferences" {
  description = "How fast StackSet operations roll out across accounts."
  type = object({
    failure_tolerance_percentage = optional(number, 10)
    max_concurrent_percentage    = optional(number, 25)
    region_concurrency_type      = optional(string, "PARALLEL")
  })
  default = {}

  validation {
    condition = (
      var.operation_preferences.failure_tolerance_percentage >= 0 && var.operation_preferences.failure_tolerance_percentage <= 100
      && var.operation_preferences.max_concurrent_percentage >= 1 && var.operation_preferences.max_concurrent_percentage <= 100
      && contains(["PARALLEL", "SEQUENTIAL"], var.operation_preferences.region_concurrency_type)
    )
    error_message = "Percentages must be 0-100 (max_concurrent_percentage at least 1) and region_concurrency_type PARALLEL or SEQUENTIAL."
  }
}

variable "tags" {
  description = "Tags of the StackSet (CloudFormation propagates them to the stacks and the role)."
  type        = map(string)
  default     = {}
}
