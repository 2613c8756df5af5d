# The exactly-once ledger: one item per (account, report kind, period, channel) delivery,
# written with conditional puts and dropped by TTL once a repeat delivery can no longer happen.
resource "aws_dynamodb_table" "deliveries" {
  name                        = "${var.name_prefix}-deliveries"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "pk"
  deletion_protection_enabled = var.deliveries_table_deletion_protection

  attribute {
    name = "pk"
    type = "S"
  }

  ttl {
    attribute_name = "expires_at"
    enabled        = true
  }

  server_side_encryption {
    enabled     = true
    kms_key_arn = var.kms_key_arn
  }

  point_in_time_recovery {
    enabled = var.deliveries_table_point_in_time_recovery
  }

  tags = var.tags

  #checkov:skip=CKV_AWS_119:Encryption is always on; a customer-managed key is optional (var.kms_key_arn), otherwise the AWS-managed DynamoDB key is used.
}
