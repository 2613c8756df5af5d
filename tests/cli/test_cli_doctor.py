"""`orgpulse doctor` against the local system: moto (Organizations, S3, Secrets Manager, STS,
CloudFormation StackSets, Lambda, CloudWatch, EventBridge Scheduler, SNS), the Cost Explorer
emulator and the Slack sink.

Everything right: every check ✓ and exit 0. Then each misconfiguration injected in turn: its
check is ✗ with its fix, and the exit status is 1. The binary is the one `cargo build --bin
orgpulse` makes; it reaches the doubles through AWS_ENDPOINT_URL* and SLACK_API_URL."""

from __future__ import annotations

import base64
import datetime
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import urllib.request
import zipfile
from pathlib import Path

import boto3
import pytest

from tests.conftest import OPERATORS_CHANNEL, PUBLIC_NOT_JOINED_CHANNEL, REPORTS_CHANNEL, SLACK_TOKEN
from tests.e2e.harness import free_port, wait_for

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
MANAGEMENT = "123456789012"  # moto's default account
PREFIX = "orgpulse"
BUCKET = f"{PREFIX}-{MANAGEMENT}-{REGION}"
CONFIG_KEY = "config/orgpulse.json"
STACKSETS = "member.org.stacksets.cloudformation.amazonaws.com"
TEMPLATE = '{"Resources": {"Marker": {"Type": "AWS::CloudFormation::WaitConditionHandle"}}}'
FUNCTIONS = {"plan": "orgpulse-plan", "report": "orgpulse-report", "summarize": "orgpulse-summarize"}
ALARM_EMAIL = "cloud-team@example.com"


