"""Where the Terraform, CloudFormation and Rust sources of the repository are, and how to read them."""

from __future__ import annotations

from pathlib import Path

import hcl2

REPO = Path(__file__).resolve().parents[2]
MODULES = REPO / "modules"
ROOT_CONFIG = REPO / "terraform"
STACKSETS = REPO / "stacksets"
MEMBER_ROLE_TEMPLATE = STACKSETS / "member-role.yaml"

_SKIPPED_DIRS = {".terraform", "node_modules", ".git"}


def terraform_dirs() -> list[Path]:
    """Every directory holding .tf files under modules/ and terraform/."""
    found = set()
    for top in (MODULES, ROOT_CONFIG):
        for path in top.rglob("*.tf"):
            if not _SKIPPED_DIRS.intersection(path.parts):
                found.add(path.parent)
    return sorted(found)


def terraform_files() -> list[Path]:
    return sorted(path for directory in terraform_dirs() for path in directory.glob("*.tf"))


def load(path: Path) -> dict:
    """Parse one .tf file (python-hcl2 as bundled with checkov: every attribute value is wrapped in a list)."""
    with path.open(encoding="utf-8") as handle:
        return hcl2.load(handle)


def load_dir(directory: Path) -> dict[str, list]:
    """All top-level blocks of a module, merged: {"resource": [...], "variable": [...], ...}."""
    merged: dict[str, list] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, entries in load(path).items():
            merged.setdefault(kind, []).extend(entries)
    return merged


def unwrap(value):
    """The attribute value python-hcl2 wrapped in a one-element list."""
    if isinstance(value, list) and len(value) == 1:
        return value[0]
    return value
