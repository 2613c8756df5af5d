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
import re
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

def create_usage_budget(system: LocalSystem, account_id: str, name: str, unit: str, limit: str, actual: str) -> None:
    """A usage budget created inside the member account: its unit is free text the member's admin types."""
    system.member_client("budgets", account_id).create_budget(
        AccountId=account_id,
        Budget={
            "BudgetName": name,
            "BudgetLimit": {"Amount": limit, "Unit": unit},
            "TimeUnit": "MONTHLY",
            "BudgetType": "USAGE",
            "CalculatedSpend": {
                "ActualSpend": {"Amount": actual, "Unit": unit},
                "ForecastedSpend": {"Amount": actual, "Unit": unit},
            },
        },
    )


# Slack's live markup in mrkdwn: `<!channel>`, `<!here>`, `<@U…>`, `<#C…>`, `<https://…|label>`.
LIVE_MARKUP = re.compile(r"<([^<>]*)>")
# The only link orgpulse itself writes into a report: the Cost Explorer console.
OWN_LINK = re.compile(r"^https://[a-z0-9-]+\.console\.aws\.amazon\.com/costmanagement/")


def all_strings(value) -> list[str]:
    """Every string in a JSON value (text fields, context elements, fallback text)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in all_strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in all_strings(v)]
    return []


def test_a_hostile_budget_unit_reaches_slack_with_no_live_mention_or_link(system):
    """Issue 15: a member account's admin names a usage budget's unit `<!channel>` or a phishing
    link. The trusted bot must show it literally: no @channel ping, no link."""
    org = system.seed_organization(OrganizationSpec(ous={"Services": ["payments-prod"]}))
    system.load_costs(costdata.generate(seed=15, accounts=1, days=70, today=TODAY.isoformat()), org.account_ids)
    deploy_member_role_stack_set(system, org.ou_ids["Services"])
    prod = org.id("payments-prod")
    create_usage_budget(system, prod, "api-calls", "<!channel>", limit="100", actual="120")
    create_usage_budget(system, prod, "storage <!here>", "<https://evil.example|Pay invoice>", limit="100", actual="20")
    system.deploy(
        [{"AccountId": prod, "ChannelIds": [CHANNEL], "Granularity": ["DAILY"]}],
        channels=[Channel(CHANNEL, "cost")],
    )

    execution = system.run({"date": TODAY.isoformat()}, name="hostile-unit-1")

    assert execution["status"] == "SUCCEEDED", execution.get("cause")
    output = json.loads(execution["output"])
    assert output["sent"] == 1 and output["failed"] == 0, output
    # The budgets did reach the report (the test would prove nothing otherwise) ...
    [section] = [t for t in block_texts(report_of(system, prod)) if t.startswith("*AWS Budgets")]
    assert "&lt;!channel&gt;" in section and "&lt;https://evil.examp" in section, section
    # ... and nothing any message the sink recorded carries is a live mention or a foreign link.
    for message in system.slack.messages():
        for text in all_strings([message.get("text"), message.get("blocks")]):
            for markup in LIVE_MARKUP.findall(text):
                assert OWN_LINK.match(markup), f"live markup <{markup}> in {message['channel']}: {text}"
