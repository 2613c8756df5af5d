"""Cost datasets for the Cost Explorer emulator: the file format, its loader and a generator
of realistic organisations.

Format ("orgpulse-costdata/1"), one JSON object:

    {
      "format": "orgpulse-costdata/1",
      "today": "2026-11-28",      # day the snapshot was taken: the emulator's default "today"
      "estimated_days": 2,        # days before today still provisional ("Estimated": true)
      "currency": "USD",          # the Unit of every cost metric (Cost Explorer reports USD)
      "organizational_units": [{"id": "ou-ab12-prod0001", "name": "Production", "parent": "r-ab12"}],
      "accounts": [
        {"id": "012345678901", "name": "payments-prod", "ou": "ou-ab12-prod0001",
         "tags": {"team": "payments"}, "new": false}
      ],
      "line_items": [
        {"date": "2026-11-27", "account": "012345678901",
         "service": "Amazon Elastic Compute Cloud - Compute", "unblended": "12.3456789012",
         "record_type": "Usage", "region": "us-east-1", "tags": {"env": "prod"},
         "blended": "11.97", "amortized": "11.5", "net_unblended": "12.3456789012",
         "net_amortized": "11.5", "usage_quantity": "296.5", "usage_unit": "Hrs"}
      ]
    }

Line item fields after "unblended" are optional: record_type defaults to "Usage", region to
"us-east-1", tags to {} (untagged), every other cost metric to the unblended amount,
usage_quantity to "0" and usage_unit to "N/A". Amounts are decimal strings with at most 10
decimal places (Cost Explorer returns up to 10); negative amounts are credits or refunds.
An account flagged "new" makes the emulator answer DataUnavailableException for queries
that are restricted to it, the way Cost Explorer treats accounts with no billing data yet.

Generator: `generate(seed=..., accounts=..., days=..., today=...)` returns such a document;
the same arguments always give the same document. Nothing here reads the wall clock: "today" is
an argument, or else the date in ORGPULSE_TEST_TODAY, which tests/conftest.py sets once per test
session (so a whole run, and every process it starts, agrees on one day). CLI:

    python -m tests.support.costdata --out data.json --accounts 20 --days 62 --seed 7 \
        --today 2026-11-28 --long-tail 0 --credits 1 --credits-exceed 2 --zero 3 --new 1 \
        --spike 0:2026-11-27:8
"""

from __future__ import annotations

import argparse
import calendar
import json
import os
import random
import re
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import NamedTuple

FORMAT = "orgpulse-costdata/1"

# Amounts are kept as integers of 1e-10 USD: exact like Decimal, but small and fast to sum
# over hundreds of thousands of line items. 10 places is what Cost Explorer returns.
AMOUNT_PLACES = 10
SCALE = 10**AMOUNT_PLACES

# Order of LineItem.amounts; names are GetCostAndUsage `Metrics` values.
METRICS = (
    "UnblendedCost",
    "BlendedCost",
    "AmortizedCost",
    "NetUnblendedCost",
    "NetAmortizedCost",
    "UsageQuantity",
)
_METRIC_FIELDS = ("unblended", "blended", "amortized", "net_unblended", "net_amortized", "usage_quantity")

DEFAULT_REGION = "us-east-1"
DEFAULT_RECORD_TYPE = "Usage"
DEFAULT_USAGE_UNIT = "N/A"

# The test suite's "today" (YYYY-MM-DD), set by tests/conftest.py: the doubles never read the
# clock themselves, so a test run under faketime or with this variable sees one consistent day.
TODAY_ENV = "ORGPULSE_TEST_TODAY"


def pinned_today(default: date | None = None) -> date:
    """The day the test session is pinned to (ORGPULSE_TEST_TODAY); `default` when it is unset,
    an error without one."""
    value = os.environ.get(TODAY_ENV, "")
    if not value and default is not None:
        return default
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise RuntimeError(
            f"no 'today' given and {TODAY_ENV}={value!r} is not a YYYY-MM-DD date: pass today= "
            f"(--today) explicitly, or set {TODAY_ENV} (tests/conftest.py does for pytest)"
        ) from None


class DatasetError(ValueError):
    """A dataset document that does not follow the format; lists every problem found."""


_PLAIN_AMOUNT = re.compile(rf"(-?)(\d+)(?:\.(\d{{1,{AMOUNT_PLACES}}}))?")


