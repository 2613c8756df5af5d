"""`orgpulse preview` and `orgpulse run` against emulated AWS: moto (Organizations, DynamoDB),
the Cost Explorer emulator and the Slack sink. The CLI binary is the one `cargo build --bin
orgpulse` makes; it reaches the emulators through the standard AWS_ENDPOINT_URL* variables and
SLACK_API_URL, like any operator's shell would.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import boto3
import pytest

from tests.conftest import OPERATORS_CHANNEL, PUBLIC_NOT_JOINED_CHANNEL, REPORTS_CHANNEL, SLACK_TOKEN
from tests.e2e.harness import free_port, remap_accounts, wait_for
from tests.support import costdata

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
TODAY = date(2026, 11, 28)  # a Saturday: the daily report covers Friday the 27th
YESTERDAY = TODAY - timedelta(days=1)
TABLE = "orgpulse-deliveries"
OU_NAME = "Services"
ACCOUNT_NAMES = ["payments-prd", "payments-stg", "search-prd"]
JPY_PER_USD = Decimal("150")


# ---- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def orgpulse_bin() -> Path:
    subprocess.run(["cargo", "build", "--quiet", "--bin", "orgpulse"], cwd=REPO_ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    return target / "debug" / "orgpulse"


@pytest.fixture(scope="module")
def moto_url(tmp_path_factory):
    """One moto server per module (tests reset it): Organizations, DynamoDB, Secrets Manager."""
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
    """A clean moto: a boto3 client factory for it."""
    urllib.request.urlopen(urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10)

    def client(service: str):
        return boto3.client(service, endpoint_url=moto_url, region_name=REGION,
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    return client


@pytest.fixture
def organization(aws) -> dict[str, str]:
    """An organisation with one OU holding three accounts: name -> account ID."""
    orgs = aws("organizations")
    orgs.create_organization(FeatureSet="ALL")
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    ou_id = orgs.create_organizational_unit(ParentId=root_id, Name=OU_NAME)["OrganizationalUnit"]["Id"]
    accounts = {}
    for name in ACCOUNT_NAMES:
        account_id = orgs.create_account(Email=f"{name}@example.com", AccountName=name)["CreateAccountStatus"]["AccountId"]
        orgs.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_id)
        accounts[name] = account_id
    accounts["__ou__"] = ou_id
    return accounts


@pytest.fixture
def costs(ce_emulator, organization) -> dict:
    """The organisation's accounts with 70 days of generated costs in the emulator."""
    document = costdata.generate(seed=7, accounts=len(ACCOUNT_NAMES), days=70, today=TODAY.isoformat(),
                                 credit_accounts=[1])
    ids = {name: organization[name] for name in ACCOUNT_NAMES}
    document = remap_accounts(document, ids)
    ce_emulator.load_dataset(document)
    return document


@pytest.fixture
def deliveries_table(aws) -> str:
    ddb = aws("dynamodb")
    ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
    return TABLE


@pytest.fixture
def cli(orgpulse_bin, moto_url, ce_emulator, slack_sink, tmp_path):
    """Runs `orgpulse ARGS...` against the emulators; returns the CompletedProcess."""
    slack_sink.configure(rate_limit_per_second=None)
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
        # Any exchange rate must come from the configuration: the ECB is not reachable here.
        "ORGPULSE_ECB_URL": "http://127.0.0.1:9/unreachable.xml",
        # Endpoint overrides may point at local doubles only with this switch.
        "ORGPULSE_ALLOW_LOCAL_ENDPOINTS": "1",
    }

    def run(*args: str, token: bool = False, timeout: float = 180) -> subprocess.CompletedProcess:
        extra = {"SLACK_BOT_TOKEN": SLACK_TOKEN} if token else {}
        return subprocess.run([str(orgpulse_bin), *args], env={**env, **extra}, capture_output=True,
                              text=True, timeout=timeout, cwd=tmp_path)

    return run


def write_config(tmp_path: Path, rows: list[dict]) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(rows, ensure_ascii=False), encoding="utf-8")
    return path


# ---- what the emulator says ----------------------------------------------------------------------


