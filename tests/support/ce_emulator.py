"""AWS Cost Explorer emulator: computes GetCostAndUsage and GetCostForecast from a cost dataset
(see costdata.py) and speaks the real AWS JSON 1.1 protocol, so unmodified SDK clients (the
Rust SDK through AWS_ENDPOINT_URL_COST_EXPLORER, boto3 through endpoint_url) talk to it.

Protocol (as AWS): `POST /`, `X-Amz-Target: AWSInsightsIndexService.<Operation>`,
`Content-Type: application/x-amz-json-1.1`, a signed request (SigV4 `Authorization` header;
the signature itself is not checked). Errors are HTTP 400 with
`{"__type": "<ErrorCode>", "message": "..."}`, which the SDKs turn into typed errors —
throttling is `LimitExceededException` with HTTP 400, not 429, exactly like Cost Explorer.

Operations:
- GetCostAndUsage: TimePeriod (Start inclusive, End exclusive), Granularity DAILY|MONTHLY,
  Metrics, Filter (And/Or/Not, Dimensions LINKED_ACCOUNT|SERVICE|RECORD_TYPE|REGION, Tags with
  MatchOptions EQUALS/ABSENT), up to two GroupBy (DIMENSION or TAG), Estimated for recent
  days, DimensionValueAttributes for LINKED_ACCOUNT, pagination over groups with
  NextPageToken (page size configurable, small in tests).
- GetCostForecast: Start today or later, UPPER_SNAKE metric, DAILY|MONTHLY, mean and
  prediction interval from recent daily history (a simple statistical model, not AWS's).
- ListCostAllocationTags: the user-defined cost allocation tags set with the
  `cost_allocation_tags` setting ({key: "Active" | "Inactive"}), filtered by TagKeys / Status.
- Anything else: UnknownOperationException.

Control API on the same port (JSON bodies and answers):
- GET  /__control/health      -> {"ok": true, "today", "accounts", "line_items", "page_size"}
- POST /__control/dataset     body: a costdata document -> replaces the data; today := its "today"
- POST /__control/generate    body: keyword arguments of costdata.generate -> same as above
- POST /__control/settings    body: any of {"today": "YYYY-MM-DD", "page_size": int,
                              "estimated_days": int, "forecast_history_days": int,
                              "forecast_min_history_days": int,
                              "requests_per_second": number or null (throttle above this rate)}
- POST /__control/faults      body: {"kind": "throttle" | "error" | "slow", "count": K or null
                              (null = until cleared), "operation": optional name,
                              "error_type", "message", "status" (kind "error"),
                              "delay_seconds" (kind "slow")} -> fault queued
- POST /__control/faults/clear                   -> no faults, no rate limit
- GET  /__control/counters    -> {"<Operation>": {"requests", "billed", "errors": {type: n}}}
                              (every request is one page; only successful ones are billed)
- GET  /__control/requests    -> [{"operation", "request", "status", "error"}] in arrival order
- POST /__control/reset       -> counters, request log and faults cleared; data kept

Run standalone:  python -m tests.support.ce_emulator --port 4599 --dataset data.json
"""

from __future__ import annotations

import argparse
import base64
import binascii
import calendar
import hashlib
import json
import statistics
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from . import costdata
from .costdata import LineItem
from .httpserver import BackgroundServer, QuietHandler

TARGET_PREFIX = "AWSInsightsIndexService."
CONTENT_TYPE = "application/x-amz-json-1.1"
CONTROL_PREFIX = "/__control/"

