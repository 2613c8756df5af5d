# A second organisation applying the same root configuration: only these values differ.
# (tests/infra/test_root_config.py checks both variable files against variables.tf.)
region         = "eu-west-1"
hub_account_id = "444455556666"
time_zone      = "Europe/Berlin"

schedule_expression = "cron(30 7 ? * MON-FRI *)"

operators_slack_channel_id = "C0987654321"
slack_token_secret_arn     = "arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/slack-bot-token-AbCdEf"

member_role_target_ou_ids = ["ou-ab12-cdefgh34", "ou-ab12-ijklmn56"]

# The hub runs in the management account (444455556666, above); the member-role StackSet is
# managed from the StackSets delegated administrator, with that account's own profile.
stackset_call_as          = "DELEGATED_ADMIN"
stackset_admin_account_id = "777788889999"
stackset_admin_profile    = "org2-stacksets-admin"

lambda_architecture    = "x86_64"
max_concurrency        = 25
create_alarm_sns_topic = false

tags = {
  "owner" = "platform-team"
}