def function_zip() -> bytes:
    """The same bytes every time (fixed timestamps), so the manifest's sha256 can describe them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(zipfile.ZipInfo("bootstrap", date_time=(2026, 1, 1, 0, 0, 0)), "#!/bin/sh\n")
    return buffer.getvalue()


ZIP = function_zip()


def write_manifest(directory: Path, architecture="x86_64", sha256=None) -> Path:
    """build/lambda/manifest.json as scripts/build-lambdas writes it."""
    path = directory / "build" / "lambda" / "manifest.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    digest = sha256 or hashlib.sha256(ZIP).hexdigest()
    path.write_text(json.dumps({
        "architecture": architecture,
        "binaries": [{"name": b, "zip": f"{b}/bootstrap.zip", "sha256": digest} for b in FUNCTIONS.values()],
        "build_command": "scripts/build-lambdas",
    }))
    return path


@pytest.fixture(scope="module")
def orgpulse_bin() -> Path:
    subprocess.run(["cargo", "build", "--quiet", "--bin", "orgpulse"], cwd=REPO_ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    return target / "debug" / "orgpulse"


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    port = free_port()
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": REGION, "MOTO_PORT": str(port)}
    with open(log, "wb") as out:
        process = subprocess.Popen([sys.executable, "-m", "tests.e2e.moto_server", str(port)], cwd=REPO_ROOT,
                                   env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for("moto", lambda: urllib.request.urlopen(f"{url}/moto-api/data.json", timeout=2), 60, process, log)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=10)


@pytest.fixture
def aws(moto_url):
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10)

    def client(service: str, **credentials):
        keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        return boto3.client(service, endpoint_url=moto_url, region_name=REGION, **keys)

    return client


def deploy(aws, ce_emulator, slack_sink, *, feature_set="ALL", trusted_access=True, stack_set=True,
           config=None, secret=SLACK_TOKEN, tags_status="Active", functions=True, architecture="x86_64",
           schedule_state="ENABLED", subscribed=True, bucket=BUCKET, config_key=CONFIG_KEY,
           secret_name=f"{PREFIX}/slack-bot-token", settings=None):
    """A deployment as the hub and member-roles modules leave it, with one thing changed."""
    orgs = aws("organizations")
    orgs.create_organization(FeatureSet=feature_set)
    root = orgs.list_roots()["Roots"][0]["Id"]
    ou = orgs.create_organizational_unit(ParentId=root, Name="Workloads")["OrganizationalUnit"]["Id"]
    members = []
    for name in ("payments", "search"):
        account = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
        orgs.move_account(AccountId=account, SourceParentId=root, DestinationParentId=ou)
        members.append(account)
    if trusted_access:
        orgs.enable_aws_service_access(ServicePrincipal=STACKSETS)
    if stack_set:
        cloudformation = aws("cloudformation")
        cloudformation.create_stack_set(StackSetName=f"{PREFIX}-member-roles", TemplateBody=TEMPLATE,
                                        PermissionModel="SERVICE_MANAGED",
                                        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False})
        cloudformation.create_stack_instances(StackSetName=f"{PREFIX}-member-roles",
                                              DeploymentTargets={"OrganizationalUnitIds": [ou]}, Regions=[REGION])
    rows = config if config is not None else [
        {"Default": True, "ChannelIds": [REPORTS_CHANNEL], "TimeZone": "Asia/Tokyo"},
        {"AccountId": members[0], "ChannelIds": [REPORTS_CHANNEL], "CostTags": "team=payments"},
    ]
    s3 = aws("s3")
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key=config_key, Body=json.dumps(rows).encode())
    if secret is not None:
        aws("secretsmanager").create_secret(Name=secret_name, SecretString=secret)
    # The functions, with the settings modules/hub/locals.tf gives them (lambda_environment).
    role = aws("iam").create_role(RoleName=f"{PREFIX}-plan-lambda", AssumeRolePolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                "Principal": {"Service": "lambda.amazonaws.com"}}]}))["Role"]["Arn"]
    if functions:
        environment = {"ORGPULSE_BUCKET": bucket, "ORGPULSE_CONFIG_KEY": config_key,
                       "ORGPULSE_SLACK_TOKEN_SECRET_ARN": secret_name, "ORGPULSE_OPERATORS_CHANNEL": OPERATORS_CHANNEL,
                       "ORGPULSE_MEMBER_STACKSET_NAME": f"{PREFIX}-member-roles", "ORGPULSE_TIME_ZONE": "Asia/Tokyo",
                       **(settings or {})}
        for key in FUNCTIONS:
            aws("lambda").create_function(FunctionName=f"{PREFIX}-{key}", Runtime="provided.al2023", Role=role,
                                          Handler="bootstrap", Code={"ZipFile": ZIP}, Architectures=[architecture],
                                          Environment={"Variables": environment})
    state_machine = f"arn:aws:states:{REGION}:{MANAGEMENT}:stateMachine:{PREFIX}"
    aws("scheduler").create_schedule(Name=f"{PREFIX}-run", ScheduleExpression="cron(0 8 * * ? *)",
                                     ScheduleExpressionTimezone="Asia/Tokyo", State=schedule_state,
                                     FlexibleTimeWindow={"Mode": "OFF"},
                                     Target={"Arn": state_machine, "RoleArn": role})
    # The alarm topic, its e-mail subscription and the two execution alarms that publish to it.
    topic = aws("sns").create_topic(Name=f"{PREFIX}-alarms")["TopicArn"]
    if subscribed:
        aws("sns").subscribe(TopicArn=topic, Protocol="email", Endpoint=ALARM_EMAIL)
    for suffix, metric in (("failed", "ExecutionsFailed"), ("timed-out", "ExecutionsTimedOut")):
        aws("cloudwatch").put_metric_alarm(
            AlarmName=f"{PREFIX}-executions-{suffix}", Namespace="AWS/States", MetricName=metric, Statistic="Sum",
            Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[topic], Dimensions=[{"Name": "StateMachineArn", "Value": state_machine}])
    ce_emulator.configure(cost_allocation_tags={"team": tags_status})
    slack_sink.configure(rate_limit_per_second=None)
    return {"root": root, "ou": ou, "members": members}


@pytest.fixture
def doctor(orgpulse_bin, moto_url, ce_emulator, slack_sink, tmp_path):
    def run(*args: str, credentials: dict | None = None, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        env = {
            "PATH": os.environ.get("PATH", ""),
            "HOME": str(tmp_path),
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_REGION": REGION,
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
            "AWS_ENDPOINT_URL": moto_url,
            "AWS_ENDPOINT_URL_COST_EXPLORER": ce_emulator.url,
            "SLACK_API_URL": f"{slack_sink.url}/api",
            # Local doubles are plain-http loopback: allowed only behind the documented switch.
            "ORGPULSE_ALLOW_LOCAL_ENDPOINTS": "1",
            **(credentials or {}),
            **(extra_env or {}),
        }
        return subprocess.run([str(orgpulse_bin), "doctor", *args], env=env, capture_output=True, text=True,
                              timeout=180, cwd=tmp_path)

    # Run where a build was made: the default --manifest, build/lambda/manifest.json, is there.
    write_manifest(tmp_path)
    return run


def checks(result) -> dict[str, dict]:
    report = json.loads(result.stdout)
    return {check["id"]: check for check in report["checks"]}


ALL_CHECKS = {
    "organizations.all_features", "organizations.stacksets_trusted_access", "organizations.management_account",
    "cost_explorer.answers", "cost_explorer.cost_tags", "configuration.object", "slack.secret", "slack.auth",
    "slack.scopes", "slack.channels", "stackset.instances", "functions.exist", "functions.architecture",
    "functions.code", "functions.recent_errors", "schedule.enabled", "alarm.subscription",
}


def test_everything_right_is_all_ticks_and_exit_0(aws, ce_emulator, slack_sink, doctor):
    deploy(aws, ce_emulator, slack_sink)
    # No --operators-channel: the plan function's settings name it.
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result)
    assert set(found) == ALL_CHECKS
    assert {c["status"] for c in found.values()} == {"ok"}, [c for c in found.values() if c["status"] != "ok"]
    assert json.loads(result.stdout)["ok"] is True
    assert json.loads(result.stdout)["deployment"]["operators_channel"] == OPERATORS_CHANNEL
    # The next run of cron(0 8 * * ? *) in Asia/Tokyo, computed from the session's clock.
    now = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=9)
    next_day = now.date() if now.hour < 8 else now.date() + datetime.timedelta(days=1)
    assert f"next run {next_day} 08:00 JST" in found["schedule.enabled"]["finding"], found["schedule.enabled"]
    assert ALARM_EMAIL in found["alarm.subscription"]["finding"]
    # The text format, from the state machine's ARN: one ✓ line per check.
    arn = f"arn:aws:states:{REGION}:{MANAGEMENT}:stateMachine:{PREFIX}"
    text = doctor("--state-machine", arn)
    assert text.returncode == 0, text.stdout + text.stderr
    lines = [line for line in text.stdout.splitlines() if line[:1] in "✓✗!"]
    assert len(lines) == len(ALL_CHECKS) and all(line.startswith("✓") for line in lines), text.stdout
    # Read-only: nothing was posted to Slack.
    assert slack_sink.messages() == []


def _member_credentials(aws, members):
    sts = aws("sts")
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{members[0]}:role/OrganizationAccountAccessRole",
                              RoleSessionName="doctor")["Credentials"]
    return {"AWS_ACCESS_KEY_ID": assumed["AccessKeyId"], "AWS_SECRET_ACCESS_KEY": assumed["SecretAccessKey"],
            "AWS_SESSION_TOKEN": assumed["SessionToken"]}


MISCONFIGURATIONS = {
    # check id: (deploy() overrides, what to do after deploying, words the finding or fix must hold)
    "organizations.all_features": ({"feature_set": "CONSOLIDATED_BILLING"}, None, "Enable all features"),
    "organizations.stacksets_trusted_access": ({"trusted_access": False}, None, "activate-organizations-access"),
    "cost_explorer.answers": ({}, lambda ctx: ctx["ce"].inject_error(
        "AccessDeniedException", "Cost Explorer is not enabled", count=None, operation="GetCostAndUsage"),
        "enable Cost Explorer"),
    "cost_explorer.cost_tags": ({"tags_status": "Inactive"}, None, "TagKey=team,Status=Active"),
    "configuration.object": ({"config": [{"AccountId": "12345678901", "ChannelIds": [REPORTS_CHANNEL]}]}, None,
                             "orgpulse config validate"),
    "slack.secret": ({"secret": None}, None, "slack_token_put_command"),
    "slack.auth": ({}, lambda ctx: ctx["slack"].configure(token="xoxb-some-other-token"), "Bot User OAuth Token"),
    "slack.scopes": ({}, lambda ctx: ctx["slack"].configure(scopes=["chat:write", "channels:history",
                                                                    "groups:history", "channels:read"]),
                     "groups:read"),
    "slack.channels": ({"config": [{"Default": True, "ChannelIds": [REPORTS_CHANNEL, PUBLIC_NOT_JOINED_CHANNEL]}]},
                       None, f"/invite @orgpulse in {PUBLIC_NOT_JOINED_CHANNEL}"),
    "stackset.instances": ({"stack_set": False}, None, "member-roles"),
    "functions.exist": ({"functions": False}, None, "terraform apply the hub module"),
    "functions.architecture": ({"architecture": "arm64"}, None, 'lambda_architecture = "x86_64"'),
    # Errors and no successful invocation in the last 24 hours.
    "functions.recent_errors": ({}, lambda ctx: lambda_metric(ctx["aws"], f"{PREFIX}-plan", "Errors", 2.0),
                                f"aws logs tail /aws/lambda/{PREFIX}-plan --since 24h"),
    "schedule.enabled": ({"schedule_state": "DISABLED"}, None, "schedule_enabled = true"),
    "alarm.subscription": ({"subscribed": False}, None, "alarm_email_addresses"),
}


def lambda_metric(aws, function: str, metric: str, value: float) -> None:
    """A datapoint as Lambda publishes it, an hour ago (inside doctor's last 24 hours)."""
    aws("cloudwatch").put_metric_data(Namespace="AWS/Lambda", MetricData=[{
        "MetricName": metric, "Value": value, "Unit": "Count",
        "Timestamp": datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(hours=1),
        "Dimensions": [{"Name": "FunctionName", "Value": function}]}])


@pytest.mark.parametrize("check_id", sorted(MISCONFIGURATIONS))
def test_each_misconfiguration_is_its_checks_cross_with_the_fix(aws, ce_emulator, slack_sink, doctor, check_id):
    overrides, after, words = MISCONFIGURATIONS[check_id]
    deploy(aws, ce_emulator, slack_sink, **overrides)
    if after:
        after({"ce": ce_emulator, "slack": slack_sink, "aws": aws})
    result = doctor("--name-prefix", PREFIX, "--operators-channel", OPERATORS_CHANNEL, "--format", "json")
    assert result.returncode == 1, result.stdout + result.stderr
    found = checks(result)
    assert found[check_id]["status"] == "fail", found[check_id]
    assert words in found[check_id]["finding"] + " fix: " + found[check_id]["fix"], found[check_id]
    text = doctor("--name-prefix", PREFIX, "--operators-channel", OPERATORS_CHANNEL)
    assert text.returncode == 1 and f"✗ {check_id}" in text.stdout, text.stdout


def test_an_account_outside_the_stack_sets_targets_is_listed(aws, ce_emulator, slack_sink, doctor):
    ctx = deploy(aws, ce_emulator, slack_sink)
    orgs = aws("organizations")
    newcomer = orgs.create_account(Email="new@example.com", AccountName="newcomer")["CreateAccountStatus"]["AccountId"]
    result = doctor("--name-prefix", PREFIX, "--operators-channel", OPERATORS_CHANNEL, "--format", "json")
    assert result.returncode == 1
    check = checks(result)["stackset.instances"]
    assert check["status"] == "fail" and newcomer in check["finding"], check
    assert ctx["members"][0] not in check["finding"]


def test_not_the_management_account(aws, ce_emulator, slack_sink, doctor):
    ctx = deploy(aws, ce_emulator, slack_sink)
    result = doctor("--name-prefix", PREFIX, "--format", "json", credentials=_member_credentials(aws, ctx["members"]))
    assert result.returncode == 1, result.stdout + result.stderr
    check = checks(result)["organizations.management_account"]
    assert check["status"] == "fail" and ctx["members"][0] in check["finding"], check


def test_the_operators_channel_must_have_the_app(aws, ce_emulator, slack_sink, doctor):
    deploy(aws, ce_emulator, slack_sink)
    slack_sink.add_channel("C0OPSNOTIN1", "ops", member=False)
    result = doctor("--name-prefix", PREFIX, "--operators-channel", "C0OPSNOTIN1", "--format", "json")
    assert result.returncode == 1
    check = checks(result)["slack.channels"]
    assert "/invite @orgpulse in C0OPSNOTIN1" in check["fix"], check


@pytest.mark.parametrize("args", [(), ("--name-prefix", "a", "--state-machine", "arn:aws:states:r:1:stateMachine:a"),
                                  ("--state-machine", "not-an-arn")])
def test_usage_errors_exit_2(doctor, args):
    assert doctor(*args).returncode == 2


def test_a_manifest_named_but_missing_is_a_usage_error(doctor, tmp_path):
    result = doctor("--name-prefix", PREFIX, "--manifest", str(tmp_path / "elsewhere" / "manifest.json"))
    assert result.returncode == 2
    assert "--manifest" in result.stderr and "scripts/build-lambdas" in result.stderr, result.stderr


def test_without_a_build_manifest_architecture_and_code_are_warnings(aws, ce_emulator, slack_sink, doctor, tmp_path):
    deploy(aws, ce_emulator, slack_sink)
    (tmp_path / "build" / "lambda" / "manifest.json").unlink()
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result)
    for check_id in ("functions.architecture", "functions.code"):
        assert found[check_id]["status"] == "warn", found[check_id]
        assert "no build manifest at build/lambda/manifest.json" in found[check_id]["finding"], found[check_id]
    assert "x86_64" in found["functions.architecture"]["finding"]


