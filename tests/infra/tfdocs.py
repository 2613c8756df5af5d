"""Generate the Requirements / Resources / Inputs / Outputs tables of each Terraform README.

The tables sit between `<!-- BEGIN_TF_DOCS -->` and `<!-- END_TF_DOCS -->` in README.md of
modules/hub, modules/member-roles and terraform/. Run `python tests/infra/tfdocs.py --write` after
changing variables or outputs; `python tests/infra/tfdocs.py` (and the test suite) fails when a
README is out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from terraform_files import MODULES, REPO, ROOT_CONFIG, load_dir, unwrap

BEGIN = "<!-- BEGIN_TF_DOCS -->"
END = "<!-- END_TF_DOCS -->"


def documented_dirs() -> list[Path]:
    return sorted(path.parent for path in MODULES.glob("*/variables.tf")) + [ROOT_CONFIG]


def _unescape(text: str) -> str:
    return text.replace('\\"', '"').replace("\\\\", "\\")


def _raw_argument(directory: Path, block_kind: str, name: str, argument: str) -> str | None:
    """Source text of `argument = ...` in `<block_kind> "<name>" { ... }`, on one line."""
    for path in sorted(directory.glob("*.tf")):
        lines = path.read_text(encoding="utf-8").splitlines()
        for start, line in enumerate(lines):
            if line.strip() == f'{block_kind} "{name}" {{':
                break
        else:
            continue
        for index in range(start + 1, len(lines)):
            if lines[index] == "}":
                return None
            match = re.match(rf"^  {argument}\s*=\s*(.*)$", lines[index])
            if not match:
                continue
            parts, text = [], match.group(1)
            depth = 0
            cursor = index
            while True:
                parts.append(text.strip())
                depth += sum(text.count(c) for c in "([{") - sum(text.count(c) for c in ")]}")
                if depth <= 0:
                    break
                cursor += 1
                text = lines[cursor]
            joined = " ".join(parts)
            return re.sub(r"([(\[{]) ", r"\1", re.sub(r" ([)\]}])", r"\1", joined))
    return None


def _cell(text: str) -> str:
    """Plain table cell: `<prefix>` must not be read as an HTML tag."""
    return text.replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _code(text: str) -> str:
    return "`" + re.sub(r"\s+", " ", text).replace("|", "\\|") + "`"


def render(directory: Path) -> str:
    blocks = load_dir(directory)
    lines = []

    terraform = [unwrap(block) for block in blocks.get("terraform", [])]
    requirements = []
    for block in terraform:
        version = unwrap(block.get("required_version"))
        if version:
            requirements.append(("terraform", version))
        for providers in block.get("required_providers", []):
            for provider, spec in providers.items():
                spec = unwrap(spec)
                if isinstance(spec, dict) and not provider.startswith("__"):
                    requirements.append((provider, spec.get("version", "")))
    if requirements:
        lines += ["## Requirements", "", "| Name | Version |", "|------|---------|"]
        lines += [f"| {name} | {_code(version)} |" for name, version in requirements]
        lines.append("")

    modules = [(name, unwrap(spec["source"])) for entry in blocks.get("module", []) for name, spec in entry.items()]
    if modules:
        lines += ["## Modules", "", "| Name | Source |", "|------|--------|"]
        lines += [f"| {name} | {_code(source)} |" for name, source in sorted(modules)]
        lines.append("")

    resources = [
        f"{'data.' if kind == 'data' else ''}{type_name}.{name}"
        for kind in ("resource", "data")
        for entry in blocks.get(kind, [])
        for type_name, instances in entry.items()
        for name in instances
    ]
    if resources:
        lines += ["## Resources", "", "| Name |", "|------|"]
        lines += [f"| {_code(resource)} |" for resource in sorted(resources)]
        lines.append("")

    variables = [(name, spec) for entry in blocks.get("variable", []) for name, spec in entry.items()]
    lines += ["## Inputs", "", "| Name | Description | Type | Default | Required |", "|------|-------------|------|---------|:--------:|"]
    for name, spec in sorted(variables, key=lambda item: ("default" in item[1], item[0])):
        description = _unescape(unwrap(spec.get("description", [""])))
        type_text = _raw_argument(directory, "variable", name, "type") or "any"
        default = _raw_argument(directory, "variable", name, "default")
        lines.append(
            f"| {name} | {_cell(description)} | {_code(type_text)} | "
            f"{_code(default) if default is not None else 'n/a'} | {'no' if 'default' in spec else 'yes'} |"
        )
    lines.append("")

    outputs = [(name, spec) for entry in blocks.get("output", []) for name, spec in entry.items()]
    lines += ["## Outputs", "", "| Name | Description |", "|------|-------------|"]
    for name, spec in sorted(outputs):
        lines.append(f"| {name} | {_cell(_unescape(unwrap(spec.get('description', [''])))) } |")
    return "\n".join(lines).rstrip() + "\n"


def expected_readme(directory: Path) -> tuple[Path, str | None, str]:
    """(README path, its current text or None, the text it should have)."""
    readme = directory / "README.md"
    current = readme.read_text(encoding="utf-8") if readme.is_file() else None
    generated = f"{BEGIN}\n{render(directory)}{END}"
    if current is None or BEGIN not in current or END not in current:
        base = current if current is not None else f"# {directory.name}\n"
        return readme, current, base.rstrip() + "\n\n" + generated + "\n"
    head, rest = current.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    return readme, current, head + generated + tail


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite the READMEs instead of checking them")
    write = parser.parse_args(argv).write
    stale = []
    for directory in documented_dirs():
        readme, current, expected = expected_readme(directory)
        if current == expected:
            continue
        if write:
            readme.write_text(expected, encoding="utf-8")
            print(f"updated {readme.relative_to(REPO)}")
        else:
            stale.append(str(readme.relative_to(REPO)))
    if stale:
        print("out of date (run `python tests/infra/tfdocs.py --write`): " + ", ".join(stale))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
