"""Derive the IAM actions a Lambda binary's code can reach, from its Rust source.

The repository's convention (notes/team.md) makes this possible without compiling anything:
every AWS SDK call is one chain `<receiver>.<operation>()....send()` whose receiver (a variable
or field) is named after the service (`organizations`, `ce`, `s3`, `dynamodb`, `sts`,
`secretsmanager`, ...). Clients acting inside member accounts through the member role are named
`member_<service>` (`member_budgets`, `member_iam`).

For one binary crate (lambdas/plan, ...):
1. the crates it can execute: its own and the closure of its path dependencies in the workspace;
2. the functions reachable from `main`: a name-based call graph over every `fn` of those crates
   (test code excluded), refined by paths (`Type::f`, `module::f`, `use` imports) where written.
   Method calls `.f(` reach the methods named `f` of every type the reachable code names (rapid
   type analysis: a value must be built or received where its type is named). This can only
   over-approximate: a name shared by two methods of live types widens the result, never hides
   a call;
3. every `.send()` chain in those functions: the receiver gives the service, the first method
   the operation, botocore's service model the operation's name, and the IAM action.

A `.send()` whose receiver is not named after a service is an error (the convention is what keeps
this derivation honest). HTTP chains (reqwest: `.get(url)`, `.post(url)`, `.header(..)` first)
are not AWS calls and are ignored.

Run directly for a report: `python tests/infra/iam_from_code.py lambdas/report`.
"""

from __future__ import annotations

import re
import sys
import tomllib
from collections import defaultdict, deque
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from botocore.loaders import create_loader
from botocore import xform_name

MEMBER_PREFIX = "member_"

# First method of a chain that makes it an HTTP request (reqwest), not an AWS SDK call.
HTTP_CHAIN_STARTS = {
    "get", "post", "put", "patch", "delete", "head", "request", "header", "headers", "body",
    "json", "query", "form", "bearer_auth", "basic_auth", "timeout", "multipart", "version",
}

# Operations whose IAM action is not "<prefix>:<OperationName>" (AWS service authorization
# reference). None: the operation needs no permission.
ACTION_OVERRIDES: dict[tuple[str, str], list[str] | None] = {
    ("s3", "ListObjectsV2"): ["s3:ListBucket"],
    ("s3", "ListObjects"): ["s3:ListBucket"],
    ("s3", "HeadObject"): ["s3:GetObject"],
    ("s3", "HeadBucket"): ["s3:ListBucket"],
    ("s3", "ListObjectVersions"): ["s3:ListBucketVersions"],
    ("s3", "CopyObject"): ["s3:GetObject", "s3:PutObject"],
    ("budgets", "DescribeBudgets"): ["budgets:ViewBudget"],
    ("budgets", "DescribeBudget"): ["budgets:ViewBudget"],
    ("budgets", "DescribeBudgetPerformanceHistory"): ["budgets:ViewBudget"],
    ("sts", "GetCallerIdentity"): None,
}

# Builder methods that add an action to the operation's own (e.g. reading a given version).
BUILDER_ACTIONS: dict[tuple[str, str, str], str] = {
    ("s3", "GetObject", "version_id"): "s3:GetObjectVersion",
    ("s3", "HeadObject", "version_id"): "s3:GetObjectVersion",
}


# --------------------------------------------------------------------------------------------
# Tokens
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Token:
    text: str
    line: int
    kind: str  # "ident", "punct", "literal"
    value: str | None = None  # a plain string literal's content (escapes kept as written)


_TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<line_comment>//[^\n]*)
  | (?P<block_comment>/\*)
  | (?P<raw_string>b?r(?P<hashes>\#*)")
  | (?P<string>b?"(?:\\.|[^"\\])*")
  | (?P<char>b?'(?:\\(?:x[0-9a-fA-F]{2}|u\{[0-9a-fA-F]+\}|.)|[^'\\\n])')
  | (?P<lifetime>'[A-Za-z_]\w*)
  | (?P<ident>(?:r\#)?[A-Za-z_]\w*)
  | (?P<number>\d[\w]*(?:\.\d[\w]*)?)
  | (?P<punct>::|->|=>|\.\.=?|[^\sA-Za-z0-9_])
    """,
    re.VERBOSE | re.DOTALL,
)


def tokenize(source: str) -> list[Token]:
    tokens: list[Token] = []
    position, line = 0, 1
    while position < len(source):
        match = _TOKEN.match(source, position)
        if match is None:
            raise ValueError(f"line {line}: cannot tokenize {source[position:position + 20]!r}")
        kind = match.lastgroup if match.lastgroup != "hashes" else "raw_string"
        end = match.end()
        if match.group("block_comment"):
            depth, end = 1, match.end()
            while depth and end < len(source):
                if source.startswith("/*", end):
                    depth, end = depth + 1, end + 2
                elif source.startswith("*/", end):
                    depth, end = depth - 1, end + 2
                else:
                    end += 1
        elif match.group("raw_string"):
            closing = '"' + match.group("hashes")
            close_at = source.find(closing, match.end())
            end = len(source) if close_at < 0 else close_at + len(closing)
            tokens.append(Token('""', line, "literal"))
        elif kind in ("string", "char", "number"):
            if kind == "string":
                tokens.append(Token('""', line, "literal", match.group(0).removeprefix("b")[1:-1]))
            else:
                tokens.append(Token(match.group(0), line, "literal"))
        elif kind == "ident":
            tokens.append(Token(match.group(0).removeprefix("r#"), line, "ident"))
        elif kind in ("punct", "lifetime"):
            tokens.append(Token(match.group(0), line, "punct"))
        line += source.count("\n", position, end)
        position = end
    return tokens


def _matching(tokens: list[Token], start: int) -> int:
    """Index of the bracket closing the one at `start`."""
    opening = tokens[start].text
    closing = {"(": ")", "[": "]", "{": "}"}[opening]
    depth = 0
    for index in range(start, len(tokens)):
        if tokens[index].text == opening:
            depth += 1
        elif tokens[index].text == closing:
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"line {tokens[start].line}: unbalanced {opening!r}")


def _matching_backwards(tokens: list[Token], end: int) -> int:
    closing = tokens[end].text
    opening = {")": "(", "]": "[", "}": "{"}[closing]
    depth = 0
    for index in range(end, -1, -1):
        if tokens[index].text == closing:
            depth += 1
        elif tokens[index].text == opening:
            depth -= 1
            if depth == 0:
                return index
    raise ValueError(f"line {tokens[end].line}: unbalanced {closing!r}")


# --------------------------------------------------------------------------------------------
# Items: functions, impls, modules, imports
# --------------------------------------------------------------------------------------------

@dataclass
class FnDef:
    crate: str
    module: tuple[str, ...]
    impl_type: str | None
    name: str
    file: Path
    tokens: list[Token]
    body: tuple[int, int]  # token range of the body, braces included
    signature_start: int  # index of the `fn` keyword


@dataclass
class SourceFile:
    crate: str
    module: tuple[str, ...]
    path: Path
    tokens: list[Token]
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)  # local name -> full path
    fns: list[FnDef] = field(default_factory=list)
    test_modules: list[tuple[str, ...]] = field(default_factory=list)


def _is_cfg_test(tokens: list[Token], start: int, end: int) -> bool:
    texts = [token.text for token in tokens[start:end]]
    return texts[:1] == ["cfg"] and "test" in texts and "not" not in texts


def _parse_use_tree(tokens: list[Token], index: int, prefix: tuple[str, ...], imports: dict) -> int:
    """Parse one use tree at `index`; record imports; return the index after it."""
    path = list(prefix)
    while index < len(tokens):
        text = tokens[index].text
        if text == "{":
            close = _matching(tokens, index)
            inner = index + 1
            while inner < close:
                inner = _parse_use_tree(tokens, inner, tuple(path), imports)
                if inner < close and tokens[inner].text == ",":
                    inner += 1
            return close + 1
        if text == "*":
            imports.setdefault("*", []).append(tuple(path))
            return index + 1
        if tokens[index].kind == "ident":
            path.append(text)
            index += 1
            if index < len(tokens) and tokens[index].text == "::":
                index += 1
                continue
            if index < len(tokens) and tokens[index].text == "as":
                imports[tokens[index + 1].text] = tuple(path)
                return index + 2
            local = path[-2] if path[-1] == "self" and len(path) > 1 else path[-1]
            imports[local] = tuple(p for p in path if p != "self")
            return index
        return index + 1
    return index


def _parse_items(source: SourceFile, start: int, end: int, module: tuple[str, ...], impl_type: str | None) -> None:
    tokens = source.tokens
    index = start
    test_only = False
    while index < end:
        token = tokens[index]
        text = token.text
        if text == "#":
            bracket = index + 1 + (tokens[index + 1].text == "!")
            if bracket < end and tokens[bracket].text == "[":
                close = _matching(tokens, bracket)
                test_only = test_only or _is_cfg_test(tokens, bracket + 1, close)
                index = close + 1
                continue
        if text == "use":
            after = _parse_use_tree(tokens, index + 1, (), source.imports)
            index = after
            continue
        if text == "mod" and index + 1 < end and tokens[index + 1].kind == "ident":
            name = tokens[index + 1].text
            following = tokens[index + 2].text if index + 2 < end else ";"
            if following == ";":
                if test_only:
                    source.test_modules.append(module + (name,))
                index, test_only = index + 3, False
                continue
            if following == "{":
                close = _matching(tokens, index + 2)
                if not test_only:
                    _parse_items(source, index + 3, close, module + (name,), None)
                index, test_only = close + 1, False
                continue
        if text in ("impl", "trait"):
            brace = index + 1
            while brace < end and tokens[brace].text not in ("{", ";"):
                brace += 1
            if brace < end and tokens[brace].text == "{":
                close = _matching(tokens, brace)
                if not test_only:
                    _parse_items(source, brace + 1, close, module, _impl_type(tokens, index + 1, brace))
                index, test_only = close + 1, False
                continue
        if text == "fn" and index + 1 < end and tokens[index + 1].kind == "ident":
            name = tokens[index + 1].text
            cursor = index + 2
            while cursor < end and tokens[cursor].text not in ("{", ";"):
                if tokens[cursor].text in ("(", "["):
                    cursor = _matching(tokens, cursor)
                cursor += 1
            if cursor < end and tokens[cursor].text == "{":
                close = _matching(tokens, cursor)
                if not test_only:
                    source.fns.append(FnDef(source.crate, module, impl_type, name, source.path, tokens, (cursor, close), index))
                index, test_only = close + 1, False
                continue
            index, test_only = cursor + 1, False
            continue
        if text == "{":
            index, test_only = _matching(tokens, index) + 1, False
            continue
        if text == ";":
            test_only = False
        index += 1


def _impl_type(tokens: list[Token], start: int, brace: int) -> str | None:
    """`impl<T> Trait for a::Type<T> where ...` -> "Type"; `trait Name` -> "Name"."""
    names, depth, after_for = [], 0, None
    for index in range(start, brace):
        text = tokens[index].text
        if text == "<":
            depth += 1
        elif text == ">":
            depth -= 1
        elif text == "where" and depth == 0:
            break
        elif text == "for" and depth == 0:
            after_for = len(names)
        elif tokens[index].kind == "ident" and depth == 0 and text not in ("dyn", "unsafe"):
            names.append(text)
    candidates = names[after_for:] if after_for is not None else names
    return candidates[-1] if candidates else None


def _module_of(src_dir: Path, path: Path) -> tuple[str, ...]:
    parts = list(path.relative_to(src_dir).with_suffix("").parts)
    if parts[-1] in ("lib", "main", "mod"):
        parts.pop()
    return tuple(parts)


# --------------------------------------------------------------------------------------------
# Crates
# --------------------------------------------------------------------------------------------

@dataclass
class Crate:
    name: str  # Rust name (underscores)
    directory: Path
    dependencies: list[Path]


def _read_crate(directory: Path, workspace_root: Path) -> Crate:
    manifest = tomllib.loads((directory / "Cargo.toml").read_text(encoding="utf-8"))
    workspace = tomllib.loads((workspace_root / "Cargo.toml").read_text(encoding="utf-8"))
    workspace_deps = workspace.get("workspace", {}).get("dependencies", {})
    dependencies = []
    for name, spec in manifest.get("dependencies", {}).items():
        if isinstance(spec, dict) and "path" in spec:
            dependencies.append((directory / spec["path"]).resolve())
        elif isinstance(spec, dict) and spec.get("workspace"):
            shared = workspace_deps.get(name)
            if isinstance(shared, dict) and "path" in shared:
                dependencies.append((workspace_root / shared["path"]).resolve())
    lib_name = manifest.get("lib", {}).get("name", manifest["package"]["name"])
    return Crate(lib_name.replace("-", "_"), directory.resolve(), dependencies)


def crate_closure(crate_dir: Path, workspace_root: Path) -> list[Crate]:
    seen: dict[Path, Crate] = {}
    queue = deque([crate_dir.resolve()])
    while queue:
        directory = queue.popleft()
        if directory in seen:
            continue
        crate = _read_crate(directory, workspace_root)
        seen[directory] = crate
        queue.extend(crate.dependencies)
    return list(seen.values())


# --------------------------------------------------------------------------------------------
# AWS operations
# --------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _loader():
    return create_loader()


@lru_cache(maxsize=None)
def service_operations(service: str) -> tuple[str, dict[str, str]] | None:
    """(IAM prefix, snake_case op -> OperationName) of a botocore service, None if unknown."""
    if service not in _loader().list_available_services("service-2"):
        return None
    model = _loader().load_service_model(service, "service-2")
    metadata = model["metadata"]
    prefix = metadata.get("signingName") or metadata["endpointPrefix"]
    return prefix, {xform_name(name): name for name in model["operations"]}


@dataclass(frozen=True)
class Call:
    action: str
    member: bool
    where: str


@dataclass
class Derivation:
    hub_actions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    member_actions: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    errors: list[str] = field(default_factory=list)
    reachable_functions: int = 0
    # S3 object keys the reachable code names (a literal, or a `const NAME: &str`), as IAM
    # resource patterns: `format!` placeholders become `*` ("runs/{}/items.json" -> "runs/*/items.json").
    s3_keys: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))


def _chain_at(tokens: list[Token], send: int) -> tuple[str | None, list[str]]:
    """Receiver name (None if not a plain name) and methods, first first, of the chain ending in `.send()` at `send`."""
    methods: list[str] = []
    dot = send - 1
    while True:
        before = dot - 1
        if before < 0:
            return None, methods[::-1]
        if tokens[before].text == ")":
            opening = _matching_backwards(tokens, before)
            name_at = opening - 1
            if tokens[name_at].text == ">":  # turbofish: .op::<T>()
                while name_at > 0 and tokens[name_at].text != "::":
                    name_at -= 1
                name_at -= 1
            if tokens[name_at].kind != "ident":
                return None, methods[::-1]
            methods.append(tokens[name_at].text)
            if name_at > 0 and tokens[name_at - 1].text == ".":
                dot = name_at - 1
                continue
            return None, methods[::-1]  # the chain starts with a call: f().op()...
        if tokens[before].kind == "ident":
            return tokens[before].text, methods[::-1]
        return None, methods[::-1]


def _calls_in(fn: FnDef, where_prefix: str, derivation: Derivation) -> None:
    tokens = fn.tokens
    start, end = fn.body
    for index in range(start, end):
        if not (
            tokens[index].text == "send"
            and tokens[index - 1].text == "."
            and tokens[index + 1].text == "("
            and tokens[index + 2].text == ")"
        ):
            continue
        where = f"{where_prefix}:{tokens[index].line} (fn {fn.name})"
        receiver, methods = _chain_at(tokens, index)
        if methods and methods[0] in HTTP_CHAIN_STARTS:
            continue
        if receiver is None or not methods:
            derivation.errors.append(
                f"{where}: `.send()` on a chain that does not start at a service-named client; "
                "write `<client>.<operation>()...send()` with the client named after the service "
                "(organizations, ce, s3, dynamodb, sts, secretsmanager, member_budgets, ...)"
            )
            continue
        member = receiver.startswith(MEMBER_PREFIX)
        service = receiver.removeprefix(MEMBER_PREFIX)
        known = service_operations(service)
        if known is None:
            derivation.errors.append(
                f"{where}: `{receiver}.{methods[0]}()...send()`: receiver `{receiver}` is not named "
                "after an AWS service; rename it (organizations, ce, s3, dynamodb, sts, "
                "secretsmanager, member_<service> for member-account clients)"
            )
            continue
        prefix, operations = known
        operation = operations.get(methods[0])
        if operation is None:
            derivation.errors.append(f"{where}: {service} has no operation `{methods[0]}`")
            continue
        actions = ACTION_OVERRIDES.get((service, operation), [f"{prefix}:{operation}"])
        for action in actions or []:
            target = derivation.member_actions if member else derivation.hub_actions
            target[action].append(where)
        for builder in methods[1:]:
            extra = BUILDER_ACTIONS.get((service, operation, builder))
            if extra:
                (derivation.member_actions if member else derivation.hub_actions)[extra].append(where)


# --------------------------------------------------------------------------------------------
# Call graph
# --------------------------------------------------------------------------------------------

class Program:
    def __init__(self, crates: list[Crate], workspace_root: Path):
        self.workspace_root = workspace_root
        self.crate_names = {crate.name for crate in crates}
        self.files: list[SourceFile] = []
        self.fns: list[FnDef] = []
        self.file_of: dict[int, SourceFile] = {}
        for crate in crates:
            src = crate.directory / "src"
            for path in sorted(src.rglob("*.rs")):
                source = SourceFile(crate.name, _module_of(src, path), path, tokenize(path.read_text(encoding="utf-8")))
                _parse_items(source, 0, len(source.tokens), source.module, None)
                self.files.append(source)
        test_modules = {(f.crate, m) for f in self.files for m in f.test_modules}
        for source in self.files:
            for fn in source.fns:
                if any(fn.crate == crate and fn.module[: len(m)] == m for crate, m in test_modules):
                    continue
                self.fns.append(fn)
                self.file_of[id(fn)] = source
        self.by_name: dict[str, list[FnDef]] = defaultdict(list)
        for fn in self.fns:
            self.by_name[fn.name].append(fn)
        self.type_names = {fn.impl_type for fn in self.fns if fn.impl_type is not None}

    def _resolve_path(self, caller: FnDef, qualifier: str, name: str) -> list[FnDef]:
        candidates = self.by_name.get(name, [])
        if qualifier == "Self":
            return [fn for fn in candidates if fn.crate == caller.crate and fn.impl_type == caller.impl_type]
        if qualifier == "self":
            return [fn for fn in candidates if fn.crate == caller.crate and fn.module == caller.module and fn.impl_type is None]
        if qualifier == "super":
            return [fn for fn in candidates if fn.crate == caller.crate and fn.module == caller.module[:-1] and fn.impl_type is None]
        if qualifier == "crate":
            return [fn for fn in candidates if fn.crate == caller.crate and fn.module == () and fn.impl_type is None]
        if qualifier in self.crate_names:
            return [fn for fn in candidates if fn.crate == qualifier and fn.module == () and fn.impl_type is None]
        imported = self.file_of[id(caller)].imports.get(qualifier)
        if imported and imported[0] not in self.crate_names | {"crate", "self", "super"}:
            return []  # a type or module of an external crate (aws_sdk_s3::Client::new, ...)
        return [
            fn for fn in candidates
            if fn.impl_type == qualifier or (fn.impl_type is None and fn.module[-1:] == (qualifier,))
        ]

    def _resolve_bare(self, caller: FnDef, name: str) -> list[FnDef]:
        candidates = [fn for fn in self.by_name.get(name, []) if fn.impl_type is None]
        local = [fn for fn in candidates if fn.crate == caller.crate and fn.module == caller.module]
        if local:
            return local
        imported = self.file_of[id(caller)].imports.get(name)
        if imported:
            head = imported[0]
            if head not in self.crate_names | {"crate", "self", "super"}:
                return []  # e.g. lambda_runtime::run
            module = imported[1:-1] if head in self.crate_names else imported[:-1]
            crate = head if head in self.crate_names else caller.crate
            if head == "self":
                module = caller.module + imported[1:-1]
            elif head == "super":
                module = caller.module[:-1] + imported[1:-1]
            elif head == "crate":
                module = imported[1:-1]
            return [fn for fn in candidates if fn.crate == crate and fn.module == module]
        return candidates  # glob imports or re-exports: every free function of that name

    def callees(self, fn: FnDef, live_types: set[str]) -> list[FnDef]:
        tokens = fn.tokens
        start, end = fn.body
        found: list[FnDef] = []
        for index in range(start + 1, end):
            token = tokens[index]
            if token.kind != "ident" or token.text not in self.by_name:
                continue
            before = tokens[index - 1].text
            after = tokens[index + 1].text if index + 1 < len(tokens) else ""
            if before == "fn":
                continue
            if before == ".":
                if after in ("(", "::"):
                    found += [f for f in self.by_name[token.text] if f.impl_type in live_types]
                continue
            if before == "::":
                if after in ("(", ")", ",", "::"):
                    qualifier = tokens[index - 2].text if tokens[index - 2].kind == "ident" else ""
                    found += self._resolve_path(fn, qualifier, token.text)
                continue
            # A bare call, or a function passed by name (service_fn(handler), .map(parse)).
            if after == "(" or (before in ("(", ",") and after in (")", ",")):
                found += self._resolve_bare(fn, token.text)
        return found

    def _mentioned_types(self, fn: FnDef) -> set[str]:
        """Types (with an impl in the program) named in a function's signature or body."""
        named = {token.text for token in fn.tokens[fn.signature_start : fn.body[1]] if token.kind == "ident"}
        mentioned = named & self.type_names
        if fn.impl_type is not None:
            mentioned.add(fn.impl_type)
        return mentioned

    def reachable_from_main(self, crate: Crate) -> list[FnDef]:
        """Functions reachable from the crate's `fn main`.

        A method call `.m(` reaches the methods named `m` of the types the reachable code names
        (a value of a type has to be built, or received, somewhere the code names it): rapid
        type analysis, iterated until the set of live types stops growing.
        """
        mains = [
            fn for fn in self.fns
            if fn.name == "main" and fn.crate == crate.name and fn.module == () and fn.file.name == "main.rs"
        ]
        live_types: set[str] = set()
        while True:
            seen: dict[int, FnDef] = {}
            queue = deque(mains)
            while queue:
                fn = queue.popleft()
                if id(fn) in seen:
                    continue
                seen[id(fn)] = fn
                queue.extend(self.callees(fn, live_types))
            mentioned = set().union(*(self._mentioned_types(fn) for fn in seen.values())) if seen else set()
            if mentioned <= live_types:
                return list(seen.values())
            live_types |= mentioned


def _find_workspace_root(start: Path) -> Path:
    for directory in [start, *start.parents]:
        manifest = directory / "Cargo.toml"
        if manifest.is_file() and "workspace" in tomllib.loads(manifest.read_text(encoding="utf-8")):
            return directory
    raise FileNotFoundError(f"no workspace Cargo.toml above {start}")


# Top-level prefixes of the hub bucket's keys (modules/hub/locals.tf: config/, runs/, state/).
S3_KEY_PREFIXES = ("config/", "runs/", "state/")
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def _str_constants(program: "Program") -> dict[str, str]:
    """`const NAME: &str = "..."` (or `= path::OTHER;`) of every crate, by name."""
    literal: dict[str, str] = {}
    alias: dict[str, str] = {}
    for source in {id(fn.tokens): fn.tokens for fn in program.fns}.values():
        for index, token in enumerate(source[:-6]):
            if token.text != "const" or source[index + 1].kind != "ident":
                continue
            texts = [t.text for t in source[index + 2:index + 6]]
            if texts != [":", "&", "str", "="]:
                continue
            value_at = index + 6
            if source[value_at].value is not None:
                literal[source[index + 1].text] = source[value_at].value
            else:
                end = value_at
                while end < len(source) and source[end].text != ";":
                    end += 1
                if end > value_at and source[end - 1].kind == "ident":
                    alias[source[index + 1].text] = source[end - 1].text
    for name, target in alias.items():
        if target in literal:
            literal.setdefault(name, literal[target])
    return literal


def _s3_keys_in(fn: "FnDef", where_prefix: str, constants: dict[str, str], derivation: Derivation) -> None:
    tokens = fn.tokens
    start, end = fn.body
    for index in range(start, end):
        token = tokens[index]
        value = token.value if token.value is not None else constants.get(token.text) if token.kind == "ident" else None
        if value and value.startswith(S3_KEY_PREFIXES):
            pattern = _PLACEHOLDER.sub("*", value)
            derivation.s3_keys[pattern].append(f"{where_prefix}:{token.line} (fn {fn.name})")


def derive(crate_dir: Path) -> Derivation:
    """The IAM actions the binary crate at `crate_dir` can call (hub side and member side)."""
    crate_dir = crate_dir.resolve()
    if not (crate_dir / "src" / "main.rs").is_file():
        raise FileNotFoundError(f"{crate_dir}/src/main.rs does not exist: not a Lambda binary crate")
    workspace_root = _find_workspace_root(crate_dir)
    crates = crate_closure(crate_dir, workspace_root)
    program = Program(crates, workspace_root)
    derivation = Derivation()
    reachable = program.reachable_from_main(crates[0])
    derivation.reachable_functions = len(reachable)
    if not reachable:
        derivation.errors.append(f"{crate_dir}/src/main.rs has no `fn main`")
    constants = _str_constants(program)
    for fn in sorted(reachable, key=lambda f: (str(f.file), f.body[0])):
        _calls_in(fn, str(fn.file.relative_to(workspace_root)), derivation)
        _s3_keys_in(fn, str(fn.file.relative_to(workspace_root)), constants, derivation)
    return derivation


def main(arguments: list[str]) -> int:
    status = 0
    for argument in arguments:
        derivation = derive(Path(argument))
        print(f"{argument}: {derivation.reachable_functions} reachable functions")
        for title, actions in (("hub", derivation.hub_actions), ("member role", derivation.member_actions)):
            for action in sorted(actions):
                print(f"  {title:11} {action:45} {actions[action][0]}")
        for error in derivation.errors:
            print(f"  error: {error}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
