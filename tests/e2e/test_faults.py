"""Scenario 3: invalid configuration rows, a channel Slack does not know, Cost Explorer
throttling and Slack rate limits in one run. Everything that can be delivered is delivered
exactly once, and the operators' summary names every problem (with its row) and the failure
(with its fix)."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.e2e.harness import Delivered, OrganizationSpec, message_text
from tests.support import costdata
from tests.support.slack_sink import Channel

TODAY = date(2026, 11, 28)  # Saturday: only DAILY reports are due
PERIOD = (TODAY - timedelta(days=1)).isoformat()
COST_CHANNEL = "C0COSTS0001"
TEAM_CHANNEL = "C0TEAM00001"
GONE_CHANNEL = "C0GONE00001"  # deleted in Slack: channel_not_found
CE_THROTTLES = 3  # fewer than the cost crate's 8 attempts: the plan rides them out
SLACK_429S = 3


def test_bad_rows_missing_channel_throttling_and_rate_limits(system):
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    org = system.seed_organization(OrganizationSpec(ous={"Workloads": names}))
    system.load_costs(costdata.generate(seed=3, accounts=5, days=45, today=TODAY.isoformat(),
                                        services_per_account=(3, 5)), org.account_ids)
    ids = org.account_ids
    config = [
        # row 1: the OU's settings, which the accounts whose own rows are rejected fall back to
        {"OrganizationalUnitId": org.ou_ids["Workloads"], "Description": "Workloads",
         "ChannelIds": [COST_CHANNEL], "Currency": "USD", "Granularity": ["DAILY"]},
        # rows 2-3: fine
        {"AccountId": ids["alpha"], "Description": "alpha", "ChannelIds": [COST_CHANNEL],
         "Currency": "JPY", "Granularity": ["DAILY"]},
        {"AccountId": ids["beta"], "Description": "beta", "ChannelIds": [COST_CHANNEL, TEAM_CHANNEL],
         "Currency": "USD", "Granularity": ["DAILY"]},
        # row 4: not an account ID
        {"AccountId": "12345678901X", "Description": "typo", "ChannelIds": [COST_CHANNEL]},
        # row 5: a channel name where Slack needs the ID
        {"AccountId": ids["gamma"], "Description": "gamma", "ChannelIds": ["#general"]},
        # row 6: no such currency
        {"AccountId": ids["delta"], "Description": "delta", "ChannelIds": [COST_CHANNEL], "Currency": "XYZ"},
        # row 7: alpha again
        {"AccountId": ids["alpha"], "Description": "alpha again", "ChannelIds": [TEAM_CHANNEL]},
        # row 8: valid, but the channel was deleted in Slack
        {"AccountId": ids["epsilon"], "Description": "epsilon", "ChannelIds": [GONE_CHANNEL],
         "Granularity": ["DAILY"]},
    ]
    system.deploy(config, channels=[Channel(COST_CHANNEL, "costs"), Channel(TEAM_CHANNEL, "team")])
    system.ce.throttle(count=CE_THROTTLES)
    system.slack.rate_limit_next(count=SLACK_429S, retry_after=1, method="chat.postMessage")

    execution = system.run({"date": TODAY.isoformat()}, name="faults")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert (output["sent"], output["failed"], output["config_problems"]) == (5, 1, 4), output
    # Every deliverable report exactly once; gamma and delta fell back to the OU row.
    assert sorted(system.reports()) == sorted([
        Delivered(ids["alpha"], "DAILY", PERIOD, COST_CHANNEL),
        Delivered(ids["beta"], "DAILY", PERIOD, COST_CHANNEL),
        Delivered(ids["beta"], "DAILY", PERIOD, TEAM_CHANNEL),
        Delivered(ids["gamma"], "DAILY", PERIOD, COST_CHANNEL),
        Delivered(ids["delta"], "DAILY", PERIOD, COST_CHANNEL),
    ])
    [summary] = system.summaries()
    assert len(system.slack.messages()) == 6  # 5 reports + the summary, nothing else
    # The faults really happened (and were ridden out, not avoided).
    assert system.ce.counters()["GetCostAndUsage"]["errors"] == {"LimitExceededException": CE_THROTTLES}
    post_errors = system.slack.counters()["chat.postMessage"]["errors"]
    assert post_errors.get("ratelimited", 0) >= SLACK_429S, post_errors
    assert post_errors.get("channel_not_found") == 1, post_errors  # permanent: never retried

    text = message_text(summary)
    assert "Configuration problems (4)" in text, text
    # A JSON configuration: problems are located at the element of its array and the field.
    for element, field in ((4, "AccountId"), (5, "ChannelIds"), (6, "Currency"), (7, "AccountId")):
        assert f"element {element}, {field}" in text, (element, text)
    assert "already has a row (element 2)" in text, text
    assert "Failed (1)" in text, text
    assert f"epsilon ({ids['epsilon']}) — daily report to {GONE_CHANNEL}" in text, text
    assert "channel_not_found" in text, text
    assert "check the channel ID in the configuration" in text, text  # the fix
