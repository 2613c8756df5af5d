"""IAM at resource level: requests the functions make, evaluated against their policies from plan.json.

The evaluator is @cloud-copilot/iam-simulate (tests/infra/iam_simulate.mjs): it matches Resource
and Condition, which moto's IAM enforcement ignores. The policies are each function's identity
policy exactly as planned (scripts/terraform-offline plan --deployed, where the bucket's and the
table's ARNs are known).

Two sources of requests: the S3 keys the code names as constants (fast, no end-to-end system),
and one end-to-end run whose requests the harness recorded (tests/support/aws_recorder.py). The
end-to-end suite checks every scenario the same way after each test (tests/e2e/conftest.py).
"""

from __future__ import annotations

import json
import re

import pytest

import iam_calls
from offline_terraform import REPO, copy_tree, lambda_artifacts, offline

ACCOUNT = "111122223333"
BUCKET = f"orgpulse-{ACCOUNT}-ap-northeast-1"


def code_constant(path: str, name: str) -> str:
    match = re.search(rf'pub const {name}: &str = "([^"]+)";', (REPO / path).read_text())
    assert match, f"{path} no longer defines {name}"
    return match.group(1)


KNOWN_ACCOUNTS_KEY = code_constant("lambdas/pipeline/src/store.rs", "KNOWN_ACCOUNTS_KEY")


@pytest.fixture(scope="module")
def policies(tmp_path_factory) -> dict[str, dict]:
    tree = copy_tree(tmp_path_factory.mktemp("tree"))
    lambda_artifacts(tree / "build" / "lambda")
    result = offline(tree, "plan", tree / "terraform", "-var-file=terraform.tfvars.example", "--deployed")
    assert result.code == 0, result.output
    resources = result.resources()
    return {f: json.loads(resources[f'module.hub.aws_iam_role_policy.lambda["{f}"]']["policy"])
            for f in ("plan", "report", "summarize")}


def evaluate(requests: list[dict]) -> list[dict]:
    results = iam_calls.evaluate(requests)
    for request, result in zip(requests, results):
        assert not result["errors"], f"{request['action']} {request['resource']}: {result['errors']}"
    return results


def request(policies, function, action, resource, **context) -> dict:
    return {"name": function, "policy": policies[function], "action": action, "resource": resource,
            "account": ACCOUNT, "context": context}


def denied(policies, calls: list[tuple[str, str, str]]) -> list[str]:
    requests = [request(policies, *call) for call in calls]
    return [f"{r['name']}: {r['action']} on {r['resource']} is {res['decision']} (no statement grants it)"
            for r, res in zip(requests, evaluate(requests)) if res["decision"] != "Allowed"]


