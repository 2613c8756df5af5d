"""Scenario 2: an account created in an OU that has an OU row is reported with the OU's settings
on the next run, and announced to the operators as onboarded, with no configuration change."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.e2e.harness import CONFIG_KEY, BUCKET, Delivered, OrganizationSpec, message_text
from tests.support import costdata
from tests.support.slack_sink import Channel

FIRST_DAY = date(2026, 11, 26)  # Thursday: the baseline run
NEXT_DAY = FIRST_DAY + timedelta(days=1)
PLATFORM_CHANNEL = "C0PLATFORM1"  # the Services OU row's channel
BILLING_CHANNEL = "C0BILLING01"  # the billing account's own row
NEWCOMER = "search-prd"


def test_new_account_in_a_configured_ou_is_reported_and_announced(system):
    org = system.seed_organization(OrganizationSpec(ous={"Services": ["web-prd", "web-stg", "billing"]}))
    # Three accounts of data now, a fourth for the account created later (same generator run,
    # so the newcomer's costs are there from the start, as Cost Explorer's would be).
    dataset = costdata.generate(seed=2, accounts=4, days=45, today=NEXT_DAY.isoformat(), services_per_account=(3, 5))
    system.load_costs(dataset, org.account_ids)
    config = [
        {"OrganizationalUnitId": org.ou_ids["Services"], "Description": "Services OU",
         "ChannelIds": [PLATFORM_CHANNEL], "Currency": "EUR", "Granularity": ["DAILY"]},
        {"AccountId": org.id("billing"), "Description": "billing", "ChannelIds": [BILLING_CHANNEL],
         "Currency": "JPY", "Granularity": ["DAILY"]},
    ]
    system.deploy(config, channels=[Channel(PLATFORM_CHANNEL, "platform-costs"), Channel(BILLING_CHANNEL, "billing")])
    config_before = system.client("s3").get_object(Bucket=BUCKET, Key=CONFIG_KEY)["Body"].read()

    # Day 1: the baseline. Everyone reported, nobody announced.
    system.ce.configure(today=FIRST_DAY.isoformat())
    first = system.run({"date": FIRST_DAY.isoformat()}, name="baseline")
    assert first["status"] == "SUCCEEDED", first.get("cause")
    assert json.loads(first["output"])["onboarded"] == 0
    period = (FIRST_DAY - timedelta(days=1)).isoformat()
    assert sorted(system.reports()) == sorted([
        Delivered(org.id("web-prd"), "DAILY", period, PLATFORM_CHANNEL),
        Delivered(org.id("web-stg"), "DAILY", period, PLATFORM_CHANNEL),
        Delivered(org.id("billing"), "DAILY", period, BILLING_CHANNEL),
    ])
    [baseline_summary] = system.summaries()
    assert "New accounts" not in message_text(baseline_summary)

    # An account appears in the Services OU; nobody touches the configuration.
    newcomer_id = system.add_account(NEWCOMER, org.ou_ids["Services"], org.root_id)
    system.load_costs(dataset, {**org.account_ids, NEWCOMER: newcomer_id})
    system.ce.configure(today=NEXT_DAY.isoformat())

    second = system.run({"date": NEXT_DAY.isoformat()}, name="next-day")

    assert second["status"] == "SUCCEEDED", second.get("cause")
    output = json.loads(second["output"])
    assert output["onboarded"] == 1 and output["sent"] == 4 and output["failed"] == 0, output
    assert system.client("s3").get_object(Bucket=BUCKET, Key=CONFIG_KEY)["Body"].read() == config_before
    next_period = (NEXT_DAY - timedelta(days=1)).isoformat()
    assert sorted(system.reports()) == sorted([
        Delivered(org.id("web-prd"), "DAILY", period, PLATFORM_CHANNEL),
        Delivered(org.id("web-stg"), "DAILY", period, PLATFORM_CHANNEL),
        Delivered(org.id("billing"), "DAILY", period, BILLING_CHANNEL),
        Delivered(org.id("web-prd"), "DAILY", next_period, PLATFORM_CHANNEL),
        Delivered(org.id("web-stg"), "DAILY", next_period, PLATFORM_CHANNEL),
        Delivered(org.id("billing"), "DAILY", next_period, BILLING_CHANNEL),
        Delivered(newcomer_id, "DAILY", next_period, PLATFORM_CHANNEL),
    ])
    # The OU row's settings: its channel (checked above) and its currency.
    [newcomer_report] = [m for m in system.slack.messages(PLATFORM_CHANNEL)
                         if m["metadata"]["event_payload"]["account_id"] == newcomer_id]
    assert "€" in message_text(newcomer_report)
    assert NEWCOMER in message_text(newcomer_report)

    summaries = system.summaries()
    assert len(summaries) == 2, [message_text(s) for s in summaries]
    announcement = message_text(summaries[1])
    assert "New accounts (1)" in announcement, announcement
    assert f"{NEWCOMER} ({newcomer_id}) in Services" in announcement, announcement
    assert "reported with its OU's settings" in announcement, announcement
    for existing in ("web-prd", "web-stg", "billing"):
        assert f"{existing} ({org.id(existing)}) in" not in announcement, announcement
    # Exactly what was expected went out: 3 + 4 reports, 2 summaries.
    assert len(system.slack.messages()) == 9
