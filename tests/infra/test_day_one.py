"""Deploy traps of a first deployment in a real organisation (issue 14), checked offline.

Root outputs the docs name, the alarm's path to a person, the partition in the state machine,
the Slack token kept out of process arguments, and the delegated-administrator mode's two
provider configurations.
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess

import pytest

from hub_policy import HUB
from terraform_cli import plan_variables_only, terraform
from terraform_files import MODULES, REPO, ROOT_CONFIG, load_dir, unwrap

ASL_TEMPLATE = HUB / "templates" / "state-machine.asl.json.tftpl"
DOCS = [REPO / "README.md", ROOT_CONFIG / "README.md", *sorted(MODULES.glob("*/README.md"))]
OUTPUT_COMMAND = re.compile(r"terraform output(?:\s+-(?:raw|json))*\s+([a-z][a-z0-9_]*)")


def _declared(directory, kind):
    return {name: spec for entry in load_dir(directory).get(kind, []) for name, spec in entry.items()}


# ---- root outputs ---------------------------------------------------------------------------

def documented_outputs() -> dict[str, str]:
    """Every `terraform output NAME` in the docs -> the first file naming it."""
    found: dict[str, str] = {}
    for path in DOCS:
        for name in OUTPUT_COMMAND.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, str(path.relative_to(REPO)))
    return found


def test_docs_name_terraform_outputs():
    # The collector itself: the commands the README's steps rely on are found.
    assert {"slack_token_put_command", "google_credentials_put_command", "state_machine_arn"} <= set(documented_outputs())


def test_every_documented_output_is_declared_by_the_root_configuration():
    declared = _declared(ROOT_CONFIG, "output")
    missing = {name: where for name, where in documented_outputs().items() if name not in declared}
    assert not missing, f"the docs tell users to run `terraform output NAME` for outputs terraform/ does not declare: {missing}"


def test_root_outputs_pass_on_the_hub_outputs_they_name():
    hub = _declared(HUB, "output")
    for name, spec in _declared(ROOT_CONFIG, "output").items():
        value = unwrap(spec["value"])
        match = re.fullmatch(r"\$\{module\.hub\.(\w+)\}", value)
        if match:
            assert match.group(1) in hub, f"output {name}: module.hub has no output {match.group(1)}"


# ---- the alarm reaches a person ---------------------------------------------------------------

def test_alarm_emails_subscribe_to_the_topic_the_failed_execution_alarm_notifies():
    resources = {kind: body for entry in load_dir(HUB)["resource"] for kind, body in entry.items()}
    topic = resources["aws_sns_topic"]["alarms"]
    assert "length(var.alarm_email_addresses) > 0" in unwrap(topic["count"]), "e-mail addresses need the topic"
    subscription = resources["aws_sns_topic_subscription"]["alarm_email"]
    assert unwrap(subscription["for_each"]) == "${toset(var.alarm_email_addresses)}"
    assert unwrap(subscription["protocol"]) == "email"
    assert unwrap(subscription["endpoint"]) == "${each.value}"
    assert unwrap(subscription["topic_arn"]) == "${aws_sns_topic.alarms[0].arn}"
    alarm = resources["aws_cloudwatch_metric_alarm"]["executions"]
    assert unwrap(alarm["alarm_actions"]) == "${local.alarm_actions}"
    hub_locals = {k: unwrap(v) for block in load_dir(HUB)["locals"] for k, v in block.items()}
    assert hub_locals["alarm_actions"].replace(" ", "") == "${concat(aws_sns_topic.alarms[*].arn,var.alarm_actions)}"
    assert hub_locals["failed_execution_metrics"]["failed"] == "ExecutionsFailed"
    assert unwrap(alarm["dimensions"]) == {"StateMachineArn": "${aws_sfn_state_machine.this.arn}"}
    # ... and the root configuration lets a central team give addresses and existing topics.
    [hub_call] = [entry["hub"] for entry in load_dir(ROOT_CONFIG)["module"] if "hub" in entry]
    assert unwrap(hub_call["alarm_email_addresses"]) == "${var.alarm_email_addresses}"
    assert unwrap(hub_call["alarm_actions"]) == "${var.alarm_sns_topic_arns}"


def test_a_failed_plan_fails_the_execution_after_telling_the_operators():
    definition = json.loads(re.sub(r"\$\{\w+\}", "1", ASL_TEMPLATE.read_text(encoding="utf-8")))
    states = definition["States"]
    [catch] = states["Plan"]["Catch"]
    assert catch["ErrorEquals"] == ["States.ALL"] and catch["Next"] == "ReportRunFailure"
    report = states["ReportRunFailure"]
    assert report["Parameters"]["FunctionName"] == "1"  # the summarize function (templated)
    assert '"ReportRunFailure": {' in ASL_TEMPLATE.read_text()
    assert '"FunctionName": "${summarize_function_arn}"' in ASL_TEMPLATE.read_text().split('"ReportRunFailure": {')[1].split('"RunFailed": {')[0]
    # Posted or not, the execution fails, so ExecutionsFailed (the alarm's metric) counts it.
    assert report["Next"] == "RunFailed" and [c["Next"] for c in report["Catch"]] == ["RunFailed"]
    assert states["RunFailed"]["Type"] == "Fail"


def test_alarm_email_addresses_are_validated(tmp_path):
    tfvars = tmp_path / "hub.tfvars"
    tfvars.write_text(
        'organization_id = "o-abcd123456"\nmember_role_name = "orgpulse-member-readonly"\n'
        'operators_slack_channel_id = "C0123456789"\nlambda_artifacts_dir = "build"\n'
        'alarm_email_addresses = ["cloud-team"]\n'
    )
    code, output = plan_variables_only([HUB / "variables.tf"], tfvars, tmp_path / "config")
    assert code != 0 and "alarm_email_addresses must be e-mail addresses" in " ".join(output.split())


# ---- partition --------------------------------------------------------------------------------

def test_state_machine_template_names_no_partition():
    assert "arn:aws:" not in ASL_TEMPLATE.read_text(encoding="utf-8")
    hub_locals = (HUB / "locals.tf").read_text(encoding="utf-8")
    assert "partition                = local.partition" in hub_locals


def test_state_machine_renders_for_aws_us_gov(tmp_path):
    variables = {name: "x" for name in set(re.findall(r"\$\{(\w+)\}", ASL_TEMPLATE.read_text()))}
    variables.update(partition="aws-us-gov", max_concurrency=10, retry_interval_seconds=2)
    (tmp_path / "main.tf").write_text(
        f'output "definition" {{\n  value = templatefile({json.dumps(str(ASL_TEMPLATE))}, {json.dumps(variables)})\n}}\n'
    )
    assert terraform(["init"], {"input": False, "no_color": ...}, tmp_path)[0] == 0
    code, out, err = terraform(["apply"], {"auto_approve": ..., "input": False, "no_color": ..., "lock": False}, tmp_path)
    assert code == 0, out + err
    _, out, _ = terraform(["output"], {"json": ..., "no_color": ...}, tmp_path)
    definition = json.loads(out)["definition"]["value"]
    resources = re.findall(r'"Resource": "([^"]+)"', definition)
    assert resources and all(r.startswith("arn:aws-us-gov:states:::") for r in resources), resources


# ---- the Slack token never on a command line ---------------------------------------------------

def _put_command() -> str:
    value = unwrap(_declared(HUB, "output")["slack_token_put_command"]["value"])
    value = value.replace('\\"', '"')  # HCL string escapes, as Terraform reads them
    return value.replace("${local.slack_token_secret_arn}", "arn:aws:secretsmanager:eu-west-1:111122223333:secret:orgpulse/slack-bot-token-AbCdEf")


def test_token_put_command_passes_the_token_on_stdin_not_argv(tmp_path):
    fake_aws = tmp_path / "bin" / "aws"
    fake_aws.parent.mkdir()
    # Records its arguments and what it read on stdin, as the AWS CLI would for file:///dev/stdin.
    fake_aws.write_text(
        "#!/usr/bin/env bash\n"
        f'printf "%s\\n" "$@" > {tmp_path}/argv\n'
        f'for a in "$@"; do [[ "$a" == file:///dev/stdin ]] && cat > {tmp_path}/stdin; done\n'
    )
    fake_aws.chmod(fake_aws.stat().st_mode | stat.S_IEXEC)
    token = "xoxb-1111-2222-secretvalue"
    result = subprocess.run(
        ["bash", "-c", _put_command()], input=token + "\n", capture_output=True, text=True,
        env={**os.environ, "PATH": f"{fake_aws.parent}{os.pathsep}{os.environ['PATH']}"}, timeout=30,
    )
    assert result.returncode == 0, result.stderr
    argv = (tmp_path / "argv").read_text()
    assert token not in argv, "the token would show in ps"
    assert "put-secret-value" in argv and "file:///dev/stdin" in argv
    assert (tmp_path / "stdin").read_text() == token


# ---- delegated administrator: two provider configurations --------------------------------------

def _providers():
    return [body for entry in load_dir(ROOT_CONFIG)["provider"] for body in entry.values()]


def test_hub_in_the_management_account_stackset_through_its_own_provider():
    default, stacksets = sorted(_providers(), key=lambda body: unwrap(body.get("alias", "")))
    assert "alias" not in default and unwrap(stacksets["alias"]) == "stacksets"
    assert unwrap(default["allowed_account_ids"]) == ["${var.hub_account_id}"]
    allowed = unwrap(stacksets["allowed_account_ids"])
    assert allowed == ["${local.stackset_delegated ? var.stackset_admin_account_id : var.hub_account_id}"]
    modules = {name: body for entry in load_dir(ROOT_CONFIG)["module"] for name, body in entry.items()}
    assert unwrap(modules["member_roles"]["providers"]) == {"aws": "${aws.stacksets}"}
    assert unwrap(modules["member_roles"]["call_as"]) == "${var.stackset_call_as}"
    # The hub keeps the default (management account) provider and reads the StackSet as SELF.
    assert "providers" not in modules["hub"]
    assert unwrap(modules["hub"]["member_stack_set_call_as"]) == "SELF"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ('stackset_call_as = "DELEGATED_ADMIN"\n', "needs stackset_admin_account_id"),
        ('stackset_call_as = "DELEGATED_ADMIN"\nstackset_admin_account_id = "111122223333"\n', "needs stackset_admin_account_id"),
        ('stackset_call_as = "DELEGATED"\n', "stackset_call_as must be SELF or DELEGATED_ADMIN"),
        ('stackset_call_as = "DELEGATED_ADMIN"\nstackset_admin_account_id = "777788889999"\n', "needs credentials for the delegated administrator account"),
    ],
)
def test_delegated_admin_without_its_account_is_refused(extra, message, tmp_path):
    tfvars = tmp_path / "org.tfvars"
    tfvars.write_text('region = "eu-west-1"\nhub_account_id = "111122223333"\ntime_zone = "UTC"\n'
                      'operators_slack_channel_id = "C0123456789"\n' + extra)
    code, output = plan_variables_only([ROOT_CONFIG / "variables.tf"], tfvars, tmp_path / "config")
    assert code != 0 and message in " ".join(output.split()), output


# ---- execution data stays out of the logs unless asked for -------------------------------------

def test_execution_data_is_not_logged_by_default():
    for directory in (HUB, ROOT_CONFIG):
        variable = _declared(directory, "variable")["state_machine_log_include_execution_data"]
        assert unwrap(variable["default"]) is False, f"{directory.name}: execution data logged by default"
    [hub_call] = [entry["hub"] for entry in load_dir(ROOT_CONFIG)["module"] if "hub" in entry]
    assert unwrap(hub_call["state_machine_log_include_execution_data"]) == "${var.state_machine_log_include_execution_data}"
    machine = (HUB / "state_machine.tf").read_text(encoding="utf-8")
    assert "include_execution_data = var.state_machine_log_include_execution_data" in machine
    # The switch is documented where operators look.
    assert "state_machine_log_include_execution_data" in (ROOT_CONFIG / "README.md").read_text(encoding="utf-8")