def emulator_day(ce_client, account_id: str, day: date) -> tuple[Decimal, list[tuple[str, Decimal]]]:
    """The account's UnblendedCost total of `day` and its services, largest first, as boto3
    reads them from the emulator."""
    period = {"Start": day.isoformat(), "End": (day + timedelta(days=1)).isoformat()}
    account_filter = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account_id]}}
    total = ce_client.get_cost_and_usage(TimePeriod=period, Granularity="DAILY", Metrics=["UnblendedCost"],
                                         Filter=account_filter)
    amount = sum(Decimal(r["Total"]["UnblendedCost"]["Amount"]) for r in total["ResultsByTime"])
    services: dict[str, Decimal] = {}
    token = None
    while True:
        kwargs = {"NextPageToken": token} if token else {}
        page = ce_client.get_cost_and_usage(TimePeriod=period, Granularity="DAILY", Metrics=["UnblendedCost"],
                                            Filter=account_filter, GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
                                            **kwargs)
        for result in page["ResultsByTime"]:
            for group in result["Groups"]:
                name = group["Keys"][0]
                services[name] = services.get(name, Decimal(0)) + Decimal(group["Metrics"]["UnblendedCost"]["Amount"])
        token = page.get("NextPageToken")
        if not token:
            break
    return amount, sorted(services.items(), key=lambda item: item[1], reverse=True)


def money(amount: Decimal, symbol: str, places: int) -> str:
    """orgpulse's money format: symbol, thousands separators, half away from zero."""
    quantum = Decimal(1).scaleb(-places)
    rounded = amount.quantize(quantum, rounding=ROUND_HALF_UP)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{symbol}{abs(rounded):,.{places}f}"


def json_lines(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines() if line.strip()]


def section_texts(message: dict) -> list[str]:
    return [block["text"]["text"] for block in message["blocks"] if block["type"] == "section" and "text" in block]


# ---- preview ------------------------------------------------------------------------------------


def test_preview_json_is_the_emulators_figures_one_body_per_channel(cli, costs, organization, ce_client, tmp_path):
    account = organization["payments-prd"]
    config = write_config(tmp_path, [
        {"Default": True, "ChannelIds": [OPERATORS_CHANNEL]},
        {"OrganizationalUnitId": organization["__ou__"], "ChannelIds": [REPORTS_CHANNEL, OPERATORS_CHANNEL]},
    ])
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(),
                 "--format", "json")
    assert result.returncode == 0, result.stderr
    messages = json_lines(result.stdout)
    # The OU row applies (found through Organizations): both of its channels, one body each.
    assert [m["channel"] for m in messages] == [REPORTS_CHANNEL, OPERATORS_CHANNEL]
    total, services = emulator_day(ce_client, account, YESTERDAY)
    for message in messages:
        payload = message["metadata"]["event_payload"]
        assert payload["account_id"] == account
        assert payload["kind"] == "DAILY" and payload["period_start"] == YESTERDAY.isoformat()
        assert payload["delivery_key"] == f"{account}#DAILY#{YESTERDAY.isoformat()}#{message['channel']}"
        texts = section_texts(message)
        assert texts[0].startswith(f"*{money(total, '$', 2)}*"), texts[0]
        top_service, top_amount = services[0]
        service_lines = next(t for t in texts if t.startswith("*Top services*")).splitlines()
        assert service_lines[1].startswith(f"• {top_service}  *{money(top_amount, '$', 2)}*"), service_lines[1]
        assert message["blocks"][0]["type"] == "header" and "payments-prd" in message["blocks"][0]["text"]["text"]
    assert "settings from OU" in result.stderr


def test_preview_text_converts_with_the_default_rows_fixed_rate(cli, costs, organization, ce_client, tmp_path):
    account = organization["payments-stg"]
    config = write_config(tmp_path, [
        {"Default": True, "ChannelIds": [REPORTS_CHANNEL], "ExchangeRates": f"JPY={JPY_PER_USD}"},
        {"AccountId": account, "Description": "決済 ステージング", "Currency": "JPY"},
    ])
    html = tmp_path / "preview.html"
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(),
                 "--html", str(html))
    assert result.returncode == 0, result.stderr
    total, _ = emulator_day(ce_client, account, YESTERDAY)
    lines = result.stdout.splitlines()
    assert lines[0].startswith("決済 ステージング · Daily cost · 2026-11-27"), lines[0]
    assert lines[3].startswith(money(total * JPY_PER_USD, "¥", 0)), lines[3]
    assert "1 USD = 150.00 JPY (configuration" in result.stdout
    page = html.read_text(encoding="utf-8")
    assert f'data-channel="{REPORTS_CHANNEL}" data-message-index="0"' in page
    assert "決済 ステージング" in page and 'class="render-error"' not in page