def test_granted_calls_are_allowed(policies):
    calls = [
        ("plan", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/config/orgpulse.json"),
        ("plan", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/{KNOWN_ACCOUNTS_KEY}"),
        ("plan", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/runs/2026-12-04T09:00:00Z/items.json"),
        ("report", "s3:GetObject", f"arn:aws:s3:::{BUCKET}/runs/2026-12-04T09:00:00Z/items.json"),
        ("report", "dynamodb:PutItem", f"arn:aws:dynamodb:ap-northeast-1:{ACCOUNT}:table/orgpulse-deliveries"),
        ("summarize", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/runs/2026-12-04T09:00:00Z/summary.json"),
    ]
    assert denied(policies, calls) == []


def test_a_removed_grant_is_caught(policies):
    without = json.loads(json.dumps(policies))
    without["plan"]["Statement"] = [s for s in without["plan"]["Statement"] if s.get("Sid") != "S3PutObject"]
    found = denied(without, [("plan", "s3:PutObject", f"arn:aws:s3:::{BUCKET}/runs/r/items.json")])
    assert found == [f"plan: s3:PutObject on arn:aws:s3:::{BUCKET}/runs/r/items.json is ImplicitlyDenied "
                     "(no statement grants it)"]


def test_assume_role_is_denied_outside_the_organisation(policies):
    role = "arn:aws:iam::999988887777:role/orgpulse-member-readonly"
    inside = request(policies, "report", "sts:AssumeRole", role, **{"aws:ResourceOrgID": "o-offline0000"})
    outside = request(policies, "report", "sts:AssumeRole", role, **{"aws:ResourceOrgID": "o-elsewhere00"})
    assert [r["decision"] for r in evaluate([inside, outside])] == ["Allowed", "ImplicitlyDenied"]


def test_summarize_may_read_and_write_the_known_accounts_state(policies):
    # Denied before the grant was narrowed to exactly this object (it was runs/* only): the first
    # bug this check found, in every recorded end-to-end run.
    key = f"arn:aws:s3:::{BUCKET}/{KNOWN_ACCOUNTS_KEY}"
    assert denied(policies, [("summarize", "s3:GetObject", key), ("summarize", "s3:PutObject", key)]) == []


# ------------------------------------------------------------------ recorded end-to-end requests


@pytest.fixture(scope="module")
def recorded(tmp_path_factory):
    """One run of the real binaries (two accounts, one OU row): the requests they made."""
    from tests.e2e.harness import LocalSystem, OrganizationSpec
    from tests.support import costdata
    from tests.support.slack_sink import Channel

    with LocalSystem(tmp_path_factory.mktemp("system")) as system:
        org = system.seed_organization(OrganizationSpec(ous={"Services": ["web-prd", "web-stg"]}))
        system.load_costs(costdata.generate(seed=3, accounts=2, days=40, today="2026-11-26",
                                            services_per_account=(2, 3)), org.account_ids)
        system.deploy([{"OrganizationalUnitId": org.ou_ids["Services"], "Description": "Services",
                        "ChannelIds": ["C0SERVICES1"], "Currency": "USD", "Granularity": ["DAILY"]}],
                      channels=[Channel("C0SERVICES1", "services")])
        system.ce.configure(today="2026-11-26")
        execution = system.run({"date": "2026-11-26"}, name="iam-calls")
        assert execution["status"] == "SUCCEEDED", execution.get("cause")
    return system


def test_every_request_is_recorded_with_the_function_that_made_it(recorded):
    calls = recorded.aws_calls()
    assert {c["caller"] for c in calls} == {"orgpulse-plan", "orgpulse-report", "orgpulse-summarize"}
    services = {(c["caller"], c["service"]) for c in calls}
    assert {("orgpulse-plan", "organizations"), ("orgpulse-plan", "s3"), ("orgpulse-report", "dynamodb"),
            ("orgpulse-report", "secretsmanager"), ("orgpulse-summarize", "s3")} <= services, services


def test_recorded_requests_show_only_the_known_denies(recorded):
    found = iam_calls.check(recorded)
    assert iam_calls.unexpected(found) == [], iam_calls.describe(iam_calls.unexpected(found))


def test_a_removed_grant_is_caught_on_the_recorded_requests(recorded):
    policies = json.loads(json.dumps(iam_calls.e2e_function_policies(recorded.started_function_env)))
    policies["orgpulse-report"]["Statement"] = [
        s for s in policies["orgpulse-report"]["Statement"] if s.get("Sid") != "DynamodbPutItem"]
    found = iam_calls.unexpected(iam_calls.denies(recorded.aws_calls(), policies, "123456789012"))
    assert [(d["caller"], d["action"], d["resource"]) for d in found] == [
        ("orgpulse-report", "dynamodb:PutItem", "arn:aws:dynamodb:us-east-1:123456789012:table/orgpulse-deliveries")]
    assert "no statement of orgpulse-report's policy allows dynamodb:PutItem" in found[0]["missing"]


def test_recorded_requests_are_all_allowed(recorded):
    found = iam_calls.check(recorded)
    assert found == [], "IAM would deny:\n" + iam_calls.describe(found)


def test_member_role_calls_are_judged_by_the_stack_set_template_policy(monkeypatch):
    member = "210987654321"
    record = {"caller": "orgpulse-report", "role": f"arn:aws:iam::{member}:role/orgpulse-member-readonly",
              "service": "budgets", "region": "us-east-1", "method": "POST", "path": "/", "query": {},
              "target": "AWSBudgetServiceGateway.DescribeBudgets", "body": json.dumps({"AccountId": member})}
    assert iam_calls.denies([record], {}, ACCOUNT) == []
    without = iam_calls.member_role_policy(member)
    without["Statement"] = [s for s in without["Statement"] if s["Sid"] != "ReadBudgets"]
    monkeypatch.setattr(iam_calls, "member_role_policy", lambda account: without)
    [found] = iam_calls.denies([record], {}, ACCOUNT)
    assert (found["action"], found["resource"], found["decision"]) == (
        "budgets:ViewBudget", f"arn:aws:budgets::{member}:budget/e2e", "ImplicitlyDenied")
