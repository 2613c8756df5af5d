"""The Google double: the token endpoint checks assertions as Google does, the Sheets API answers
as Google does (shapes, ranges, errors), faults and the control API work over HTTP."""

from __future__ import annotations

import json
import time

import pytest
import requests

from tests.support.google_double import (
    BAD_TIMEFRAME,
    INVALID_SIGNATURE,
    GoogleDouble,
    grid_range,
    sign_assertion,
    split_range,
)

EMAIL = "orgpulse-reader@orgpulse-test.iam.gserviceaccount.com"
SHEET_ID = "1AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_xyz"
ROWS = [
    ["AccountId", "Description", "ChannelIds", "TopServices", "Forecast"],
    ["012345678901", "決済", "C0000000001", 5, True],
    [123456789012, "", None, 7.0, False, "", None],
    [],
]


@pytest.fixture
def double():
    google = GoogleDouble()
    server = google.serve()
    yield google
    server.stop()


@pytest.fixture
def key_file(double):
    return double.add_service_account(EMAIL).key_file()


def get_token(double, key_file, **assertion) -> requests.Response:
    audience = assertion.pop("audience", double.token_url)
    return requests.post(
        double.token_url,
        data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
              "assertion": sign_assertion(key_file, audience, **assertion)},
        timeout=5,
    )


def token(double, key_file) -> str:
    answer = get_token(double, key_file)
    assert answer.status_code == 200, answer.text
    return answer.json()["access_token"]


def values(double, bearer, range_, **params) -> requests.Response:
    return requests.get(f"{double.url}/v4/spreadsheets/{SHEET_ID}/values/{range_}",
                        headers={"Authorization": f"Bearer {bearer}"}, params=params, timeout=5)


# ---- token endpoint ------------------------------------------------------------------------

def test_a_signed_assertion_gets_an_access_token(double, key_file):
    answer = get_token(double, key_file)
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3599
    assert body["access_token"].startswith("ya29.")


@pytest.mark.parametrize(
    ("change", "error", "description"),
    [
        ({"audience": "https://oauth2.googleapis.com/token"}, "invalid_grant", "audience"),
        ({"issued_at": int(time.time()) - 7200}, "invalid_grant", BAD_TIMEFRAME),
        ({"lifetime": 7200}, "invalid_grant", BAD_TIMEFRAME),
        ({"scope": "https://www.googleapis.com/auth/cloud-platform"}, "invalid_scope", "scope"),
        ({"kid": "0" * 40}, "invalid_grant", INVALID_SIGNATURE),
    ],
)
def test_assertions_google_would_refuse_are_refused(double, key_file, change, error, description):
    answer = get_token(double, key_file, **change)
    assert answer.status_code == 400
    assert answer.json()["error"] == error
    assert description in answer.json()["error_description"]


def test_a_key_signed_by_someone_else_fails_the_signature_check(double, key_file):
    other = GoogleDouble()
    stranger = other.add_service_account(EMAIL).key_file()
    forged = {**stranger, "private_key_id": key_file["private_key_id"]}
    answer = get_token(double, forged)
    assert answer.status_code == 400
    assert answer.json() == {"error": "invalid_grant", "error_description": INVALID_SIGNATURE}


@pytest.mark.parametrize("state", ["expired", "deleted", "disabled"])
def test_expired_deleted_or_disabled_keys_are_invalid_signatures(double, key_file, state):
    double.set_key_state(EMAIL, key_file["private_key_id"], state)
    answer = get_token(double, key_file)
    assert answer.json() == {"error": "invalid_grant", "error_description": INVALID_SIGNATURE}


def test_a_rotated_key_works_and_the_old_one_does_not_once_deleted(double, key_file):
    new_key = double.add_key(EMAIL)
    double.set_key_state(EMAIL, key_file["private_key_id"], "deleted")
    new_file = double.accounts[EMAIL].key_file(new_key.key_id)
    assert get_token(double, new_file).status_code == 200
    assert get_token(double, key_file).status_code == 400


