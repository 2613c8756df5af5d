"""Static properties of modules/hub and modules/member-roles the other checks do not cover."""

import json
import re

import pytest

import iam_from_code
from hub_policy import FUNCTIONS, HUB, hub_locals, lambda_code_actions
from terraform_cli import terraform
from terraform_files import MODULES, ROOT_CONFIG, load_dir, terraform_dirs, unwrap

ASL_TEMPLATE = HUB / "templates" / "state-machine.asl.json.tftpl"
# Actions without resource-level permissions: the only ones a function may get on "*".
UNRESTRICTABLE_PREFIXES = ("ce:", "organizations:")


@pytest.mark.parametrize("directory", terraform_dirs(), ids=lambda d: d.name)
def test_every_variable_and_output_is_typed_and_described(directory):
    blocks = load_dir(directory)
    for entry in blocks.get("variable", []):
        for name, spec in entry.items():
            assert "type" in spec, f"{directory.name}: variable {name} has no type"
            assert len(unwrap(spec.get("description", [""]))) > 10, f"{directory.name}: variable {name} has no description"
    for entry in blocks.get("output", []):
        for name, spec in entry.items():
            assert len(unwrap(spec.get("description", [""]))) > 10, f"{directory.name}: output {name} has no description"


@pytest.mark.parametrize("module", ["hub", "member-roles"])
def test_identifiers_typed_by_people_are_validated(module):
    validated = {
        name
        for entry in load_dir(MODULES / module)["variable"]
        for name, spec in entry.items()
        if "validation" in spec
    }
    expected = {
        "hub": {"name_prefix", "organization_id", "member_role_name", "time_zone", "operators_slack_channel_id",
                "lambda_architecture", "kms_key_arn", "schedule_expression", "slack_token_secret_arn", "bucket_name",
                "config_file", "config_object_key", "max_concurrency", "cloudwatch_log_group_retention_in_days"},
        "member-roles": {"hub_account_id", "trusted_principal_arns", "organization_id", "organizational_unit_ids",
                         "call_as", "role_name_prefix", "stack_instance_region"},
    }[module]
    assert expected <= validated, f"no validation block: {sorted(expected - validated)}"


def _statements(body):
    for statement in body.get("statement", []):
        yield statement
    for dynamic in body.get("dynamic", []):
        for content in dynamic.get("statement", {}).get("content", []):
            yield content


def test_every_policy_statement_has_a_sid():
    for directory in (MODULES / "hub", MODULES / "member-roles", ROOT_CONFIG):
        for entry in load_dir(directory).get("data", []):
            for name, body in entry.get("aws_iam_policy_document", {}).items():
                for statement in _statements(body):
                    assert "sid" in statement, f"{directory.name}: aws_iam_policy_document.{name} has a statement without sid"


def test_function_policies_cover_the_three_functions_with_real_actions():
    actions = lambda_code_actions()
    assert set(actions) == set(FUNCTIONS)
    for function, granted in actions.items():
        for action in granted:
            prefix, operation = action.split(":")
            known = iam_from_code.service_operations(prefix)
            assert known is not None, f"{function}: {action}: unknown service"
            assert operation in known[1].values(), f"{function}: {action} is not an operation of {prefix}"


def test_only_unrestrictable_actions_get_every_resource():
    for function, granted in hub_locals()["lambda_code_actions"].items():
        for action, resources in granted.items():
            if "*" in resources:
                assert action.startswith(UNRESTRICTABLE_PREFIXES), f"{function}: {action} on '*'"


def test_member_role_assumption_is_narrowed_to_the_organisation():
    locals_ = hub_locals()
    assert locals_["member_role_arn_pattern"].endswith(":role/${var.member_role_name}")
    for function, granted in locals_["lambda_code_actions"].items():
        if "sts:AssumeRole" in granted:
            assert granted["sts:AssumeRole"] == ["${local.member_role_arn_pattern}"]
    [condition] = locals_["lambda_action_conditions"]["sts:AssumeRole"]
    assert condition == {"test": "StringEquals", "variable": "aws:ResourceOrgID", "values": ["${var.organization_id}"]}


