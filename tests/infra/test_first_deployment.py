"""README's "First deployment" section: every command in it is checked, driven by the text.

The section is what a central team follows top to bottom, so each command it shows must work:
scripts exist and answer --help, `cp` sources exist, every `terraform output NAME` is declared
by terraform/, every `orgpulse` subcommand answers --help from the real binary, and every
`aws` command is a real AWS CLI operation (botocore's service model) with real parameters.
A command of any other kind fails the test until a check is added for it.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
from functools import cache
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

from terraform_files import REPO, ROOT_CONFIG, load_dir

README = REPO / "README.md"
SECTION = "## First deployment"
# orgpulse subcommands merged from other branches: an expected failure here until they are, and
# strict, so the marker has to go once the subcommand exists.
# Subcommands the README names before they exist: each fails as a strict xfail until it lands.
PENDING_SUBCOMMANDS: dict[str, str] = {}
AWS_GLOBAL_OPTIONS = {"--query", "--output", "--profile", "--region", "--no-cli-pager"}
S3_HIGH_LEVEL = {"cp", "ls", "mv", "rm", "sync"}
STEPS = ["Prerequisites", "Build", "Variables", "Apply", "Put the secrets", "Upload the configuration",
         "Check the live deployment", "The first run", "What you will see"]


def section_text() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    following = text.find("\n## ", start + len(SECTION))
    return text[start: following if following >= 0 else len(text)]


def commands() -> list[tuple[str, str]]:
    """(directory the command runs in, command) for every command line of the section's sh blocks."""
    found = []
    cwd = "."
    for block in re.findall(r"```sh\n(.*?)```", section_text(), re.DOTALL):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.sub(r"\s+#\s.*$", "", line).strip()
            if not line or line.startswith("#"):
                continue
            found.append((cwd, line))
            if line.startswith("cd "):
                cwd = str(Path(cwd) / line.split()[1])
    return found


def _substitutions(command: str) -> list[str]:
    return re.findall(r"\$\(([^()]*)\)", command)


def _command_ids(item):
    return item[1][:60]


def test_the_section_walks_every_step_in_order():
    text = section_text()
    positions = [text.find(step) for step in STEPS]
    assert all(p >= 0 for p in positions), dict(zip(STEPS, positions))
    assert positions == sorted(positions), "the steps are out of order"
    kinds = {command.split()[0] for _, command in commands()}
    assert {"aws", "scripts/build-lambdas", "terraform", "eval", "orgpulse", "cp", "cd"} <= kinds


def test_the_prerequisites_a_real_organisation_trips_on_are_named():
    text = " ".join(section_text().split())
    for prerequisite in ("Organizations with **all features**", "The applying principal",
                         "before the first scheduled run", "region-deny SCPs", "alarm_email_addresses"):
        assert prerequisite in text, prerequisite


def test_every_terraform_output_in_the_section_is_declared():
    declared = {name for entry in load_dir(ROOT_CONFIG)["output"] for name in entry}
    named = set()
    for _, command in commands():
        for inner in [command, *_substitutions(command)]:
            named.update(re.findall(r"terraform output(?:\s+-\w+)*\s+([a-z_]+)", inner))
    assert named, "the section names no terraform output"
    assert named <= declared, f"not declared by terraform/: {sorted(named - declared)}"


@cache
def _orgpulse() -> Path:
    if shutil.which("cargo") is None:
        pytest.skip("cargo is not installed")
    subprocess.run(["cargo", "build", "--quiet", "--bin", "orgpulse"], cwd=REPO, check=True)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    return target / "debug" / "orgpulse"


@cache
def _aws_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def _check_aws(argv: list[str]) -> None:
    service, operation = argv[1], argv[2]
    if service == "s3" and operation in S3_HIGH_LEVEL:
        source, destination = argv[3], argv[4]
        assert destination.startswith("s3://"), destination
        assert not source.startswith("-"), argv
        return
    model = _aws_model(service)
    by_cli_name = {xform_name(name, "-"): name for name in model.operation_names}
    assert operation in by_cli_name, f"aws {service} has no command {operation}"
    shape = model.operation_model(by_cli_name[operation]).input_shape
    members = {f"--{xform_name(name, '-')}" for name in (shape.members if shape else {})}
    for word in argv[3:]:
        if word.startswith("--"):
            option = word.split("=")[0]
            assert option in members | AWS_GLOBAL_OPTIONS, f"aws {service} {operation}: no option {option}"
    required = {f"--{xform_name(name, '-')}" for name in (shape.required_members if shape else [])}
    given = {word.split("=")[0] for word in argv if word.startswith("--")}
    assert required <= given, f"aws {service} {operation} misses {sorted(required - given)}"


@pytest.mark.parametrize("entry", commands(), ids=_command_ids)
def test_command(entry, request):
    cwd, command = entry
    here = REPO / cwd
    for inner in _substitutions(command):
        assert inner.startswith("terraform output -raw "), f"unchecked substitution $({inner})"
    argv = shlex.split(re.sub(r"\$\([^()]*\)", "VALUE", command))
    program = argv[0]
    if program == "cd":
        assert (here / argv[1]).is_dir()
    elif program == "cp":
        assert (here / argv[1]).is_file(), f"{argv[1]} does not exist in {cwd}"
    elif program.startswith("scripts/"):
        script = here / program
        assert script.is_file() and os.access(script, os.X_OK), f"{program} is not an executable script"
        result = subprocess.run([str(script), "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0 and "Usage" in result.stdout, result.stderr
    elif program == "terraform":
        assert argv[1] in {"init", "plan", "apply", "output"}, command
    elif program == "eval":
        # Only eval of a declared output (checked above) is allowed: `eval "$(terraform output -raw X)"`.
        assert re.fullmatch(r'eval "\$\(terraform output -raw [a-z_]+\)"', command), command
    elif program == "orgpulse":
        subcommand = [word for word in argv[1:3] if not word.startswith("-") and word != "VALUE"]
        subcommand = subcommand[:2] if subcommand and subcommand[0] == "config" else subcommand[:1]
        if subcommand[0] in PENDING_SUBCOMMANDS:
            request.applymarker(pytest.mark.xfail(reason=PENDING_SUBCOMMANDS[subcommand[0]], strict=True))
        result = subprocess.run([str(_orgpulse()), *subcommand, "--help"], capture_output=True, text=True, timeout=60)
        assert result.returncode == 0, f"orgpulse {' '.join(subcommand)} --help: {result.stderr}"
        for option in [word.split("=")[0] for word in argv[1:] if word.startswith("--")]:
            assert option in result.stdout, f"orgpulse {' '.join(subcommand)} has no option {option}"
    elif program == "aws":
        _check_aws(argv)
    else:
        pytest.fail(f"no check for `{command}`: add one to {Path(__file__).name}")