def test_preview_send_posts_one_message_per_channel(cli, costs, organization, slack_sink, tmp_path):
    account = organization["search-prd"]
    config = write_config(tmp_path, [{"AccountId": account, "ChannelIds": [REPORTS_CHANNEL, OPERATORS_CHANNEL]}])
    shown = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(),
                "--format", "json")
    assert shown.returncode == 0, shown.stderr
    assert slack_sink.messages() == []  # previewing sends nothing

    sent = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(),
               "--format", "json", "--send", token=True)
    assert sent.returncode == 0, sent.stderr
    posted = slack_sink.messages()
    assert sorted(m["channel"] for m in posted) == sorted([REPORTS_CHANNEL, OPERATORS_CHANNEL])
    expected = {m["channel"]: m for m in json_lines(shown.stdout)}
    for message in posted:
        assert message["blocks"] == expected[message["channel"]]["blocks"]
        assert message["text"] == expected[message["channel"]]["text"]
    assert sent.stderr.count("sent the daily report to") == 2


def test_preview_send_reports_a_channel_slack_refuses(cli, costs, organization, slack_sink, tmp_path):
    account = organization["search-prd"]
    config = write_config(tmp_path, [{"AccountId": account, "ChannelIds": [REPORTS_CHANNEL, "C0NOSUCHCHAN"]}])
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(),
                 "--send", token=True)
    assert result.returncode == 1, result.stderr
    assert "channel_not_found" in result.stderr
    assert [m["channel"] for m in slack_sink.messages()] == [REPORTS_CHANNEL]


def test_preview_send_needs_a_token(cli, costs, organization, tmp_path):
    account = organization["search-prd"]
    config = write_config(tmp_path, [{"AccountId": account, "ChannelIds": [REPORTS_CHANNEL]}])
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(), "--send")
    assert result.returncode == 2
    assert "SLACK_BOT_TOKEN" in result.stderr and "--slack-secret" in result.stderr


def test_preview_reads_the_token_from_secrets_manager(cli, costs, organization, aws, slack_sink, tmp_path):
    account = organization["search-prd"]
    arn = aws("secretsmanager").create_secret(Name="orgpulse/slack", SecretString=json.dumps({"bot_token": SLACK_TOKEN}))["ARN"]
    config = write_config(tmp_path, [{"AccountId": account, "ChannelIds": [REPORTS_CHANNEL]}])
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat(),
                 "--send", "--slack-secret", arn)
    assert result.returncode == 0, result.stderr
    assert len(slack_sink.messages(REPORTS_CHANNEL)) == 1


def test_preview_of_an_account_outside_the_organization_is_refused(cli, costs, organization, tmp_path):
    config = write_config(tmp_path, [{"Default": True, "ChannelIds": [REPORTS_CHANNEL]}])
    result = cli("preview", "--config", str(config), "--account", "999999999999", "--date", TODAY.isoformat())
    assert result.returncode == 2
    assert "999999999999 is not a member of organization" in result.stderr
    assert result.stdout == ""


def test_preview_without_organizations_uses_account_and_default_rows_and_says_so(cli, aws, ce_emulator, tmp_path):
    # No organization in moto: DescribeOrganization answers AWSOrganizationsNotInUseException,
    # as it does for an account outside any organization.
    account = "210987654321"
    ce_emulator.load_dataset(remap_accounts(costdata.generate(seed=3, accounts=1, days=40, today=TODAY.isoformat()),
                                            {"only": account}))
    config = write_config(tmp_path, [{"Default": True, "ChannelIds": [REPORTS_CHANNEL], "Currency": "USD"},
                                     {"OrganizationalUnitId": "ou-ab12-cd34ef56", "Currency": "EUR"}])
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat())
    assert result.returncode == 0, result.stderr
    assert "Organizations is not accessible" in result.stderr and "OU rows are not applied" in result.stderr
    assert "settings from Default" in result.stderr
    assert "$" in result.stdout.splitlines()[3]

    unknown = write_config(tmp_path, [{"AccountId": "123412341234", "ChannelIds": [REPORTS_CHANNEL]}])
    refused = cli("preview", "--config", str(unknown), "--account", account, "--date", TODAY.isoformat())
    assert refused.returncode == 2
    assert f"account {account} is not in the configuration" in refused.stderr


def test_preview_with_no_cost_data_is_a_clear_error(cli, costs, organization, ce_emulator, tmp_path):
    account = organization["payments-prd"]
    config = write_config(tmp_path, [{"AccountId": account, "ChannelIds": [REPORTS_CHANNEL]}])
    ce_emulator.inject_error("DataUnavailableException", "Data is not available.", count=None)
    result = cli("preview", "--config", str(config), "--account", account, "--date", TODAY.isoformat())
    assert result.returncode == 2
    assert "no cost data" in result.stderr
    assert result.stdout == ""


# ---- run ----------------------------------------------------------------------------------------


