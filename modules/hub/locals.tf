locals {
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = data.aws_region.current.region

  # The binaries of the Rust workspace (lambdas/plan, lambdas/report, lambdas/summarize).
  lambda_functions = {
    plan = {
      binary      = "orgpulse-plan"
      description = "orgpulse: loads the configuration, lists the organisation, fetches shared cost data and writes one fan-out item per account with a due report."
    }
    report = {
      binary      = "orgpulse-report"
      description = "orgpulse: builds one account's due reports and delivers each to its Slack channels exactly once."
    }
    summarize = {
      binary      = "orgpulse-summarize"
      description = "orgpulse: posts the summary of a run to the operators' Slack channel."
    }
  }
  # Checked against the build manifest (artifacts/): a zip built for another architecture
  # never reaches aws_lambda_function.
  lambda_zip_paths = { for key, function in local.lambda_functions : key => module.artifacts.zip_paths[function.binary] }

  # Who may touch what in the bucket is decided per key prefix (see lambda_code_actions). The
  # functions use the same fixed prefixes (lambdas/workflow/src/files.rs, lambdas/pipeline/src/store.rs).
  bucket_name       = coalesce(var.bucket_name, "${var.name_prefix}-${local.account_id}-${local.region}")
  config_prefix     = "config/"
  runs_prefix       = "runs/"
  state_prefix      = "state/"
  config_object_key = coalesce(var.config_object_key, "${local.config_prefix}orgpulse.${var.config_file == null ? "json" : regex("[a-z]+$", lower(var.config_file))}")
  config_objects    = "${aws_s3_bucket.this.arn}/${local.config_prefix}*"
  run_objects       = "${aws_s3_bucket.this.arn}/${local.runs_prefix}*"
  state_objects     = "${aws_s3_bucket.this.arn}/${local.state_prefix}*"
  # The one state object summarize keeps (lambdas/pipeline/src/store.rs KNOWN_ACCOUNTS_KEY):
  # exactly it, never state/*, or summarize could overwrite state/config-last-good.json.
  known_accounts_object = "${aws_s3_bucket.this.arn}/${local.state_prefix}known-accounts.json"

  slack_token_secret_arn = var.slack_token_secret_arn != null ? var.slack_token_secret_arn : aws_secretsmanager_secret.slack_token[0].arn

  # The member role exists under one name in every member account; which accounts is limited by
  # aws:ResourceOrgID below, so no account list has to be kept up to date.
  member_role_arn_pattern = "arn:${local.partition}:iam::*:role/${var.member_role_name}"

  # Service-managed StackSets live in the management account, also when a delegated
  # administrator created them: the account part is left open, the name is not.
  member_stack_set_name = coalesce(var.member_stack_set_name, "${var.name_prefix}-member-roles")
  member_stack_set_arn  = "arn:${local.partition}:cloudformation:${local.region}:*:stackset/${local.member_stack_set_name}:*"

  # The AWS operations each function's code calls, with the resources each may touch. This map is
  # the one source of truth for the functions' policies (iam.tf builds one statement per action)
  # and tests/infra/test_iam_consistency.py checks its keys against the Rust code.
  lambda_code_actions = {
    plan = {
      "organizations:DescribeOrganization"             = ["*"]
      "organizations:ListRoots"                        = ["*"]
      "organizations:ListOrganizationalUnitsForParent" = ["*"]
      "organizations:ListAccountsForParent"            = ["*"]
      "organizations:ListTagsForResource"              = ["*"]
      "ce:GetCostAndUsage"                             = ["*"]
      "s3:GetObject"                                   = [local.config_objects, local.state_objects]
      "s3:PutObject"                                   = [local.run_objects, local.state_objects]
      "cloudformation:ListStackInstances"              = [local.member_stack_set_arn]
      # The Slack token (the plan checks which configured channels the app is in, once per run)
      # and the Google service account key when the configuration is a sheet (google.tf).
      "secretsmanager:GetSecretValue" = concat([local.slack_token_secret_arn], local.config_sheet_enabled ? [local.google_credentials_secret_arn] : [])
    }
    report = {
      "ce:GetCostAndUsage"            = ["*"]
      "ce:GetCostForecast"            = ["*"]
      "s3:GetObject"                  = [local.run_objects]
      "s3:PutObject"                  = [local.run_objects]
      "secretsmanager:GetSecretValue" = [local.slack_token_secret_arn]
      "dynamodb:GetItem"              = [aws_dynamodb_table.deliveries.arn]
      "dynamodb:PutItem"              = [aws_dynamodb_table.deliveries.arn]
      "dynamodb:UpdateItem"           = [aws_dynamodb_table.deliveries.arn]
      "sts:AssumeRole"                = [local.member_role_arn_pattern]
    }
    summarize = {
      "s3:GetObject"                  = [local.run_objects, local.known_accounts_object]
      "s3:PutObject"                  = [local.run_objects, local.known_accounts_object]
      "secretsmanager:GetSecretValue" = [local.slack_token_secret_arn]
      "dynamodb:GetItem"              = [aws_dynamodb_table.deliveries.arn]
      "dynamodb:PutItem"              = [aws_dynamodb_table.deliveries.arn]
      "dynamodb:UpdateItem"           = [aws_dynamodb_table.deliveries.arn]
    }
  }

  # Conditions narrowing an action further, whichever function calls it.
  lambda_action_conditions = {
    "sts:AssumeRole" = [
      {
        test     = "StringEquals"
        variable = "aws:ResourceOrgID"
        values   = [var.organization_id]
      },
    ]
  }

  # Non-secret settings only: the Slack token and the Google key are read from Secrets Manager
  # by ARN at run time.
  lambda_environment = merge({
    ORGPULSE_BUCKET                  = local.bucket_name
    ORGPULSE_CONFIG_KEY              = local.config_object_key
    ORGPULSE_DELIVERIES_TABLE        = aws_dynamodb_table.deliveries.name
    ORGPULSE_SLACK_TOKEN_SECRET_ARN  = local.slack_token_secret_arn
    ORGPULSE_OPERATORS_CHANNEL       = var.operators_slack_channel_id
    ORGPULSE_MEMBER_ROLE_NAME        = var.member_role_name
    ORGPULSE_MEMBER_STACKSET_NAME    = local.member_stack_set_name
    ORGPULSE_MEMBER_STACKSET_CALL_AS = var.member_stack_set_call_as
    ORGPULSE_TIME_ZONE               = var.time_zone
  }, local.config_sheet_environment)

  state_machine_name = var.name_prefix
  # Built from parts, not taken from the resource: the state machine's own role refers to it.
  state_machine_arn       = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  state_machine_template  = "${path.module}/templates/state-machine.asl.json.tftpl"
  state_machine_writes_s3 = strcontains(file(local.state_machine_template), "ResultWriter")
  state_machine_definition = templatefile(local.state_machine_template, {
    plan_function_arn        = aws_lambda_function.this["plan"].arn
    report_function_arn      = aws_lambda_function.this["report"].arn
    summarize_function_arn   = aws_lambda_function.this["summarize"].arn
    max_concurrency          = var.max_concurrency
    map_child_execution_type = var.map_child_execution_type
    retry_interval_seconds   = var.task_retry_interval_seconds
    bucket_name              = local.bucket_name
    runs_prefix              = local.runs_prefix
    partition                = local.partition
  })
}
