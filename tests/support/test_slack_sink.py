"""The Slack Web API sink, driven through slack_sdk's WebClient (protocol fidelity) and raw HTTP
(form bodies, lost replies, control API)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from tests.conftest import (
    ARCHIVED_CHANNEL,
    OPERATORS_CHANNEL,
    PRIVATE_NOT_JOINED_CHANNEL,
    PUBLIC_NOT_JOINED_CHANNEL,
    REPO_ROOT,
    REPORTS_CHANNEL,
    SLACK_TOKEN,
)
from tests.support.slack_sink import validate_blocks

METADATA = {"event_type": "orgpulse_cost_report", "event_payload": {"account": "012345678901", "period": "2026-03-01"}}


def plain(text):
    return {"type": "plain_text", "text": text}


def mrkdwn(text):
    return {"type": "mrkdwn", "text": text}


def section(text, **extra):
    return {"type": "section", "text": mrkdwn(text), **extra}


def report_blocks():
    """A message shaped like an orgpulse cost report."""
    return [
        {"type": "header", "text": plain("payments-prod — 2026-03-01 コスト")},
        section("*$1,234.56*  (+12.3% vs previous day)"),
        {"type": "section", "fields": [mrkdwn("*EC2*\n$800.00"), mrkdwn("*S3*\n$120.00")]},
        {"type": "divider"},
        {"type": "context", "elements": [mrkdwn(":hourglass: provisional"), plain("USD→JPY 150.12 (2026-02-27)")]},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "text": plain("Open Cost Explorer"),
                    "url": "https://console.aws.amazon.com/costmanagement/home",
                }
            ],
        },
    ]


def post_raw(sink, payload, token=SLACK_TOKEN, content_type="application/json; charset=utf-8", **kwargs):
    headers = {"Content-Type": content_type}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    body = json.dumps(payload) if content_type.startswith("application/json") else payload
    return requests.post(
        f"{sink.api_url}chat.postMessage", data=body, headers=headers, timeout=kwargs.pop("timeout", 5), **kwargs
    )


def slack_error(call) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# -- accepted messages ----------------------------------------------------------------------------


def test_a_report_is_accepted_and_recorded_with_ts_and_metadata(slack_sink, slack_client):
    answer = slack_client.chat_postMessage(
        channel=REPORTS_CHANNEL, text="payments-prod: $1,234.56", blocks=report_blocks(), metadata=METADATA
    )
    assert answer["ok"] and answer["channel"] == REPORTS_CHANNEL
    assert answer["message"]["metadata"] == METADATA
    (recorded,) = slack_sink.messages()
    assert recorded["ts"] == answer["ts"]
    assert recorded["blocks"] == report_blocks() and recorded["metadata"] == METADATA
    assert recorded["has_text_fallback"] is True
    assert slack_sink.counters()["chat.postMessage"] == {"calls": 1, "ok": 1, "errors": {}}


def test_ts_values_are_unique_and_increasing(slack_sink, slack_client):
    slack_sink.configure(rate_limit_per_second=None)
    stamps = [slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text=str(i))["ts"] for i in range(5)]
    assert stamps == sorted(stamps, key=float) and len(set(stamps)) == 5


def test_form_bodies_may_carry_the_token_and_json_strings(slack_sink):
    form = {
        "token": SLACK_TOKEN,
        "channel": REPORTS_CHANNEL,
        "text": "hi",
        "blocks": json.dumps([section("hi")]),
        "metadata": json.dumps(METADATA),
    }
    answer = post_raw(slack_sink, form, token=None, content_type="application/x-www-form-urlencoded").json()
    assert answer["ok"] is True
    assert slack_sink.messages()[0]["metadata"] == METADATA


def test_a_channel_can_be_named(slack_sink, slack_client):
    assert slack_client.chat_postMessage(channel="#cost-reports", text="hi")["channel"] == REPORTS_CHANNEL


def test_public_channel_without_membership_needs_chat_write_public(slack_sink, slack_client):
    slack_sink.configure(scopes=["chat:write", "chat:write.public"])
    assert slack_client.chat_postMessage(channel=PUBLIC_NOT_JOINED_CHANNEL, text="hi")["ok"]
    slack_sink.configure(scopes=["chat:write"])
    assert (
        slack_error(lambda: slack_client.chat_postMessage(channel=PUBLIC_NOT_JOINED_CHANNEL, text="hi")).response[
            "error"
        ]
        == "not_in_channel"
    )


def test_json_without_charset_is_accepted_with_slacks_warning(slack_sink):
    answer = post_raw(slack_sink, {"channel": REPORTS_CHANNEL, "text": "hi"}, content_type="application/json").json()
    assert answer["ok"] and answer["warning"] == "missing_charset"


# -- Slack's ok:false answers ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("token", "error"),
    [(None, "not_authed"), ("xoxb-wrong", "invalid_auth")],
)
def test_tokens_are_checked(slack_sink, token, error):
    answer = post_raw(slack_sink, {"channel": REPORTS_CHANNEL, "text": "hi"}, token=token)
    assert answer.status_code == 200 and answer.json() == {"ok": False, "error": error}


def test_json_bodies_cannot_carry_the_token(slack_sink):
    answer = post_raw(slack_sink, {"token": SLACK_TOKEN, "channel": REPORTS_CHANNEL, "text": "hi"}, token=None)
    assert answer.json()["error"] == "not_authed"


def test_revoked_token_and_missing_scope(slack_sink, slack_client):
    slack_sink.configure(scopes=["channels:history"])
    error = slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="hi")).response
    assert (error["error"], error["needed"]) == ("missing_scope", "chat:write")
    slack_sink.configure(token_revoked=True)
    assert slack_error(lambda: slack_client.auth_test()).response["error"] == "token_revoked"


@pytest.mark.parametrize(
    ("channel", "error"),
    [
        ("C9999999999", "channel_not_found"),
        (PRIVATE_NOT_JOINED_CHANNEL, "channel_not_found"),  # private channels the bot is not in are invisible
        (ARCHIVED_CHANNEL, "is_archived"),
    ],
)
def test_channel_errors(slack_sink, slack_client, channel, error):
    raised = slack_error(lambda: slack_client.chat_postMessage(channel=channel, text="hi"))
    assert raised.response.status_code == 200 and raised.response["error"] == error
    assert slack_sink.messages() == []


MISSING_TEXT_WARNING = "ignore:The top-level `text` argument is missing"


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_a_message_needs_text_or_blocks(slack_client):
    assert slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL)).response["error"] == "no_text"


def test_text_over_40000_characters_is_too_long(slack_client):
    slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="x" * 40_000)
    raised = slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="x" * 40_001))
    assert raised.response["error"] == "msg_too_long"


@pytest.mark.filterwarnings(MISSING_TEXT_WARNING)
def test_blocks_without_text_fallback_are_accepted_and_flagged(slack_sink, slack_client):
    slack_client.chat_postMessage(channel=REPORTS_CHANNEL, blocks=[section("only blocks")])
    assert slack_sink.messages()[0]["has_text_fallback"] is False


@pytest.mark.parametrize(
    ("metadata", "error"),
    [
        ("{not json", "invalid_metadata_format"),
        (json.dumps({"event_type": "x"}), "invalid_metadata_schema"),
        (json.dumps(["x"]), "invalid_metadata_format"),
    ],
)
def test_metadata_must_be_event_type_and_payload(slack_sink, metadata, error):
    form = {"channel": REPORTS_CHANNEL, "text": "hi", "metadata": metadata}
    answer = post_raw(slack_sink, form, content_type="application/x-www-form-urlencoded").json()
    assert answer == {"ok": False, "error": error}


def test_blocks_that_are_not_json_are_invalid_blocks_format(slack_sink):
    form = {"channel": REPORTS_CHANNEL, "text": "hi", "blocks": "[{oops"}
    answer = post_raw(slack_sink, form, content_type="application/x-www-form-urlencoded").json()
    assert answer["error"] == "invalid_blocks_format"


# -- Block Kit limits -----------------------------------------------------------------------------------

TOO_LONG_CASES = [
    ([{"type": "divider"}] * 51, "no more than 50 items allowed [json-pointer:/blocks]"),
    ([{"type": "header", "text": plain("h" * 151)}], "cannot exceed 150 characters [json-pointer:/blocks/0]"),
    ([{"type": "header", "text": mrkdwn("*bold*")}], "must be plain_text, mrkdwn is not allowed here"),
    ([section("s" * 3001)], "cannot exceed 3000 characters [json-pointer:/blocks/0]"),
    ([{"type": "section", "fields": [mrkdwn("f")] * 11}], "fields attribute cannot exceed 10 items"),
    (
        [{"type": "section", "fields": [mrkdwn("f" * 2001)]}],
        "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
    ),
    ([{"type": "context", "elements": [mrkdwn("c")] * 11}], "elements attribute cannot exceed 10 elements"),
    (
        [{"type": "context", "elements": [{"type": "button", "text": plain("b")}]}],
        "context elements must be text objects or images",
    ),
    ([section("")], "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
    ([section("x") | {"text": {"type": "mrkdwn", "text": "x", "emoji": True}}], "unsupported property: emoji"),
    (
        [section("a", block_id="b1"), section("b", block_id="b1")],
        "duplicate block_id: b1 [json-pointer:/blocks/1/block_id]",
    ),
    ([section("a", block_id="b" * 256)], "block_id cannot exceed 255 characters"),
    ([{"type": "banner", "text": plain("x")}], "unsupported type: banner"),
    ([{"type": "actions", "elements": [{"type": "button", "text": mrkdwn("go")}]}], "must be plain_text"),
    (
        [{"type": "actions", "elements": [{"type": "button", "text": plain("g" * 76), "action_id": "a"}]}],
        "cannot exceed 75 characters",
    ),
    (
        [{"type": "table", "rows": [[{"type": "raw_text", "text": "a"}]]}] * 2,
        "only one table block is allowed per message",
    ),
    (
        [{"type": "table", "rows": [[{"type": "raw_text", "text": "a"}]] * 101}],
        "no more than 100 items allowed [json-pointer:/blocks/0/rows]",
    ),
    (
        [{"type": "table", "rows": [[{"type": "raw_text", "text": "a"}] * 21]}],
        "no more than 20 items allowed [json-pointer:/blocks/0/rows/0]",
    ),
    ([{"text": plain("no type")}], "missing required field: type"),
]


@pytest.mark.parametrize(("blocks", "message"), TOO_LONG_CASES)
def test_blocks_over_documented_limits_are_invalid_blocks(slack_sink, slack_client, blocks, message):
    raised = slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="fallback", blocks=blocks))
    answer = raised.response
    assert answer.status_code == 200 and answer["error"] == "invalid_blocks"
    assert any(message in line for line in answer["response_metadata"]["messages"]), answer["response_metadata"]
    assert slack_sink.messages() == []


def test_blocks_exactly_at_the_limits_are_accepted(slack_client):
    at_limits = [
        {"type": "header", "text": plain("ヘ" * 150)},
        section("s" * 3000),
        {"type": "section", "fields": [mrkdwn("f" * 700)] * 10},  # 12,160 characters in all
        {"type": "context", "elements": [mrkdwn("c")] * 10},
        {"type": "table", "rows": [[{"type": "raw_text", "text": "a"}] * 20] * 100},
    ] + [{"type": "divider"}] * 45
    assert len(at_limits) == 50
    assert slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="fallback", blocks=at_limits)["ok"]
    assert slack_client.chat_postMessage(
        channel=REPORTS_CHANNEL, text="f", blocks=[{"type": "section", "fields": [mrkdwn("f" * 2000)]}]
    )["ok"]


def test_too_much_text_summed_over_blocks_is_msg_blocks_too_long(slack_sink, slack_client):
    slack_sink.configure(rate_limit_per_second=None)
    assert slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="f", blocks=[section("s" * 3000)] * 4)["ok"]
    raised = slack_error(
        lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="f", blocks=[section("s" * 2700)] * 5)
    )
    assert raised.response["error"] == "msg_blocks_too_long"


def test_validate_blocks_accepts_a_realistic_report():
    assert validate_blocks(report_blocks()) == []


# -- rate limits and injected faults -------------------------------------------------------------------


def retry_after(error: SlackApiError) -> str:
    return {k.lower(): v for k, v in error.response.headers.items()}["retry-after"]


def test_about_one_message_per_second_per_channel_with_short_bursts(slack_sink, slack_client):
    for i in range(3):
        slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text=f"burst {i}")
    raised = slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="one too many"))
    assert raised.response.status_code == 429 and raised.response["error"] == "ratelimited"
    assert retry_after(raised) == "1"
    # Other channels have their own allowance.
    assert slack_client.chat_postMessage(channel=OPERATORS_CHANNEL, text="elsewhere")["ok"]
    time.sleep(1.05)
    assert slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="after waiting")["ok"]
    assert len(slack_sink.messages(REPORTS_CHANNEL)) == 4
    assert slack_sink.counters()["chat.postMessage"]["errors"] == {"ratelimited": 1}


def test_injected_429s_carry_retry_after_and_slack_sdk_honours_them(slack_sink):
    slack_sink.rate_limit_next(count=2, retry_after=7)
    client = WebClient(token=SLACK_TOKEN, base_url=slack_sink.api_url, timeout=5)
    for _ in range(2):
        raised = slack_error(lambda: client.chat_postMessage(channel=REPORTS_CHANNEL, text="hi"))
        assert (raised.response.status_code, retry_after(raised)) == (429, "7")
    slack_sink.rate_limit_next(count=1, retry_after=1)
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=1))
    started = time.monotonic()
    assert client.chat_postMessage(channel=REPORTS_CHANNEL, text="eventually")["ok"]
    assert time.monotonic() - started >= 1
    assert [m["text"] for m in slack_sink.messages()] == ["eventually"]


def test_errors_can_be_injected_for_one_channel(slack_sink, slack_client):
    slack_sink.fail_next("channel_not_found", count=None, channel=REPORTS_CHANNEL)
    for _ in range(2):
        assert (
            slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="x")).response["error"]
            == "channel_not_found"
        )
    assert slack_client.chat_postMessage(channel=OPERATORS_CHANNEL, text="fine")["ok"]
    slack_sink.clear_faults()
    assert slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="back")["ok"]


def test_server_errors_can_be_injected(slack_sink):
    slack_sink.inject("http_error", count=1, status=503)
    assert post_raw(slack_sink, {"channel": REPORTS_CHANNEL, "text": "x"}).status_code == 503
    assert post_raw(slack_sink, {"channel": REPORTS_CHANNEL, "text": "x"}).json()["ok"] is True


def test_slow_responses_can_outlast_the_client_timeout_yet_deliver(slack_sink):
    slack_sink.slow_down(0.6, count=1)
    with pytest.raises(requests.exceptions.ReadTimeout):
        post_raw(slack_sink, {"channel": REPORTS_CHANNEL, "text": "late"}, timeout=0.2)
    deadline = time.monotonic() + 5
    while not slack_sink.messages() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert [m["text"] for m in slack_sink.messages()] == ["late"]


def test_a_lost_reply_leaves_a_delivered_message_that_history_can_find(slack_sink, slack_client):
    slack_sink.drop_next_response()
    with pytest.raises(requests.exceptions.ConnectionError):
        post_raw(slack_sink, {"channel": REPORTS_CHANNEL, "text": "ambiguous", "metadata": METADATA})
    assert [m["text"] for m in slack_sink.messages()] == ["ambiguous"]
    history = slack_client.conversations_history(channel=REPORTS_CHANNEL, include_all_metadata=True)
    assert history["messages"][0]["metadata"] == METADATA
    # As Slack does: the posting bot's bot_id and app_id, the ones auth.test names.
    identity = slack_client.auth_test()
    assert history["messages"][0]["bot_id"] == identity["bot_id"] == "B0ORGPULSE"
    assert history["messages"][0]["app_id"] == identity["app_id"] == "A0ORGPULSE"


def test_a_message_seeded_as_another_apps_carries_its_ids(slack_sink, slack_client):
    slack_sink.seed_message(REPORTS_CHANNEL, "forged", METADATA, bot_id="B0OTHERAPP", app_id="A0OTHERAPP")
    [message] = slack_client.conversations_history(channel=REPORTS_CHANNEL, include_all_metadata=True)["messages"]
    assert (message["bot_id"], message["app_id"], message["metadata"]) == ("B0OTHERAPP", "A0OTHERAPP", METADATA)


# -- conversations.history --------------------------------------------------------------------------------


def test_history_is_newest_first_with_metadata_only_on_request(slack_sink, slack_client):
    slack_sink.configure(rate_limit_per_second=None)
    for i in range(3):
        slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text=f"m{i}", metadata=METADATA)
    slack_client.chat_postMessage(channel=OPERATORS_CHANNEL, text="other channel")
    plain_history = slack_client.conversations_history(channel=REPORTS_CHANNEL)
    assert [m["text"] for m in plain_history["messages"]] == ["m2", "m1", "m0"]
    assert all("metadata" not in m for m in plain_history["messages"])
    with_metadata = slack_client.conversations_history(channel=REPORTS_CHANNEL, include_all_metadata=True)
    assert all(m["metadata"] == METADATA for m in with_metadata["messages"])


def test_history_pages_and_time_window(slack_sink, slack_client):
    slack_sink.configure(rate_limit_per_second=None)
    stamps = [slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text=f"m{i}")["ts"] for i in range(5)]
    first = slack_client.conversations_history(channel=REPORTS_CHANNEL, limit=2)
    assert [m["text"] for m in first["messages"]] == ["m4", "m3"] and first["has_more"]
    second = slack_client.conversations_history(
        channel=REPORTS_CHANNEL, limit=2, cursor=first["response_metadata"]["next_cursor"]
    )
    assert [m["text"] for m in second["messages"]] == ["m2", "m1"]
    window = slack_client.conversations_history(channel=REPORTS_CHANNEL, oldest=stamps[1], latest=stamps[3])
    assert [m["text"] for m in window["messages"]] == ["m2"]
    inclusive = slack_client.conversations_history(
        channel=REPORTS_CHANNEL, oldest=stamps[1], latest=stamps[3], inclusive=True
    )
    assert [m["text"] for m in inclusive["messages"]] == ["m3", "m2", "m1"]


def test_history_needs_scope_and_membership(slack_sink, slack_client):
    assert (
        slack_error(lambda: slack_client.conversations_history(channel=PUBLIC_NOT_JOINED_CHANNEL)).response["error"]
        == "not_in_channel"
    )
    slack_sink.configure(scopes=["chat:write", "channels:history"])
    raised = slack_error(lambda: slack_client.conversations_history(channel=OPERATORS_CHANNEL)).response
    assert (raised["error"], raised["needed"]) == ("missing_scope", "groups:history")


def test_seeded_messages_stand_for_earlier_deliveries(slack_sink, slack_client):
    seeded = requests.post(
        f"{slack_sink.url}/__control/messages",
        json={"channel": REPORTS_CHANNEL, "text": "yesterday's run", "metadata": METADATA},
        timeout=5,
    )
    history = slack_client.conversations_history(channel=REPORTS_CHANNEL, include_all_metadata=True)
    assert history["messages"][0]["ts"] == seeded.json()["ts"]
    assert history["messages"][0]["metadata"] == METADATA


# -- file uploads ------------------------------------------------------------------------------------------

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def test_the_external_upload_flow_records_the_image(slack_sink, slack_client):
    answer = slack_client.files_upload_v2(
        channel=REPORTS_CHANNEL, content=PNG, filename="trend.png", title="Cost trend", initial_comment="Last 30 days"
    )
    assert answer["ok"]
    (uploaded,) = slack_sink.files()
    assert (uploaded["channel_id"], uploaded["title"], uploaded["mimetype"], uploaded["size"]) == (
        REPORTS_CHANNEL,
        "Cost trend",
        "image/png",
        len(PNG),
    )
    assert uploaded["initial_comment"] == "Last 30 days"


def test_upload_steps_are_checked(slack_sink):
    auth = {"Authorization": f"Bearer {SLACK_TOKEN}"}
    api = slack_sink.api_url
    as_json = requests.post(
        f"{api}files.getUploadURLExternal", json={"filename": "a.png", "length": 3}, headers=auth, timeout=5
    ).json()
    assert as_json["error"] == "invalid_arguments"
    ticket = requests.post(
        f"{api}files.getUploadURLExternal", data={"filename": "a.png", "length": "3"}, headers=auth, timeout=5
    ).json()
    complete = {"files": json.dumps([{"id": ticket["file_id"]}]), "channel_id": REPORTS_CHANNEL}
    early = requests.post(f"{api}files.completeUploadExternal", data=complete, headers=auth, timeout=5).json()
    assert early["error"] == "file_not_found"
    put = requests.put(ticket["upload_url"], data=b"abc", timeout=5)
    assert put.status_code == 200 and put.text == "OK - 3"
    assert requests.post(f"{api}files.completeUploadExternal", data=complete, headers=auth, timeout=5).json()["ok"]
    again = requests.post(f"{api}files.completeUploadExternal", data=complete, headers=auth, timeout=5).json()
    assert again["error"] == "file_not_found"
    slack_sink.configure(scopes=["chat:write"])
    scoped = requests.post(
        f"{api}files.getUploadURLExternal", data={"filename": "a", "length": "1"}, headers=auth, timeout=5
    ).json()
    assert (scoped["error"], scoped["needed"]) == ("missing_scope", "files:write")


# -- control API and standalone use ---------------------------------------------------------------------------


def test_control_api_over_http(slack_sink, slack_client):
    control = f"{slack_sink.url}/__control"
    assert requests.get(f"{control}/health", timeout=5).json() == {"ok": True, "channels": 5}
    requests.post(f"{control}/settings", json={"rate_limit_per_second": None}, timeout=5).raise_for_status()
    requests.post(f"{control}/faults", json={"kind": "error", "error": "not_in_channel", "count": 1}, timeout=5)
    assert (
        slack_error(lambda: slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="x")).response["error"]
        == "not_in_channel"
    )
    for channel in (REPORTS_CHANNEL, REPORTS_CHANNEL, OPERATORS_CHANNEL):
        slack_client.chat_postMessage(channel=channel, text="x")
    assert len(requests.get(f"{control}/messages", params={"channel": REPORTS_CHANNEL}, timeout=5).json()) == 2
    counters = requests.get(f"{control}/counters", timeout=5).json()["chat.postMessage"]
    assert counters == {"calls": 4, "ok": 3, "errors": {"not_in_channel": 1}}
    requests.post(f"{control}/faults", json={"kind": "ratelimit", "count": None, "retry_after": 3}, timeout=5)
    requests.post(f"{control}/faults/clear", timeout=5).raise_for_status()
    slack_client.chat_postMessage(channel=REPORTS_CHANNEL, text="x")
    requests.post(f"{control}/reset", timeout=5).raise_for_status()
    assert requests.get(f"{control}/messages", timeout=5).json() == []
    assert requests.get(f"{control}/files", timeout=5).json() == []
    assert requests.post(f"{control}/faults", json={"kind": "meteor"}, timeout=5).status_code == 400


def test_auth_test_and_unknown_methods(slack_client):
    assert slack_client.auth_test()["bot_id"] == "B0ORGPULSE"
    assert slack_error(lambda: slack_client.api_call("chat.meMessage")).response["error"] == "unknown_method"


def test_runs_standalone_from_the_command_line():
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tests.support.slack_sink",
            "--port",
            "0",
            "--token",
            "xoxb-cli",
            "--channel",
            "C0000000001:general",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        api_url = process.stdout.readline().split(" on ")[1].split(" ")[0]
        client = WebClient(token="xoxb-cli", base_url=api_url, timeout=5)
        assert client.chat_postMessage(channel="C0000000001", text="hello")["ok"]
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_slack_env_points_at_the_sink(slack_env, slack_sink):
    base = slack_env["SLACK_API_URL"]
    answer = requests.post(
        f"{base}/auth.test", headers={"Authorization": f"Bearer {slack_env['SLACK_BOT_TOKEN']}"}, timeout=5
    )
    assert answer.json()["ok"] is True


# -- channel membership: the app must be in every channel it posts to --------------------------------


def test_a_public_channel_the_bot_is_not_in_refuses_posts_without_chat_write_public(slack_sink, slack_client):
    # The scopes orgpulse documents: no chat:write.public.
    error = slack_error(lambda: slack_client.chat_postMessage(channel=PUBLIC_NOT_JOINED_CHANNEL, text="hi"))
    assert error.response["error"] == "not_in_channel"
    # Membership is per channel: inviting the bot to this one is the fix.
    slack_sink.add_channel(PUBLIC_NOT_JOINED_CHANNEL, "team-announcements", member=True)
    assert slack_client.chat_postMessage(channel=PUBLIC_NOT_JOINED_CHANNEL, text="hi")["ok"]


def test_chat_write_public_posts_but_history_still_needs_membership(slack_sink, slack_client):
    """Why chat:write.public is not enough: the exactly-once look-up cannot read the channel."""
    slack_sink.configure(scopes=["chat:write", "chat:write.public", "channels:history", "channels:read"])
    assert slack_client.chat_postMessage(channel=PUBLIC_NOT_JOINED_CHANNEL, text="hi")["ok"]
    error = slack_error(lambda: slack_client.conversations_history(channel=PUBLIC_NOT_JOINED_CHANNEL))
    assert error.response["error"] == "not_in_channel"
    # chat:write.public never opens private channels.
    error = slack_error(lambda: slack_client.chat_postMessage(channel=PRIVATE_NOT_JOINED_CHANNEL, text="hi"))
    assert error.response["error"] == "channel_not_found"


def test_history_needs_groups_history_for_private_channels(slack_sink, slack_client):
    slack_sink.configure(scopes=["chat:write", "channels:history"])
    error = slack_error(lambda: slack_client.conversations_history(channel=OPERATORS_CHANNEL)).response
    assert (error["error"], error["needed"]) == ("missing_scope", "groups:history")
    assert error["provided"] == "channels:history,chat:write"


def test_users_conversations_lists_only_the_bots_channels_by_type(slack_client):
    public = slack_client.users_conversations()  # Slack's default: public channels
    assert [c["id"] for c in public["channels"]] == [REPORTS_CHANNEL, ARCHIVED_CHANNEL]
    both = slack_client.users_conversations(types="public_channel,private_channel", exclude_archived=True)
    assert [c["id"] for c in both["channels"]] == [REPORTS_CHANNEL, OPERATORS_CHANNEL]
    assert all(c["is_member"] for c in both["channels"])
    assert both["channels"][1]["is_private"] is True


def test_users_conversations_pages_with_a_cursor(slack_sink, slack_client):
    for n in range(5):
        slack_sink.add_channel(f"C00000001{n}", f"team-{n}")
    seen, cursor, calls = [], None, 0
    while True:
        page = slack_client.users_conversations(types="public_channel", limit=2, cursor=cursor)
        calls += 1
        seen += [c["id"] for c in page["channels"]]
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert len(seen) == len(set(seen)) == 7 and calls == 4
    assert slack_sink.counters()["users.conversations"]["calls"] == 4
    assert slack_error(lambda: slack_client.users_conversations(limit=1000)).response["error"] == "invalid_limit"


def test_users_conversations_needs_the_read_scope_of_each_type(slack_sink, slack_client):
    slack_sink.configure(scopes=["chat:write", "channels:read"])
    assert slack_client.users_conversations(types="public_channel")["ok"]
    error = slack_error(lambda: slack_client.users_conversations(types="public_channel,private_channel")).response
    assert (error["error"], error["needed"], error["provided"]) == ("missing_scope", "groups:read", "channels:read,chat:write")
    error = slack_error(lambda: slack_client.users_conversations(types="im")).response
    assert error["needed"] == "im:read"


def test_conversations_info_says_whether_the_bot_is_a_member(slack_sink, slack_client):
    info = slack_client.conversations_info(channel=PUBLIC_NOT_JOINED_CHANNEL)["channel"]
    assert (info["id"], info["is_member"], info["is_private"]) == (PUBLIC_NOT_JOINED_CHANNEL, False, False)
    assert slack_client.conversations_info(channel=OPERATORS_CHANNEL)["channel"]["is_member"] is True
    # A private channel the bot is not in does not exist for it.
    error = slack_error(lambda: slack_client.conversations_info(channel=PRIVATE_NOT_JOINED_CHANNEL))
    assert error.response["error"] == "channel_not_found"
    slack_sink.configure(scopes=["chat:write"])
    assert slack_error(lambda: slack_client.conversations_info(channel=REPORTS_CHANNEL)).response["needed"] == "channels:read"


def test_auth_test_returns_the_tokens_scopes_in_the_header(slack_sink, slack_client):
    answer = slack_client.auth_test()
    assert answer.headers["x-oauth-scopes"] == "channels:history,channels:read,chat:write,files:write,groups:history,groups:read"
    slack_sink.configure(scopes=["chat:write"])
    assert slack_client.auth_test().headers["x-oauth-scopes"] == "chat:write"
