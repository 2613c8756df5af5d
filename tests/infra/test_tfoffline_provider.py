"""The offline provider itself: the schema it serves and the policies it renders."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from offline_terraform import REPO, PROVIDER_BUILD, copy_tree, offline, setup

PACKAGE = json.loads((REPO / "tests/infra/package.json").read_text())["dependencies"]["@cdktn/provider-aws"]


@pytest.fixture(scope="module")
def schema() -> dict:
    setup()
    return json.loads((REPO / PROVIDER_BUILD / "schema.json").read_text())


def test_schema_records_the_pinned_package_and_the_provider_version(schema):
    assert schema["generated_from"]["package_version"] == PACKAGE
    assert schema["generated_from"]["provider"] == "registry.terraform.io/hashicorp/aws"
    assert schema["generated_from"]["provider_version"] == "6.66.0"


def test_attributes_blocks_and_nesting_come_from_the_manifest(schema):
    aws = schema["provider_schemas"]["registry.terraform.io/hashicorp/aws"]
    function = aws["resource_schemas"]["aws_lambda_function"]["block"]
    assert function["attributes"]["function_name"] == {"required": True, "type": "string"}
    assert function["attributes"]["arn"] == {"computed": True, "type": "string"}
    assert function["attributes"]["architectures"] == {"optional": True, "type": ["list", "string"]}
    assert function["block_types"]["environment"]["nesting_mode"] == "list"
    assert function["block_types"]["environment"]["max_items"] == 1
    assert function["block_types"]["timeouts"]["nesting_mode"] == "single"
    document = aws["data_source_schemas"]["aws_iam_policy_document"]["block"]
    statement = document["block_types"]["statement"]
    assert statement["nesting_mode"] == "list"
    assert statement["block"]["block_types"]["principals"]["nesting_mode"] == "set"
    assert statement["block"]["attributes"]["actions"]["type"] == ["set", "string"]
    organization = aws["data_source_schemas"]["aws_organizations_organization"]["block"]
    assert organization["attributes"]["roots"]["type"][0] == "list"
    assert organization["attributes"]["roots"]["type"][1][1]["id"] == "string"
    stack_set = aws["resource_schemas"]["aws_cloudformation_stack_set"]["block"]
    assert stack_set["block_types"]["auto_deployment"]["max_items"] == 1
    # The provider block the root configuration sets.
    assert {"region", "profile", "allowed_account_ids"} <= set(aws["provider"]["block"]["attributes"])
    assert "default_tags" in aws["provider"]["block"]["block_types"]


def test_policy_document_renders_like_the_real_data_source(tmp_path):
    """data_source_iam_policy_document.go: a source statement replaced by Sid, Effect defaulting
    to Allow, several values sorted in reverse, single values as strings, conditions and
    principals grouped, two-space indented JSON."""
    tree = copy_tree(tmp_path / "tree")
    root = tree / "tests/infra/fixtures/offline_roots/policy-document"
    result = offline(tree, "plan", root)
    assert result.code == 0, result.output
    rendered = result.plan["planned_values"]["outputs"]["json"]["value"]
    expected = {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "Replaced", "Effect": "Allow", "Action": ["s3:PutObject", "s3:GetObject"],
             "Resource": ["arn:aws:s3:::b/c/*", "arn:aws:s3:::b/a/*"],
             "Condition": {"StringEquals": {"aws:ResourceOrgID": "o-1"}}},
            {"Effect": "Deny", "Action": "sts:AssumeRole",
             "Principal": {"AWS": ["arn:aws:iam::444455556666:root", "arn:aws:iam::111122223333:root"],
                           "Service": "lambda.amazonaws.com"}},
        ],
    }
    assert rendered == json.dumps(expected, indent=2)
