"""Scenario 5: 1,000 accounts through the Distributed Map (items read from S3 by its
ItemReader): the run completes and every account is reported exactly once."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from tests.e2e.harness import LocalSystem, OrganizationSpec, message_text
from tests.support import costdata
from tests.support.slack_sink import Channel

TODAY = date(2026, 11, 28)  # Saturday: only DAILY reports are due
PERIOD = (TODAY - timedelta(days=1)).isoformat()
ACCOUNTS = 1_000
OUS = 10
CHANNEL = "C0ORGWIDE01"


def test_thousand_accounts_are_each_reported_once(tmp_path):
    timings = {}
    started = time.monotonic()
    with LocalSystem(tmp_path / "system", lambda_concurrency=8, max_concurrency=40) as system:
        # Slack's per-channel limit would make 1,000 posts to one channel take 17 minutes;
        # delivery under rate limits is scenario 3's subject, this one is about scale.
        system.slack.configure(rate_limit_per_second=None)
        timings["start"] = time.monotonic() - started

        mark = time.monotonic()
        per_ou = ACCOUNTS // OUS
        org = system.seed_organization(OrganizationSpec(ous={
            f"unit-{ou:02d}": [f"account-{ou:02d}-{n:03d}" for n in range(per_ou)] for ou in range(OUS)
        }))
        system.load_costs(costdata.generate(seed=5, accounts=ACCOUNTS, days=40, today=TODAY.isoformat(),
                                            services_per_account=(2, 3)), org.account_ids)
        # One row per OU; the management account, in the root, has none and is not reported.
        system.deploy([{"OrganizationalUnitId": ou_id, "Description": name, "ChannelIds": [CHANNEL],
                        "Currency": "USD", "Granularity": ["DAILY"]} for name, ou_id in org.ou_ids.items()],
                      channels=[Channel(CHANNEL, "org-costs")])
        timings["seed"] = time.monotonic() - mark

        mark = time.monotonic()
        execution = system.run({"date": TODAY.isoformat()}, name="thousand", timeout=1_200)
        timings["run"] = time.monotonic() - mark

        assert execution["status"] == "SUCCEEDED", execution.get("cause")
        output = json.loads(execution["output"])
        reports = system.reports()
        assert len(reports) == ACCOUNTS, len(reports)
        assert sorted(r.account_id for r in reports) == sorted(org.account_ids.values())  # each once
        assert {(r.kind, r.period_start, r.channel) for r in reports} == {("DAILY", PERIOD, CHANNEL)}
        assert (output["accounts"], output["sent"], output["failed"]) == (ACCOUNTS, ACCOUNTS, 0), output
        [summary] = system.summaries()
        assert len(system.slack.messages()) == ACCOUNTS + 1
        assert f"{ACCOUNTS} sent, 0 already delivered, 0 failed" in message_text(summary)
        # The fan-out read its items from S3 (the Distributed Map's ItemReader), one Lambda
        # invocation per account and no retries.
        assert len(system.object(f"runs/{output['run_id']}/items.json")) == ACCOUNTS
        assert system.router.invocations["orgpulse-report"] == ACCOUNTS, system.router.invocations
    timings["total"] = time.monotonic() - started
    print("scenario 5 timings (s):", {k: round(v, 1) for k, v in timings.items()})
