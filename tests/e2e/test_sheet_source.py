"""Scenario: the configuration is a Google Sheet (the Google double), read by the deployed plan
function with the service account key from Secrets Manager.

Four daily runs, one sheet:
1. the sheet as the teams typed it (an account ID typed as a number, a ChannelIds cell merged
   over two rows) reports every account;
2. a row edited in the sheet changes the next run's messages;
3. rows broken in the sheet keep their last good version, and the summary says which row, what
   is wrong and whom to tell, each problem at its cell ('Accounts'!F3; a merged cell's value on
   each row it covers, E3 and E4), linked to that cell;
4. the sheet unreachable (Google drops every connection): the run uses the last good
   configuration and the summary says so and why;
5. the service account key expired: the same, and the summary says to rotate the key;
6. a new key put in the secret (no deployment): the sheet is read again.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest

from tests.e2e.harness import MANAGEMENT_ACCOUNT, REGION, Delivered, LocalSystem, OrganizationSpec, message_text
from tests.support import costdata
from tests.support.google_double import GoogleDouble
from tests.support.slack_sink import Channel

SHEET_ID = "1OrgpulseE2eSheet0123456789abcdefghijklmnopq"
SERVICE_ACCOUNT = "orgpulse-reader@orgpulse-e2e.iam.gserviceaccount.com"
SECRET_NAME = "orgpulse/google-service-account-key"
SECRET_ARN = f"arn:aws:secretsmanager:{REGION}:{MANAGEMENT_ACCOUNT}:secret:{SECRET_NAME}"
FIRST_DAY = date(2026, 11, 24)  # a Tuesday: with DAILY rows only daily reports are due
PAYMENTS_CHANNEL = "C0PAYMENTS1"
SEARCH_CHANNEL = "C0SEARCH001"
CENTRAL_CHANNEL = "C0CENTRAL01"
HEADER = ["AccountId", "OrganizationalUnitId", "Default", "Description", "ChannelIds", "Currency", "Granularity"]


@pytest.fixture
def google():
    double = GoogleDouble()
    server = double.serve()
    yield double
    server.stop()


@pytest.fixture
def system(tmp_path, google):
    sheet_env = {
        **google.environment(),
        "ORGPULSE_CONFIG_SHEET_ID": SHEET_ID,
        "ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN": SECRET_ARN,
    }
    with LocalSystem(tmp_path / "system", extra_function_env=sheet_env) as running:
        yield running


def as_typed(account_id: str):
    """An account ID typed into a sheet cell formatted as a number (when no leading zero would
    be lost: a lost zero is a row problem of its own, covered by the config tests)."""
    return account_id if account_id.startswith("0") else int(account_id)


def sheet_rows(org, *, search_currency="USD", payments_currency="JPY", payments_channel=PAYMENTS_CHANNEL):
    return [
        HEADER,                                                                                  # row 1
        ["", "", "TRUE", "Central cloud team", CENTRAL_CHANNEL, "USD", "DAILY"],                 # row 2
        [org.id("pay-prd"), "", "", "Payments production", payments_channel, payments_currency, "DAILY"],
        # ChannelIds is merged with the cell above (E3:E4): the value is only in E3.
        [as_typed(org.id("pay-stg")), "", "", "Payments staging", "", "JPY", "DAILY"],        # row 4
        [],                                                                                      # row 5, empty
        [org.id("search-prd"), "", "", "Search production", SEARCH_CHANNEL, search_currency, "DAILY"],
    ]


def cell_link(cell: str) -> str:
    """A problem's place in the summary: a link to the cell (the first tab's sheetId is 0), in
    Slack's mrkdwn (`&` escaped)."""
    return f"<https://docs.google.com/spreadsheets/d/{SHEET_ID}/edit#gid=0&amp;range={cell}|'Accounts'!{cell}>"


def reports_of(system, day: date) -> dict[str, dict]:
    """The report messages about `day - 1`, by account ID."""
    period = (day - timedelta(days=1)).isoformat()
    return {
        message["metadata"]["event_payload"]["account_id"]: message
        for message in system.slack.messages()
        if (message.get("metadata") or {}).get("event_type") == "orgpulse_report"
        and message["metadata"]["event_payload"]["period_start"] == period
    }


def run_day(system, day: date, name: str) -> dict:
    system.ce.configure(today=day.isoformat())
    execution = system.run({"date": day.isoformat()}, name=name)
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    return json.loads(execution["output"])


