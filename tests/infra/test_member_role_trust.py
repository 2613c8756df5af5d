"""The member role's trust and permissions, read from stacksets/member-role.yaml and evaluated here.

moto deploys the role but does not evaluate trust policies, so the document itself is checked:
the hub account's root is the only principal, narrowed by aws:PrincipalArn to the hub's function
roles and by aws:PrincipalOrgID to the organisation; no wildcard principal anywhere.
"""

import fnmatch
import re

import pytest

from hub_policy import load_template

HUB = "111122223333"
ORG = "o-abcd123456"
REPORT_ROLE = f"arn:aws:iam::{HUB}:role/orgpulse-report-lambda"
MEMBER = "444455556666"
PARAMETERS = {
    "RoleNamePrefix": "orgpulse",
    "HubAccountId": HUB,
    "TrustedPrincipalArns": [REPORT_ROLE],
    "OrganizationId": ORG,
    "AWS::Partition": "aws",
    "AWS::AccountId": MEMBER,
}


def _resolve(value, parameters=PARAMETERS):
    """Ref and Fn::Sub with the given parameters; enough for this template."""
    if isinstance(value, dict) and set(value) == {"Ref"}:
        return parameters[value["Ref"]]
    if isinstance(value, dict) and set(value) == {"Fn::Sub"}:
        return re.sub(r"\$\{([\w:]+)\}", lambda match: parameters[match.group(1)], value["Fn::Sub"])
    if isinstance(value, dict):
        return {key: _resolve(item, parameters) for key, item in value.items()}
    if isinstance(value, list):
        return [_resolve(item, parameters) for item in value]
    return value


@pytest.fixture(scope="module")
def template():
    return load_template()


@pytest.fixture(scope="module")
def role(template):
    return _resolve(template["Resources"]["MemberReadOnlyRole"]["Properties"])


def _as_list(value):
    return value if isinstance(value, list) else [value]


def may_assume(trust: dict, principal_arn: str, principal_org: str | None) -> bool:
    """Whether `principal_arn` (a role session's role ARN) may call sts:AssumeRole, per `trust`.

    Handles what this trust document uses: AWS account-root principals, ArnEquals/ArnLike and
    StringEquals conditions; any other construct fails the test rather than being guessed at.
    """
    principal_account = principal_arn.split(":")[4]
    context = {"aws:PrincipalArn": principal_arn, "aws:PrincipalOrgID": principal_org}
    for statement in trust["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Principal", "Action", "Condition"}, statement
        assert statement["Effect"] == "Allow"
        if "sts:AssumeRole" not in _as_list(statement["Action"]):
            continue
        roots = _as_list(statement["Principal"]["AWS"])
        if not any(root == f"arn:aws:iam::{principal_account}:root" or root == principal_arn for root in roots):
            continue
        allowed = True
        for operator, checks in statement.get("Condition", {}).items():
            for key, expected in checks.items():
                actual = context[key]
                if operator in ("ArnEquals", "ArnLike"):
                    allowed &= any(fnmatch.fnmatchcase(actual, pattern) for pattern in _as_list(expected))
                elif operator == "StringEquals":
                    allowed &= actual in _as_list(expected)
                else:
                    pytest.fail(f"unexpected condition operator {operator}")
        if allowed:
            return True
    return False


def test_trust_names_only_the_hub_account_root_with_both_conditions(role):
    trust = role["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{HUB}:root"}
    assert statement["Action"] == "sts:AssumeRole"
    assert statement["Condition"] == {
        "ArnEquals": {"aws:PrincipalArn": [REPORT_ROLE]},
        "StringEquals": {"aws:PrincipalOrgID": ORG},
    }


def test_no_wildcard_or_negated_principal_anywhere(template):
    trust = template["Resources"]["MemberReadOnlyRole"]["Properties"]["AssumeRolePolicyDocument"]
    text = repr(trust)
    assert "NotPrincipal" not in text
    for statement in trust["Statement"]:
        principals = statement["Principal"]
        assert principals != "*" and "*" not in repr(principals)


@pytest.mark.parametrize(
    ("principal", "organisation", "allowed"),
    [
        (REPORT_ROLE, ORG, True),
        (f"arn:aws:iam::{HUB}:role/orgpulse-plan-lambda", ORG, False),  # another hub role
        (f"arn:aws:iam::{HUB}:role/Admin", ORG, False),
        (f"arn:aws:iam::{HUB}:root", ORG, False),
        (REPORT_ROLE, "o-zzzz999999", False),  # the same ARN outside the organisation
        (REPORT_ROLE, None, False),
        (f"arn:aws:iam::999988887777:role/orgpulse-report-lambda", ORG, False),  # another account
        (f"arn:aws:iam::{MEMBER}:role/orgpulse-report-lambda", ORG, False),
    ],
)
def test_only_the_hub_report_role_inside_the_organisation_may_assume(role, principal, organisation, allowed):
    assert may_assume(role["AssumeRolePolicyDocument"], principal, organisation) is allowed


def test_permissions_are_exactly_the_budgets_read(role):
    # What the notification kinds read in member accounts (test_iam_consistency.py derives it
    # from the code): the budgets kind's DescribeBudgets. Nothing else, not even the alias.
    [policy] = role["Policies"]
    statements = {statement["Sid"]: statement for statement in policy["PolicyDocument"]["Statement"]}
    assert statements["ReadBudgets"]["Action"] == "budgets:ViewBudget"
    assert statements["ReadBudgets"]["Resource"] == f"arn:aws:budgets::{MEMBER}:budget/*"
    assert set(statements) == {"ReadBudgets"}
    assert all(statement["Effect"] == "Allow" and "*" not in statement["Action"] for statement in statements.values())
    assert "ManagedPolicyArns" not in role


def test_role_name_is_the_one_the_hub_assumes(role):
    assert role["RoleName"] == "orgpulse-member-readonly"
    assert role["MaxSessionDuration"] == 3600


@pytest.mark.parametrize(
    ("parameter", "value", "valid"),
    [
        ("HubAccountId", "011122223333", True),
        ("HubAccountId", "11122223333", False),
        ("HubAccountId", "1111-2222-3333", False),
        ("OrganizationId", "o-abcd123456", True),
        ("OrganizationId", "o-ABCD123456", False),
        ("OrganizationId", "abcd123456", False),
        ("TrustedPrincipalArns", REPORT_ROLE, True),
        ("TrustedPrincipalArns", f"arn:aws:iam::{HUB}:role/*", False),
        ("TrustedPrincipalArns", "*", False),
        ("TrustedPrincipalArns", f"arn:aws:iam::{HUB}:root", False),
        ("RoleNamePrefix", "orgpulse", True),
        ("RoleNamePrefix", "a" * 48, False),
    ],
)
def test_parameters_are_constrained(template, parameter, value, valid):
    pattern = template["Parameters"][parameter]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, value)) is valid


def test_parameters_are_grouped_for_the_console(template):
    groups = template["Metadata"]["AWS::CloudFormation::Interface"]["ParameterGroups"]
    grouped = {name for group in groups for name in group["Parameters"]}
    assert grouped == set(template["Parameters"])
