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
    assert report["skipped_rows"] == [4]  # sheet row 4: the header is row 1
    fields = {p["field"] for p in report["problems"]}
    assert {"AccountId", "ChannelIds", "Currency"} <= fields
    [account_problem] = [p for p in report["problems"] if p["field"] == "AccountId"]
    assert "012345678901" in account_problem["fix"]


TAB = "アカウント設定"


def cell_link(range_: str, gid: int) -> str:
    return f"https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid={gid}&range={range_}"


def validate_tab(cli, key_file, google, rows, merges=()):
    """`config validate --sheet --range <tab>` of a second tab (its sheetId is not 0, so the
    links must carry the tab's own): the JSON report, and the text lines."""
    google.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS},
                                      {"title": TAB, "rows": rows, "merges": list(merges)}], shared_with=[EMAIL])
    [sheet_id] = [s.sheet_id for s in google.spreadsheets[SHEET_ID].sheets if s.title == TAB]
    env = {"GOOGLE_APPLICATION_CREDENTIALS": str(key_file)}
    as_json = cli("config", "validate", "--sheet", SHEET_ID, "--range", TAB, "--format", "json", extra_env=env)
    assert as_json.returncode == 1, as_json.stderr
    as_text = cli("config", "validate", "--sheet", SHEET_ID, "--range", TAB, extra_env=env)
    assert as_text.returncode == 1, as_text.stderr
    return json.loads(as_json.stdout), as_text, sheet_id


def test_problems_name_the_cell_with_the_header_on_row_1_an_empty_row_and_a_vertical_merge(cli, key_file, google):
    rows = [
        HEADER,                                                                 # row 1
        [12345678901, "zero dropped", "C0000000001", "JPY", ""],                # A2
        ["012345678901", "merged channel", "#general", "JPY", ""],              # C3, merged C3:C4
        ["111111111111", "under the merge", "", "JPY", ""],                     # C4 shows #general
        [],                                                                     # row 5, empty
        ["222222222222", "after the empty row", "C0000000002", "YEN", ""],      # D6
    ]
    report, text, sheet_id = validate_tab(cli, key_file, google, rows, merges=["C3:C4"])
    assert sheet_id != 0
    located = [(p["location"]["a1"], p["location"]["tab"], p["location"]["row"], p["location"]["column"],
                p["location"]["url"]) for p in report["problems"]]
    assert located == [
        (f"'{TAB}'!A2", TAB, 2, "A", cell_link("A2", sheet_id)),
        (f"'{TAB}'!C3", TAB, 3, "C", cell_link("C3", sheet_id)),
        (f"'{TAB}'!C4", TAB, 4, "C", cell_link("C4", sheet_id)),
        (f"'{TAB}'!D6", TAB, 6, "D", cell_link("D6", sheet_id)),
    ], report["problems"]
    assert all(p["location"]["sheet"] == SHEET_ID for p in report["problems"])
    assert report["skipped_rows"] == [2, 3, 4, 6] and report["note_rows"] == []
    lines = text.stdout.splitlines()
    assert lines[0].startswith(f"'{TAB}'!A2, AccountId = \"12345678901\": has 11 digits"), lines
    assert lines[2].startswith(f"'{TAB}'!C4, ChannelIds = \"#general\": is the channel's name"), lines
    assert lines[3].startswith(f"'{TAB}'!D6, Currency = \"YEN\""), lines


def test_problems_name_the_cell_with_the_header_on_row_3_under_a_title(cli, key_file, google):
    rows = [
        ["アカウント設定 (各チームが自分の行を編集)"],                          # row 1: a title
        [],                                                                     # row 2
        HEADER,                                                                 # row 3: the header
        ["012345678901", "ok", "C0000000001", "JPY", ""],                       # row 4
        ["111111111111", "channel name", "#payments", "JPY", ""],               # C5
        ["ou-nope", "", "C0000000002", "", ""],                                 # A6
    ]
    report, text, sheet_id = validate_tab(cli, key_file, google, rows)
    assert report["note_rows"] == [1]
    assert [(p["location"]["a1"], p["location"]["url"]) for p in report["problems"]] == [
        (f"'{TAB}'!C5", cell_link("C5", sheet_id)),
        (f"'{TAB}'!A6", cell_link("A6", sheet_id)),
    ], report["problems"]
    assert report["rows_used"] == 1 and report["skipped_rows"] == [5, 6]
    assert text.stdout.startswith(f"'{TAB}'!C5, ChannelIds = \"#payments\""), text.stdout
    assert "row 1 above the header skipped as notes" in text.stderr, text.stderr


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