def test_sheet_edits_breakage_and_outage(system, google):
    org = system.seed_organization(OrganizationSpec(ous={"Payments": ["pay-prd", "pay-stg"], "Search": ["search-prd"]}))
    last_day = FIRST_DAY + timedelta(days=5)
    system.load_costs(costdata.generate(seed=7, accounts=3, days=45, today=last_day.isoformat(),
                                        services_per_account=(3, 5)), org.account_ids)
    system.deploy([], channels=[Channel(PAYMENTS_CHANNEL, "payments-costs"), Channel(SEARCH_CHANNEL, "search-costs"),
                                Channel(CENTRAL_CHANNEL, "cloud-costs")])
    key_file = google.add_service_account(SERVICE_ACCOUNT).key_file()
    system.client("secretsmanager").create_secret(Name=SECRET_NAME, SecretString=json.dumps(key_file))
    google.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": sheet_rows(org), "merges": ["E3:E4"]},
                                      {"title": "How to edit", "rows": [["Ask #cloud-team"]]}],
                           shared_with=[SERVICE_ACCOUNT])

    # 1. As typed: every account reported where its row says, the merged cell on both rows, and
    #    the management account (no row of its own) by the Default row.
    first = run_day(system, FIRST_DAY, "sheet-1")
    assert first["sent"] == 4 and first["failed"] == 0 and first["config_problems"] == 0, first
    period = (FIRST_DAY - timedelta(days=1)).isoformat()
    assert sorted(system.reports()) == sorted([
        Delivered(org.id("pay-prd"), "DAILY", period, PAYMENTS_CHANNEL),
        Delivered(org.id("pay-stg"), "DAILY", period, PAYMENTS_CHANNEL),
        Delivered(org.id("search-prd"), "DAILY", period, SEARCH_CHANNEL),
        Delivered(MANAGEMENT_ACCOUNT, "DAILY", period, CENTRAL_CHANNEL),
    ])
    reports = reports_of(system, FIRST_DAY)
    assert "¥" in message_text(reports[org.id("pay-stg")])
    assert "$" in message_text(reports[org.id("search-prd")])
    assert google.request_log("token"), "the plan function asked Google for a token"
    assert system.object("state/config-last-good.json")["rows"], "the accepted rows are kept"

    # 2. Search's row edited in the sheet: the next run's message follows it.
    google.set_rows(SHEET_ID, sheet_rows(org, search_currency="EUR"))
    second_day = FIRST_DAY + timedelta(days=1)
    second = run_day(system, second_day, "sheet-2")
    assert second["sent"] == 4 and second["config_problems"] == 0, second
    assert "€" not in message_text(reports[org.id("search-prd")])
    search_report = message_text(reports_of(system, second_day)[org.id("search-prd")])
    assert "€" in search_report, search_report

    # 3. Payments production's row broken (its currency, and a channel name in the merged
    #    ChannelIds cell, which breaks Payments staging's row too): both keep their last good
    #    version (JPY, their channel) and the summary says which cell, what is wrong and whom to
    #    tell, each place a link that opens the sheet at that cell.
    google.set_rows(SHEET_ID, sheet_rows(org, search_currency="EUR", payments_currency="JPN",
                                         payments_channel="#payments"))
    third_day = FIRST_DAY + timedelta(days=2)
    third = run_day(system, third_day, "sheet-3")
    assert third["sent"] == 4 and third["failed"] == 0 and third["config_problems"] == 3, third
    third_reports = reports_of(system, third_day)
    assert third_reports[org.id("pay-prd")]["channel"] == PAYMENTS_CHANNEL
    assert third_reports[org.id("pay-stg")]["channel"] == PAYMENTS_CHANNEL
    assert "¥" in message_text(third_reports[org.id("pay-prd")])
    summary = message_text(system.summaries()[-1])
    for expected in (
        f'{cell_link("E3")}, ChannelIds = "#payments": is the channel\'s name',
        f'{cell_link("F3")}, Currency = "JPN"',
        f'{cell_link("E4")}, ChannelIds = "#payments"',
        f'Configuration \'Accounts\' row 3 (account {org.id("pay-prd")} "Payments production" (pay-prd in Payments',
        "kept its last good row",
        'Tell the owners of "Payments production" (OU Payments) to fix \'Accounts\' row 3 of Google Sheet',
        f'Configuration \'Accounts\' row 4 (account {org.id("pay-stg")} "Payments staging"',
    ):
        assert expected in summary, f"{expected}\n---\n{summary}"

    # 4. Google unreachable: the last good configuration, said in the summary with the reason.
    google.add_fault("drop_response", count=None)
    fourth_day = FIRST_DAY + timedelta(days=3)
    fourth = run_day(system, fourth_day, "sheet-4")
    assert fourth["sent"] == 4 and fourth["failed"] == 0, fourth
    fourth_reports = reports_of(system, fourth_day)
    assert set(fourth_reports) == {org.id("pay-prd"), org.id("pay-stg"), org.id("search-prd"), MANAGEMENT_ACCOUNT}
    assert "¥" in message_text(fourth_reports[org.id("pay-prd")])
    assert "€" in message_text(fourth_reports[org.id("search-prd")])
    summary = message_text(system.summaries()[-1])
    assert f"Google Sheet {SHEET_ID} could not be used, so this run used the last good configuration" in summary, summary
    assert "could not be reached" in summary, summary

    # 5. The key expired in Google Cloud: last good configuration, and what to do about the key.
    google.clear_faults()
    google.set_key_state(SERVICE_ACCOUNT, key_file["private_key_id"], "expired")
    fifth_day = FIRST_DAY + timedelta(days=4)
    fifth = run_day(system, fifth_day, "sheet-5")
    assert fifth["sent"] == 4 and fifth["failed"] == 0, fifth
    summary = message_text(system.summaries()[-1])
    assert "could not be used, so this run used the last good configuration" in summary, summary
    assert f"Google refused the service account key of {SERVICE_ACCOUNT}" in summary, summary
    assert "the key was deleted, disabled or has expired" in summary, summary

    # 6. A new key in the secret, nothing redeployed: the sheet is read again (the broken row
    #    still falls back, the other rows are the sheet's).
    new_key = google.add_key(SERVICE_ACCOUNT)
    system.client("secretsmanager").put_secret_value(
        SecretId=SECRET_NAME, SecretString=json.dumps(google.accounts[SERVICE_ACCOUNT].key_file(new_key.key_id)))
    google.set_rows(SHEET_ID, sheet_rows(org, search_currency="USD", payments_currency="JPN"))
    sixth_day = FIRST_DAY + timedelta(days=5)
    sixth = run_day(system, sixth_day, "sheet-6")
    assert sixth["sent"] == 4 and sixth["config_problems"] == 1, sixth
    assert "€" not in message_text(reports_of(system, sixth_day)[org.id("search-prd")])
    summary = message_text(system.summaries()[-1])
    assert "could not be used" not in summary, summary
    assert "kept its last good row" in summary, summary
