"""An organisation shared by the delivery scenarios (4 and the accounting checks): three
accounts, two of them reporting to two shared channels through their OU's row, the third to two
channels of its own."""

from __future__ import annotations

import json
from datetime import date, timedelta

from tests.e2e.harness import Delivered, OrganizationSpec
from tests.support import costdata
from tests.support.slack_sink import Channel

TODAY = date(2026, 11, 28)  # Saturday: only DAILY reports are due
APPS_CHANNEL = "C0APPS00001"
FINOPS_CHANNEL = "C0FINOPS001"
PAYMENTS_CHANNEL = "C0PAYMENTS1"  # payments' first channel
PAYMENTS_ONCALL_CHANNEL = "C0PAYONCALL"  # payments' second channel: the one that fails
SLACK_CLIENT_ATTEMPTS = 4  # orgpulse-slack's SlackClientConfig::default().max_attempts


def deploy_apps(system, today: date = TODAY) -> tuple[dict[str, str], list[Delivered]]:
    """Seeds and deploys the organisation; returns the account IDs and the reports expected for
    a run on `today` (one per account and channel)."""
    org = system.seed_organization(OrganizationSpec(ous={"Apps": ["shop", "search", "payments"]}))
    system.load_costs(costdata.generate(seed=4, accounts=3, days=45, today=today.isoformat(),
                                        services_per_account=(3, 5)), org.account_ids)
    ids = org.account_ids
    config = [
        {"OrganizationalUnitId": org.ou_ids["Apps"], "Description": "Apps",
         "ChannelIds": [APPS_CHANNEL, FINOPS_CHANNEL], "Currency": "USD", "Granularity": ["DAILY"]},
        {"AccountId": ids["payments"], "Description": "payments",
         "ChannelIds": [PAYMENTS_CHANNEL, PAYMENTS_ONCALL_CHANNEL], "Granularity": ["DAILY"]},
    ]
    channels = [APPS_CHANNEL, FINOPS_CHANNEL, PAYMENTS_CHANNEL, PAYMENTS_ONCALL_CHANNEL]
    system.deploy(config, channels=[Channel(c, c.lower()) for c in channels])
    period = (today - timedelta(days=1)).isoformat()
    expected = [
        Delivered(ids["shop"], "DAILY", period, APPS_CHANNEL),
        Delivered(ids["shop"], "DAILY", period, FINOPS_CHANNEL),
        Delivered(ids["search"], "DAILY", period, APPS_CHANNEL),
        Delivered(ids["search"], "DAILY", period, FINOPS_CHANNEL),
        Delivered(ids["payments"], "DAILY", period, PAYMENTS_CHANNEL),
        Delivered(ids["payments"], "DAILY", period, PAYMENTS_ONCALL_CHANNEL),
    ]
    return ids, expected


def succeeded(execution: dict) -> dict:
    """The output of an execution that must have succeeded."""
    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    return json.loads(execution["output"])
