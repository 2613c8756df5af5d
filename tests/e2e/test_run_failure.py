"""A run whose Plan fails still ends in a word to the operators (issue 14, trap 6).

moto executes the module's state machine file; Plan really fails (the configuration object was
never uploaded), the Catch hands the error to the real orgpulse-summarize, which posts "run
failed: cause, fix" to the operators' channel; then the execution fails, so the
ExecutionsFailed alarm (e-mail through the alarm topic) fires too. When Slack itself is broken,
nothing is posted and the execution still fails: the alarm is the only way left.
"""

from __future__ import annotations

from datetime import date

from tests.e2e.harness import BUCKET, CONFIG_KEY, OrganizationSpec, message_text

TODAY = date(2026, 12, 4)
OPERATORS = "G0PERATORS"
RUN_FAILED_EVENT_TYPE = "orgpulse_run_failed"


def _failure_messages(system) -> list[dict]:
    return [
        message for message in system.slack.messages(OPERATORS)
        if (message.get("metadata") or {}).get("event_type") == RUN_FAILED_EVENT_TYPE
    ]


def _failed_plan(system) -> dict:
    system.seed_organization(OrganizationSpec(ous={"Workloads": ["alpha"]}))
    system.deploy([], channels=[])
    # The first apply left the configuration to the operators, who have not uploaded it yet.
    system.client("s3").delete_object(Bucket=BUCKET, Key=CONFIG_KEY)
    return system.run({"date": TODAY.isoformat()}, name="first-run")


def test_plan_without_configuration_tells_the_operators_cause_and_fix(system):
    execution = _failed_plan(system)

    assert execution["status"] == "FAILED"
    assert execution.get("error") == "PlanFailed", execution
    [message] = _failure_messages(system)
    text = message_text(message)
    assert "orgpulse run failed at Plan" in text
    assert f"s3://{BUCKET}/{CONFIG_KEY} does not exist" in text
    assert "Fix" in text and "first-run" in text
    # Nothing else was posted: no summary of a run that never planned.
    assert [m for m in system.slack.messages() if m not in _failure_messages(system)] == []

    # The history shows the path: Plan failed, caught, reported, then the Fail state.
    sfn = system.client("stepfunctions")
    events = sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"]
    entered = [event["stateEnteredEventDetails"]["name"] for event in events if "stateEnteredEventDetails" in event]
    assert entered == ["Plan", "ReportRunFailure", "RunFailed"], entered


def test_the_same_failure_is_posted_once_per_execution(system):
    _failed_plan(system)
    second = system.run({"date": TODAY.isoformat()}, name="second-run")
    assert second["status"] == "FAILED"
    texts = [message_text(message) for message in _failure_messages(system)]
    assert len(texts) == 2 and "first-run" in texts[0] and "second-run" in texts[1]


def test_with_slack_broken_the_execution_still_fails_for_the_alarm(system):
    system.slack.token_revoked = True
    execution = _failed_plan(system)
    assert execution["status"] == "FAILED" and execution.get("error") == "PlanFailed", execution
    assert _failure_messages(system) == []
