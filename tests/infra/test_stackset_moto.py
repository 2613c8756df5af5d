"""The StackSet template deployed by moto's service-managed StackSets into every account of an OU.

moto creates the stacks (and so the IAM role) in each member account and lets STS assume roles,
but it does not evaluate trust policies: test_member_role_trust.py checks the trust document.
"""

import boto3
import pytest
from moto import mock_aws

from hub_policy import load_template
from terraform_files import MEMBER_ROLE_TEMPLATE

REGION = "us-east-1"
ROLE_NAME = "orgpulse-member-readonly"


@pytest.fixture
def organisation(monkeypatch):
    for variable in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        organizations = boto3.client("organizations", region_name=REGION)
        organization = organizations.create_organization(FeatureSet="ALL")["Organization"]
        root_id = organizations.list_roots()["Roots"][0]["Id"]
        workloads = organizations.create_organizational_unit(ParentId=root_id, Name="workloads")["OrganizationalUnit"]["Id"]
        sandbox = organizations.create_organizational_unit(ParentId=root_id, Name="sandbox")["OrganizationalUnit"]["Id"]

        def account(name, parent):
            created = organizations.create_account(AccountName=name, Email=f"{name}@example.com")
            account_id = created["CreateAccountStatus"]["AccountId"]
            organizations.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=parent)
            return account_id

        members = [account(f"service-{index}", workloads) for index in range(3)]
        outsider = account("sandbox-1", sandbox)
        hub_account = organization["MasterAccountId"]

        # The hub's report function role, as modules/hub creates it.
        iam = boto3.client("iam", region_name=REGION)
        report_role = iam.create_role(
            RoleName="orgpulse-report-lambda",
            AssumeRolePolicyDocument='{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}',
        )["Role"]["Arn"]

        cloudformation = boto3.client("cloudformation", region_name=REGION)
        cloudformation.create_stack_set(
            StackSetName="orgpulse-member-roles",
            TemplateBody=MEMBER_ROLE_TEMPLATE.read_text(encoding="utf-8"),
            PermissionModel="SERVICE_MANAGED",
            AutoDeployment={"Enabled": True, "RetainStacksOnAccountRemoval": False},
            Capabilities=["CAPABILITY_NAMED_IAM"],
            Parameters=[
                {"ParameterKey": "RoleNamePrefix", "ParameterValue": "orgpulse"},
                {"ParameterKey": "HubAccountId", "ParameterValue": hub_account},
                {"ParameterKey": "TrustedPrincipalArns", "ParameterValue": report_role},
                {"ParameterKey": "OrganizationId", "ParameterValue": organization["Id"]},
            ],
        )
        cloudformation.create_stack_instances(
            StackSetName="orgpulse-member-roles",
            DeploymentTargets={"OrganizationalUnitIds": [workloads]},
            Regions=[REGION],
        )
        yield {
            "members": members,
            "outsider": outsider,
            "hub_account": hub_account,
            "report_role": report_role,
            "organization_id": organization["Id"],
        }


def _session_in(account_id: str, credentials: dict | None = None, role: str = "OrganizationAccountAccessRole"):
    """Credentials inside `account_id` (moto accepts any role name for inspection)."""
    sts = boto3.client("sts", region_name=REGION, **(credentials or {}))
    assumed = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/{role}", RoleSessionName="orgpulse-test")["Credentials"]
    return {
        "aws_access_key_id": assumed["AccessKeyId"],
        "aws_secret_access_key": assumed["SecretAccessKey"],
        "aws_session_token": assumed["SessionToken"],
    }


def test_every_account_of_the_ou_gets_one_stack_instance(organisation):
    cloudformation = boto3.client("cloudformation", region_name=REGION)
    instances = cloudformation.list_stack_instances(StackSetName="orgpulse-member-roles")["Summaries"]
    assert sorted(instance["Account"] for instance in instances) == sorted(organisation["members"])
    assert {instance["Region"] for instance in instances} == {REGION}


def test_the_role_exists_in_every_member_account_of_the_ou_and_nowhere_else(organisation):
    template_policy = load_template()["Resources"]["MemberReadOnlyRole"]["Properties"]["Policies"][0]["PolicyName"]
    for account_id in organisation["members"]:
        iam = boto3.client("iam", region_name=REGION, **_session_in(account_id))
        role = iam.get_role(RoleName=ROLE_NAME)["Role"]
        assert role["Arn"] == f"arn:aws:iam::{account_id}:role/{ROLE_NAME}"
        assert iam.list_role_policies(RoleName=ROLE_NAME)["PolicyNames"] == [template_policy]
        assert iam.list_attached_role_policies(RoleName=ROLE_NAME)["AttachedPolicies"] == []
    outsider_iam = boto3.client("iam", region_name=REGION, **_session_in(organisation["outsider"]))
    with pytest.raises(outsider_iam.exceptions.NoSuchEntityException):
        outsider_iam.get_role(RoleName=ROLE_NAME)


def test_the_deployed_trust_policy_names_only_the_hub_report_role_inside_the_organisation(organisation):
    account_id = organisation["members"][0]
    iam = boto3.client("iam", region_name=REGION, **_session_in(account_id))
    trust = iam.get_role(RoleName=ROLE_NAME)["Role"]["AssumeRolePolicyDocument"]
    [statement] = trust["Statement"]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{organisation['hub_account']}:root"}
    assert statement["Condition"]["ArnEquals"]["aws:PrincipalArn"] in ([organisation["report_role"]], organisation["report_role"])
    assert statement["Condition"]["StringEquals"]["aws:PrincipalOrgID"] == organisation["organization_id"]


def test_the_hub_report_role_assumes_the_member_role(organisation):
    """The hub's code path: Lambda credentials of the report role -> sts:AssumeRole into a member."""
    hub_sts = boto3.client("sts", region_name=REGION)
    report = hub_sts.assume_role(RoleArn=organisation["report_role"], RoleSessionName="orgpulse-report")["Credentials"]
    as_report = {
        "aws_access_key_id": report["AccessKeyId"],
        "aws_secret_access_key": report["SecretAccessKey"],
        "aws_session_token": report["SessionToken"],
    }
    for account_id in organisation["members"]:
        member = _session_in(account_id, as_report, role=ROLE_NAME)
        identity = boto3.client("sts", region_name=REGION, **member).get_caller_identity()
        assert identity["Account"] == account_id
        assert identity["Arn"].startswith(f"arn:aws:sts::{account_id}:assumed-role/{ROLE_NAME}/")
