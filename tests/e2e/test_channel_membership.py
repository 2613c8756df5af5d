"""Slack channel membership and token rotation, end to end (moto executing the module's state
machine, the real binaries under cargo-lambda, the Slack sink).

1. A configured channel the app is not a member of: the plan learns it once per run (auth.test,
   one users.conversations page, one conversations.info for the missing channel), nothing is
   posted there, the item is not retried, and the operators' summary names the channel with
   the fix (`/invite @<app>` in that channel). Inviting the app makes the next run deliver.
2. The Slack token is rotated between two runs of warm functions: the first call with the old
   token gets invalid_auth, the functions read the secret again once and deliver.
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.e2e.harness import Delivered, OrganizationSpec, message_text
from tests.support import costdata
from tests.support.slack_sink import Channel

TODAY = date(2026, 11, 28)  # Saturday: only DAILY reports are due
PERIOD = (TODAY - timedelta(days=1)).isoformat()
JOINED = "C0JOINED001"
NOT_JOINED = "C0NOTJOIN01"  # public, exists, the app was never invited
SECRET = "orgpulse/slack-bot-token"


def setup(system):
    org = system.seed_organization(OrganizationSpec(ous={"Workloads": ["alpha", "beta"]}))
    # Costs up to the second run's day; the emulator's "today" moves with the runs.
    system.load_costs(costdata.generate(seed=5, accounts=2, days=45, today=(TODAY + timedelta(days=1)).isoformat(),
                                        services_per_account=(2, 3)), org.account_ids)
    system.ce.configure(today=TODAY.isoformat())
    config = [
        {"AccountId": org.id("alpha"), "ChannelIds": [JOINED], "Granularity": ["DAILY"]},
        {"AccountId": org.id("beta"), "ChannelIds": [NOT_JOINED], "Granularity": ["DAILY"]},
    ]
    system.deploy(config, channels=[Channel(JOINED, "alpha-costs"),
                                    Channel(NOT_JOINED, "beta-costs", is_member=False)])
    return org


def test_a_channel_the_app_is_not_in_is_reported_with_the_fix_and_not_retried(system):
    org = setup(system)

    execution = system.run({"date": TODAY.isoformat()}, name="membership")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert (output["sent"], output["failed"]) == (1, 1), output
    assert system.reports() == [Delivered(org.id("alpha"), "DAILY", PERIOD, JOINED)]
    counters = system.slack.counters()
    # Learnt once per run, in three calls: who the app is, its channels, the one missing channel.
    assert counters["auth.test"]["calls"] == 1, counters
    assert counters["users.conversations"]["calls"] == 1, counters
    assert counters["conversations.info"]["calls"] == 1, counters
    # No post to the channel, no retry loop: beta's item ran once and no ledger claim exists.
    assert "not_in_channel" not in counters["chat.postMessage"]["errors"], counters
    assert system.router.invocations["orgpulse-report"] == 2, system.router.invocations
    assert not [item for item in system.ledger_items() if NOT_JOINED in json.dumps(item)]

    [summary] = system.summaries()
    text = message_text(summary)
    assert "Slack channels the app is not in (1)" in text, text
    assert NOT_JOINED in text and "/invite @orgpulse in that channel" in text, text

    # The fix works: invite the app, run the next day.
    system.slack.add_channel(NOT_JOINED, "beta-costs", member=True)
    next_day = TODAY + timedelta(days=1)
    system.ce.configure(today=next_day.isoformat())
    second = system.run({"date": next_day.isoformat()}, name="after-invite")
    assert second["status"] == "SUCCEEDED", second.get("cause")
    assert json.loads(second["output"])["failed"] == 0
    assert Delivered(org.id("beta"), "DAILY", TODAY.isoformat(), NOT_JOINED) in system.reports()


def test_a_rotated_token_works_in_warm_functions(system):
    org = setup(system)
    system.slack.add_channel(NOT_JOINED, "beta-costs", member=True)
    first = system.run({"date": TODAY.isoformat()}, name="before-rotation")
    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert json.loads(first["output"])["sent"] == 2

    # Rotation: Slack accepts only the new token; the secret holds it. No redeploy, no restart.
    system.slack.configure(token="xoxb-rotated-0000-token")
    system.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString="xoxb-rotated-0000-token")
    invocations_before = dict(system.router.invocations)
    next_day = TODAY + timedelta(days=1)
    system.ce.configure(today=next_day.isoformat())
    second = system.run({"date": next_day.isoformat()}, name="after-rotation")

    assert second["status"] == "SUCCEEDED", second.get("cause")
    output = json.loads(second["output"])
    assert (output["sent"], output["failed"]) == (2, 0), output
    assert sorted(d for d in system.reports() if d.period_start == TODAY.isoformat()) == sorted([
        Delivered(org.id("alpha"), "DAILY", TODAY.isoformat(), JOINED),
        Delivered(org.id("beta"), "DAILY", TODAY.isoformat(), NOT_JOINED),
    ])
    # The old token was refused: the report and summarize functions were warm, holding it, and
    # their first post of the run got invalid_auth (then, after the re-read, the new token).
    # Each report ran once: no Step Functions retry was needed.
    counters = system.slack.counters()
    assert counters["chat.postMessage"]["errors"].get("invalid_auth", 0) >= 1, counters
    assert system.router.invocations["orgpulse-report"] - invocations_before["orgpulse-report"] == 2
    assert len(system.summaries()) == 2