def to_units(text: str | int | Decimal) -> int:
    """Parses a decimal amount into exact 1e-10 units; rejects more than 10 decimal places."""
    plain = _PLAIN_AMOUNT.fullmatch(text) if isinstance(text, str) else None
    if plain:
        # Fast exact path for the usual "123.4567": loading a large organisation parses
        # millions of amounts.
        sign, whole, fraction = plain.groups()
        units = int(whole) * SCALE + int((fraction or "").ljust(AMOUNT_PLACES, "0"))
        return -units if sign else units
    try:
        value = Decimal(str(text))
    except InvalidOperation as error:
        raise ValueError(f"{text!r} is not a decimal amount") from error
    if not value.is_finite():
        raise ValueError(f"{text!r} is not a finite amount")
    scaled = value.scaleb(AMOUNT_PLACES)
    if scaled != scaled.to_integral_value():
        raise ValueError(f"{text!r} has more than {AMOUNT_PLACES} decimal places")
    return int(scaled)


def units_to_decimal(units: int) -> Decimal:
    return Decimal(units).scaleb(-AMOUNT_PLACES)


def format_amount(units: int) -> str:
    """Plain decimal string the way Cost Explorer writes amounts: "12.5", "0", "-3.25"."""
    text = format(units_to_decimal(units), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


@dataclass(frozen=True)
class Account:
    id: str
    name: str
    ou: str | None = None
    tags: Mapping[str, str] = field(default_factory=dict)
    new: bool = False


class LineItem(NamedTuple):
    account: str
    service: str
    record_type: str
    region: str
    tags: Mapping[str, str]
    amounts: tuple[int, ...]  # METRICS order, 1e-10 units
    usage_unit: str


@dataclass
class Dataset:
    today: date
    estimated_days: int
    currency: str
    accounts: dict[str, Account]
    organizational_units: list[dict]
    # day -> account -> line items: queries are cut by time first, then often by account.
    lines_by_day: dict[date, dict[str, list[LineItem]]]

    @property
    def line_count(self) -> int:
        return sum(len(items) for per_account in self.lines_by_day.values() for items in per_account.values())

    def lines(self, day: date, accounts: Iterable[str] | None = None) -> Iterable[LineItem]:
        per_account = self.lines_by_day.get(day)
        if not per_account:
            return
        if accounts is None:
            for items in per_account.values():
                yield from items
        else:
            for account in accounts:
                yield from per_account.get(account, ())


# The "today" of an emulator started with no data outside a test session (scripts/demo and
# scripts/bench start one, then load a dataset, whose own "today" replaces this placeholder).
NO_DATA_TODAY = date(2000, 1, 1)


def empty_dataset(today: date | None = None) -> Dataset:
    return Dataset(
        today=today or pinned_today(default=NO_DATA_TODAY),
        estimated_days=2,
        currency="USD",
        accounts={},
        organizational_units=[],
        lines_by_day={},
    )


def _parse_day(value: object, where: str, problems: list[str]) -> date | None:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        problems.append(f"{where}: {value!r} is not a YYYY-MM-DD date")
        return None


def load_dataset(doc: Mapping) -> Dataset:
    """Validates a dataset document and indexes it for the emulator."""
    problems: list[str] = []
    if doc.get("format", FORMAT) != FORMAT:
        problems.append(f"format: expected {FORMAT!r}, got {doc.get('format')!r}")
    today = _parse_day(doc.get("today"), "today", problems) if "today" in doc else None
    estimated_days = doc.get("estimated_days", 2)
    if not isinstance(estimated_days, int) or estimated_days < 0:
        problems.append(f"estimated_days: {estimated_days!r} is not a non-negative integer")
        estimated_days = 0

    accounts: dict[str, Account] = {}
    for index, raw in enumerate(doc.get("accounts", [])):
        account_id = str(raw.get("id", ""))
        if len(account_id) != 12 or not account_id.isdigit():
            problems.append(f"accounts[{index}].id: {account_id!r} is not a 12-digit account ID")
            continue
        accounts[account_id] = Account(
            id=account_id,
            name=str(raw.get("name", account_id)),
            ou=raw.get("ou"),
            tags=dict(raw.get("tags", {})),
            new=bool(raw.get("new", False)),
        )

    interned_tags: dict[tuple, Mapping[str, str]] = {}
    strings: dict[str, str] = {}
    lines_by_day: dict[date, dict[str, list[LineItem]]] = {}
    for index, raw in enumerate(doc.get("line_items", [])):
        where = f"line_items[{index}]"
        day = _parse_day(raw.get("date"), f"{where}.date", problems)
        account = str(raw.get("account", ""))
        if account not in accounts:
            problems.append(f"{where}.account: {account!r} is not listed in accounts")
        service = raw.get("service")
        if not isinstance(service, str) or not service:
            problems.append(f"{where}.service: missing")
        try:
            unblended = to_units(raw["unblended"])
            # Missing cost metrics equal the unblended amount; a missing quantity is 0.
            amounts = tuple(
                to_units(raw[name]) if name in raw else (0 if name == "usage_quantity" else unblended)
                for name in _METRIC_FIELDS
            )
        except (KeyError, ValueError) as error:
            problems.append(f"{where}: amount: {error}")
            continue
        tags = raw.get("tags", {})
        if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
            problems.append(f"{where}.tags: must be an object of strings")
            continue
        if day is None or problems:
            continue
        tag_key = tuple(sorted(tags.items()))
        record_type = raw.get("record_type", DEFAULT_RECORD_TYPE)
        region = raw.get("region", DEFAULT_REGION)
        usage_unit = raw.get("usage_unit", DEFAULT_USAGE_UNIT)
        # Interning shares one string/dict among the many line items that repeat it.
        item = LineItem(
            account=strings.setdefault(account, account),
            service=strings.setdefault(service, service),
            record_type=strings.setdefault(record_type, record_type),
            region=strings.setdefault(region, region),
            tags=interned_tags.setdefault(tag_key, dict(tag_key)),
            amounts=amounts,
            usage_unit=strings.setdefault(usage_unit, usage_unit),
        )
        lines_by_day.setdefault(day, {}).setdefault(item.account, []).append(item)
        if len(problems) > 50:
            break
    if problems:
        raise DatasetError("invalid cost dataset:\n  " + "\n  ".join(problems[:50]))
    dataset = empty_dataset(today)
    dataset.estimated_days = estimated_days
    dataset.currency = str(doc.get("currency", "USD"))
    dataset.accounts = accounts
    dataset.organizational_units = list(doc.get("organizational_units", []))
    dataset.lines_by_day = lines_by_day
    return dataset


def read_dataset_file(path: str) -> Dataset:
    with open(path, encoding="utf-8") as handle:
        return load_dataset(json.load(handle))


# ---------------------------------------------------------------------------------------------
# Generator
# ---------------------------------------------------------------------------------------------

# Service names exactly as Cost Explorer's SERVICE dimension spells them, most common first.
# (unit, price in USD per unit) turns a cost into a plausible UsageQuantity.
CORE_SERVICES = [
    ("Amazon Elastic Compute Cloud - Compute", "Hrs", "0.096"),
    ("EC2 - Other", "GB-Mo", "0.08"),
    ("Amazon Simple Storage Service", "GB-Mo", "0.023"),
    ("AmazonCloudWatch", "Metrics", "0.30"),
]
COMMON_SERVICES = [
    ("Amazon Relational Database Service", "Hrs", "0.171"),
    ("AWS Lambda", "Lambda-GB-Second", "0.0000166667"),
    ("Amazon Virtual Private Cloud", "Hrs", "0.045"),
    ("Elastic Load Balancing", "LCU-Hrs", "0.008"),
    ("Amazon DynamoDB", "ReadRequestUnits", "0.00000025"),
    ("Amazon CloudFront", "GB", "0.085"),
    ("Amazon Route 53", "HostedZone", "0.50"),
    ("AWS Key Management Service", "Requests", "0.000003"),
    ("AWS Secrets Manager", "Secrets", "0.40"),
    ("Amazon Simple Notification Service", "Requests", "0.0000005"),
    ("Amazon Simple Queue Service", "Requests", "0.0000004"),
    ("Amazon API Gateway", "Requests", "0.0000035"),
    ("Amazon Elastic Container Service", "vCPU-Hours", "0.04048"),
    ("Amazon Elastic Container Service for Kubernetes", "Hrs", "0.10"),
    ("Amazon EC2 Container Registry (ECR)", "GB-Mo", "0.10"),
    ("AWS Glue", "DPU-Hour", "0.44"),
    ("Amazon Athena", "TB", "5.00"),
    ("Amazon Redshift", "Node-Hrs", "0.25"),
    ("Amazon Kinesis", "ShardHour", "0.015"),
    ("Amazon Kinesis Firehose", "GB", "0.029"),
    ("AWS Step Functions", "StateTransitions", "0.000025"),
    ("AWS Config", "ConfigurationItemRecorded", "0.003"),
    ("AWS CloudTrail", "Events", "0.00002"),
    ("Amazon GuardDuty", "Events", "0.000004"),
    ("AWS Security Hub", "Checks", "0.001"),
    ("AWS WAF", "Requests", "0.0000006"),
    ("AWS Backup", "GB-Mo", "0.05"),
    ("Amazon Elastic File System", "GB-Mo", "0.30"),
    ("Amazon ElastiCache", "NodeUsage", "0.068"),
    ("Amazon OpenSearch Service", "Hrs", "0.122"),
    ("Amazon Simple Email Service", "Messages", "0.0001"),
    ("AWS Systems Manager", "Requests", "0.00005"),
    ("AWS CodeBuild", "Minutes", "0.005"),
    ("AWS CodePipeline", "ActivePipeline", "1.00"),
    ("Amazon EventBridge", "Events", "0.000001"),
    ("AWS X-Ray", "Traces", "0.000005"),
    ("Amazon Cognito", "MAU", "0.0055"),
    ("AWS Data Transfer", "GB", "0.09"),
    ("Amazon SageMaker", "Hrs", "0.23"),
    ("Amazon Bedrock", "Tokens", "0.000003"),
    ("AWS Directory Service", "Hrs", "0.12"),
    ("Amazon EMR", "Hrs", "0.048"),
    ("AWS Database Migration Service", "Hrs", "0.154"),
    ("Amazon DocumentDB (with MongoDB compatibility)", "Hrs", "0.277"),
    ("Amazon Managed Streaming for Apache Kafka", "Hrs", "0.21"),
    ("Amazon MQ", "Hrs", "0.288"),
    ("Amazon Inspector", "Instances", "0.011"),
    ("AWS Certificate Manager", "Certificates", "0.75"),
    ("Amazon QuickSight", "Users", "0.80"),
    ("AWS Transfer Family", "Hrs", "0.30"),
]
RARE_SERVICES = [
    "AWS Amplify",
    "AWS AppSync",
    "AWS App Runner",
    "AWS Batch",
    "AWS Budgets",
    "AWS Cloud Map",
    "AWS CloudHSM",
    "AWS CloudShell",
    "AWS CodeArtifact",
    "AWS CodeCommit",
    "AWS CodeDeploy",
    "AWS Cost Explorer",
    "AWS DataSync",
    "AWS Device Farm",
    "AWS Direct Connect",
    "AWS Elemental MediaConvert",
    "AWS Elemental MediaLive",
    "AWS Elemental MediaPackage",
    "AWS Elemental MediaStore",
    "AWS Firewall Manager",
    "AWS Global Accelerator",
    "AWS Ground Station",
    "AWS IoT",
    "AWS IoT Analytics",
    "AWS IoT Device Defender",
    "AWS IoT Device Management",
    "AWS IoT Events",
    "AWS IoT Greengrass",
    "AWS IoT SiteWise",
    "AWS Lake Formation",
    "AWS Network Firewall",
    "AWS OpsWorks",
    "AWS Resilience Hub",
    "AWS RoboMaker",
    "AWS Service Catalog",
    "AWS Shield",
    "AWS Storage Gateway",
    "AWS Audit Manager",
    "AWS Application Migration Service",
    "AWS Elastic Disaster Recovery",
    "AWS Fault Injection Simulator",
    "AWS HealthImaging",
    "AWS HealthLake",
    "AWS Private CA",
    "AWS Verified Access",
    "AWS Clean Rooms",
    "AWS Entity Resolution",
    "AWS B2B Data Interchange",
    "AWS Deadline Cloud",
    "AWS End User Messaging",
    "AWS Glue DataBrew",
    "AWS Proton",
    "Amazon AppFlow",
    "Amazon AppStream",
    "Amazon Augmented AI",
    "Amazon Braket",
    "Amazon Chime",
    "Amazon CodeGuru",
    "Amazon CodeCatalyst",
    "Amazon Comprehend",
    "Amazon Comprehend Medical",
    "Amazon Connect",
    "Amazon DataZone",
    "Amazon Detective",
    "Amazon DevOps Guru",
    "Amazon Elastic Transcoder",
    "Amazon FSx",
    "Amazon Forecast",
    "Amazon Fraud Detector",
    "Amazon GameLift",
    "Amazon Glacier",
    "Amazon HealthLake",
    "Amazon Interactive Video Service",
    "Amazon Kendra",
    "Amazon Keyspaces (for Apache Cassandra)",
    "Amazon Kinesis Analytics",
    "Amazon Kinesis Video Streams",
    "Amazon Lex",
    "Amazon Lightsail",
    "Amazon Location Service",
    "Amazon Lookout for Equipment",
    "Amazon Lookout for Metrics",
    "Amazon Lookout for Vision",
    "Amazon Macie",
    "Amazon Managed Blockchain",
    "Amazon Managed Grafana",
    "Amazon Managed Service for Prometheus",
    "Amazon Managed Workflows for Apache Airflow",
    "Amazon MemoryDB",
    "Amazon Monitron",
    "Amazon Neptune",
    "Amazon Nimble Studio",
    "Amazon Personalize",
    "Amazon Pinpoint",
    "Amazon Polly",
    "Amazon Q",
    "Amazon Registrar",
    "Amazon Rekognition",
    "Amazon Security Lake",
    "Amazon Simple Workflow Service",
    "Amazon Textract",
    "Amazon Timestream",
    "Amazon Transcribe",
    "Amazon Translate",
    "Amazon VPC Lattice",
    "Amazon WorkDocs",
    "Amazon WorkMail",
    "Amazon WorkSpaces",
    "Amazon WorkSpaces Web",
    "Amazon Aurora DSQL",
    "Amazon Verified Permissions",
    "Amazon Elastic MapReduce",
    "Amazon CloudSearch",
    "Amazon Cloud Directory",
    "Amazon Sumerian",
    "Amazon Honeycode",
    "Amazon Omics",
    "Amazon Bedrock AgentCore",
    "Amazon Simple Storage Service Glacier Deep Archive",
]
# AWS Marketplace subscriptions appear in Cost Explorer as their own SERVICE values named after
# the product; these invented names fill the long tail of an account with 200 services.
_MARKETPLACE_VENDORS = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Wingtip", "Litware", "Adatum", "Proseware"]
_MARKETPLACE_PRODUCTS = [
    "Observability Pro",
    "Log Vault",
    "Threat Sensor",
    "Backup Suite",
    "Data Mesh",
    "API Shield",
    "CI Runners",
    "Feature Flags",
]
MARKETPLACE_SERVICES = [f"{v} {p} (AWS Marketplace)" for v in _MARKETPLACE_VENDORS for p in _MARKETPLACE_PRODUCTS]

TAX_SERVICE = "Tax"
# Services whose charges carry no resource tags in Cost Explorer.
UNTAGGABLE = {TAX_SERVICE, "AWS Cost Explorer", "AWS Budgets", "Amazon Registrar", *MARKETPLACE_SERVICES}
GLOBAL_SERVICES = {"Amazon CloudFront", "Amazon Route 53", "AWS WAF", "AWS Shield", TAX_SERVICE, "Amazon Registrar"}

DEFAULT_OUS = ["Production", "Staging", "Development", "Sandbox"]
_ENV_BY_OU = {"Production": "prod", "Staging": "staging", "Development": "dev", "Sandbox": "sandbox"}
TEAMS = [
    "payments",
    "search",
    "identity",
    "checkout",
    "catalog",
    "mobile",
    "data-platform",
    "ml",
    "billing",
    "web",
    "logistics",
    "notifications",
    "security",
    "analytics",
    "media",
    "support",
]
REGIONS = ["us-east-1", "ap-northeast-1", "eu-west-1", "us-west-2", "ap-northeast-3"]
# Per-mille multiplier by weekday (Mon..Sun): production runs all week, other environments are
# scaled down at weekends (dev clusters stopped, fewer CI runs).
WEEKLY_RHYTHM = {
    "prod": (1000, 1010, 1005, 1000, 990, 860, 840),
    "other": (1000, 1000, 1000, 1000, 960, 470, 450),
}
# Typical daily spend tiers in USD, from sandboxes to large production accounts.
SPEND_TIERS = [(3, 30), (15, 30), (60, 20), (250, 12), (900, 6), (4000, 2)]
TAX_PERMILLE = 100  # a 10% consumption tax, posted on the first day of each month
LONG_TAIL_SERVICE_COUNT = 200


def _service_catalogue() -> list[tuple[str, str, str]]:
    catalogue = CORE_SERVICES + COMMON_SERVICES
    catalogue += [(name, "Units", "0.01") for name in RARE_SERVICES]
    catalogue += [(name, "Units", "1.00") for name in MARKETPLACE_SERVICES]
    return catalogue


def _account_id(rng: random.Random, index: int, used: set[str]) -> str:
    while True:
        # Some IDs start with 0: spreadsheets drop that digit, the product must not.
        number = rng.randrange(10**10, 10**11) if index % 7 == 3 else rng.randrange(10**11, 10**12)
        account_id = f"{number:012d}"
        if account_id not in used:
            used.add(account_id)
            return account_id


def _days_ago(value: str | int, today: date) -> date:
    return today - timedelta(days=value) if isinstance(value, int) else date.fromisoformat(value)


def generate(
    *,
    seed: int = 1,
    accounts: int = 10,
    days: int = 62,
    today: str | date | None = None,
    ous: list[str] | None = None,
    services_per_account: tuple[int, int] = (6, 14),
    long_tail_accounts: Iterable[int] = (),
    credit_accounts: Iterable[int] = (),
    credits_exceed_usage_accounts: Iterable[int] = (),
    zero_cost_accounts: Iterable[int] = (),
    new_accounts: int = 0,
    spikes: Iterable[Mapping] = (),
    estimated_days: int = 2,
    tagged_permille: tuple[int, int] = (700, 950),
    edp_discount_permille: int = 0,
    include_tax: bool = True,
) -> dict:
    """Builds a dataset document for an organisation.

    Account arguments are indices into the generated accounts (0 .. accounts-1):
    long_tail_accounts get LONG_TAIL_SERVICE_COUNT services; credit_accounts get promotional
    credits of ~30% of their usage; credits_exceed_usage_accounts get credits of 125% of usage
    (usage net of credits is negative every day; the monthly tax on the 1st is not credited, so
    with tax the 1st of a month is positive); zero_cost_accounts have no charges at all. new_accounts adds that many
    accounts flagged "new" (no data yet). A spike is {"account": index, "date": "YYYY-MM-DD" or
    days-ago int, "factor": int, "service": optional name (default: the account's largest)}.
    Data covers the `days` days before `today` (default: `pinned_today()`, never the wall clock);
    today has no data yet.
    """
    rng = random.Random(seed)
    today_date = date.fromisoformat(today) if isinstance(today, str) else today or pinned_today()
    ou_names = ous or DEFAULT_OUS
    root_suffix = f"{rng.randrange(16**4):04x}"
    organizational_units = [
        {"id": f"ou-{root_suffix}-{rng.randrange(16**8):08x}", "name": name, "parent": f"r-{root_suffix}"}
        for name in ou_names
    ]
    catalogue = _service_catalogue()
    prices = {name: (unit, Decimal(price)) for name, unit, price in catalogue}
    long_tail = set(long_tail_accounts)
    credit_set = set(credit_accounts)
    credits_exceed = set(credits_exceed_usage_accounts)
    zero_cost = set(zero_cost_accounts)
    spikes_by_account: dict[int, list[Mapping]] = {}
    for spike in spikes:
        spikes_by_account.setdefault(int(spike["account"]), []).append(spike)

    used_ids: set[str] = set()
    account_docs = []
    line_items = []
    first_day = today_date - timedelta(days=days)
    for index in range(accounts):
        ou = organizational_units[index % len(organizational_units)]
        env = _ENV_BY_OU.get(ou["name"], "dev")
        team = TEAMS[(index // len(organizational_units)) % len(TEAMS)]
        repeat = index // (len(organizational_units) * len(TEAMS))
        name = f"{team}-{env}" + (f"-{repeat + 1}" if repeat else "")
        account_id = _account_id(rng, index, used_ids)
        account_docs.append(
            {"id": account_id, "name": name, "ou": ou["id"], "tags": {"team": team, "env": env}, "new": False}
        )
        if index in zero_cost:
            continue
        line_items += _account_lines(
            rng,
            account_id=account_id,
            env=env,
            team=team,
            region=REGIONS[index % len(REGIONS)],
            catalogue=catalogue,
            prices=prices,
            service_count=LONG_TAIL_SERVICE_COUNT if index in long_tail else rng.randint(*services_per_account),
            first_day=first_day,
            today=today_date,
            credit_permille=1250 if index in credits_exceed else 300 if index in credit_set else 0,
            spikes=spikes_by_account.get(index, []),
            tagged_permille=rng.randint(*tagged_permille),
            edp_discount_permille=edp_discount_permille,
            include_tax=include_tax,
        )
    for extra in range(new_accounts):
        ou = organizational_units[-1]
        account_docs.append(
            {
                "id": _account_id(rng, accounts + extra, used_ids),
                "name": f"new-account-{extra + 1}",
                "ou": ou["id"],
                "tags": {},
                "new": True,
            }
        )
    return {
        "format": FORMAT,
        "today": today_date.isoformat(),
        "estimated_days": estimated_days,
        "currency": "USD",
        "organizational_units": organizational_units,
        "accounts": account_docs,
        "line_items": line_items,
    }


def _scale(units: int, permille: int) -> int:
    return units * permille // 1000


def _line(
    day: date,
    account: str,
    service: str,
    unblended: int,
    *,
    record_type: str = DEFAULT_RECORD_TYPE,
    region: str = DEFAULT_REGION,
    tags: Mapping[str, str] | None = None,
    other_metrics: Mapping[str, int] | None = None,
    usage_quantity: int = 0,
    usage_unit: str = DEFAULT_USAGE_UNIT,
) -> dict:
    """One line item, leaving out every field that equals its default (keeps files small)."""
    item = {"date": day.isoformat(), "account": account, "service": service, "unblended": format_amount(unblended)}
    if record_type != DEFAULT_RECORD_TYPE:
        item["record_type"] = record_type
    if region != DEFAULT_REGION:
        item["region"] = region
    if tags:
        item["tags"] = dict(tags)
    for name, value in (other_metrics or {}).items():
        if value != unblended:
            item[name] = format_amount(value)
    if usage_quantity:
        item["usage_quantity"] = format_amount(usage_quantity)
    if usage_unit != DEFAULT_USAGE_UNIT:
        item["usage_unit"] = usage_unit
    return item


def _account_lines(
    rng: random.Random,
    *,
    account_id: str,
    env: str,
    team: str,
    region: str,
    catalogue: list[tuple[str, str, str]],
    prices: dict[str, tuple[str, Decimal]],
    service_count: int,
    first_day: date,
    today: date,
    credit_permille: int,
    spikes: list[Mapping],
    tagged_permille: int,
    edp_discount_permille: int,
    include_tax: bool,
) -> list[dict]:
    dollars = rng.choices([tier for tier, _ in SPEND_TIERS], weights=[w for _, w in SPEND_TIERS])[0]
    base_daily = dollars * SCALE * rng.randint(70, 130) // 100
    core = [name for name, _, _ in CORE_SERVICES]
    rest = [name for name, _, _ in catalogue if name not in core]
    count = max(1, service_count)
    if count <= len(core):
        services = core[:count]
    else:
        # Common services are likelier than rare ones, like in real organisations.
        common = [name for name, _, _ in COMMON_SERVICES]
        pool_common = rng.sample(common, min(len(common), count - len(core)))
        remaining = count - len(core) - len(pool_common)
        others = [name for name in rest if name not in common]
        services = core + pool_common + rng.sample(others, min(len(others), remaining))
    # Zipf-like shares: the first services carry most of the cost, the tail is cents.
    weights = [1_000_000 // (rank + 1) ** 2 + 1 for rank in range(len(services))]
    total_weight = sum(weights)
    shares = {service: base_daily * weight // total_weight for service, weight in zip(services, weights, strict=True)}
    rhythm = WEEKLY_RHYTHM["prod" if env == "prod" else "other"]
    tags = {"env": env, "team": team}
    spike_days = {}
    for spike in spikes:
        spike_day = _days_ago(spike["date"], today)
        spike_days[(spike_day, spike.get("service", services[0]))] = int(spike.get("factor", 10))

    lines: list[dict] = []
    day = first_day
    while day < today:
        for service in services:
            amount = _scale(_scale(shares[service], rhythm[day.weekday()]), rng.randint(920, 1080))
            amount *= spike_days.get((day, service), 1)
            if amount <= 0:
                continue
            service_region = "global" if service in GLOBAL_SERVICES else region
            tagged = 0 if service in UNTAGGABLE else _scale(amount, tagged_permille)
            for portion, portion_tags in ((tagged, tags), (amount - tagged, {})):
                if portion > 0:
                    lines.append(
                        _usage_line(
                            day,
                            account_id,
                            service,
                            service_region,
                            portion,
                            portion_tags,
                            prices,
                            env,
                            edp_discount_permille,
                        )
                    )
            if credit_permille and service in services[:3]:
                credit = -_scale(amount, credit_permille)
                lines.append(_line(day, account_id, service, credit, record_type="Credit", region=service_region))
        if include_tax and day.day == 1:
            # Tax for the month is posted on its first day, estimated from the usual spend.
            days_in_month = calendar.monthrange(day.year, day.month)[1]
            tax = _scale(base_daily * days_in_month, TAX_PERMILLE)
            lines.append(_line(day, account_id, TAX_SERVICE, tax, record_type="Tax", region="global"))
        day += timedelta(days=1)
    return lines


def _usage_line(
    day: date,
    account_id: str,
    service: str,
    region: str,
    unblended: int,
    tags: Mapping[str, str],
    prices: dict[str, tuple[str, Decimal]],
    env: str,
    edp_discount_permille: int,
) -> dict:
    # Blended rates average reserved and on-demand prices across the organisation; amortized
    # cost spreads reservation fees, which makes production compute and databases cheaper.
    blended = _scale(unblended, 970) if service == CORE_SERVICES[0][0] else unblended
    reserved = env == "prod" and service in (CORE_SERVICES[0][0], "Amazon Relational Database Service")
    amortized = _scale(unblended, 930) if reserved else unblended
    unit, price = prices[service]
    quantity = int(units_to_decimal(unblended) / price * SCALE)
    return _line(
        day,
        account_id,
        service,
        unblended,
        region=region,
        tags=tags,
        other_metrics={
            "blended": blended,
            "amortized": amortized,
            "net_unblended": _scale(unblended, 1000 - edp_discount_permille),
            "net_amortized": _scale(amortized, 1000 - edp_discount_permille),
        },
        usage_quantity=quantity,
        usage_unit=unit,
    )


def write_dataset(doc: Mapping, path: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(doc, handle, ensure_ascii=False, separators=(",", ":"))


def _indices(text: str) -> list[int]:
    return [int(part) for part in text.split(",") if part.strip()]


def _spike(text: str) -> dict:
    account, day, factor = text.split(":")
    return {"account": int(account), "date": day, "factor": int(factor)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write a generated Cost Explorer dataset (JSON).")
    parser.add_argument("--out", required=True, help="file to write ('-' for stdout)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--accounts", type=int, default=10)
    parser.add_argument("--days", type=int, default=62, help="days of history before today")
    parser.add_argument("--today", help=f"YYYY-MM-DD (default: ${TODAY_ENV})")
    parser.add_argument("--services", default="6-14", help="services per account, MIN-MAX")
    parser.add_argument("--long-tail", type=_indices, default=[], help="account indices with 200 services")
    parser.add_argument("--credits", type=_indices, default=[], help="account indices with credits")
    parser.add_argument(
        "--credits-exceed", type=_indices, default=[], help="account indices whose credits exceed usage"
    )
    parser.add_argument("--zero", type=_indices, default=[], help="account indices with no charges")
    parser.add_argument("--new", type=int, default=0, help="extra accounts flagged new (no data yet)")
    parser.add_argument("--spike", type=_spike, action="append", default=[], help="INDEX:YYYY-MM-DD:FACTOR")
    parser.add_argument("--estimated-days", type=int, default=2)
    args = parser.parse_args(argv)
    low, high = (int(part) for part in args.services.split("-"))
    doc = generate(
        seed=args.seed,
        accounts=args.accounts,
        days=args.days,
        today=args.today,
        services_per_account=(low, high),
        long_tail_accounts=args.long_tail,
        credit_accounts=args.credits,
        credits_exceed_usage_accounts=args.credits_exceed,
        zero_cost_accounts=args.zero,
        new_accounts=args.new,
        spikes=args.spike,
        estimated_days=args.estimated_days,
    )
    if args.out == "-":
        json.dump(doc, sys.stdout, ensure_ascii=False)
    else:
        write_dataset(doc, args.out)
        print(f"wrote {len(doc['accounts'])} accounts, {len(doc['line_items'])} line items to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