def test_a_manifest_for_arm64_refuses_x86_64_functions_through_the_option(aws, ce_emulator, slack_sink, doctor,
                                                                          tmp_path):
    deploy(aws, ce_emulator, slack_sink)
    manifest = write_manifest(tmp_path / "arm-build", architecture="arm64")
    result = doctor("--name-prefix", PREFIX, "--manifest", str(manifest), "--format", "json")
    assert result.returncode == 1
    check = checks(result)["functions.architecture"]
    assert check["status"] == "fail" and f"{PREFIX}-plan is x86_64" in check["finding"], check
    assert 'lambda_architecture = "arm64"' in check["fix"], check


def test_deployed_code_other_than_the_build_is_a_warning(aws, ce_emulator, slack_sink, doctor, tmp_path):
    deploy(aws, ce_emulator, slack_sink)
    write_manifest(tmp_path, sha256=hashlib.sha256(b"a newer build").hexdigest())
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    check = checks(result)["functions.code"]
    assert check["status"] == "warn" and f"{PREFIX}-report is not orgpulse-report" in check["finding"], check
    assert "terraform apply" in check["fix"]
    # Lambda's CodeSha256 is the base64 of the raw digest the manifest writes in hex.
    deployed = aws("lambda").get_function_configuration(FunctionName=f"{PREFIX}-plan")["CodeSha256"]
    assert deployed == base64.b64encode(hashlib.sha256(ZIP).digest()).decode()


