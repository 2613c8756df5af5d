"""The AWS provider 6.x argument schema, read offline from @cdktn/provider-aws.

The npm package is generated from the provider's own schema (hashicorp/aws 6.66): one
`lib/<name>/index.d.ts` per resource or data source, with a `<Name>Config` interface whose
properties are the settable arguments (`readonly x?:` optional, `readonly x:` required) and one
interface per nested block. Each property's doc comment links to the registry anchor carrying the
Terraform argument name, which is what we key on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent / "node_modules" / "@cdktn" / "provider-aws"

_INTERFACE_START = re.compile(r"^export interface (\w+)(?: extends [^{]+)? \{$")
_PROPERTY_START = re.compile(r"^    readonly (\w+)(\?)?: (.*)$")
_DOC_ANCHOR = re.compile(r"\{@link https://registry\.terraform\.io/\S+#(\w+) ")
_CLASS = re.compile(
    r"export declare class (\w+) extends cdktn\.(TerraformResource|TerraformDataSource) \{\s*"
    r"static readonly tfResourceType = \"(\w+)\";"
)
_CONFIG_PARAM = re.compile(r"constructor\(scope: Construct, id: string, config\??: (\w+)\);")


@dataclass
class BlockSchema:
    """Arguments (name -> required) and nested blocks (name -> (required, schema))."""

    attributes: dict[str, bool] = field(default_factory=dict)
    blocks: dict[str, tuple[bool, "BlockSchema"]] = field(default_factory=dict)


class SchemaNotFound(LookupError):
    pass


def _snake(camel: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", camel).lower()


def _parse_interfaces(source: str) -> dict[str, list[tuple[str, bool, str]]]:
    """Interface name -> [(terraform name, required, type text)]."""
    interfaces: dict[str, list[tuple[str, bool, str]]] = {}
    current: list[tuple[str, bool, str]] | None = None
    anchor: str | None = None
    pending: tuple[str, bool, list[str]] | None = None
    for line in source.splitlines():
        if current is None:
            match = _INTERFACE_START.match(line)
            if match:
                current = interfaces.setdefault(match.group(1), [])
            continue
        if pending is not None:
            # Only map types span lines: `readonly x?: {` ... `    };`
            pending[2].append(line.strip())
            if line.startswith("    }"):
                name, required, parts = pending
                current.append((name, required, " ".join(parts).rstrip(";")))
                pending = None
            continue
        if line == "}":
            current = None
            continue
        doc = _DOC_ANCHOR.search(line)
        if doc:
            anchor = doc.group(1)
            continue
        prop = _PROPERTY_START.match(line)
        if prop:
            name = anchor or _snake(prop.group(1))
            anchor = None
            required = prop.group(2) is None
            type_text = prop.group(3)
            if type_text.endswith(";"):
                current.append((name, required, type_text.rstrip(";")))
            else:
                pending = (name, required, [type_text])
    return interfaces


def _build(interface: str, interfaces: dict, seen: tuple[str, ...] = ()) -> BlockSchema:
    schema = BlockSchema()
    for name, required, type_text in interfaces[interface]:
        referenced = type_text.replace("| cdktn.IResolvable", "").replace("[]", "").strip()
        if referenced in interfaces and referenced not in seen:
            schema.blocks[name] = (required, _build(referenced, interfaces, seen + (interface,)))
        else:
            schema.attributes[name] = required
    return schema


def _candidate_dirs(kind: str, type_name: str) -> list[Path]:
    lib = PACKAGE_DIR / "lib"
    stem = type_name.removeprefix("aws_").replace("_", "-")
    guess = lib / (f"data-aws-{stem}" if kind == "data" else stem)
    return [guess] if guess.is_dir() else []


def _load_from(directory: Path, kind: str, type_name: str) -> BlockSchema | None:
    source = (directory / "index.d.ts").read_text(encoding="utf-8")
    wanted = "TerraformDataSource" if kind == "data" else "TerraformResource"
    for cls in _CLASS.finditer(source):
        if cls.group(2) == wanted and cls.group(3) == type_name:
            config = _CONFIG_PARAM.search(source, cls.end())
            interfaces = _parse_interfaces(source)
            return _build(config.group(1), interfaces)
    return None


@lru_cache(maxsize=None)
def schema_for(kind: str, type_name: str) -> BlockSchema:
    """Schema of `resource "<type_name>"` (kind "resource") or `data "<type_name>"` (kind "data")."""
    if not PACKAGE_DIR.is_dir():
        raise FileNotFoundError(
            f"{PACKAGE_DIR} is missing: run `npm ci --prefix tests/infra` (scripts/bootstrap does)"
        )
    for directory in _candidate_dirs(kind, type_name):
        found = _load_from(directory, kind, type_name)
        if found is not None:
            return found
    # The directory name is usually the type name; fall back to a scan for the odd ones.
    for directory in sorted((PACKAGE_DIR / "lib").iterdir()):
        if directory.is_dir() and (directory / "index.d.ts").is_file():
            found = _load_from(directory, kind, type_name)
            if found is not None:
                return found
    raise SchemaNotFound(f"{kind} {type_name!r} is not in the AWS provider schema")


def provider_version() -> str:
    import json

    package = json.loads((PACKAGE_DIR / "package.json").read_text(encoding="utf-8"))
    return package["cdktf"]["provider"]["version"]
