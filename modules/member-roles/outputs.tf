output "role_name" {
  description = "Name of the read-only role in every member account (pass to the hub module's member_role_name)."
  value       = local.role_name
}

output "stack_set_name" {
  description = "Name of the StackSet."
  value       = aws_cloudformation_stack_set.this.name
}

output "stack_set_id" {
  description = "ID of the StackSet."
  value       = aws_cloudformation_stack_set.this.stack_set_id
}

output "stack_set_arn" {
  description = "ARN of the StackSet."
  value       = aws_cloudformation_stack_set.this.arn
}

output "stack_instance_region" {
  description = "Region the stack instances are created in."
  value       = local.stack_instance_region
}

output "organizational_unit_ids" {
  description = "Root or OUs whose accounts get the role."
  value       = var.organizational_unit_ids
}
