# Only the secret is managed here, never its value: the token is put with
# `aws secretsmanager put-secret-value` (README), so it is not in Terraform state.
resource "aws_secretsmanager_secret" "slack_token" {
  count = var.slack_token_secret_arn == null ? 1 : 0

  name                    = "${var.name_prefix}/slack-bot-token"
  description             = "Slack bot token (xoxb-...) orgpulse posts with. Value put out of band; see modules/hub/README.md."
  kms_key_id              = var.kms_key_arn
  recovery_window_in_days = var.slack_token_secret_recovery_window_in_days
  tags                    = var.tags

  #checkov:skip=CKV2_AWS_57:A Slack bot token is issued and revoked in the Slack app, not by a Secrets Manager rotation function; the README documents how to put a new value.
  #checkov:skip=CKV_AWS_149:A customer-managed key is optional (var.kms_key_arn); without it Secrets Manager encrypts with its AWS-managed key.
}
