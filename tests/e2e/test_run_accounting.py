"""What the operators' summary says about a run must be what the run did: a post whose answer
was lost is still this run's delivery, and a warm plan container counts only its run's Cost
Explorer requests. (Both were bugs scenario 4 found: the messages were right, the numbers
reported about them were not.)"""

from __future__ import annotations

from datetime import timedelta

from tests.e2e.apps_org import TODAY, deploy_apps, succeeded
from tests.e2e.harness import LocalSystem, message_text


def test_a_post_whose_answer_was_lost_counts_as_sent_by_this_run(system):
    _, expected = deploy_apps(system)
    system.slack.drop_next_response(count=1)

    output = succeeded(system.run({"date": TODAY.isoformat()}, name="lost-answer"))

    assert len(system.reports()) == len(expected)  # delivered once: scenario 4 checks this
    assert (output["sent"], output["already_delivered"]) == (len(expected), 0), output


def test_the_summary_counts_only_this_runs_cost_explorer_requests(tmp_path):
    # One instance per function, so the second run's plan runs in the warm first container,
    # as on Lambda the next day.
    with LocalSystem(tmp_path / "system", lambda_concurrency=1) as system:
        yesterday = TODAY - timedelta(days=1)
        deploy_apps(system)
        succeeded(system.run({"date": yesterday.isoformat()}, name="day-1"))
        before = system.ce.billed_requests("GetCostAndUsage")
        succeeded(system.run({"date": TODAY.isoformat()}, name="day-2"))
        requests = system.ce.billed_requests("GetCostAndUsage") - before

        assert requests > 0
        plan = system.object("runs/day-2/plan.json")
        [_, summary] = system.summaries()
        assert plan["cost_explorer_requests"] == requests, (plan["cost_explorer_requests"], requests)
        assert f"; {requests} Cost Explorer requests" in message_text(summary)
