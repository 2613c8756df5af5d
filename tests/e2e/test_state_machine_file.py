"""The state machine the end-to-end tests execute is, byte for byte, the one the hub module
deploys: the module renders modules/hub/templates/state-machine.asl.json.tftpl with
templatefile() into the aws_sfn_state_machine's definition, and the harness renders that same
file with Terraform's own templatefile() and gives moto the result unchanged."""

from __future__ import annotations

import json
import re
from pathlib import Path

import hcl2

from tests.e2e.harness import ASL_TEMPLATE, REPO_ROOT, LocalSystem, render_state_machine

MODULE = REPO_ROOT / "modules" / "hub"
PLACEHOLDER = re.compile(r"\$\{(\w+)\}")


def module_blocks(kind: str) -> list[tuple[Path, dict]]:
    """Every top-level `kind` block (locals, resource, ...) of the module, with its file."""
    found = []
    for path in sorted(MODULE.glob("*.tf")):
        with path.open() as handle:
            for block in hcl2.load(handle).get(kind, []):
                found.append((path, block))
    return found


def module_locals() -> dict[str, tuple[Path, str]]:
    values = {}
    for path, block in module_blocks("locals"):
        for name, value in block.items():
            if not name.startswith("__"):
                values[name] = (path, value[0] if isinstance(value, list) else value)
    return values


def test_module_deploys_the_template_file_the_tests_execute():
    values = module_locals()
    template_file, template = values["state_machine_template"]
    assert template_file.name == "locals.tf"
    assert template == "${path.module}/templates/state-machine.asl.json.tftpl"
    assert MODULE / template.removeprefix("${path.module}/") == ASL_TEMPLATE
    definition_file, definition = values["state_machine_definition"]
    assert definition_file.name == "locals.tf"
    assert definition.startswith("${templatefile(local.state_machine_template,"), definition

    machines = [(path, machine) for path, block in module_blocks("resource")
                for machine in [block.get("aws_sfn_state_machine")] if machine]
    assert len(machines) == 1, machines
    path, machine = machines[0]
    assert path.name == "state_machine.tf"
    [(name, arguments)] = machine.items()
    assert arguments["definition"] == ["${local.state_machine_definition}"], arguments["definition"]


def test_harness_passes_every_variable_the_template_uses_under_the_module_names(tmp_path):
    _, definition = module_locals()["state_machine_definition"]
    module_variables = set(re.findall(r"'(\w+)': ", definition))
    template_variables = set(PLACEHOLDER.findall(ASL_TEMPLATE.read_text()))
    harness_variables = set(LocalSystem(tmp_path).state_machine_variables())
    assert template_variables <= harness_variables <= module_variables, (
        template_variables, harness_variables, module_variables)


def test_rendering_changes_nothing_but_the_placeholders(tmp_path):
    variables = LocalSystem(tmp_path / "system").state_machine_variables()
    rendered = render_state_machine(tmp_path, variables)
    expected = PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), ASL_TEMPLATE.read_text())
    assert rendered == expected
    json.loads(rendered)


def test_moto_executes_the_rendered_definition_unchanged(system):
    system.deploy([], channels=[])
    sfn = system.client("stepfunctions")
    stored = sfn.describe_state_machine(stateMachineArn=system.state_machine_arn)["definition"]
    assert stored == system.definition
    variables = system.state_machine_variables()
    assert stored == PLACEHOLDER.sub(lambda m: str(variables[m.group(1)]), ASL_TEMPLATE.read_text())