METRIC_INDEX = {name: index for index, name in enumerate(costdata.METRICS)}
USAGE_QUANTITY = "UsageQuantity"
# GetCostForecast names metrics in UPPER_SNAKE (its `Metric` enum), unlike GetCostAndUsage.
FORECAST_METRICS = {
    "UNBLENDED_COST": "UnblendedCost",
    "BLENDED_COST": "BlendedCost",
    "AMORTIZED_COST": "AmortizedCost",
    "NET_UNBLENDED_COST": "NetUnblendedCost",
    "NET_AMORTIZED_COST": "NetAmortizedCost",
    "USAGE_QUANTITY": "UsageQuantity",
    "NORMALIZED_USAGE_AMOUNT": None,  # valid in AWS, not modelled here
}
# Dimensions the dataset carries, and how to read them from a line item.
DIMENSIONS: dict[str, Callable[[LineItem], str]] = {
    "LINKED_ACCOUNT": lambda line: line.account,
    "SERVICE": lambda line: line.service,
    "RECORD_TYPE": lambda line: line.record_type,
    "REGION": lambda line: line.region,
}
# Valid Cost Explorer dimensions that the dataset does not model: refused with a clear message
# instead of silently matching nothing.
UNMODELLED_DIMENSIONS = {
    "AZ",
    "INSTANCE_TYPE",
    "LEGAL_ENTITY_NAME",
    "INVOICING_ENTITY",
    "DEPLOYMENT_OPTION",
    "DATABASE_ENGINE",
    "CACHE_ENGINE",
    "INSTANCE_TYPE_FAMILY",
    "BILLING_ENTITY",
    "RESERVATION_ID",
    "SAVINGS_PLANS_TYPE",
    "SAVINGS_PLAN_ARN",
    "OPERATING_SYSTEM",
    "TENANCY",
    "SCOPE",
    "PLATFORM",
    "SUBSCRIPTION_ID",
    "OPERATION",
    "PURCHASE_TYPE",
    "USAGE_TYPE",
    "USAGE_TYPE_GROUP",
    "PAYMENT_OPTION",
    "AGREEMENT_END_DATE_TIME_AFTER",
    "AGREEMENT_END_DATE_TIME_BEFORE",
    "INVOICE_ID",
    "ANOMALY_TOTAL_IMPACT_ABSOLUTE",
    "ANOMALY_TOTAL_IMPACT_PERCENTAGE",
}
EXPRESSION_ROOTS = ("And", "Or", "Not", "Dimensions", "Tags", "CostCategories")
DEFAULT_PAGE_SIZE = 500  # AWS does not publish its page size; tests set a small one


class CeError(Exception):
    """An error answer in the AWS JSON protocol."""

    def __init__(self, error_type: str, message: str, status: int = 400):
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.status = status


def validation_error(message: str) -> CeError:
    return CeError("ValidationException", message)


def enum_error(value: object, member: str, allowed: Iterable[str]) -> CeError:
    # The wording AWS's request validation uses for enum members.
    return validation_error(
        f"1 validation error detected: Value '{value}' at '{member}' failed to satisfy constraint: "
        f"Member must satisfy enum value set: [{', '.join(allowed)}]"
    )


# ---------------------------------------------------------------------------------------------
# Filter expressions
# ---------------------------------------------------------------------------------------------

Predicate = Callable[[LineItem], bool]


def compile_filter(expression: Any) -> Predicate:
    """Turns a Cost Explorer `Expression` into a predicate over line items."""
    if not isinstance(expression, dict):
        raise validation_error("Filter expression must be an object")
    roots = [key for key in EXPRESSION_ROOTS if expression.get(key) is not None]
    if len(roots) != 1:
        # Wording of Cost Explorer's answer to {"Dimensions":..., "Tags":...} side by side.
        raise validation_error(
            "Expression has zero or more than one roots. Only one root operator is allowed for each "
            'expression: "and", "or", "not", "tag" or "dimensionValue"'
        )
    root = roots[0]
    value = expression[root]
    if root in ("And", "Or"):
        if not isinstance(value, list) or len(value) < 2:
            # Cost Explorer rejects a one-element And/Or rather than treating it as its operand.
            raise validation_error(f"{root} expression must have at least 2 operands")
        parts = [compile_filter(child) for child in value]
        if root == "And":
            return lambda line: all(part(line) for part in parts)
        return lambda line: any(part(line) for part in parts)
    if root == "Not":
        inner = compile_filter(value)
        return lambda line: not inner(line)
    if root == "CostCategories":
        raise validation_error("CostCategories filters are not modelled by the emulator")
    if root == "Dimensions":
        return _dimension_predicate(value)
    return _tag_predicate(value)


def _check_values(values: Any, where: str) -> list[str]:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise validation_error(f"{where}.Values must be a list of strings")
    return values


def _dimension_predicate(spec: Mapping) -> Predicate:
    key = spec.get("Key")
    if key in UNMODELLED_DIMENSIONS:
        raise validation_error(f"Dimension {key} is valid in Cost Explorer but not modelled by the emulator")
    if key not in DIMENSIONS:
        raise validation_error(f"Dimension {key} is not allowed.")
    values = _check_values(spec.get("Values"), "Dimensions")
    if not values:
        raise validation_error("Dimensions.Values must not be empty")
    options = set(spec.get("MatchOptions") or ["EQUALS"])
    if not options <= {"EQUALS", "CASE_SENSITIVE", "CASE_INSENSITIVE"}:
        raise validation_error(f"MatchOptions {sorted(options)} are not supported for Dimensions")
    read = DIMENSIONS[key]
    if "CASE_INSENSITIVE" in options:
        wanted = {value.lower() for value in values}
        return lambda line: read(line).lower() in wanted
    wanted = set(values)
    return lambda line: read(line) in wanted


