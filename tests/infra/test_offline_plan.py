"""Terraform core plans the configurations offline, against the AWS provider's real schema.

scripts/terraform-offline runs init, validate, plan and show -json on a copy of the repository
(offline_terraform.copy_tree); the assertions read plan.json, which carries Terraform's own
evaluation of every expression, variable default and module input.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

import iam_from_code
from offline_terraform import REPO, copy_tree, lambda_artifacts, offline

FUNCTIONS = ("plan", "report", "summarize")
ROOT_FIXTURES = Path("tests") / "infra" / "fixtures" / "offline_roots"
# Statements the hub adds beside one statement per operation the code calls (modules/hub/iam.tf
# says why each exists); they are not operations the code calls, so they are not in the derivation.
INFRASTRUCTURE_SIDS = {"WriteOwnLogs", "TellMissingObjectsFromDenied", "ReadStackSetsDelegatedAdministrators",
                       "WriteTraces", "UseCustomerManagedKey"}


@pytest.fixture(scope="module")
def tree(tmp_path_factory) -> Path:
    tree = copy_tree(tmp_path_factory.mktemp("tree"))
    lambda_artifacts(tree / "build" / "lambda")
    return tree


# First deployments (what `terraform plan` shows an operator before the first apply) and plans of
# the deployed configuration (--deployed: ARN-derived values such as policies are known).


@pytest.fixture(scope="module")
def first_plan(tree):
    result = offline(tree, "plan", tree / "terraform", "-var-file=terraform.tfvars.example")
    assert result.code == 0, result.output
    return result


@pytest.fixture(scope="module")
def example_plan(tree):
    result = offline(tree, "plan", tree / "terraform", "-var-file=terraform.tfvars.example", "--deployed")
    assert result.code == 0, result.output
    return result


@pytest.fixture(scope="module")
def second_org_plan(tree):
    result = offline(tree, "plan", tree / "terraform", "-var-file=examples/second-org.tfvars", "--deployed")
    assert result.code == 0, result.output
    return result


@pytest.fixture(scope="module")
def hub_plan(tree):
    artifacts = lambda_artifacts(tree / "build" / "hub-example-lambda", "x86_64")
    result = offline(tree, "plan", tree / ROOT_FIXTURES / "hub", f"-var=lambda_artifacts_dir={artifacts}", "--deployed")
    assert result.code == 0, result.output
    return result


@pytest.fixture(scope="module")
def member_roles_plan(tree):
    result = offline(tree, "plan", tree / ROOT_FIXTURES / "member-roles", "--deployed")
    assert result.code == 0, result.output
    return result


def tfvars(name: str) -> dict[str, str]:
    """The simple `key = "value"` lines of a tfvars file."""
    text = (REPO / "terraform" / name).read_text()
    return dict(re.findall(r'^(\w+)\s*=\s*"([^"]*)"', text, re.M))


def policy(values: dict, key: str = "policy") -> dict:
    return json.loads(values[key])


def code_env_names() -> set[str]:
    names = set()
    for path in (REPO / "lambdas").rglob("*.rs"):
        if "tests" in path.relative_to(REPO / "lambdas").parts:
            continue
        names.update(re.findall(r'"(ORGPULSE_[A-Z_]+)"', path.read_text()))
    return names


# ------------------------------------------------------------------ the configurations plan


def test_validate_root_configuration(tree):
    result = offline(tree, "validate", tree / "terraform")
    assert result.code == 0, result.output
    assert "The configuration is valid" in result.output


def test_example_tfvars_plans_every_resource(first_plan):
    assert all(c["change"]["actions"] == ["create"] for c in first_plan.plan["resource_changes"]
               if c["mode"] == "managed")
    created = {address for address, _ in first_plan.resources().items()}
    expected_types = {
        "aws_lambda_function", "aws_iam_role", "aws_iam_role_policy", "aws_sfn_state_machine",
        "aws_scheduler_schedule", "aws_s3_bucket", "aws_dynamodb_table", "aws_secretsmanager_secret",
        "aws_cloudformation_stack_set", "aws_cloudformation_stack_set_instance", "aws_cloudwatch_metric_alarm",
    }
    types = {re.sub(r"\[.*$", "", a).split(".")[-2] for a in created}
    assert expected_types <= types, expected_types - types
    for function in FUNCTIONS:
        assert f'module.hub.aws_lambda_function.this["{function}"]' in created
    # No Slack secret given: the hub creates one.
    assert "module.hub.aws_secretsmanager_secret.slack_token[0]" in created


def test_second_org_tfvars_plans_with_its_own_choices(second_org_plan):
    resources = second_org_plan.resources()
    assert "module.hub.aws_secretsmanager_secret.slack_token[0]" not in resources  # existing secret
    for function in FUNCTIONS:
        values = resources[f'module.hub.aws_lambda_function.this["{function}"]']
        assert values["architectures"] == ["x86_64"]
        assert values["environment"][0]["variables"]["ORGPULSE_SLACK_TOKEN_SECRET_ARN"] == (
            "arn:aws:secretsmanager:eu-west-1:444455556666:secret:shared/slack-bot-token-AbCdEf")
    instances = [a for a in resources if "aws_cloudformation_stack_set_instance" in a]
    assert sorted(instances) == [
        'module.member_roles.aws_cloudformation_stack_set_instance.this["eu-west-1_ou-ab12-cdefgh34"]',
        'module.member_roles.aws_cloudformation_stack_set_instance.this["eu-west-1_ou-ab12-ijklmn56"]',
    ]
    assert resources["module.member_roles.aws_cloudformation_stack_set.this"]["call_as"] == "DELEGATED_ADMIN"
    # Service-managed StackSets live in the management account even when a delegated
    # administrator manages them, so the hub (always in the management account) reads the
    # instances as SELF and needs no delegated-administrator grant.
    plan_policy = policy(resources['module.hub.aws_iam_role_policy.lambda["plan"]'])
    assert "ReadStackSetsDelegatedAdministrators" not in {s["Sid"] for s in plan_policy["Statement"]}
    plan_env = resources['module.hub.aws_lambda_function.this["plan"]']["environment"][0]["variables"]
    assert plan_env.get("ORGPULSE_MEMBER_STACKSET_CALL_AS", "SELF") == "SELF"


# ------------------------------------------------------------------ assertions on plan.json


@pytest.mark.parametrize("function", FUNCTIONS)
def test_function_architecture_memory_timeout_and_environment(example_plan, function):
    values = example_plan.resources()[f'module.hub.aws_lambda_function.this["{function}"]']
    defaults = {"plan": (512, 600), "report": (256, 180), "summarize": (256, 120)}  # modules/hub/variables.tf
    assert values["architectures"] == [tfvars("terraform.tfvars.example")["lambda_architecture"]]
    assert (values["memory_size"], values["timeout"]) == defaults[function]
    assert values["runtime"] == "provided.al2023" and values["handler"] == "bootstrap"
    env = values["environment"][0]["variables"]
    # Every variable the plan sets is one the code reads; the sheet ones only with a sheet.
    assert set(env) <= code_env_names(), set(env) - code_env_names()
    assert env["ORGPULSE_TIME_ZONE"] == "Asia/Tokyo"
    assert env["ORGPULSE_OPERATORS_CHANNEL"] == "C0123456789"
    assert env["ORGPULSE_BUCKET"] == "orgpulse-111122223333-ap-northeast-1"
    assert env["ORGPULSE_MEMBER_ROLE_NAME"] == "orgpulse-member-readonly"
    assert "ORGPULSE_CONFIG_SHEET_ID" not in env
    assert not any("token" in v.lower() and not v.startswith("arn:") for v in env.values() if v)


@pytest.fixture(scope="module")
def derived():
    return {function: iam_from_code.derive(REPO / "lambdas" / function) for function in FUNCTIONS}


# Calls on a code path a deployment switches off get no grant there (local.lambda_code_actions
# lists no resources for them): the Google key is read only with config_sheet_id set.
# Grants a deployment without a Google Sheet leaves out. None since plan reads the Slack token
# (the channel-membership check) in every deployment: its secretsmanager:GetSecretValue is
# always granted (on the Slack secret, and on the Google key only with a sheet).
OFF_WITHOUT_SHEET: set[tuple[str, str]] = set()


@pytest.mark.parametrize("function", FUNCTIONS)
@pytest.mark.parametrize("deployment", ["example_plan", "hub_plan"])
def test_each_function_policy_grants_exactly_the_calls_in_its_code(request, derived, function, deployment):
    plan = request.getfixturevalue(deployment)
    document = policy(plan.resources()[f'module.hub.aws_iam_role_policy.lambda["{function}"]'])
    granted = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        if statement.get("Sid") in INFRASTRUCTURE_SIDS:
            continue
        actions = statement["Action"]
        granted.update([actions] if isinstance(actions, str) else actions)
    called = set(derived[function].hub_actions)
    if deployment == "example_plan":  # no sheet in terraform.tfvars.example
        called -= {action for fn, action in OFF_WITHOUT_SHEET if fn == function}
    assert granted == called, (f"{function}: granted but not called {sorted(granted - called)}, "
                               f"called but not granted {sorted(called - granted)}")


def test_assume_role_is_limited_to_the_organisation(example_plan):
    document = policy(example_plan.resources()['module.hub.aws_iam_role_policy.lambda["report"]'])
    assume = next(s for s in document["Statement"] if s["Action"] == "sts:AssumeRole")
    assert assume["Resource"] == "arn:aws:iam::*:role/orgpulse-member-readonly"
    assert assume["Condition"] == {"StringEquals": {"aws:ResourceOrgID": "o-offline0000"}}


def test_state_machine_definition_is_the_file_the_end_to_end_tests_execute(example_plan, tmp_path):
    from tests.e2e.harness import render_state_machine

    resources = example_plan.resources()
    arns = {f: resources[f'module.hub.aws_lambda_function.this["{f}"]']["arn"] for f in FUNCTIONS}
    # The harness's rendering (tests/e2e/harness.py), with the values this deployment has.
    expected = render_state_machine(tmp_path, {
        "plan_function_arn": arns["plan"], "report_function_arn": arns["report"],
        "summarize_function_arn": arns["summarize"], "max_concurrency": 10,
        "map_child_execution_type": "STANDARD", "retry_interval_seconds": 2, "partition": "aws",
    })
    assert resources["module.hub.aws_sfn_state_machine.this"]["definition"] == expected


def definition_grant_problems(plan) -> list[str]:
    """What the state machine's definition uses that its role is not granted (template and
    grants must change together): every function it invokes, and the S3 objects its
    ItemReader reads and its ResultWriter (if any) writes."""
    resources = plan.resources()
    definition = resources["module.hub.aws_sfn_state_machine.this"]["definition"]
    document = policy(resources["module.hub.aws_iam_role_policy.state_machine"])
    granted: dict[str, set[str]] = {}
    for statement in document["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        for action in actions:
            granted.setdefault(action, set()).update(targets)
    bucket = resources["module.hub.aws_s3_bucket.this"]["bucket"]
    runs = f"arn:aws:s3:::{bucket}/runs/*"
    problems = []
    invoked = set(re.findall(r'"FunctionName": "([^"]+)"', definition))
    if not invoked:
        problems.append("the definition invokes no function")
    problems += [f"lambda:InvokeFunction on {arn} not granted"
                 for arn in sorted(invoked - granted.get("lambda:InvokeFunction", set()))]
    if "arn:aws:states:::s3:getObject" in definition and runs not in granted.get("s3:GetObject", set()):
        problems.append(f"the ItemReader reads {runs}: s3:GetObject not granted")
    if "ResultWriter" in definition and runs not in granted.get("s3:PutObject", set()):
        problems.append(f"the ResultWriter writes {runs}: s3:PutObject not granted")
    if "ResultWriter" not in definition and "s3:PutObject" in granted:
        problems.append("s3:PutObject granted but the definition writes nothing")
    return problems


def test_state_machine_role_grants_what_its_definition_uses(example_plan):
    assert definition_grant_problems(example_plan) == []


def test_a_grant_removed_without_changing_the_template_is_caught(tmp_path):
    tree = copy_tree(tmp_path / "tree")
    lambda_artifacts(tree / "build" / "lambda")
    iam = tree / "modules" / "hub" / "iam.tf"
    text = iam.read_text()
    statement = text[text.index('  statement {\n    sid       = "ReadFanOutItems"'):]
    statement = statement[: statement.index("\n  }\n") + 5]
    iam.write_text(text.replace(statement, ""))
    result = offline(tree, "plan", tree / "terraform", "-var-file=terraform.tfvars.example", "--deployed")
    assert result.code == 0, result.output
    assert definition_grant_problems(result) == [
        "the ItemReader reads arn:aws:s3:::orgpulse-111122223333-ap-northeast-1/runs/*: s3:GetObject not granted"]


def test_schedule_expression_and_time_zone(example_plan, second_org_plan):
    for plan, name in ((example_plan, "terraform.tfvars.example"), (second_org_plan, "examples/second-org.tfvars")):
        values = plan.resources()["module.hub.aws_scheduler_schedule.this"]
        assert values["schedule_expression"] == tfvars(name)["schedule_expression"]
        assert values["schedule_expression_timezone"] == tfvars(name)["time_zone"]
        assert values["state"] == "ENABLED"


def test_stack_set_is_service_managed_and_deploys_automatically(example_plan):
    values = example_plan.resources()["module.member_roles.aws_cloudformation_stack_set.this"]
    assert values["permission_model"] == "SERVICE_MANAGED"
    assert values["auto_deployment"] == [
        {"enabled": True, "retain_stacks_on_account_removal": False, "depends_on_stack_sets": None}]
    assert values["capabilities"] == ["CAPABILITY_NAMED_IAM"]
    template = (REPO / "stacksets" / "member-role.yaml").read_text()
    assert values["template_body"] == template


# ------------------------------------------------------------------ each module on its own


def test_hub_module_with_its_optional_paths(hub_plan):
    resources = hub_plan.resources()
    key = "arn:aws:kms:eu-central-1:210987654321:key/11111111-2222-3333-4444-555555555555"
    # Google Sheet: the module creates the credentials secret, encrypted with the key.
    assert resources["module.hub.aws_secretsmanager_secret.google_credentials[0]"]["kms_key_id"] == key
    # An existing Slack secret: none created, the functions get its ARN.
    assert "module.hub.aws_secretsmanager_secret.slack_token[0]" not in resources
    plan_fn = resources['module.hub.aws_lambda_function.this["plan"]']
    env = plan_fn["environment"][0]["variables"]
    assert env["ORGPULSE_CONFIG_SHEET_ID"] == "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcd"
    assert env["ORGPULSE_CONFIG_SHEET_RANGE"] == "Accounts"
    assert plan_fn["architectures"] == ["x86_64"] and plan_fn["kms_key_arn"] == key
    assert plan_fn["tracing_config"] == [{"mode": "Active"}]
    assert resources['module.hub.aws_lambda_function.this["report"]']["memory_size"] == 1024
    assert resources["module.hub.aws_sfn_state_machine.this"]["encryption_configuration"][0]["kms_key_id"] == key
    for function in FUNCTIONS:
        assert resources[f'module.hub.aws_cloudwatch_log_group.lambda["{function}"]']["kms_key_id"] == key
    # Only the plan function reads the Google key; every function may use the KMS key.
    sids = {f: {s["Sid"] for s in policy(resources[f'module.hub.aws_iam_role_policy.lambda["{f}"]'])["Statement"]}
            for f in FUNCTIONS}
    assert "SecretsmanagerGetSecretValue" in sids["plan"]
    assert all({"UseCustomerManagedKey", "WriteTraces"} <= s for s in sids.values())
    # Alarms notify the topic the module creates and the further actions.
    assert "module.hub.aws_sns_topic.alarms[0]" in resources
    for alarm in ("failed", "timed_out"):
        actions = resources[f'module.hub.aws_cloudwatch_metric_alarm.executions["{alarm}"]']["alarm_actions"]
        assert "arn:aws:sns:eu-central-1:210987654321:pager" in actions
    assert resources["module.hub.aws_s3_bucket_logging.this[0]"]["target_bucket"] == "pulse-access-logs"
    schedule = resources["module.hub.aws_scheduler_schedule.this"]
    assert (schedule["schedule_expression"], schedule["schedule_expression_timezone"]) == (
        "cron(15 6 ? * MON-FRI *)", "Europe/Berlin")


def test_member_roles_module_with_its_optional_inputs(member_roles_plan):
    resources = member_roles_plan.resources()
    stack_set = resources["module.member_roles.aws_cloudformation_stack_set.this"]
    assert stack_set["permission_model"] == "SERVICE_MANAGED"
    assert stack_set["auto_deployment"] == [
        {"enabled": True, "retain_stacks_on_account_removal": True, "depends_on_stack_sets": None}]
    assert stack_set["call_as"] == "DELEGATED_ADMIN"
    assert stack_set["parameters"]["HubAccountId"] == "444455556666" if "HubAccountId" in stack_set["parameters"] else True
    instances = {a: v for a, v in resources.items() if "stack_set_instance" in a}
    assert len(instances) == 2
    for values in instances.values():
        assert values["stack_set_instance_region"] == "us-east-1"
        assert values["operation_preferences"][0]["max_concurrent_percentage"] == 50
        assert values["operation_preferences"][0]["failure_tolerance_percentage"] == 0
