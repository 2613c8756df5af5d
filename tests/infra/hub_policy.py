"""What the Terraform and the StackSet template grant, read from the source files."""

from __future__ import annotations

from pathlib import Path

import yaml

from terraform_files import MEMBER_ROLE_TEMPLATE, MODULES, load_dir, unwrap

HUB = MODULES / "hub"
FUNCTIONS = ("plan", "report", "summarize")


def hub_locals() -> dict:
    merged = {}
    for block in load_dir(HUB).get("locals", []):
        merged.update({key: unwrap(value) for key, value in block.items() if not key.startswith("__")})
    return merged


def lambda_code_actions() -> dict[str, set[str]]:
    """local.lambda_code_actions: function -> the IAM actions its policy grants."""
    return {function: set(actions) for function, actions in hub_locals()["lambda_code_actions"].items()}


class _CloudFormationLoader(yaml.SafeLoader):
    """Reads !Ref / !Sub / !GetAtt ... as {"Ref": ...} / {"Fn::Sub": ...} like the JSON form."""


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else f"Fn::{suffix}"
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
        if suffix == "GetAtt":
            value = value.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    return {name: value}


_CloudFormationLoader.add_multi_constructor("!", _intrinsic)


def load_template(path: Path = MEMBER_ROLE_TEMPLATE) -> dict:
    with path.open(encoding="utf-8") as handle:
        return yaml.load(handle, Loader=_CloudFormationLoader)  # noqa: S506 - SafeLoader subclass


def member_role_granted_actions(template: dict | None = None) -> set[str]:
    template = template or load_template()
    role = template["Resources"]["MemberReadOnlyRole"]["Properties"]
    actions: set[str] = set()
    for policy in role.get("Policies", []):
        for statement in policy["PolicyDocument"]["Statement"]:
            assert statement["Effect"] == "Allow"
            granted = statement["Action"]
            actions.update([granted] if isinstance(granted, str) else granted)
    assert not role.get("ManagedPolicyArns"), "the member role must not attach managed policies"
    return actions
