"""`orgpulse doctor` against the local system: moto (Organizations, S3, Secrets Manager, STS,
CloudFormation StackSets), the Cost Explorer emulator and the Slack sink.

Everything right: every check ✓ and exit 0. Then each misconfiguration injected in turn: its
check is ✗ with its fix, and the exit status is 1. The binary is the one `cargo build --bin
orgpulse` makes; it reaches the doubles through AWS_ENDPOINT_URL* and SLACK_API_URL."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
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
           config=None, secret=SLACK_TOKEN, tags_status="Active"):
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
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=CONFIG_KEY, Body=json.dumps(rows).encode())
    if secret is not None:
        aws("secretsmanager").create_secret(Name=f"{PREFIX}/slack-bot-token", SecretString=secret)
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
            **(credentials or {}),
            **(extra_env or {}),
        }
        return subprocess.run([str(orgpulse_bin), "doctor", *args], env=env, capture_output=True, text=True,
                              timeout=180, cwd=tmp_path)

    return run


def checks(result) -> dict[str, dict]:
    report = json.loads(result.stdout)
    return {check["id"]: check for check in report["checks"]}


ALL_CHECKS = {
    "organizations.all_features", "organizations.stacksets_trusted_access", "organizations.management_account",
    "cost_explorer.answers", "cost_explorer.cost_tags", "configuration.object", "slack.secret", "slack.auth",
    "slack.scopes", "slack.channels", "stackset.instances",
}


def test_everything_right_is_all_ticks_and_exit_0(aws, ce_emulator, slack_sink, doctor):
    deploy(aws, ce_emulator, slack_sink)
    result = doctor("--name-prefix", PREFIX, "--operators-channel", OPERATORS_CHANNEL, "--format", "json")
    assert result.returncode == 0, result.stdout + result.stderr
    found = checks(result)
    assert set(found) == ALL_CHECKS
    assert {c["status"] for c in found.values()} == {"ok"}, found
    assert json.loads(result.stdout)["ok"] is True
    # The text format, from the state machine's ARN: one ✓ line per check.
    arn = f"arn:aws:states:{REGION}:{MANAGEMENT}:stateMachine:{PREFIX}"
    text = doctor("--state-machine", arn, "--operators-channel", OPERATORS_CHANNEL)
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
}


@pytest.mark.parametrize("check_id", sorted(MISCONFIGURATIONS))
def test_each_misconfiguration_is_its_checks_cross_with_the_fix(aws, ce_emulator, slack_sink, doctor, check_id):
    overrides, after, words = MISCONFIGURATIONS[check_id]
    deploy(aws, ce_emulator, slack_sink, **overrides)
    if after:
        after({"ce": ce_emulator, "slack": slack_sink})
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


SHEET_ID = "1DoctorSheet0123456789abcdefghijklmnopqrstuv"
SHEET_EMAIL = "orgpulse-reader@orgpulse-test.iam.gserviceaccount.com"


@pytest.mark.parametrize("shared", [True, False])
def test_a_google_sheet_source_is_read_with_the_deployments_key(aws, ce_emulator, slack_sink, doctor, shared):
    from tests.support.google_double import GoogleDouble

    deploy(aws, ce_emulator, slack_sink)
    google = GoogleDouble()
    server = google.serve()
    try:
        key = google.add_service_account(SHEET_EMAIL).key_file()
        aws("secretsmanager").create_secret(Name=f"{PREFIX}/google-service-account-key", SecretString=json.dumps(key))
        rows = [["Default", "ChannelIds"], ["TRUE", REPORTS_CHANNEL]]
        google.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": rows}], shared_with=[SHEET_EMAIL] if shared else [])
        result = doctor("--name-prefix", PREFIX, "--operators-channel", OPERATORS_CHANNEL, "--sheet", SHEET_ID,
                        "--format", "json", extra_env=google.environment())
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
