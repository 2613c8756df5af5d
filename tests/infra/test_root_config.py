"""terraform/ serves any organisation: no organisation-specific value in code, only in variables.

A second organisation's configuration differs from the first only in its variable file: both
example files are checked against the same declarations (types and validation blocks evaluated
by Terraform itself), and no .tf file under terraform/ or modules/ carries an account ID, an
organisation, root or OU ID, a Slack channel or a region.
"""

import re

import hcl2
import pytest

from terraform_cli import plan_variables_only
from terraform_files import MODULES, REPO, ROOT_CONFIG, load_dir, terraform_files

FIRST_ORG = ROOT_CONFIG / "terraform.tfvars.example"
SECOND_ORG = ROOT_CONFIG / "examples" / "second-org.tfvars"

ORGANISATION_SPECIFIC = {
    "account ID": re.compile(r"(?<![\w.])\d{12}(?![\w.])"),
    "organisation ID": re.compile(r"\bo-[a-z0-9]{10,32}\b"),
    "root ID": re.compile(r"\br-[0-9a-z]{4,32}\b"),
    "OU ID": re.compile(r"\bou-[0-9a-z]{4,32}-[a-z0-9]{8,32}\b"),
    "Slack channel ID": re.compile(r"\b[CG][A-Z0-9]{10}\b"),
    "region": re.compile(r"\b(?:us|eu|ap|sa|ca|me|af|il|mx)-(?:north|south|east|west|central|northeast|southeast|southwest)-\d\b"),
}


def _declared() -> dict[str, dict]:
    return {name: spec for entry in load_dir(ROOT_CONFIG)["variable"] for name, spec in entry.items()}


def _values(tfvars) -> dict:
    with tfvars.open(encoding="utf-8") as handle:
        return {key: value for key, value in hcl2.load(handle).items()}


@pytest.mark.parametrize("path", terraform_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_no_organisation_specific_value_in_terraform_code(path):
    code_lines = [
        line for line in path.read_text(encoding="utf-8").splitlines()
        if not line.lstrip().startswith(("#", "//", "description", "error_message"))
    ]
    text = "\n".join(code_lines)
    # Documentation examples inside descriptions are fine; values in code are not.
    found = {kind: pattern.findall(text) for kind, pattern in ORGANISATION_SPECIFIC.items()}
    found = {kind: hits for kind, hits in found.items() if hits}
    assert not found, f"{path.relative_to(REPO)} hard-codes {found}: make it a variable"


@pytest.mark.parametrize("tfvars", [FIRST_ORG, SECOND_ORG], ids=["first-org", "second-org"])
def test_variable_file_sets_only_declared_variables_and_every_required_one(tfvars):
    declared = _declared()
    values = _values(tfvars)
    assert set(values) <= set(declared), f"undeclared: {sorted(set(values) - set(declared))}"
    required = {name for name, spec in declared.items() if "default" not in spec}
    assert required <= set(values), f"{tfvars.name} misses required variables {sorted(required - set(values))}"


@pytest.mark.parametrize("tfvars", [FIRST_ORG, SECOND_ORG], ids=["first-org", "second-org"])
def test_variable_file_passes_terraform_type_and_validation_checks(tfvars, tmp_path):
    copy = tmp_path / "org.tfvars"
    copy.write_text(tfvars.read_text(encoding="utf-8"))
    code, output = plan_variables_only([ROOT_CONFIG / "variables.tf"], copy, tmp_path / "config")
    assert code == 0, output


def test_the_two_organisations_differ_in_identity_not_in_code():
    first, second = _values(FIRST_ORG), _values(SECOND_ORG)
    for identity in ("region", "hub_account_id", "time_zone", "operators_slack_channel_id"):
        assert first[identity] != second[identity], identity
    # The organisation itself is discovered: neither file (nor the code) names it.
    assert "organization_id" not in _declared()
    main = (ROOT_CONFIG / "main.tf").read_text(encoding="utf-8")
    assert 'data "aws_organizations_organization" "this"' in main


def test_wrong_values_are_rejected_by_validation(tmp_path):
    bad = tmp_path / "bad.tfvars"
    bad.write_text(
        'region = "tokyo"\nhub_account_id = "11112222333"\ntime_zone = "Asia/Tokyo"\n'
        'operators_slack_channel_id = "C0123456789"\n'
    )
    code, output = plan_variables_only([ROOT_CONFIG / "variables.tf"], bad, tmp_path / "config")
    assert code != 0
    assert "region must be a region name" in output
    assert "hub_account_id must be a 12-digit account ID" in output


HUB_VALID = {
    "organization_id": '"o-abcd123456"',
    "member_role_name": '"orgpulse-member-readonly"',
    "operators_slack_channel_id": '"C0123456789"',
    "lambda_artifacts_dir": '"../build/lambda"',
}


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("organization_id", '"123456789012"', "organization_id must look like o-"),
        ("operators_slack_channel_id", '"#ops"', "must be a Slack channel ID"),
        ("time_zone", '"JST"', "time_zone must be an IANA time zone name"),
        ("lambda_architecture", '"aarch64"', 'lambda_architecture must be "arm64" or "x86_64"'),
        ("schedule_expression", '"every day"', "schedule_expression must be cron"),
        ("max_concurrency", "0", "max_concurrency must be a whole number"),
        ("config_object_key", '"orgpulse.json"', "config_object_key must live under config/"),
        ("kms_key_arn", '"alias/orgpulse"', "kms_key_arn must be a KMS key ARN"),
        ("lambda_timeout_seconds", "{ plan = 1200 }", "between 1 and 900"),
    ],
)
def test_hub_module_rejects_wrong_inputs(variable, value, message, tmp_path):
    values = {**HUB_VALID, variable: value}
    tfvars = tmp_path / "hub.tfvars"
    tfvars.write_text("".join(f"{name} = {text}\n" for name, text in values.items()))
    code, output = plan_variables_only([MODULES / "hub" / "variables.tf"], tfvars, tmp_path / "config")
    assert code != 0 and message in " ".join(output.split()), output


def test_hub_module_accepts_valid_inputs(tmp_path):
    tfvars = tmp_path / "hub.tfvars"
    tfvars.write_text("".join(f"{name} = {text}\n" for name, text in HUB_VALID.items()) + 'time_zone = "Asia/Tokyo"\n')
    code, output = plan_variables_only([MODULES / "hub" / "variables.tf"], tfvars, tmp_path / "config")
    assert code == 0, output