def _tag_predicate(spec: Mapping) -> Predicate:
    key = spec.get("Key")
    if not isinstance(key, str) or not key:
        raise validation_error("Tags.Key is required")
    options = set(spec.get("MatchOptions") or ["EQUALS"])
    if not options <= {"EQUALS", "ABSENT", "CASE_SENSITIVE", "CASE_INSENSITIVE"}:
        raise validation_error(f"MatchOptions {sorted(options)} are not modelled for Tags by the emulator")
    values = _check_values(spec.get("Values", []), "Tags")
    match_absent = "ABSENT" in options
    if not values and not match_absent:
        raise validation_error("Tags.Values must not be empty unless MatchOptions is ABSENT")
    fold = (lambda text: text.lower()) if "CASE_INSENSITIVE" in options else (lambda text: text)
    wanted = {fold(value) for value in values}

    # An empty value in Values selects resources without the tag, like "No tag key" in the console.
    def predicate(line: LineItem) -> bool:
        value = line.tags.get(key, "")
        if value == "":
            return match_absent or "" in wanted
        return fold(value) in wanted

    return predicate


def account_scope(expression: Any) -> set[str] | None:
    """The accounts a filter can match at most, when it pins LINKED_ACCOUNT; None = any.
    Used to skip other accounts' line items and to spot queries about new accounts only."""
    if not isinstance(expression, dict):
        return None
    dimensions = expression.get("Dimensions")
    if isinstance(dimensions, dict) and dimensions.get("Key") == "LINKED_ACCOUNT":
        if "CASE_INSENSITIVE" not in (dimensions.get("MatchOptions") or []):
            return set(dimensions.get("Values") or [])
    if isinstance(expression.get("And"), list):
        scopes = [scope for scope in map(account_scope, expression["And"]) if scope is not None]
        return set.intersection(*scopes) if scopes else None
    if isinstance(expression.get("Or"), list):
        scopes = [account_scope(child) for child in expression["Or"]]
        return set.union(*scopes) if scopes and all(scope is not None for scope in scopes) else None
    return None


# ---------------------------------------------------------------------------------------------
# Time periods
# ---------------------------------------------------------------------------------------------


def _parse_date(value: Any, member: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise validation_error(f"{member} {value!r} is not a date in the format yyyy-MM-dd") from None


def _first_of_month(day: date) -> date:
    return day.replace(day=1)


def _add_months(day: date, months: int) -> date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def periods(start: date, end: date, granularity: str) -> list[tuple[date, date]]:
    """[Start, End) cut into days or calendar months (a month period is clipped to the range)."""
    result = []
    cursor = start
    while cursor < end:
        if granularity == "DAILY":
            following = cursor + timedelta(days=1)
        else:
            following = min(end, _add_months(_first_of_month(cursor), 1))
        result.append((cursor, min(following, end)))
        cursor = following
    return result


def _days(start: date, end: date) -> Iterable[date]:
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)


# ---------------------------------------------------------------------------------------------
# Faults
# ---------------------------------------------------------------------------------------------


@dataclass
class Fault:
    kind: str  # "error" or "slow"
    remaining: int | None  # None: until cleared
    operation: str | None = None
    error_type: str = "LimitExceededException"
    message: str = "Rate exceeded"
    status: int = 400
    delay_seconds: float = 0.0

    def applies_to(self, operation: str) -> bool:
        return (self.remaining is None or self.remaining > 0) and self.operation in (None, operation)

    def consume(self) -> None:
        if self.remaining is not None:
            self.remaining -= 1


class TokenBucket:
    """Allows `rate` requests per second on average with bursts of up to `rate` requests."""

    def __init__(self, rate: float):
        self.rate = rate
        self.capacity = max(1.0, rate)
        self.tokens = self.capacity
        self.updated = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        if self.tokens >= 1:
            self.tokens -= 1
            return True
        return False


# ---------------------------------------------------------------------------------------------
# The emulator
# ---------------------------------------------------------------------------------------------