def org_config(tmp_path: Path, organization: dict) -> Path:
    return write_config(tmp_path, [
        {"Default": True, "ChannelIds": [REPORTS_CHANNEL], "Granularity": ["DAILY"]},
        {"AccountId": organization["payments-prd"], "Description": "決済 本番",
         "ChannelIds": [REPORTS_CHANNEL, OPERATORS_CHANNEL]},
    ])


def report_messages(slack_sink) -> list[dict]:
    return [m for m in slack_sink.messages() if (m.get("metadata") or {}).get("event_type") == "orgpulse_report"]


def test_run_dry_run_prints_every_account_and_posts_nothing(cli, costs, organization, slack_sink, tmp_path):
    html = tmp_path / "run.html"
    result = cli("run", "--config", str(org_config(tmp_path, organization)), "--date", TODAY.isoformat(),
                 "--dry-run", "--html", str(html), "--operators-channel", OPERATORS_CHANNEL, token=True)
    assert result.returncode == 0, result.stderr
    # Every account of the organisation (and the management account, via the Default row).
    for name in ACCOUNT_NAMES:
        assert f"Account {organization[name]}" in result.stdout and name in result.stdout, name
    assert "決済 本番 · Daily cost · 2026-11-27" in result.stdout
    assert "→ would be sent to " + ", ".join([REPORTS_CHANNEL, OPERATORS_CHANNEL]) in result.stdout
    assert "Dry run: 5 messages rendered for 4 accounts; nothing was sent or recorded." in result.stdout
    assert "orgpulse 2026-11-28: 0 sent, 0 already delivered, 0 failed" in result.stdout
    assert slack_sink.messages() == []
    page = html.read_text(encoding="utf-8")
    reports = page.count('data-delivery-key="')
    # 4 accounts (3 members + the management account) on the reports channel, one more
    # channel for payments-prd, and the summary.
    assert reports == 4 + 1 + 1, reports
    assert f'id="channel-{OPERATORS_CHANNEL}"' in page and 'class="render-error"' not in page


def test_run_delivers_once_through_the_ledger(cli, costs, organization, slack_sink, deliveries_table, aws, tmp_path):
    config = str(org_config(tmp_path, organization))
    args = ("run", "--config", config, "--date", TODAY.isoformat(), "--deliveries-table", deliveries_table,
            "--operators-channel", OPERATORS_CHANNEL)
    first = cli(*args, "--html", str(tmp_path / "first.html"), token=True)
    assert first.returncode == 0, first.stderr
    assert "6 messages in 2 channels" in (tmp_path / "first.html").read_text(encoding="utf-8")
    reports = report_messages(slack_sink)
    keys = sorted(m["metadata"]["event_payload"]["delivery_key"] for m in reports)
    assert len(keys) == len(set(keys)) == 5, keys
    assert "orgpulse 2026-11-28: 5 sent, 0 already delivered, 0 failed" in first.stdout
    summaries = [m for m in slack_sink.messages(OPERATORS_CHANNEL) if m["metadata"]["event_type"] == "orgpulse_summary"]
    assert len(summaries) == 1
    assert len(aws("dynamodb").scan(TableName=deliveries_table)["Items"]) == 6  # 5 reports + the summary

    second = cli(*args, "--html", str(tmp_path / "second.html"), token=True)
    assert second.returncode == 0, second.stderr
    assert "0 messages in 0 channels" in (tmp_path / "second.html").read_text(encoding="utf-8")
    assert "0 sent, 5 already delivered, 0 failed" in second.stdout
    assert len(report_messages(slack_sink)) == 5  # nothing new
    assert len([m for m in slack_sink.messages(OPERATORS_CHANNEL)
                if m["metadata"]["event_type"] == "orgpulse_summary"]) == 1


def test_run_exits_1_when_a_delivery_fails(cli, costs, organization, slack_sink, deliveries_table, tmp_path):
    config = write_config(tmp_path, [
        {"Default": True, "ChannelIds": [REPORTS_CHANNEL]},
        {"AccountId": organization["search-prd"], "ChannelIds": [PUBLIC_NOT_JOINED_CHANNEL, "C0NOSUCHCHAN"]},
    ])
    slack_sink.configure(scopes=["chat:write", "channels:history", "groups:history"])  # no chat:write.public
    result = cli("run", "--config", str(config), "--date", TODAY.isoformat(), "--deliveries-table",
                 deliveries_table, token=True)
    assert result.returncode == 1, result.stderr
    assert "channel_not_found" in result.stdout and "not_in_channel" in result.stdout
    assert "2 deliveries failed" in result.stderr
    assert len(report_messages(slack_sink)) == 3
