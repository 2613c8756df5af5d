# One provider: Organizations and Cost Explorer are global services whose SDK endpoints live in
# us-east-1, which the AWS SDKs (and the data source below) resolve by themselves whatever the
# hub's region, so no us-east-1 alias is needed.
provider "aws" {
  region = var.region

  # Credentials of the management account (or the delegated administrator): from the
  # environment or the profile, never from this file.
  profile = var.aws_profile

  allowed_account_ids = [var.hub_account_id]

  default_tags {
    tags = merge({ "orgpulse:managed-by" = "terraform" }, var.tags)
  }
}