def test_functions_are_named_and_packaged_as_the_workspace_builds_them():
    functions = hub_locals()["lambda_functions"]
    assert {key: spec["binary"] for key, spec in functions.items()} == {
        "plan": "orgpulse-plan", "report": "orgpulse-report", "summarize": "orgpulse-summarize"
    }
    lambda_tf = (HUB / "lambda.tf").read_text(encoding="utf-8")
    assert 'function_name    = "${var.name_prefix}-${each.key}"' in lambda_tf
    assert 'runtime          = "provided.al2023"' in lambda_tf
    assert "${var.artifacts_dir}/${binary}/bootstrap.zip" in (HUB / "artifacts" / "main.tf").read_text(encoding="utf-8")


def _template_arguments() -> dict[str, str]:
    call = hub_locals()["state_machine_definition"]
    return dict(re.findall(r"'(\w+)': '([^']*)'", call))


def test_state_machine_template_gets_every_variable_it_uses():
    used = set(re.findall(r"\$\{(\w+)\}", ASL_TEMPLATE.read_text(encoding="utf-8")))
    passed = set(_template_arguments())
    assert {"plan_function_arn", "report_function_arn", "summarize_function_arn", "max_concurrency"} <= passed
    assert used <= passed, f"the template uses variables the module does not pass: {sorted(used - passed)}"


def test_state_machine_template_renders_to_json(tmp_path):
    """Render the same file the module deploys with Terraform's templatefile (no provider needed)."""
    samples = {
        name: (
            f"arn:aws:lambda:us-east-1:111122223333:function:orgpulse-{name.split('_')[0]}" if name.endswith("_arn")
            else 10 if name in ("max_concurrency", "retry_interval_seconds")
            else "STANDARD" if name == "map_child_execution_type"
            else f"sample-{name}"
        )
        for name in _template_arguments()
    }
    (tmp_path / "main.tf").write_text(
        f'output "definition" {{\n  value = templatefile({json.dumps(str(ASL_TEMPLATE))}, {json.dumps(samples)})\n}}\n'
    )
    code, out, err = terraform(["init"], {"input": False, "no_color": ...}, tmp_path)
    assert code == 0, out + err
    code, out, err = terraform(["apply"], {"auto_approve": ..., "input": False, "no_color": ..., "lock": False}, tmp_path)
    assert code == 0, out + err
    code, out, err = terraform(["output"], {"json": ..., "no_color": ...}, tmp_path)
    definition = json.loads(json.loads(out)["definition"]["value"])
    assert definition["StartAt"]
    assert json.dumps(definition).count("arn:aws:lambda:us-east-1:111122223333:function:orgpulse-") >= 3


# The switch that lets endpoint overrides point anywhere (orgpulse_config::endpoint) and the
# overrides it would unlock: a deployed function must have none of them.
LOCAL_ENDPOINTS_SWITCH = "ORGPULSE_ALLOW_LOCAL_ENDPOINTS"
ENDPOINT_OVERRIDES = {"SLACK_API_URL", "GOOGLE_OAUTH_TOKEN_URL", "GOOGLE_SHEETS_API_URL", "ORGPULSE_ECB_URL"}


