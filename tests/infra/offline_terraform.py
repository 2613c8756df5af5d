"""Run scripts/terraform-offline on a copy of the repository and read the plan it writes.

The copy holds the tracked files (git ls-files) plus what scripts/bootstrap installs, linked
rather than copied: the test venv, tests/infra/node_modules and the offline provider's venv. The
generated schema is copied (it is keyed by the types used, so the copy regenerates it when the
configurations there use other types).

Inputs every plan of the hub needs and a checkout may lack are made here, in one place:
`lambda_artifacts()` writes the function zips scripts/build-lambdas would (small stand-ins: the
plan reads their hash, never their content).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FUNCTION_BINARIES = ("orgpulse-plan", "orgpulse-report", "orgpulse-summarize")
PROVIDER_BUILD = Path("build") / "terraform-offline"


@lru_cache(maxsize=1)
def setup() -> None:
    """The provider's venv and an up-to-date schema in this checkout, which the copies share."""
    done = subprocess.run([str(REPO / "scripts" / "terraform-offline"), "setup"], cwd=REPO,
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/terraform-offline setup failed:\n{done.stdout}{done.stderr}")


def copy_tree(destination: Path) -> Path:
    """A copy of the repository's tracked files, the worktree's edits included."""
    setup()
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, check=True, capture_output=True).stdout.decode().split("\0")
    for name in filter(None, files):
        source = REPO / name
        if not source.is_file() or source.is_symlink():
            continue
        target = destination / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    (destination / ".venv").symlink_to((REPO / ".venv").resolve())
    (destination / "tests/infra/node_modules").symlink_to(REPO / "tests/infra/node_modules")
    build = destination / PROVIDER_BUILD
    build.mkdir(parents=True)
    (build / "venv").symlink_to(REPO / PROVIDER_BUILD / "venv")
    if (REPO / PROVIDER_BUILD / "schema.json").is_file():
        shutil.copy2(REPO / PROVIDER_BUILD / "schema.json", build / "schema.json")
    return destination


def lambda_artifacts(directory: Path, architecture: str = "x86_64") -> Path:
    """What scripts/build-lambdas leaves in `directory`: <binary>/bootstrap.zip for each function
    (small stand-ins) and manifest.json, the architecture and each zip's sha256 that the hub
    module's artifacts check reads at plan time."""
    binaries = []
    for binary in FUNCTION_BINARIES:
        folder = directory / binary
        folder.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(folder / "bootstrap.zip", "w") as archive:
            archive.writestr("bootstrap", f"stand-in for {binary} ({architecture})\n")
        digest = hashlib.sha256((folder / "bootstrap.zip").read_bytes()).hexdigest()
        binaries.append({"name": binary, "zip": f"{binary}/bootstrap.zip", "sha256": digest})
    build_command = "scripts/build-lambdas" + (" --arm64" if architecture == "arm64" else "")
    manifest = {"architecture": architecture, "binaries": binaries, "build_command": build_command}
    (directory / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return directory


@dataclass
class Result:
    code: int
    output: str
    plan: dict | None

    def resources(self) -> dict[str, dict]:
        """address -> planned values, for every resource and data source in the plan."""
        found = {}
        for change in self.plan["resource_changes"]:
            found[change["address"]] = change["change"]["after"]
        return found

    def unknown(self, address: str) -> dict:
        return next(c["change"]["after_unknown"] for c in self.plan["resource_changes"] if c["address"] == address)


def offline(tree: Path, command: str, config: Path, *extra: str) -> Result:
    """scripts/terraform-offline COMMAND CONFIG EXTRA... in `tree`; plan.json read when planned."""
    plan_json = config / ".offline-plan.json" if command == "plan" else None
    arguments = [str(tree / "scripts" / "terraform-offline"), command, str(config), *extra]
    if plan_json:
        arguments.append(f"--json-out={plan_json}")
        plan_json.unlink(missing_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    done = subprocess.run(arguments, cwd=tree, capture_output=True, text=True, env=env, timeout=600)
    plan = json.loads(plan_json.read_text()) if plan_json and done.returncode == 0 else None
    return Result(done.returncode, done.stdout + done.stderr, plan)
