"""Check every aws_* resource and data source of the Terraform code against the provider schema.

Each argument and nested block used must exist in AWS provider 6.x (provider_schema.py reads it
from @cdktn/provider-aws), and every required argument or block must be set. Run directly to
print the findings: `python tests/infra/schema_check.py`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import provider_schema
from terraform_files import REPO, load, terraform_files

# Arguments Terraform itself interprets on every resource / data source.
META_ARGUMENTS = {"count", "for_each", "provider", "depends_on", "lifecycle", "provisioner", "connection"}
_PARSER_KEYS = {"__start_line__", "__end_line__"}


def _bodies(value) -> list[dict]:
    """The bodies of a block as python-hcl2 returns it (a list of dicts)."""
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return value
    return []


def _check_body(body: dict, schema: provider_schema.BlockSchema, where: str, top_level: bool) -> list[str]:
    problems = []
    present = set()
    for key, value in body.items():
        if key in _PARSER_KEYS or (top_level and key in META_ARGUMENTS):
            continue
        if key == "dynamic":
            for dynamic in _bodies(value):
                for name, spec in dynamic.items():
                    present.add(name)
                    if name not in schema.blocks:
                        problems.append(f"{where}: dynamic block {name!r} is not a block of this type")
                        continue
                    for content in _bodies(spec.get("content", [])):
                        problems += _check_body(content, schema.blocks[name][1], f"{where}.{name}", False)
            continue
        present.add(key)
        if key in schema.attributes:
            continue
        if key in schema.blocks:
            bodies = _bodies(value)
            if not bodies:
                problems.append(f"{where}: {key!r} is a block, write `{key} {{ ... }}`")
            for nested in bodies:
                problems += _check_body(nested, schema.blocks[key][1], f"{where}.{key}", False)
            continue
        problems.append(f"{where}: unknown argument or block {key!r}")
    for name, required in schema.attributes.items():
        if required and name not in present:
            problems.append(f"{where}: required argument {name!r} is missing")
    for name, (required, _) in schema.blocks.items():
        if required and name not in present:
            problems.append(f"{where}: required block {name!r} is missing")
    return problems


def check_file(path: Path) -> list[str]:
    problems = []
    parsed = load(path)
    for kind in ("resource", "data"):
        for entry in parsed.get(kind, []):
            for type_name, instances in entry.items():
                if not type_name.startswith("aws_"):
                    continue
                for name, body in instances.items():
                    where = f"{path.relative_to(REPO)}:{body.get('__start_line__', '?')} {kind} {type_name}.{name}"
                    try:
                        schema = provider_schema.schema_for(kind, type_name)
                    except provider_schema.SchemaNotFound as missing:
                        problems.append(f"{where}: {missing}")
                        continue
                    problems += _check_body(body, schema, where, True)
    return problems


def check_all() -> list[str]:
    return [problem for path in terraform_files() for problem in check_file(path)]


if __name__ == "__main__":
    findings = check_all()
    print("\n".join(findings) or f"all arguments exist in AWS provider {provider_schema.provider_version()}")
    sys.exit(1 if findings else 0)