def test_unknown_or_disabled_service_accounts(double, key_file):
    unknown = {**key_file, "client_email": "nobody@orgpulse-test.iam.gserviceaccount.com"}
    assert get_token(double, unknown).json()["error_description"] == "Invalid grant: account not found"
    double.set_account_state(EMAIL, "disabled")
    answer = get_token(double, key_file)
    assert answer.status_code == 401 and answer.json()["error"] == "invalid_client"


def test_the_token_endpoint_wants_the_jwt_bearer_grant(double, key_file):
    answer = requests.post(double.token_url, data={"grant_type": "client_credentials"}, timeout=5)
    assert answer.json()["error"] == "unsupported_grant_type"
    answer = requests.post(double.token_url, data={"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer",
                                                   "assertion": "not-a-jwt"}, timeout=5)
    assert answer.json()["error"] == "invalid_request"


# ---- Sheets API ----------------------------------------------------------------------------

def test_values_are_formatted_trimmed_and_ranged_like_google(double, key_file):
    double.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS}], shared_with=[EMAIL])
    bearer = token(double, key_file)

    answer = values(double, bearer, "Accounts")
    assert answer.status_code == 200
    body = answer.json()
    assert body["range"] == "Accounts!A1:Z1000"
    assert body["majorDimension"] == "ROWS"
    assert body["values"] == [
        ["AccountId", "Description", "ChannelIds", "TopServices", "Forecast"],
        ["012345678901", "決済", "C0000000001", "5", "TRUE"],
        ["123456789012", "", "", "7", "FALSE"],
    ]
    unformatted = values(double, bearer, "Accounts", valueRenderOption="UNFORMATTED_VALUE").json()["values"]
    assert unformatted[2][:4] == [123456789012, "", "", 7.0]

    partial = values(double, bearer, "'Accounts'!B2:C").json()
    assert partial["range"] == "Accounts!B2:C1000"
    assert partial["values"] == [["決済", "C0000000001"]]
    assert values(double, bearer, "A1:A2").json()["values"] == [["AccountId"], ["012345678901"]]


def test_named_ranges_and_quoted_titles(double, key_file):
    double.put_spreadsheet(
        SHEET_ID,
        [{"title": "Read me", "rows": [["notes"]]}, {"title": "It's config", "rows": ROWS}],
        shared_with=[EMAIL], named_ranges={"orgpulse": "'It''s config'!A1:C2"},
    )
    bearer = token(double, key_file)
    assert values(double, bearer, "orgpulse").json()["values"] == [
        ["AccountId", "Description", "ChannelIds"], ["012345678901", "決済", "C0000000001"]]
    assert values(double, bearer, "'It''s config'!A1").json()["range"] == "'It''s config'!A1:A1"
    assert values(double, bearer, "A1").json()["values"] == [["notes"]]


def test_spreadsheet_metadata_lists_tabs_and_merges(double, key_file):
    double.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS, "merges": ["C2:C3"]},
                                      {"title": "Notes", "rows": []}], shared_with=[EMAIL])
    answer = requests.get(f"{double.url}/v4/spreadsheets/{SHEET_ID}", params={"fields": "sheets"},
                          headers={"Authorization": f"Bearer {token(double, key_file)}"}, timeout=5)
    sheets = answer.json()["sheets"]
    assert [s["properties"]["title"] for s in sheets] == ["Accounts", "Notes"]
    assert sheets[0]["merges"] == [{"sheetId": 0, "startRowIndex": 1, "endRowIndex": 3,
                                    "startColumnIndex": 2, "endColumnIndex": 3}]
    assert "merges" not in sheets[1]


def test_sharing_existence_ranges_and_tokens_give_googles_errors(double, key_file):
    double.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS}])
    bearer = token(double, key_file)

    not_shared = values(double, bearer, "Accounts")
    assert not_shared.status_code == 403
    assert not_shared.json()["error"]["status"] == "PERMISSION_DENIED"

    double.share(SHEET_ID, EMAIL)
    bad_range = values(double, bearer, "Acounts")
    assert bad_range.status_code == 400
    assert bad_range.json()["error"]["message"] == "Unable to parse range: Acounts"

    assert values(double, "ya29.made-up", "Accounts").status_code == 401
    double.delete_spreadsheet(SHEET_ID)
    missing = values(double, bearer, "Accounts")
    assert missing.status_code == 404
    assert missing.json()["error"]["message"] == "Requested entity was not found."


