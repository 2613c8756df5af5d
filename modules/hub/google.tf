# ---------------------------------------------------------------------------------------------
# Google Sheet as the configuration source (var.config_sheet_id). Only the secret is managed
# here, never its value: the service account's JSON key is put with
# `aws secretsmanager put-secret-value` (README), so it is not in Terraform state.
# ---------------------------------------------------------------------------------------------

resource "aws_secretsmanager_secret" "google_credentials" {
  count = var.config_sheet_id != null && var.google_credentials_secret_arn == null ? 1 : 0

  name                    = "${var.name_prefix}/google-service-account-key"
  description             = "JSON key of the Google service account orgpulse reads the configuration sheet with. Value put out of band; see modules/hub/README.md."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.google_credentials_secret_recovery_window_in_days
  tags                    = var.tags

  #checkov:skip=CKV2_AWS_57:A Google service account key is created and deleted in Google Cloud, not by a Secrets Manager rotation function; the README documents how to rotate it.
  #checkov:skip=CKV_AWS_149:A customer-managed key is optional (var.kms_key_arn); without it Secrets Manager encrypts with its AWS-managed key.
}

locals {
  config_sheet_enabled = var.config_sheet_id != null

  google_credentials_secret_arn = (
    !local.config_sheet_enabled ? null :
    var.google_credentials_secret_arn != null ? var.google_credentials_secret_arn :
    aws_secretsmanager_secret.google_credentials[0].arn
  )

  # Read by the plan function (lambdas/workflow/src/config_source.rs); absent, it reads the
  # object ORGPULSE_CONFIG_KEY. GOOGLE_OAUTH_TOKEN_URL and GOOGLE_SHEETS_API_URL are left to
  # their defaults (Google's own endpoints).
  config_sheet_environment = local.config_sheet_enabled ? merge(
    {
      ORGPULSE_CONFIG_SHEET_ID               = var.config_sheet_id
      ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN = local.google_credentials_secret_arn
    },
    var.config_sheet_range == null ? {} : { ORGPULSE_CONFIG_SHEET_RANGE = var.config_sheet_range },
  ) : {}
}
