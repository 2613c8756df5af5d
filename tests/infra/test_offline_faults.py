"""Fault injection: one fault at a time in a copy of the tree, and the offline plan must fail with
Terraform's own diagnostic, naming the file and line of the fault.

These are the mistakes that pass an argument-name check against the schema but break a real
`terraform plan`/`apply`; Terraform core finds them only with the provider's schema at hand,
which the offline provider serves. Each case plans terraform/ with terraform.tfvars.example as a
first deployment (nothing known after apply).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from offline_terraform import copy_tree, lambda_artifacts, offline


@dataclass
class Fault:
    file: str  # relative to the repository
    old: str
    new: str
    message: str  # Terraform's diagnostic summary (and detail) expected in the output
    located: bool = True  # Terraform names file and line (a cycle names the resources instead)


FAULTS = {
    "attribute that does not exist": Fault(
        "modules/hub/locals.tf",
        'config_objects    = "${aws_s3_bucket.this.arn}/',
        'config_objects    = "${aws_s3_bucket.this.bucket_arn}/',
        'Unsupported attribute'),
    "wrong type for a module input": Fault(
        "terraform/main.tf",
        "max_concurrency               = var.max_concurrency",
        'max_concurrency               = ["ten"]',
        "Invalid value for input variable"),
    "for_each over a value unknown until apply": Fault(
        "modules/hub/iam.tf",
        'resource "aws_iam_role" "lambda" {\n  for_each = local.lambda_functions',
        'resource "aws_iam_role" "lambda" {\n  for_each = { for k, v in local.lambda_functions : "${k}@${aws_s3_bucket.this.arn}" => v }',
        "Invalid for_each argument"),
    "missing required argument": Fault(
        "modules/hub/lambda.tf",
        "  role             = aws_iam_role.lambda[each.key].arn\n",
        "",
        'The argument "role" is required'),
    "undeclared local": Fault(
        "modules/hub/locals.tf",
        "ORGPULSE_BUCKET                  = local.bucket_name",
        "ORGPULSE_BUCKET                  = local.bucket_nmae",
        "Reference to undeclared local value"),
    "templatefile() variable not given": Fault(
        "modules/hub/locals.tf",
        "    max_concurrency          = var.max_concurrency\n",
        "",
        'vars map does not contain key "max_concurrency"'),
    "two-resource cycle": Fault(
        "modules/hub/iam.tf",
        '  description        = "Lets EventBridge Scheduler start the ${local.state_machine_name} state machine."',
        '  description        = "Starts ${aws_scheduler_schedule.this.arn}."',
        "Error: Cycle:", located=False),
}


@pytest.mark.parametrize("name", FAULTS)
def test_fault_fails_the_offline_plan_with_terraforms_diagnostic(tmp_path, name):
    fault = FAULTS[name]
    tree = copy_tree(tmp_path / "tree")
    lambda_artifacts(tree / "build" / "lambda")
    path = tree / fault.file
    text = path.read_text()
    assert text.count(fault.old) == 1, f"{fault.file} no longer holds the text the fault replaces: update FAULTS"
    line = text[: text.index(fault.old)].count("\n") + 1 + fault.old[: len(fault.old) - len(fault.old.lstrip("\n"))].count("\n")
    if fault.old.startswith('resource "aws_iam_role" "lambda"'):
        line += 1  # the for_each line
    path.write_text(text.replace(fault.old, fault.new))

    result = offline(tree, "plan", tree / "terraform", "-var-file=terraform.tfvars.example")

    assert result.code != 0, f"{name}: the offline plan passed\n{result.output}"
    flowing = " ".join(result.output.split())  # Terraform wraps long details
    assert fault.message in flowing, result.output
    if name == "templatefile() variable not given":
        # Terraform points at the templatefile() call and names the template's line in the detail.
        template = (tree / "modules/hub/templates/state-machine.asl.json.tftpl").read_text()
        first_use = template[: template.index("${max_concurrency}")].count("\n") + 1
        assert f"../modules/hub/templates/state-machine.asl.json.tftpl:{first_use}," in flowing, result.output
        line = text[: text.index("state_machine_definition = templatefile(")].count("\n") + 1
    if fault.located:
        shown = fault.file.replace("modules/", "../modules/").replace("terraform/", "")
        if name == "missing required argument":
            # Terraform points at the block that lacks the argument.
            line = text[: text.index('resource "aws_lambda_function" "this"')].count("\n") + 1
        assert f"on {shown} line {line}" in result.output, result.output
    else:
        assert "module.hub.aws_scheduler_schedule.this" in result.output
        assert "module.hub.aws_iam_role.scheduler" in result.output


def test_the_unfaulted_tree_plans(tmp_path):
    """The baseline: without a fault the same plan passes (so the failures above are the faults')."""
    tree = copy_tree(tmp_path / "tree")
    lambda_artifacts(tree / "build" / "lambda")
    result = offline(tree, "plan", tree / "terraform", "-var-file=terraform.tfvars.example")
    assert result.code == 0, result.output