def _environment_keys(text: str, local: str) -> set[str]:
    """The literal keys of `local = merge({...}, ...)` or `local = cond ? merge(...) : {}`."""
    match = re.search(rf"^\s*{local}\s*=", text, re.M)
    assert match, f"local {local} not found"
    depth, end = 0, match.end()
    for end in range(match.end(), len(text)):
        char = text[end]
        depth += char in "({[" and 1 or 0
        depth -= char in ")}]" and 1 or 0
        if char == "\n" and depth == 0 and text[match.end():end].strip():
            break
    body = text[match.end():end]
    # Only maps with literal keys may be merged in: a var.* or a map-typed input would let a
    # caller of the module add any variable, the switch included.
    merged = re.findall(r"\b(var|module|data)\.[\w.]+", body)
    assert set(merged) <= {"var"}, body
    for reference in re.findall(r"\bvar\.\w+", body):
        assert re.search(rf"[A-Z_]+\s*=\s*{re.escape(reference)}\b|{re.escape(reference)}\s*==", body), \
            f"{local}: {reference} is merged as a map, not used as one value"
    return set(re.findall(r"\b([A-Z][A-Z0-9_]+)\s*=", body))


def test_the_functions_environment_cannot_enable_local_endpoints():
    # Each function's environment is the module's own local, nothing merged in from outside.
    for entry in load_dir(HUB).get("resource", []):
        for name, function in entry.get("aws_lambda_function", {}).items():
            [environment] = function["environment"]
            assert unwrap(environment["variables"]) == "${local.lambda_environment}", name
    locals_text = (HUB / "locals.tf").read_text()
    google_text = (HUB / "google.tf").read_text()
    assert re.search(r"lambda_environment\s*=\s*merge\(\{[^}]*\},\s*local\.config_sheet_environment\)", locals_text)
    keys = _environment_keys(locals_text, "lambda_environment") | _environment_keys(
        google_text, "config_sheet_environment")
    assert keys and all(key.startswith("ORGPULSE_") for key in keys), keys
    assert not keys & ({LOCAL_ENDPOINTS_SWITCH} | ENDPOINT_OVERRIDES), keys
    # And nothing anywhere in the Terraform code names the switch.
    for directory in terraform_dirs():
        for path in directory.glob("*.tf"):
            assert LOCAL_ENDPOINTS_SWITCH not in path.read_text(), path


def _policy_documents() -> dict:
    return {name: body for entry in load_dir(HUB).get("data", [])
            for name, body in entry.get("aws_iam_policy_document", {}).items()}


def _conditions(statement) -> dict[str, tuple[str, list]]:
    return {unwrap(c["variable"]): (unwrap(c["test"]), unwrap(c["values"])) for c in statement.get("condition", [])}


@pytest.mark.parametrize("document, source_arn", [
    ("state_machine_assume_role", "${local.state_machine_arn}"),
    ("scheduler_assume_role", "schedule-group/default"),
])
def test_service_trust_policies_name_the_source_arn(document, source_arn):
    [statement] = list(_statements(_policy_documents()[document]))
    conditions = _conditions(statement)
    assert "aws:SourceAccount" in conditions
    test, values = conditions["aws:SourceArn"]
    assert test in ("ArnEquals", "ArnLike") and any(source_arn in v for v in values), conditions
    # Every value names this state machine / the schedule's group, none a wildcard over others.
    assert all(("${local.state_machine_name}" in v or v == "${local.state_machine_arn}" or v.endswith(source_arn))
               for v in values), values
    if document == "scheduler_assume_role":
        [schedule] = [s for e in load_dir(HUB)["resource"] for s in e.get("aws_scheduler_schedule", {}).values()]
        assert unwrap(schedule["group_name"]) == "default"


def test_kms_use_is_only_through_the_services_that_hold_the_data():
    kms_statements = [
        (name, statement) for name, body in _policy_documents().items() for statement in _statements(body)
        if any(str(a).startswith("kms:") for a in unwrap(statement.get("actions", [])))
    ]
    assert len(kms_statements) == 3, kms_statements
    for name, statement in kms_statements:
        test, values = _conditions(statement).get("kms:ViaService", (None, []))
        assert test == "StringEquals" and values, f"{name}: kms actions without kms:ViaService"
        assert all(re.fullmatch(r"[a-z0-9]+\.\$\{local\.region\}\.amazonaws\.com", v) for v in values), values
