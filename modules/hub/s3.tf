resource "aws_s3_bucket" "this" {
  bucket        = local.bucket_name
  force_destroy = var.bucket_force_destroy
  tags          = var.tags

  #checkov:skip=CKV_AWS_144:Cross-region replication would copy run items that expire within days; configuration history is kept by versioning.
  #checkov:skip=CKV2_AWS_62:Nothing reacts to object events; the planner reads the configuration on each run.
  #checkov:skip=CKV_AWS_145:SSE-S3 is the default; SSE-KMS with a customer-managed key is used when var.kms_key_arn is set.
}

resource "aws_s3_bucket_ownership_controls" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  bucket = aws_s3_bucket.this.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_versioning" "this" {
  bucket = aws_s3_bucket.this.id

  # Every accepted configuration stays restorable (last known good).
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm     = var.kms_key_arn == null ? "AES256" : "aws:kms"
      kms_master_key_id = var.kms_key_arn
    }
    bucket_key_enabled = var.kms_key_arn != null
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  bucket = aws_s3_bucket.this.id

  rule {
    id     = "expire-run-items"
    status = "Enabled"

    filter {
      prefix = local.runs_prefix
    }

    expiration {
      days = var.run_items_expiration_days
    }

    noncurrent_version_expiration {
      noncurrent_days = 1
    }
  }

  rule {
    id     = "expire-old-configuration-versions"
    status = "Enabled"

    filter {
      prefix = local.config_prefix
    }

    noncurrent_version_expiration {
      noncurrent_days = var.config_noncurrent_version_retention_days
    }
  }

  rule {
    id     = "expire-old-state-versions"
    status = "Enabled"

    filter {
      prefix = local.state_prefix
    }

    noncurrent_version_expiration {
      noncurrent_days = var.config_noncurrent_version_retention_days
    }
  }

  rule {
    id     = "abort-incomplete-uploads"
    status = "Enabled"

    filter {}

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  count = var.bucket_access_logs != null ? 1 : 0

  bucket        = aws_s3_bucket.this.id
  target_bucket = var.bucket_access_logs.bucket
  target_prefix = var.bucket_access_logs.prefix
}

data "aws_iam_policy_document" "bucket" {
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  statement {
    sid       = "DenyOutdatedTls"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [aws_s3_bucket.this.arn, "${aws_s3_bucket.this.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "NumericLessThan"
      variable = "s3:TlsVersion"
      values   = ["1.2"]
    }
  }
}

resource "aws_s3_bucket_policy" "this" {
  bucket = aws_s3_bucket.this.id
  policy = data.aws_iam_policy_document.bucket.json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

resource "aws_s3_object" "config" {
  count = var.config_file != null ? 1 : 0

  bucket       = aws_s3_bucket.this.id
  key          = local.config_object_key
  source       = var.config_file
  source_hash  = filemd5(var.config_file)
  content_type = endswith(lower(var.config_file), ".csv") ? "text/csv; charset=utf-8" : "application/json"
  tags         = var.tags

  depends_on = [aws_s3_bucket_server_side_encryption_configuration.this, aws_s3_bucket_versioning.this]
}
