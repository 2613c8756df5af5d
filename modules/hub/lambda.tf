module "artifacts" {
  source = "./artifacts"

  artifacts_dir = var.lambda_artifacts_dir
  architecture  = var.lambda_architecture
  binaries      = [for function in local.lambda_functions : function.binary]
}

resource "aws_cloudwatch_log_group" "lambda" {
  for_each = local.lambda_functions

  name              = "/aws/lambda/${var.name_prefix}-${each.key}"
  retention_in_days = var.cloudwatch_log_group_retention_in_days
  kms_key_id        = var.kms_key_arn
  tags              = var.tags

  #checkov:skip=CKV_AWS_158:A customer-managed key is optional (var.kms_key_arn); without it CloudWatch Logs encrypts with its own key. The logs hold no secret.
}

resource "aws_lambda_function" "this" {
  for_each = local.lambda_functions

  function_name    = "${var.name_prefix}-${each.key}"
  description      = each.value.description
  role             = aws_iam_role.lambda[each.key].arn
  filename         = local.lambda_zip_paths[each.key]
  source_code_hash = filebase64sha256(local.lambda_zip_paths[each.key])
  handler          = "bootstrap"
  runtime          = "provided.al2023"
  architectures    = [var.lambda_architecture]
  memory_size      = var.lambda_memory_size[each.key]
  timeout          = var.lambda_timeout_seconds[each.key]
  kms_key_arn      = var.kms_key_arn

  environment {
    variables = local.lambda_environment
  }

  logging_config {
    log_format            = "JSON"
    log_group             = aws_cloudwatch_log_group.lambda[each.key].name
    application_log_level = var.lambda_log_level
    system_log_level      = "WARN"
  }

  tracing_config {
    mode = var.enable_xray_tracing ? "Active" : "PassThrough"
  }

  tags = var.tags

  # The policy must exist before the first invocation, the log group before the first line.
  depends_on = [aws_iam_role_policy.lambda, aws_cloudwatch_log_group.lambda]

  #checkov:skip=CKV_AWS_50:X-Ray tracing is a choice (var.enable_xray_tracing); traces cost money per run and the state machine's logs already locate failures.
  #checkov:skip=CKV_AWS_115:Concurrency is bounded by the state machine (var.max_concurrency); reserving concurrency would take it from the account's other functions and fails on accounts with a low limit.
  #checkov:skip=CKV_AWS_116:Step Functions invokes the functions synchronously and retries/catches failures itself; a dead-letter queue only applies to asynchronous invocations.
  #checkov:skip=CKV_AWS_117:The functions call Slack and public AWS endpoints; a VPC would only add NAT gateways (cost) without protecting anything.
  #checkov:skip=CKV_AWS_173:Environment variables hold no secret (the Slack token is read from Secrets Manager); a customer-managed key is optional through var.kms_key_arn.
  #checkov:skip=CKV_AWS_272:Code signing needs an AWS Signer profile per organisation; the zips are built reproducibly by scripts/build-lambdas and deployed by Terraform from the operators' own build.
}