class CostExplorerEmulator:
    """State and operations; thread-safe. Serve it over HTTP with `serve()`."""

    def __init__(self, dataset: costdata.Dataset | None = None, page_size: int = DEFAULT_PAGE_SIZE):
        self._lock = threading.Lock()
        self.dataset = dataset or costdata.empty_dataset()
        self.today = self.dataset.today
        self.estimated_days = self.dataset.estimated_days
        self.page_size = page_size
        self.forecast_history_days = 30
        # AWS documents no minimum; "Insufficient amount of historical data." is what it answers
        # for young accounts. A week of history is the emulator's threshold.
        self.forecast_min_history_days = 7
        # ListCostAllocationTags: tag key -> "Active" | "Inactive" (Billing > Cost allocation tags).
        self.cost_allocation_tags: dict[str, str] = {}
        self._faults: list[Fault] = []
        self._rate_limit: TokenBucket | None = None
        self._counters: dict[str, dict[str, Any]] = {}
        self._requests: list[dict[str, Any]] = []
        # Aggregations of recent requests, so that following NextPageToken does not recompute
        # the whole answer for every page.
        self._answers: dict[tuple, list] = {}
        self.url: str | None = None  # set by serve()

    # -- configuration (the control API calls these too) ------------------------------------

    def load_dataset(self, dataset: costdata.Dataset | Mapping) -> None:
        if not isinstance(dataset, costdata.Dataset):
            dataset = costdata.load_dataset(dataset)
        with self._lock:
            self.dataset = dataset
            self.today = dataset.today
            self.estimated_days = dataset.estimated_days
            self._answers.clear()

    def configure(self, **settings: Any) -> None:
        with self._lock:
            for name, value in settings.items():
                if name == "today":
                    self.today = value if isinstance(value, date) else date.fromisoformat(value)
                elif name == "cost_allocation_tags":
                    if not isinstance(value, dict) or any(s not in ("Active", "Inactive") for s in value.values()):
                        raise ValueError("cost_allocation_tags must map tag keys to Active or Inactive")
                    self.cost_allocation_tags = dict(value)
                elif name == "requests_per_second":
                    self._rate_limit = TokenBucket(float(value)) if value else None
                elif name in ("page_size", "estimated_days", "forecast_history_days", "forecast_min_history_days"):
                    if not isinstance(value, int) or value < (1 if name == "page_size" else 0):
                        raise ValueError(f"{name} must be a non-negative integer (page_size >= 1)")
                    setattr(self, name, value)
                else:
                    raise ValueError(f"unknown setting {name!r}")

    def throttle(self, count: int | None = 1, operation: str | None = None) -> None:
        """The next `count` requests (None: all until cleared) get LimitExceededException."""
        self.inject_error("LimitExceededException", "Rate exceeded", count=count, operation=operation)

    def inject_error(
        self, error_type: str, message: str, count: int | None = 1, status: int = 400, operation: str | None = None
    ) -> None:
        with self._lock:
            self._faults.append(Fault("error", count, operation, error_type, message, status))

    def slow_down(self, delay_seconds: float, count: int | None = None, operation: str | None = None) -> None:
        with self._lock:
            self._faults.append(Fault("slow", count, operation, delay_seconds=delay_seconds))

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._rate_limit = None

    def reset(self) -> None:
        with self._lock:
            self._faults.clear()
            self._rate_limit = None
            self._counters.clear()
            self._requests.clear()
            self._answers.clear()

    def counters(self) -> dict[str, dict[str, Any]]:
        with self._lock:
            return json.loads(json.dumps(self._counters))

    def billed_requests(self, operation: str | None = None) -> int:
        """Requests AWS would charge $0.01 each for (successful ones, every page)."""
        return sum(c["billed"] for op, c in self.counters().items() if operation in (None, op))

    def requests(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._requests)

    # -- the AWS protocol --------------------------------------------------------------------

    def handle(
        self, target: str | None, content_type: str | None, body: bytes, authorization: str | None = None
    ) -> tuple[int, dict]:
        """Answers one AWS request: (HTTP status, JSON payload)."""
        operation = (target or "").removeprefix(TARGET_PREFIX) if (target or "").startswith(TARGET_PREFIX) else None
        request: Any = None
        try:
            if operation is None:
                raise CeError("UnknownOperationException", f"Unknown target {target!r}")
            if (content_type or "").split(";")[0].strip() != CONTENT_TYPE:
                raise CeError("SerializationException", f"Content-Type must be {CONTENT_TYPE}, got {content_type!r}")
            if not (authorization or "").startswith("AWS4-HMAC-SHA256 "):
                raise CeError("MissingAuthenticationTokenException", "Missing Authentication Token")
            try:
                request = json.loads(body or b"{}")
            except ValueError:
                raise CeError("SerializationException", "Request body is not valid JSON") from None
            if not isinstance(request, dict):
                raise CeError("SerializationException", "Request body must be a JSON object")
            self._apply_faults(operation)
            handler = {
                "GetCostAndUsage": self.get_cost_and_usage,
                "GetCostForecast": self.get_cost_forecast,
                "ListCostAllocationTags": self.list_cost_allocation_tags,
            }.get(operation)
            if handler is None:
                raise CeError("UnknownOperationException", f"Operation {operation} is not emulated")
            payload = handler(request)
            self._record(operation or "Unknown", request, 200, None)
            return 200, payload
        except CeError as error:
            self._record(operation or "Unknown", request, error.status, error.error_type)
            return error.status, {"__type": error.error_type, "message": error.message}

    def _apply_faults(self, operation: str) -> None:
        delay = 0.0
        failure: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if fault.kind == "slow" and fault.applies_to(operation):
                    fault.consume()
                    delay += fault.delay_seconds
            for fault in self._faults:
                if fault.kind == "error" and fault.applies_to(operation):
                    fault.consume()
                    failure = fault
                    break
            self._faults = [fault for fault in self._faults if fault.remaining != 0]
            limited = failure is None and self._rate_limit is not None and not self._rate_limit.take()
        if delay:
            time.sleep(delay)
        if failure:
            raise CeError(failure.error_type, failure.message, failure.status)
        if limited:
            raise CeError("LimitExceededException", "Rate exceeded")

    def _record(self, operation: str, request: Any, status: int, error: str | None) -> None:
        with self._lock:
            counter = self._counters.setdefault(operation, {"requests": 0, "billed": 0, "errors": {}})
            counter["requests"] += 1
            if status == 200:
                counter["billed"] += 1
            else:
                counter["errors"][error] = counter["errors"].get(error, 0) + 1
            self._requests.append({"operation": operation, "request": request, "status": status, "error": error})

    # -- GetCostAndUsage -----------------------------------------------------------------------

    def get_cost_and_usage(self, request: Mapping) -> dict:
        dataset, today = self.dataset, self.today
        start, end = self._usage_time_period(request.get("TimePeriod"), today)
        granularity = request.get("Granularity")
        if granularity == "HOURLY":
            raise validation_error("HOURLY granularity is not modelled by the emulator")
        if granularity not in ("DAILY", "MONTHLY"):
            raise enum_error(granularity, "granularity", ["DAILY", "MONTHLY", "HOURLY"])
        metrics = request.get("Metrics")
        if not isinstance(metrics, list) or not metrics:
            raise validation_error("Metrics is required and must name at least one metric")
        for metric in metrics:
            if metric not in METRIC_INDEX:
                raise validation_error(
                    f"Invalid metric {metric!r}: valid metrics are {', '.join(costdata.METRICS)}, NormalizedUsageAmount"
                )
        group_readers, group_definitions = self._group_by(request.get("GroupBy"))
        predicate, scope = self._filter(request.get("Filter"), dataset)
        fingerprint = _fingerprint(request)
        offset = _decode_token(request.get("NextPageToken"), fingerprint)

        cache_key = (fingerprint, id(dataset), today, self.estimated_days)
        with self._lock:
            results = self._answers.get(cache_key)
        if results is None:
            results = []
            for period_start, period_end in periods(start, end, granularity):
                sums = self._aggregate(dataset, period_start, period_end, predicate, scope, group_readers, metrics)
                estimated = period_end > today - timedelta(days=self.estimated_days)
                results.append((period_start, period_end, sums, estimated))
            with self._lock:
                if len(self._answers) >= 16:
                    self._answers.pop(next(iter(self._answers)))
                self._answers[cache_key] = results
        if group_readers:
            return self._grouped_page(results, metrics, group_definitions, dataset, offset, fingerprint)
        return {
            "GroupDefinitions": [],
            "ResultsByTime": [
                {
                    "TimePeriod": {"Start": s.isoformat(), "End": e.isoformat()},
                    "Total": self._metric_values(sums.get((), _empty_sum(metrics)), metrics, dataset),
                    "Groups": [],
                    "Estimated": estimated,
                }
                for s, e, sums, estimated in results
            ],
            "DimensionValueAttributes": [],
        }

    @staticmethod
    def _usage_time_period(time_period: Any, today: date) -> tuple[date, date]:
        if not isinstance(time_period, dict) or "Start" not in time_period or "End" not in time_period:
            raise validation_error("TimePeriod with Start and End is required")
        start = _parse_date(time_period["Start"], "Start date")
        end = _parse_date(time_period["End"], "End date")
        if start >= end:
            raise validation_error("Start date (and hour) should be before end date (and hour)")
        if start > today:
            # API reference: "The start date must be equal to or no later than the current date".
            raise validation_error(f"Start date {start} must be equal to or no later than the current date")
        if end > _add_months(_first_of_month(today), 1):
            raise validation_error("end date past the beginning of next month")
        oldest_without_first = _add_months(_first_of_month(today), -13)
        if start < oldest_without_first and start.day != 1:
            raise validation_error(
                "To retrieve data beyond the past 14 months, your start date needs to be the first day of the month."
            )
        return start, end

    @staticmethod
    def _group_by(group_by: Any) -> tuple[list[Callable[[LineItem], str]], list[dict]]:
        if group_by is None:
            return [], []
        if not isinstance(group_by, list):
            raise validation_error("GroupBy must be a list")
        if len(group_by) > 2:
            # Cost Explorer groups by at most two dimensions, tag keys or cost categories.
            raise validation_error("GroupBy accepts at most 2 group definitions")
        readers, definitions = [], []
        for definition in group_by:
            kind, key = definition.get("Type"), definition.get("Key")
            if kind == "DIMENSION":
                if key in UNMODELLED_DIMENSIONS:
                    raise validation_error(
                        f"Grouping by {key} is valid in Cost Explorer but not modelled by the emulator"
                    )
                if key not in DIMENSIONS:
                    raise validation_error(f"Group Definition dimension is invalid: {key}")
                readers.append(DIMENSIONS[key])
            elif kind == "TAG":
                if not isinstance(key, str) or not key:
                    raise validation_error("Group Definition tag key is required")
                # Tag groups are keyed "key$value"; resources without the tag fall in "key$".
                readers.append(lambda line, tag=key: f"{tag}${line.tags.get(tag, '')}")
            elif kind == "COST_CATEGORY":
                raise validation_error("Grouping by COST_CATEGORY is not modelled by the emulator")
            else:
                raise enum_error(kind, "groupBy.member.type", ["DIMENSION", "TAG", "COST_CATEGORY"])
            definitions.append({"Type": kind, "Key": key})
        return readers, definitions

    @staticmethod
    def _filter(expression: Any, dataset: costdata.Dataset) -> tuple[Predicate, set[str] | None]:
        if expression is None:
            return (lambda line: True), None
        predicate = compile_filter(expression)
        scope = account_scope(expression)
        if (
            scope is not None
            and scope
            and all(account in dataset.accounts and dataset.accounts[account].new for account in scope)
        ):
            raise CeError("DataUnavailableException", "Data is not available for the requested account yet.")
        return predicate, scope

    @staticmethod
    def _aggregate(dataset, start, end, predicate, scope, group_readers, metrics) -> dict[tuple, list]:
        """Sums requested metrics per group key over [start, end). Value: [amounts..., units]."""
        indices = [METRIC_INDEX[metric] for metric in metrics]
        sums: dict[tuple, list] = {}
        for day in _days(start, end):
            for line in dataset.lines(day, scope):
                if not predicate(line):
                    continue
                key = tuple(read(line) for read in group_readers)
                entry = sums.get(key)
                if entry is None:
                    entry = sums[key] = [0] * len(indices) + [set()]
                for position, index in enumerate(indices):
                    entry[position] += line.amounts[index]
                entry[-1].add(line.usage_unit)
        return sums

    @staticmethod
    def _metric_values(entry: list, metrics: list[str], dataset: costdata.Dataset) -> dict:
        values = {}
        for position, metric in enumerate(metrics):
            if metric == USAGE_QUANTITY:
                units = entry[-1]
                # Quantities of different units cannot be added up; AWS then reports "N/A".
                unit = next(iter(units)) if len(units) == 1 else "N/A"
            else:
                unit = dataset.currency
            values[metric] = {"Amount": costdata.format_amount(entry[position]), "Unit": unit}
        return values

    def _grouped_page(self, results, metrics, definitions, dataset, offset, fingerprint) -> dict:
        """One page of a grouped answer. Like Cost Explorer, a page holds at most `page_size`
        groups in total and may end in the middle of a time period; the next page continues
        with the rest of that period's groups (same TimePeriod again)."""
        total_groups = sum(len(sums) for _, _, sums, _ in results)
        page_end = min(offset + self.page_size, total_groups)
        page = []
        accounts_seen: set[str] = set()
        account_position = next(
            (i for i, d in enumerate(definitions) if d == {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}), None
        )
        first = 0
        for start, end, sums, estimated in results:
            last = first + len(sums)
            empty_here = first == last and (offset <= first < page_end or (first == page_end == total_groups))
            if empty_here or (first < page_end and last > offset):
                groups = []
                for key in sorted(sums)[max(offset - first, 0) : max(page_end - first, 0)]:
                    groups.append({"Keys": list(key), "Metrics": self._metric_values(sums[key], metrics, dataset)})
                    if account_position is not None:
                        accounts_seen.add(key[account_position])
                page.append(
                    {
                        "TimePeriod": {"Start": start.isoformat(), "End": end.isoformat()},
                        "Total": {},  # AWS leaves Total empty whenever GroupBy is set
                        "Groups": groups,
                        "Estimated": estimated,
                    }
                )
            first = last
        answer = {
            "GroupDefinitions": definitions,
            "ResultsByTime": page,
            "DimensionValueAttributes": [
                {"Value": account, "Attributes": {"description": dataset.accounts[account].name}}
                for account in sorted(accounts_seen)
                if account in dataset.accounts
            ],
        }
        if page_end < total_groups:
            answer["NextPageToken"] = _encode_token(page_end, fingerprint)
        return answer

    # -- ListCostAllocationTags ----------------------------------------------------------------

    def list_cost_allocation_tags(self, request: Mapping) -> dict:
        keys = request.get("TagKeys")
        status = request.get("Status")
        if status is not None and status not in ("Active", "Inactive"):
            raise enum_error(status, "status", ("Active", "Inactive"))
        with self._lock:
            tags = [
                {"TagKey": key, "Type": "UserDefined", "Status": state}
                for key, state in sorted(self.cost_allocation_tags.items())
                if (keys is None or key in keys) and status in (None, state)
            ]
        return {"CostAllocationTags": tags}

    # -- GetCostForecast -----------------------------------------------------------------------

    def get_cost_forecast(self, request: Mapping) -> dict:
        dataset, today = self.dataset, self.today
        time_period = request.get("TimePeriod")
        if not isinstance(time_period, dict) or "Start" not in time_period or "End" not in time_period:
            raise validation_error("TimePeriod with Start and End is required")
        start = _parse_date(time_period["Start"], "Start date")
        end = _parse_date(time_period["End"], "End date")
        if start >= end:
            raise validation_error(f"Requested Start: {start} must be before requested End: {end}")
        if start < today:
            raise validation_error(f"Start date {start} must be equal to or later than the current date {today}")
        metric_name = request.get("Metric")
        if metric_name not in FORECAST_METRICS:
            raise enum_error(metric_name, "metric", FORECAST_METRICS)
        metric = FORECAST_METRICS[metric_name]
        if metric is None:
            raise validation_error(f"{metric_name} forecasts are not modelled by the emulator")
        granularity = request.get("Granularity")
        if granularity not in ("DAILY", "MONTHLY"):
            raise enum_error(granularity, "granularity", ["DAILY", "MONTHLY", "HOURLY"])
        level = request.get("PredictionIntervalLevel", 80)
        if not isinstance(level, int) or not 51 <= level <= 99:
            raise validation_error("PredictionIntervalLevel must be between 51 and 99")
        predicate, scope = self._filter(request.get("Filter"), dataset)

        history = self._daily_history(dataset, today, predicate, scope, metric)
        if len(history) < max(1, self.forecast_min_history_days):
            raise CeError("DataUnavailableException", "Insufficient amount of historical data.")
        mean = sum(history, Decimal(0)) / len(history)
        spread = statistics.pstdev(history)  # exact on Decimals
        # Two-sided interval of a normal model: level 80 -> mean +/- 1.2816 standard deviations.
        z = Decimal(str(round(statistics.NormalDist().inv_cdf((1 + level / 100) / 2), 6)))
        unit = dataset.currency if metric != USAGE_QUANTITY else "N/A"
        results, total = [], Decimal(0)
        for period_start, period_end in periods(start, end, granularity):
            days = (period_end - period_start).days
            period_mean = mean * days
            half_width = z * spread * Decimal(days).sqrt()
            total += period_mean
            results.append(
                {
                    "TimePeriod": {"Start": period_start.isoformat(), "End": period_end.isoformat()},
                    "MeanValue": _forecast_amount(period_mean),
                    "PredictionIntervalLowerBound": _forecast_amount(period_mean - half_width),
                    "PredictionIntervalUpperBound": _forecast_amount(period_mean + half_width),
                }
            )
        return {"Total": {"Amount": _forecast_amount(total), "Unit": unit}, "ForecastResultsByTime": results}

    def _daily_history(self, dataset, today, predicate, scope, metric) -> list[Decimal]:
        """Daily totals from the first day with data (within the history window) to yesterday."""
        index = METRIC_INDEX[metric]
        totals = []
        for day in _days(today - timedelta(days=self.forecast_history_days), today):
            lines = [line for line in dataset.lines(day, scope) if predicate(line)]
            if lines or totals:
                totals.append(costdata.units_to_decimal(sum(line.amounts[index] for line in lines)))
        return totals

    # -- HTTP ----------------------------------------------------------------------------------

    def control(self, method: str, path: str, body: bytes) -> tuple[int, Any]:
        """The /__control/ API (see the module docstring)."""
        name = path[len(CONTROL_PREFIX) :].strip("/")
        try:
            payload = json.loads(body) if body else {}
            if method == "GET" and name == "health":
                return 200, {
                    "ok": True,
                    "today": self.today.isoformat(),
                    "accounts": len(self.dataset.accounts),
                    "line_items": self.dataset.line_count,
                    "page_size": self.page_size,
                }
            if method == "GET" and name == "counters":
                return 200, self.counters()
            if method == "GET" and name == "requests":
                return 200, self.requests()
            if method == "POST" and name == "dataset":
                self.load_dataset(payload)
            elif method == "POST" and name == "generate":
                self.load_dataset(costdata.generate(**payload))
            elif method == "POST" and name == "settings":
                self.configure(**payload)
            elif method == "POST" and name == "faults":
                self._control_fault(payload)
            elif method == "POST" and name == "faults/clear":
                self.clear_faults()
            elif method == "POST" and name == "reset":
                self.reset()
            else:
                return 404, {"ok": False, "error": f"no control endpoint {method} {path}"}
            return 200, {"ok": True}
        except (ValueError, TypeError, KeyError) as error:
            return 400, {"ok": False, "error": str(error)}

    def _control_fault(self, spec: Mapping) -> None:
        kind = spec.get("kind")
        count = spec.get("count", 1)
        operation = spec.get("operation")
        if kind == "throttle":
            self.throttle(count, operation)
        elif kind == "error":
            self.inject_error(
                spec["error_type"],
                spec.get("message", spec["error_type"]),
                count,
                int(spec.get("status", 400)),
                operation,
            )
        elif kind == "slow":
            self.slow_down(float(spec["delay_seconds"]), count, operation)
        else:
            raise ValueError("kind must be throttle, error or slow")

    def serve(self, port: int = 0, host: str = "127.0.0.1") -> BackgroundServer:
        """Serves this emulator on host:port (0 = a free port) from a background thread."""
        emulator = self

        class Handler(QuietHandler):
            def do_GET(self) -> None:
                if self.path_only.startswith(CONTROL_PREFIX):
                    self.send_json(*emulator.control("GET", self.path_only, b""))
                else:
                    self.send_json(404, {"message": "Cost Explorer speaks POST / only"})

            def do_POST(self) -> None:
                body = self.read_body()
                if self.path_only.startswith(CONTROL_PREFIX):
                    self.send_json(*emulator.control("POST", self.path_only, body))
                    return
                status, payload = emulator.handle(
                    self.headers.get("X-Amz-Target"),
                    self.headers.get("Content-Type"),
                    body,
                    self.headers.get("Authorization"),
                )
                self.send_json(status, payload, {"x-amzn-RequestId": str(uuid.uuid4())}, CONTENT_TYPE)

        server = BackgroundServer(Handler, host, port).start()
        self.url = server.url
        return server


