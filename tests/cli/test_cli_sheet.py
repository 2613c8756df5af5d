"""`orgpulse config validate --sheet` and `orgpulse config pull --sheet` against the Google double,
with the key from GOOGLE_APPLICATION_CREDENTIALS or from Secrets Manager (moto), as an operator
runs them."""

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

from tests.e2e.harness import free_port, wait_for
from tests.support.google_double import GoogleDouble

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
SHEET_ID = "1CliSheetTest0123456789abcdefghijklmnopqrstu"
EMAIL = "orgpulse-reader@orgpulse-test.iam.gserviceaccount.com"
HEADER = ["AccountId", "Description", "ChannelIds", "Currency", "# owner"]
ROWS = [
    HEADER,
    ["012345678901", "決済 本番", "C0000000001", "JPY", "payments team"],
    [123456789012, "numbers typed as numbers", "C0000000002", "USD", ""],
]


@pytest.fixture(scope="session")
def orgpulse_bin() -> Path:
    subprocess.run(["cargo", "build", "--quiet", "--bin", "orgpulse"], cwd=REPO_ROOT, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))
    return target / "debug" / "orgpulse"


@pytest.fixture
def google():
    double = GoogleDouble()
    server = double.serve()
    yield double
    server.stop()


@pytest.fixture
def key_file(google, tmp_path) -> Path:
    path = tmp_path / "key.json"
    path.write_text(json.dumps(google.add_service_account(EMAIL).key_file()))
    google.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS}], shared_with=[EMAIL])
    return path


@pytest.fixture
def cli(orgpulse_bin, google, tmp_path):
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": REGION,
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        **google.environment(),
    }

    def run(*args: str, extra_env: dict | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([str(orgpulse_bin), *args], env={**env, **(extra_env or {})}, capture_output=True,
                              text=True, timeout=120, cwd=tmp_path)

    return run


def test_validate_a_sheet_with_a_key_file(cli, key_file):
    result = cli("config", "validate", "--sheet", f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0",
                 extra_env={"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)})
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert f"Google Sheet {SHEET_ID}" in result.stderr and "2 rows read, 2 used" in result.stderr, result.stderr


def test_validate_reports_the_sheets_problems_like_a_files(cli, key_file, google):
    google.set_rows(SHEET_ID, [*ROWS, [12345678901, "zero dropped", "#general", "YEN", ""]])
    result = cli("config", "validate", "--sheet", SHEET_ID, "--range", "Accounts", "--format", "json",
                 extra_env={"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)})
    assert result.returncode == 1, result.stderr
    report = json.loads(result.stdout)
    assert report["file"] == f"Google Sheet {SHEET_ID} (Accounts)"
    assert report["skipped_rows"] == [3]
    fields = {p["field"] for p in report["problems"]}
    assert {"AccountId", "ChannelIds", "Currency"} <= fields
    [account_problem] = [p for p in report["problems"] if p["field"] == "AccountId"]
    assert "012345678901" in account_problem["fix"]


def test_pull_writes_the_rows_as_typed(cli, key_file, tmp_path):
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
    result = cli("config", "pull", "--sheet", SHEET_ID, "-o", "accounts.csv", extra_env=env)
    assert result.returncode == 0, result.stderr
    csv_text = (tmp_path / "accounts.csv").read_text(encoding="utf-8-sig")
    assert csv_text.splitlines()[0] == "AccountId,Description,ChannelIds,Currency,# owner"
    assert "012345678901,決済 本番,C0000000001,JPY,payments team" in csv_text

    result = cli("config", "pull", "--sheet", SHEET_ID, "-o", "accounts.json", extra_env=env)
    assert result.returncode == 0, result.stderr
    rows = json.loads((tmp_path / "accounts.json").read_text(encoding="utf-8"))
    assert [row["AccountId"] for row in rows] == ["012345678901", "123456789012"]
    # The pulled file validates as the sheet does.
    assert cli("config", "validate", "accounts.json").returncode == 0


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda google: google.share(SHEET_ID, EMAIL, False), f"add {EMAIL} as a Viewer"),
        (lambda google: google.delete_spreadsheet(SHEET_ID), "between /d/ and /edit"),
        (lambda google: google.set_key_state(EMAIL, None, "expired"), "create a new JSON key"),
    ],
    ids=["not-shared", "not-found", "expired-key"],
)
def test_an_unreadable_sheet_says_what_to_do(cli, key_file, google, setup, expected):
    setup(google)
    result = cli("config", "validate", "--sheet", SHEET_ID, extra_env={"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)})
    assert result.returncode == 2
    assert expected in result.stderr, result.stderr


def test_a_malformed_key_or_no_key_is_a_usage_error(cli, key_file, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text('{"type": "service_account", "client_email": "a@b", "private_key": "TOPSECRET"}')
    result = cli("config", "validate", "--sheet", SHEET_ID, extra_env={"GOOGLE_APPLICATION_CREDENTIALS": str(broken)})
    assert result.returncode == 2
    assert "not PEM text" in result.stderr and "TOPSECRET" not in result.stderr
    result = cli("config", "validate", "--sheet", SHEET_ID)
    assert result.returncode == 2
    assert "GOOGLE_APPLICATION_CREDENTIALS" in result.stderr and "--credentials-secret" in result.stderr
    assert cli("config", "validate").returncode == 2  # neither a file nor --sheet
    (tmp_path / "file.csv").write_text("AccountId,ChannelIds\n012345678901,C0000000001\n")
    misplaced = cli("config", "validate", "file.csv", "--range", "Accounts")
    assert misplaced.returncode == 2 and "go with --sheet" in misplaced.stderr, misplaced.stderr


@pytest.fixture
def moto_url(tmp_path):
    port = free_port()
    log = tmp_path / "moto.log"
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


def test_validate_with_the_deployed_secret(cli, key_file, moto_url):
    secrets = boto3.client("secretsmanager", endpoint_url=moto_url, region_name=REGION,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
    arn = secrets.create_secret(Name="orgpulse/google-service-account-key", SecretString=key_file.read_text())["ARN"]
    result = cli("config", "validate", "--sheet", SHEET_ID, "--credentials-secret", arn,
                 extra_env={"AWS_ENDPOINT_URL": moto_url})
    assert result.returncode == 0, result.stderr
    missing = cli("config", "validate", "--sheet", SHEET_ID, "--credentials-secret", "orgpulse/nothing-here",
                  extra_env={"AWS_ENDPOINT_URL": moto_url})
    assert missing.returncode == 2
    assert "does not exist or has no value" in missing.stderr, missing.stderr