def test_some_errors_among_successful_invocations_are_a_warning(aws, ce_emulator, slack_sink, doctor):
    deploy(aws, ce_emulator, slack_sink)
    lambda_metric(aws, f"{PREFIX}-report", "Invocations", 40.0)
    lambda_metric(aws, f"{PREFIX}-report", "Errors", 1.0)
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    check = checks(result)["functions.recent_errors"]
    assert check["status"] == "warn", check
    assert f"{PREFIX}-report: 1 errors in 40 invocations" in check["finding"], check
    assert f"aws logs tail /aws/lambda/{PREFIX}-report --since 24h" in check["fix"], check


def test_bucket_key_and_secret_come_from_the_functions_settings(aws, ce_emulator, slack_sink, doctor):
    # Names no default would guess: only the plan function's environment leads doctor to them.
    deploy(aws, ce_emulator, slack_sink, bucket="central-cloud-orgpulse", config_key="config/accounts.json",
           secret_name="central/slack-token")
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result)
    assert "s3://central-cloud-orgpulse/config/accounts.json" in found["configuration.object"]["finding"]
    assert "central/slack-token" in found["slack.secret"]["finding"]
    # Without the functions, doctor falls back to the module's default names and says what it missed.
    aws("lambda").delete_function(FunctionName=f"{PREFIX}-plan")
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    found = checks(result)
    assert found["functions.exist"]["status"] == "fail" and f"{PREFIX}-plan" in found["functions.exist"]["finding"]
    assert found["configuration.object"]["status"] == "fail"


