# ---------------------------------------------------------------------------------------------
# Lambda functions: one role each, granting exactly local.lambda_code_actions[function].
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "lambda_assume_role" {
  statement {
    sid     = "LambdaAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "lambda" {
  for_each = local.lambda_functions

  name               = "${var.name_prefix}-${each.key}-lambda"
  description        = "Runs the ${var.name_prefix}-${each.key} function."
  assume_role_policy = data.aws_iam_policy_document.lambda_assume_role.json
  tags               = var.tags
}

data "aws_iam_policy_document" "lambda" {
  for_each = local.lambda_functions

  # One statement per AWS operation the function's code calls: "s3:GetObject" -> sid "S3GetObject".
  # An action whose resources are off in this deployment (an empty list) gets no statement.
  dynamic "statement" {
    for_each = { for action, resources in local.lambda_code_actions[each.key] : action => resources if length(resources) > 0 }

    content {
      sid       = replace(title(replace(statement.key, ":", " ")), " ", "")
      effect    = "Allow"
      actions   = [statement.key]
      resources = statement.value

      dynamic "condition" {
        for_each = lookup(local.lambda_action_conditions, statement.key, [])

        content {
          test     = condition.value.test
          variable = condition.value.variable
          values   = condition.value.values
        }
      }
    }
  }

  # Not an operation the code calls: without s3:ListBucket, S3 answers a GetObject on a missing
  # key with 403 AccessDenied instead of 404 NoSuchKey, and the functions could not tell "no
  # state yet" (first run) or "no result for this account" from a permission problem.
  dynamic "statement" {
    for_each = contains(keys(local.lambda_code_actions[each.key]), "s3:GetObject") ? [1] : []

    content {
      sid       = "TellMissingObjectsFromDenied"
      effect    = "Allow"
      actions   = ["s3:ListBucket"]
      resources = [aws_s3_bucket.this.arn]
    }
  }

  # Not an operation the code calls: CloudFormation checks it when a delegated administrator
  # calls a StackSet operation with CallAs=DELEGATED_ADMIN (the plan function's
  # ListStackInstances); the AWS CloudFormation User Guide asks delegated administrators to have it.
  dynamic "statement" {
    for_each = each.key == "plan" && var.member_stack_set_call_as == "DELEGATED_ADMIN" ? [1] : []

    content {
      sid       = "ReadStackSetsDelegatedAdministrators"
      effect    = "Allow"
      actions   = ["organizations:ListDelegatedAdministrators"]
      resources = ["*"]
    }
  }

  statement {
    sid       = "WriteOwnLogs"
    effect    = "Allow"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.lambda[each.key].arn}:*"]
  }

  dynamic "statement" {
    for_each = var.enable_xray_tracing ? [1] : []

    content {
      sid    = "WriteTraces"
      effect = "Allow"
      # X-Ray has no resource-level permissions for these actions.
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn != null ? [1] : []

    content {
      sid       = "UseCustomerManagedKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]

      # Only through the services that hold its data (bucket, ledger, secrets, environment), never kms:Decrypt called directly.
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com", "dynamodb.${local.region}.amazonaws.com", "secretsmanager.${local.region}.amazonaws.com", "lambda.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "lambda" {
  for_each = local.lambda_functions

  name   = "${var.name_prefix}-${each.key}"
  role   = aws_iam_role.lambda[each.key].id
  policy = data.aws_iam_policy_document.lambda[each.key].json
}

# ---------------------------------------------------------------------------------------------
# State machine
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "state_machine_assume_role" {
  statement {
    sid     = "StepFunctionsAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["states.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    # Only for this state machine, its executions and its Map runs (AWS's confused-deputy
    # guidance); every ARN below names the state machine.
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        local.state_machine_arn,
        "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*",
        "arn:${local.partition}:states:${local.region}:${local.account_id}:express:${local.state_machine_name}:*",
        "arn:${local.partition}:states:${local.region}:${local.account_id}:mapRun:${local.state_machine_name}/*",
      ]
    }
  }
}

resource "aws_iam_role" "state_machine" {
  name               = "${var.name_prefix}-state-machine"
  description        = "Runs the ${local.state_machine_name} state machine."
  assume_role_policy = data.aws_iam_policy_document.state_machine_assume_role.json
  tags               = var.tags
}

data "aws_iam_policy_document" "state_machine" {
  statement {
    sid       = "InvokeFunctions"
    effect    = "Allow"
    actions   = ["lambda:InvokeFunction"]
    resources = flatten([for function in aws_lambda_function.this : [function.arn, "${function.arn}:*"]])
  }

  statement {
    sid       = "StartMapChildExecutions"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [local.state_machine_arn]
  }

  statement {
    sid     = "ManageMapChildExecutions"
    effect  = "Allow"
    actions = ["states:DescribeExecution", "states:StopExecution"]
    # Child executions of a Distributed Map are named <state machine>/<map run label>:<id>.
    resources = ["arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}/*"]
  }

  statement {
    sid       = "ReadFanOutItems"
    effect    = "Allow"
    actions   = ["s3:GetObject"]
    resources = [local.run_objects]
  }

  dynamic "statement" {
    for_each = local.state_machine_writes_s3 ? [1] : []

    content {
      sid       = "WriteMapResults"
      effect    = "Allow"
      actions   = ["s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts"]
      resources = [local.run_objects]
    }
  }

  statement {
    sid    = "DeliverExecutionLogs"
    effect = "Allow"
    # CloudWatch Logs vended delivery: these actions have no resource-level permissions.
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  dynamic "statement" {
    for_each = var.enable_xray_tracing ? [1] : []

    content {
      sid       = "WriteTraces"
      effect    = "Allow"
      actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords", "xray:GetSamplingRules", "xray:GetSamplingTargets"]
      resources = ["*"]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn != null ? [1] : []

    content {
      sid       = "UseCustomerManagedKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]

      # Only through S3 (the Map's items and results) and Step Functions (its own encrypted state).
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["s3.${local.region}.amazonaws.com", "states.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "${var.name_prefix}-state-machine"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}

# ---------------------------------------------------------------------------------------------
# Scheduler
# ---------------------------------------------------------------------------------------------

data "aws_iam_policy_document" "scheduler_assume_role" {
  statement {
    sid     = "SchedulerAssumesRole"
    effect  = "Allow"
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["scheduler.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [local.account_id]
    }

    # Only for schedules of its schedule group, "default" as in schedule.tf (a reference would
    # make a cycle: the schedule names this role); AWS's confused-deputy guidance.
    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = ["arn:${local.partition}:scheduler:${local.region}:${local.account_id}:schedule-group/default"]
    }
  }
}

resource "aws_iam_role" "scheduler" {
  name               = "${var.name_prefix}-scheduler"
  description        = "Lets EventBridge Scheduler start the ${local.state_machine_name} state machine."
  assume_role_policy = data.aws_iam_policy_document.scheduler_assume_role.json
  tags               = var.tags
}

data "aws_iam_policy_document" "scheduler" {
  statement {
    sid       = "StartRun"
    effect    = "Allow"
    actions   = ["states:StartExecution"]
    resources = [aws_sfn_state_machine.this.arn]
  }

  dynamic "statement" {
    for_each = var.create_schedule_dead_letter_queue ? [1] : []

    content {
      sid       = "SendToDeadLetterQueue"
      effect    = "Allow"
      actions   = ["sqs:SendMessage"]
      resources = [aws_sqs_queue.schedule_dead_letter[0].arn]
    }
  }

  dynamic "statement" {
    for_each = var.kms_key_arn != null ? [1] : []

    content {
      sid       = "UseCustomerManagedKey"
      effect    = "Allow"
      actions   = ["kms:Decrypt", "kms:GenerateDataKey"]
      resources = [var.kms_key_arn]

      # Only through SQS (the dead-letter queue), Scheduler (the schedule) and Step Functions (StartExecution).
      condition {
        test     = "StringEquals"
        variable = "kms:ViaService"
        values   = ["sqs.${local.region}.amazonaws.com", "scheduler.${local.region}.amazonaws.com", "states.${local.region}.amazonaws.com"]
      }
    }
  }
}

resource "aws_iam_role_policy" "scheduler" {
  name   = "${var.name_prefix}-scheduler"
  role   = aws_iam_role.scheduler.id
  policy = data.aws_iam_policy_document.scheduler.json
}
