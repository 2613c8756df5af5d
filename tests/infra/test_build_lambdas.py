"""scripts/build-lambdas against a throwaway workspace and a stand-in cargo-lambda (no real build)."""

import hashlib
import json
import os
import shutil
import stat
import subprocess

import pytest

from terraform_files import REPO

BINARIES = ("orgpulse-plan", "orgpulse-report", "orgpulse-summarize")

# Records its arguments and writes the zips where `--lambda-dir` says, like cargo-lambda does.
FAKE_CARGO_LAMBDA = """#!/usr/bin/env python3
import pathlib, sys
args = sys.argv[1:]
pathlib.Path(__file__).with_name("calls.txt").write_text(" ".join(args))
out = pathlib.Path(args[args.index("--lambda-dir") + 1])
for i, arg in enumerate(args):
    if arg == "--bin":
        (out / args[i + 1]).mkdir(parents=True, exist_ok=True)
        (out / args[i + 1] / "bootstrap.zip").write_bytes(b"PK zip")
"""


def _workspace(tmp_path, binaries):
    (tmp_path / "scripts").mkdir()
    shutil.copy(REPO / "scripts" / "build-lambdas", tmp_path / "scripts" / "build-lambdas")
    (tmp_path / "Cargo.toml").write_text('[workspace]\nresolver = "2"\nmembers = ["lambdas/*"]\n')
    for binary in binaries:
        crate = tmp_path / "lambdas" / binary.removeprefix("orgpulse-")
        (crate / "src").mkdir(parents=True)
        (crate / "Cargo.toml").write_text(f'[package]\nname = "{binary}"\nversion = "0.1.0"\nedition = "2021"\n')
        (crate / "src" / "main.rs").write_text("fn main() {}\n")
    tools = tmp_path / "tools"
    tools.mkdir()
    fake = tools / "cargo-lambda"
    fake.write_text(FAKE_CARGO_LAMBDA)
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    env = {**os.environ, "PATH": f"{tools}{os.pathsep}{os.environ['PATH']}", "CARGO_TARGET_DIR": str(tmp_path / "target")}
    return tmp_path, env


def _run(workspace, env, *arguments):
    return subprocess.run(
        ["bash", str(workspace / "scripts" / "build-lambdas"), *arguments],
        capture_output=True, text=True, env=env, cwd=workspace, timeout=120,
    )


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_builds_every_function_zip_where_the_module_reads_them(tmp_path):
    workspace, env = _workspace(tmp_path, BINARIES)
    result = _run(workspace, env)
    assert result.returncode == 0, result.stderr
    calls = (workspace / "tools" / "calls.txt").read_text()
    # --locked: exactly the versions in Cargo.lock (issue 15, supply chain).
    assert calls.startswith("lambda build --release --locked --output-format zip --x86-64 --lambda-dir ")
    for binary in BINARIES:
        assert f"--bin {binary}" in calls
        assert (workspace / "build" / "lambda" / binary / "bootstrap.zip").is_file()
    assert 'lambda_architecture = "x86_64"' in result.stdout
    # The manifest the hub module checks (modules/hub/artifacts): architecture, names, sha256.
    manifest = json.loads((workspace / "build" / "lambda" / "manifest.json").read_text())
    assert manifest["architecture"] == "x86_64"
    assert [entry["name"] for entry in manifest["binaries"]] == list(BINARIES)
    for entry in manifest["binaries"]:
        zip_bytes = (workspace / "build" / "lambda" / entry["zip"]).read_bytes()
        assert entry["sha256"] == hashlib.sha256(zip_bytes).hexdigest()


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_arm64_is_selectable(tmp_path):
    workspace, env = _workspace(tmp_path, BINARIES)
    result = _run(workspace, env, "--arm64", "--output-dir", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert " --arm64 " in (workspace / "tools" / "calls.txt").read_text()
    assert (tmp_path / "out" / "orgpulse-report" / "bootstrap.zip").is_file()
    assert json.loads((tmp_path / "out" / "manifest.json").read_text())["architecture"] == "arm64"


@pytest.mark.skipif(shutil.which("cargo") is None, reason="cargo is not installed")
def test_fails_naming_the_missing_function_crates(tmp_path):
    workspace, env = _workspace(tmp_path, BINARIES[:1])
    result = _run(workspace, env)
    assert result.returncode != 0
    assert "no binary target named orgpulse-report orgpulse-summarize" in result.stderr
    assert not (workspace / "tools" / "calls.txt").exists()
    assert not (workspace / "build" / "lambda" / "manifest.json").exists()


def test_rejects_unknown_arguments(tmp_path):
    workspace, env = _workspace(tmp_path, ())
    result = _run(workspace, env, "--i386")
    assert result.returncode != 0 and "unknown argument '--i386'" in result.stderr
