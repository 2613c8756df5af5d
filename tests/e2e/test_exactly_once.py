"""Scenario 4: no message twice. The same execution input started again (after the first run,
and at the same time as it), an item that Step Functions retries after it delivered to one of
its two channels, and a post whose answer was lost: the sink still holds exactly one message
per (account, report kind, period, channel)."""

from __future__ import annotations

import pytest

from tests.e2e.apps_org import PAYMENTS_ONCALL_CHANNEL, SLACK_CLIENT_ATTEMPTS, TODAY, deploy_apps, succeeded
from tests.e2e.harness import message_text


def test_same_input_started_again_sends_nothing_new(system):
    _, expected = deploy_apps(system)

    first = succeeded(system.run({"date": TODAY.isoformat()}, name="daily-run"))
    again = succeeded(system.run({"date": TODAY.isoformat()}, name="operator-rerun"))

    assert sorted(system.reports()) == sorted(expected)
    assert (first["sent"], first["already_delivered"]) == (6, 0), first
    assert (again["sent"], again["already_delivered"], again["failed"]) == (0, 6, 0), again
    # The rerun had nothing new to say, so the day's one summary stands alone.
    assert again["summary"] == "nothing_new", again
    assert len(system.summaries()) == 1
    assert len(system.slack.messages()) == len(expected) + 1


def test_same_input_started_twice_at_once_sends_each_report_once(system):
    _, expected = deploy_apps(system)

    arns = [system.start_execution({"date": TODAY.isoformat()}, name=name) for name in ("twin-a", "twin-b")]
    outputs = [succeeded(system.wait_execution(arn)) for arn in arns]

    assert sorted(system.reports()) == sorted(expected)
    # Each report was sent by exactly one of the two runs; the other found it delivered (or,
    # when its retries all met the winner's claim in flight, reported it as not sent).
    assert sum(o["sent"] for o in outputs) == len(expected), outputs
    summaries = system.summaries()
    # The day's summary, and at most one more from the run that had news of its own.
    assert 1 <= len(summaries) <= 2, [message_text(s) for s in summaries]
    keys = [s["metadata"]["event_payload"]["delivery_key"] for s in summaries]
    assert len(set(keys)) == len(keys), keys
    assert len(system.slack.messages()) == len(expected) + len(summaries)


@pytest.mark.parametrize("failure", ["internal_error", "http_503"])
def test_item_retried_after_a_partial_delivery_sends_each_channel_once(system, failure):
    ids, expected = deploy_apps(system)
    # payments' second channel fails on every attempt the Slack client makes in the first
    # invocation, after its first channel was delivered: the item fails as Retryable and
    # Step Functions runs it again.
    where = {"channel": PAYMENTS_ONCALL_CHANNEL, "method": "chat.postMessage"}
    if failure == "internal_error":
        system.slack.fail_next("internal_error", count=SLACK_CLIENT_ATTEMPTS, **where)
    else:
        system.slack.inject("http_error", SLACK_CLIENT_ATTEMPTS, status=503, **where)

    output = succeeded(system.run({"date": TODAY.isoformat()}, name=f"partial-{failure.replace('_', '-')}"))

    assert sorted(system.reports()) == sorted(expected)
    assert len(system.slack.messages()) == len(expected) + 1
    # The retry happened: one more report invocation than items, and every injected failure
    # was met.
    assert system.router.invocations["orgpulse-report"] == 3 + 1, system.router.invocations
    assert sum(system.slack.counters()["chat.postMessage"]["errors"].values()) >= SLACK_CLIENT_ATTEMPTS
    # Both of payments' deliveries count as sent by this run (the retry found the first one
    # in the ledger and kept it as sent), and nothing is reported as failed.
    assert (output["sent"], output["already_delivered"], output["failed"]) == (6, 0, 0), output
    result = system.object(f"runs/{output['run_id']}/results/{ids['payments']}.json")
    assert [d["status"] for d in result["deliveries"]] == ["sent", "sent"], result


def test_lost_response_is_not_posted_again(system):
    _, expected = deploy_apps(system)
    # The first post is recorded by Slack but its answer never arrives.
    system.slack.drop_next_response(count=1)

    succeeded(system.run({"date": TODAY.isoformat()}, name="lost-answer"))

    assert sorted(system.reports()) == sorted(expected)
    assert len(system.slack.messages()) == len(expected) + 1
    # The client looked in the channel's history instead of posting blindly again.
    assert system.slack.counters()["conversations.history"]["ok"] >= 1