SHEET_ID = "1DoctorSheet0123456789abcdefghijklmnopqrstuv"
SHEET_EMAIL = "orgpulse-reader@orgpulse-test.iam.gserviceaccount.com"


@pytest.mark.parametrize("shared,via", [(True, "option"), (False, "option"), (True, "settings")])
def test_a_google_sheet_source_is_read_with_the_deployments_key(aws, ce_emulator, slack_sink, doctor, shared, via):
    from tests.support.google_double import GoogleDouble

    # "settings": the plan function's environment names the sheet (modules/hub/google.tf), no option.
    settings = {"ORGPULSE_CONFIG_SHEET_ID": SHEET_ID, "ORGPULSE_CONFIG_SHEET_RANGE": "Accounts",
                "ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN": f"{PREFIX}/google-service-account-key"}
    deploy(aws, ce_emulator, slack_sink, settings=settings if via == "settings" else None)
    google = GoogleDouble()
    server = google.serve()
    try:
        key = google.add_service_account(SHEET_EMAIL).key_file()
        aws("secretsmanager").create_secret(Name=f"{PREFIX}/google-service-account-key", SecretString=json.dumps(key))
        rows = [["Default", "ChannelIds"], ["TRUE", REPORTS_CHANNEL]]
        google.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": rows}], shared_with=[SHEET_EMAIL] if shared else [])
        options = ("--sheet", SHEET_ID) if via == "option" else ()
        result = doctor("--name-prefix", PREFIX, *options, "--format", "json", extra_env=google.environment())
    finally:
        server.stop()
    found = checks(result)
    assert "configuration.object" not in found
    if shared:
        assert result.returncode == 0, result.stdout + result.stderr
        assert found["configuration.sheet"]["status"] == "ok", found["configuration.sheet"]
    else:
        assert result.returncode == 1
        assert found["configuration.sheet"]["status"] == "fail"
        assert SHEET_EMAIL in found["configuration.sheet"]["finding"], found["configuration.sheet"]


def test_the_alarm_topic_is_the_one_the_alarms_publish_to(aws, ce_emulator, slack_sink, doctor):
    # alarm_actions with an existing topic: doctor follows the execution alarms' actions
    # (DescribeAlarms), not the module's default topic name.
    deploy(aws, ce_emulator, slack_sink, subscribed=False)
    central = aws("sns").create_topic(Name="central-cloud-alarms")["TopicArn"]
    aws("sns").subscribe(TopicArn=central, Protocol="email", Endpoint="noc@example.com")
    for suffix, metric in (("failed", "ExecutionsFailed"), ("timed-out", "ExecutionsTimedOut")):
        aws("cloudwatch").put_metric_alarm(
            AlarmName=f"{PREFIX}-executions-{suffix}", Namespace="AWS/States", MetricName=metric, Statistic="Sum",
            Period=300, EvaluationPeriods=1, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
            AlarmActions=[central])
    result = doctor("--name-prefix", PREFIX, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    check = checks(result)["alarm.subscription"]
    assert check["status"] == "ok" and central in check["finding"] and "noc@example.com" in check["finding"], check
