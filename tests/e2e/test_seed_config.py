"""Scenario 1: the seed's configuration, unchanged, on a five-account organisation."""

from __future__ import annotations

import json
from datetime import date

from tests.e2e.harness import OrganizationSpec
from tests.support import costdata
from tests.support.slack_sink import Channel

TODAY = date(2026, 11, 28)  # a Saturday: only DAILY reports are due
CHANNEL = "CR96Q1EJW"  # the seed's channel


def test_seed_configuration_reports_every_configured_account_once(system):
    org = system.seed_organization(OrganizationSpec(ous={"Services": ["hogehoge-stg", "hogehoge-prd", "fuga-stg", "fuga-prd", "piyo"]}))
    system.load_costs(costdata.generate(seed=1, accounts=5, days=70, today=TODAY.isoformat()), org.account_ids)
    # The seed's rows, exactly as in the article, with real IDs.
    seed_rows = [
        {"AccountId": org.id(name), "Description": f"{name} service", "ChannelIds": [CHANNEL],
         "Currency": "JPY", "Granularity": ["DAILY"], "CostTags": ""}
        for name in ("hogehoge-stg", "hogehoge-prd", "fuga-stg", "fuga-prd", "piyo")
    ]
    system.deploy(seed_rows, channels=[Channel(CHANNEL, "cost")])

    execution = system.run({"date": TODAY.isoformat()}, name="seed-1")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["sent"] == 5 and output["failed"] == 0, output
    reports = system.slack.messages(CHANNEL)
    assert sorted(m["metadata"]["event_payload"]["account_id"] for m in reports) == sorted(org.account_ids.values())
    for message in reports:
        assert message["metadata"]["event_payload"]["kind"] == "DAILY"
        assert message["metadata"]["event_payload"]["period_start"] == "2026-11-27"
        assert "¥" in json.dumps(message["blocks"], ensure_ascii=False)
    summary = system.slack.messages("G0PERATORS")
    assert len(summary) == 1
    assert "5 sent" in summary[0]["text"]
    # One organisation-wide query served every account (pages aside): not one per account.
    assert system.ce.billed_requests("GetCostAndUsage") < 5