def test_tokens_expire(double, key_file):
    double.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS}], shared_with=[EMAIL])
    double.token_lifetime = 1
    bearer = token(double, key_file)
    assert values(double, bearer, "Accounts").status_code == 200
    time.sleep(1.1)
    assert values(double, bearer, "Accounts").status_code == 401


# ---- faults and control API ----------------------------------------------------------------

def test_rate_limits_carry_retry_after_then_clear(double, key_file):
    double.put_spreadsheet(SHEET_ID, [{"title": "Accounts", "rows": ROWS}], shared_with=[EMAIL])
    bearer = token(double, key_file)
    double.add_fault("ratelimit", count=2, route="sheets", retry_after=3)
    for _ in range(2):
        limited = values(double, bearer, "Accounts")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "3"
        assert limited.json()["error"]["status"] == "RESOURCE_EXHAUSTED"
    assert values(double, bearer, "Accounts").status_code == 200


def test_http_errors_and_dropped_connections(double, key_file):
    double.add_fault("http_error", count=1, route="token", status=503)
    assert get_token(double, key_file).status_code == 503
    double.add_fault("drop_response", count=None)
    with pytest.raises(requests.ConnectionError):
        get_token(double, key_file)
    double.clear_faults()
    assert get_token(double, key_file).status_code == 200


def test_the_control_api_drives_everything_over_http(double):
    control = f"{double.url}/__control"
    assert requests.get(f"{control}/health", timeout=5).json() == {"ok": True}
    key_file = requests.post(f"{control}/service-accounts", json={"email": EMAIL}, timeout=5).json()
    assert key_file["type"] == "service_account" and key_file["private_key"].startswith("-----BEGIN PRIVATE KEY-----")
    sheet = {"sheets": [{"title": "Accounts", "rows": ROWS, "merges": ["E2:E3"]}], "shared_with": [EMAIL]}
    assert requests.put(f"{control}/spreadsheets/{SHEET_ID}", json=sheet, timeout=5).status_code == 200
    bearer = token(double, key_file)
    assert values(double, bearer, "Accounts").status_code == 200

    assert requests.post(f"{control}/share", json={"spreadsheet_id": SHEET_ID, "email": EMAIL, "shared": False},
                         timeout=5).status_code == 200
    assert values(double, bearer, "Accounts").status_code == 403
    requests.post(f"{control}/service-accounts/state", json={"email": EMAIL, "key_state": "expired"}, timeout=5)
    assert get_token(double, key_file).json()["error_description"] == INVALID_SIGNATURE
    requests.post(f"{control}/faults", json={"kind": "ratelimit", "route": "token", "count": 1}, timeout=5)
    assert get_token(double, key_file).status_code == 429

    log = requests.get(f"{control}/requests", params={"route": "sheets"}, timeout=5).json()
    assert [entry["status"] for entry in log] == [200, 403]
    assert requests.post(f"{control}/faults", json={"kind": "nonsense"}, timeout=5).status_code == 400
    requests.post(f"{control}/reset", timeout=5)
    assert requests.get(f"{control}/requests", timeout=5).json() == []
    assert requests.delete(f"{control}/spreadsheets/{SHEET_ID}", timeout=5).status_code == 200
    assert json.loads(requests.get(f"{control}/health", timeout=5).text)["ok"]


def test_a1_helpers():
    assert split_range("'It''s'!A1:B2") == ("It's", "A1:B2")
    assert split_range("Accounts") == (None, "Accounts")
    assert split_range("Accounts!C3") == ("Accounts", "C3")
    assert grid_range("C2:C4") == {"sheetId": 0, "startRowIndex": 1, "endRowIndex": 4,
                                   "startColumnIndex": 2, "endColumnIndex": 3}
    assert grid_range("AA10") == {"sheetId": 0, "startRowIndex": 9, "endRowIndex": 10,
                                  "startColumnIndex": 26, "endColumnIndex": 27}