def _empty_sum(metrics: list[str]) -> list:
    return [0] * len(metrics) + [set()]


def _forecast_amount(value: Decimal) -> str:
    return format(value.quantize(Decimal(1).scaleb(-costdata.AMOUNT_PLACES)), "f")


def _fingerprint(request: Mapping) -> str:
    stable = {key: value for key, value in request.items() if key != "NextPageToken"}
    return hashlib.sha256(json.dumps(stable, sort_keys=True).encode()).hexdigest()[:16]


def _encode_token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(json.dumps({"offset": offset, "request": fingerprint}).encode()).decode()


def _decode_token(token: Any, fingerprint: str) -> int:
    if token is None:
        return 0
    try:
        decoded = json.loads(base64.urlsafe_b64decode(str(token).encode()))
        offset = int(decoded["offset"])
        request = decoded["request"]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise CeError("InvalidNextTokenException", "The pagination token is invalid.") from None
    if request != fingerprint:
        raise CeError(
            "RequestChangedException",
            "Your request parameters changed between pages. "
            "Try again with the old parameters or without a pagination token.",
        )
    return offset


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Serve the Cost Explorer emulator until interrupted.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed)")
    parser.add_argument("--dataset", help="costdata JSON file")
    parser.add_argument("--generate", help="JSON object of costdata.generate arguments, instead of --dataset")
    parser.add_argument("--today", help="YYYY-MM-DD (default: the dataset's)")
    parser.add_argument("--page-size", type=int, default=DEFAULT_PAGE_SIZE)
    args = parser.parse_args(argv)
    emulator = CostExplorerEmulator(page_size=args.page_size)
    if args.dataset:
        emulator.load_dataset(costdata.read_dataset_file(args.dataset))
    elif args.generate:
        emulator.load_dataset(costdata.generate(**json.loads(args.generate)))
    if args.today:
        emulator.configure(today=args.today)
    server = emulator.serve(args.port, args.host)
    print(
        f"Cost Explorer emulator on {server.url} (today {emulator.today}, {len(emulator.dataset.accounts)} accounts)",
        flush=True,
    )
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
