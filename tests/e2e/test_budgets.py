"""AWS Budgets through the member role (issue 8): the second notification kind, end to end.

The member-role StackSet (stacksets/member-role.yaml, service-managed) is deployed by moto's
CloudFormation into every account of one OU; budgets are created inside two of those member
accounts with their own credentials; the real binaries run the state machine. The two accounts'
reports carry their budgets (one forecast over its limit: an alert); the account outside the
StackSet's OU gets its cost report without the section, and the summary lists it as missing the
role, from the StackSet's instances (moto's STS would let anyone assume a role that does not
exist, so AssumeRole alone could not tell).
"""

from __future__ import annotations

import json
from datetime import date

import pytest

from tests.e2e.harness import MANAGEMENT_ACCOUNT, REGION, REPO_ROOT, LocalSystem, OrganizationSpec
from tests.support import costdata
from tests.support.slack_sink import Channel

TODAY = date(2026, 11, 28)  # a Saturday: only DAILY reports are due
CHANNEL = "C0BUDGETS1"
STACK_SET = "orgpulse-member-roles"
# What stacksets/member-role.yaml names the role with RoleNamePrefix "orgpulse".
MEMBER_ROLE = "orgpulse-member-readonly"
TEMPLATE = REPO_ROOT / "stacksets" / "member-role.yaml"


class StackSetSystem(LocalSystem):
    """The hub as modules/hub configures it when the member-roles module is composed with it."""

    def function_env(self) -> dict[str, str]:
        return {
            **super().function_env(),
            "ORGPULSE_MEMBER_ROLE_NAME": MEMBER_ROLE,
            "ORGPULSE_MEMBER_STACKSET_NAME": STACK_SET,
            "ORGPULSE_MEMBER_STACKSET_CALL_AS": "SELF",
        }


@pytest.fixture
def system(tmp_path):
    with StackSetSystem(tmp_path / "system") as running:
        yield running


def deploy_member_role_stack_set(system: LocalSystem, ou_id: str) -> None:
    """The member-roles module: a service-managed StackSet of the template, instances in `ou_id`."""
    organization = system.client("organizations").describe_organization()["Organization"]
    cloudformation = system.client("cloudformation")
    cloudformation.create_stack_set(
        StackSetName=STACK_SET,
        TemplateBody=TEMPLATE.read_text(encoding="utf-8"),
        PermissionModel="SERVICE_MANAGED",
        AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
        Capabilities=["CAPABILITY_NAMED_IAM"],
        Parameters=[
            {"ParameterKey": "RoleNamePrefix", "ParameterValue": "orgpulse"},
            {"ParameterKey": "HubAccountId", "ParameterValue": MANAGEMENT_ACCOUNT},
            {"ParameterKey": "TrustedPrincipalArns",
             "ParameterValue": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/orgpulse-report-lambda"},
            {"ParameterKey": "OrganizationId", "ParameterValue": organization["Id"]},
        ],
    )
    cloudformation.create_stack_instances(
        StackSetName=STACK_SET, DeploymentTargets={"OrganizationalUnitIds": [ou_id]}, Regions=[REGION],
    )


def create_budget(system: LocalSystem, account_id: str, name: str, limit: str, actual: str, forecast: str) -> None:
    """A monthly cost budget created inside the member account, with its own credentials."""
    budgets = system.member_client("budgets", account_id)
    budgets.create_budget(
        AccountId=account_id,
        Budget={
            "BudgetName": name,
            "BudgetLimit": {"Amount": limit, "Unit": "USD"},
            "TimeUnit": "MONTHLY",
            "BudgetType": "COST",
            # What AWS Budgets computes; moto keeps what it is given.
            "CalculatedSpend": {
                "ActualSpend": {"Amount": actual, "Unit": "USD"},
                "ForecastedSpend": {"Amount": forecast, "Unit": "USD"},
            },
        },
    )


def report_of(system: LocalSystem, account_id: str) -> dict:
    [message] = [m for m in system.slack.messages(CHANNEL)
                 if m["metadata"]["event_payload"]["account_id"] == account_id]
    return message


def block_texts(message: dict) -> list[str]:
    texts = []
    for block in message["blocks"]:
        text = block.get("text")
        if isinstance(text, dict):
            texts.append(text["text"])
    return texts


def test_budgets_inside_member_accounts_appear_in_their_reports(system):
    org = system.seed_organization(OrganizationSpec(ous={
        "Services": ["payments-prod", "payments-stg"],
        "Sandbox": ["sandbox-1"],
    }))
    system.load_costs(costdata.generate(seed=8, accounts=3, days=70, today=TODAY.isoformat()), org.account_ids)
    deploy_member_role_stack_set(system, org.ou_ids["Services"])
    prod, stg, sandbox = (org.id(name) for name in ("payments-prod", "payments-stg", "sandbox-1"))
    create_budget(system, prod, "prod-monthly <!channel>", limit="1000", actual="812.40", forecast="1240.00")
    create_budget(system, prod, "prod-data-transfer", limit="200", actual="20", forecast="60")
    create_budget(system, stg, "stg-monthly", limit="300", actual="45.5", forecast="120")
    system.deploy(
        [{"Default": True, "ChannelIds": [CHANNEL], "Granularity": ["DAILY"], "Description": "cost"}],
        channels=[Channel(CHANNEL, "cost")],
    )

    execution = system.run({"date": TODAY.isoformat()}, name="budgets-1")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    # The Default row reports the management account too (StackSets never deploy there: it is
    # neither assumed into nor listed as missing the role).
    assert output["sent"] == 4 and output["failed"] == 0, output

    # payments-prod: both budgets, the one forecast over its limit first and marked; the name
    # typed in the console is escaped (no @channel ping).
    prod_report = report_of(system, prod)
    [section] = [t for t in block_texts(prod_report) if t.startswith("*AWS Budgets")]
    lines = section.split("\n")[1:]
    assert lines == [
        "🚨 *prod-monthly &lt;!channel&gt;* (monthly) — $812.40 of $1,000.00 (81%) · forecast "
        "*$1,240.00* (124%) — *forecast to exceed its limit*",
        "• *prod-data-transfer* (monthly) — $20.00 of $200.00 (10%) · forecast $60.00 (30%)",
    ]
    assert prod_report["blocks"][0]["text"]["text"].startswith("🚨 ")
    assert "🚨 1 budget forecast to exceed its limit" in prod_report["text"]
    # The section sits between the cost content and the footer.
    assert prod_report["blocks"][-1]["type"] == "context"

    # payments-stg: its own budget only, no alert.
    stg_report = report_of(system, stg)
    [section] = [t for t in block_texts(stg_report) if t.startswith("*AWS Budgets")]
    assert section.split("\n")[1:] == [
        "• *stg-monthly* (monthly) — $45.50 of $300.00 (15%) · forecast $120.00 (40%)",
    ]
    assert "🚨" not in stg_report["text"]

    # sandbox-1: outside the StackSet's OU. Its cost report, without the section.
    sandbox_report = report_of(system, sandbox)
    assert not [t for t in block_texts(sandbox_report) if "AWS Budgets" in t]

    management_report = report_of(system, MANAGEMENT_ACCOUNT)
    assert not [t for t in block_texts(management_report) if "AWS Budgets" in t]

    # The summary lists it, from the StackSet's instances.
    [summary] = system.slack.messages("G0PERATORS")
    [missing] = [t for t in block_texts(summary) if "Member role missing" in t]
    assert missing.startswith("*Member role missing (1)"), missing
    assert f"sandbox-1 ({sandbox}): the member-role StackSet {STACK_SET} has no instance" in missing

    # The results say which accounts had the role.
    run_id = output["run_id"]
    roles = {account: system.object(f"runs/{run_id}/results/{account}.json")["member_role"]["state"]
             for account in (prod, stg, sandbox)}
    assert roles == {prod: "available", stg: "available", sandbox: "not_checked"}
    plan = system.object(f"runs/{run_id}/plan.json")
    assert [gap["account_id"] for gap in plan["member_roles_missing"]] == [sandbox]

    # The budgets were read with the member role's credentials: the IAM check after the scenario
    # (tests/e2e/conftest.py) judges these against the StackSet template's policy.
    member_calls = {(c["role"], c["service"]) for c in system.aws_calls() if c.get("role")}
    assert member_calls == {(f"arn:aws:iam::{prod}:role/{MEMBER_ROLE}", "budgets"),
                            (f"arn:aws:iam::{stg}:role/{MEMBER_ROLE}", "budgets")}, member_calls
