"""The Cost Explorer emulator, driven through boto3's real `ce` client (protocol fidelity) and
raw HTTP (error shapes, control API). Exact numbers come from a small hand-written dataset."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import boto3
import pytest
import requests
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import CREDIT_ACCOUNT, CREDITS_EXCEED_ACCOUNT, REPO_ROOT, SPIKE_ACCOUNT
from tests.conftest import standard_dataset as standard_dataset_on
from tests.support import costdata
from tests.support.ce_emulator import CONTENT_TYPE, CostExplorerEmulator

TODAY = date(2026, 3, 2)
YESTERDAY = "2026-03-01"
PROD = "111111111111"
STAGING = "022222222222"
NEW = "333333333333"
YOUNG = "444444444444"
EC2 = "Amazon Elastic Compute Cloud - Compute"
S3 = "Amazon Simple Storage Service"
LAMBDA = "AWS Lambda"

TINY = {
    "format": costdata.FORMAT,
    "today": TODAY.isoformat(),
    "estimated_days": 2,
    "accounts": [
        {"id": PROD, "name": "payments-prod"},
        {"id": STAGING, "name": "payments-staging"},
        {"id": NEW, "name": "brand-new", "new": True},
        {"id": YOUNG, "name": "young"},
    ],
    "line_items": [
        {"date": "2026-01-31", "account": STAGING, "service": LAMBDA, "unblended": "7"},
        {
            "date": "2026-02-27",
            "account": PROD,
            "service": EC2,
            "unblended": "10.5",
            "tags": {"env": "prod", "team": "pay"},
        },
        {"date": "2026-02-27", "account": PROD, "service": S3, "unblended": "1.25"},
        {"date": "2026-02-28", "account": PROD, "service": EC2, "unblended": "11", "tags": {"env": "prod"}},
        {"date": "2026-02-28", "account": PROD, "service": EC2, "unblended": "-3", "record_type": "Credit"},
        {
            "date": "2026-03-01",
            "account": PROD,
            "service": EC2,
            "unblended": "12.0000000001",
            "blended": "11.5",
            "tags": {"env": "prod"},
            "usage_quantity": "100",
            "usage_unit": "Hrs",
        },
        {
            "date": "2026-03-01",
            "account": PROD,
            "service": S3,
            "unblended": "2",
            "usage_quantity": "50",
            "usage_unit": "GB-Mo",
        },
        {"date": "2026-03-01", "account": STAGING, "service": LAMBDA, "unblended": "0.3", "tags": {"env": "staging"}},
        {
            "date": "2026-03-01",
            "account": STAGING,
            "service": "Tax",
            "unblended": "5",
            "record_type": "Tax",
            "region": "global",
        },
        {"date": "2026-03-01", "account": YOUNG, "service": EC2, "unblended": "1"},
    ],
}


def client_for(url: str):
    return boto3.client(
        "ce",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


@pytest.fixture
def tiny():
    emulator = CostExplorerEmulator(costdata.load_dataset(TINY), page_size=3)
    server = emulator.serve()
    yield emulator, client_for(server.url)
    server.stop()


def usage(client, start, end, granularity="DAILY", metrics=("UnblendedCost",), **extra):
    return client.get_cost_and_usage(
        TimePeriod={"Start": start, "End": end}, Granularity=granularity, Metrics=list(metrics), **extra
    )


def amount(result, metric="UnblendedCost") -> Decimal:
    return Decimal(result["Total"][metric]["Amount"])


def error_of(call) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as raised:
        call()
    error = raised.value.response
    return error["Error"]["Code"], error["Error"]["Message"], error["ResponseMetadata"]["HTTPStatusCode"]


def collect_pages(client, **request) -> tuple[list[dict], int]:
    pages = []
    while True:
        page = client.get_cost_and_usage(**request)
        pages.append(page)
        if "NextPageToken" not in page:
            return pages, len(pages)
        request["NextPageToken"] = page["NextPageToken"]


def merged_groups(pages) -> dict[tuple, Decimal]:
    merged = defaultdict(Decimal)
    for page in pages:
        for result in page["ResultsByTime"]:
            for group in result["Groups"]:
                key = (result["TimePeriod"]["Start"], *group["Keys"])
                merged[key] += Decimal(group["Metrics"]["UnblendedCost"]["Amount"])
    return merged


# -- time periods ---------------------------------------------------------------------------------


def test_yesterday_is_start_yesterday_end_today_and_returns_exactly_that_day(tiny):
    _, client = tiny
    answer = usage(client, YESTERDAY, TODAY.isoformat())
    (result,) = answer["ResultsByTime"]
    assert result["TimePeriod"] == {"Start": YESTERDAY, "End": "2026-03-02"}
    assert result["Total"]["UnblendedCost"] == {"Amount": "20.3000000001", "Unit": "USD"}
    assert result["Groups"] == []


def test_end_is_exclusive_for_longer_ranges(tiny):
    _, client = tiny
    answer = usage(client, "2026-02-27", "2026-03-01")
    assert [r["TimePeriod"]["Start"] for r in answer["ResultsByTime"]] == ["2026-02-27", "2026-02-28"]
    assert [amount(r) for r in answer["ResultsByTime"]] == [Decimal("11.75"), Decimal("8")]


def test_days_without_data_are_zero_not_missing(tiny):
    _, client = tiny
    (result,) = usage(client, "2026-02-10", "2026-02-11")["ResultsByTime"]
    assert result["Total"]["UnblendedCost"] == {"Amount": "0", "Unit": "USD"}


def test_monthly_periods_follow_calendar_months_clipped_to_the_range(tiny):
    _, client = tiny
    answer = usage(client, "2026-01-15", TODAY.isoformat(), granularity="MONTHLY")
    periods = [(r["TimePeriod"]["Start"], r["TimePeriod"]["End"], amount(r)) for r in answer["ResultsByTime"]]
    assert periods == [
        ("2026-01-15", "2026-02-01", Decimal("7")),
        ("2026-02-01", "2026-03-01", Decimal("19.75")),
        ("2026-03-01", "2026-03-02", Decimal("20.3000000001")),
    ]


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-03-01", "2026-03-01", "Start date (and hour) should be before end date (and hour)"),
        ("2026-03-02", "2026-02-01", "Start date (and hour) should be before end date (and hour)"),
        ("2026-02-01", "2026-04-02", "end date past the beginning of next month"),
        ("2026-03-03", "2026-03-05", "must be equal to or no later than the current date"),
        ("2024-12-15", "2025-01-01", "your start date needs to be the first day of the month"),
        ("2026-3-1", "2026-03-02", "is not a date in the format yyyy-MM-dd"),
    ],
)
def test_invalid_time_periods_are_validation_errors(tiny, start, end, message):
    _, client = tiny
    code, text, status = error_of(lambda: usage(client, start, end))
    assert (code, status) == ("ValidationException", 400)
    assert message in text


def test_end_on_the_first_of_next_month_is_allowed(tiny):
    _, client = tiny
    answer = usage(client, "2026-03-01", "2026-04-01", granularity="MONTHLY")
    assert [r["TimePeriod"] for r in answer["ResultsByTime"]] == [{"Start": "2026-03-01", "End": "2026-04-01"}]


def test_recent_days_are_estimated(tiny):
    emulator, client = tiny
    flags = {
        r["TimePeriod"]["Start"]: r["Estimated"] for r in usage(client, "2026-02-26", "2026-03-02")["ResultsByTime"]
    }
    assert flags == {"2026-02-26": False, "2026-02-27": False, "2026-02-28": True, "2026-03-01": True}
    monthly = usage(client, "2026-01-01", "2026-03-02", granularity="MONTHLY")["ResultsByTime"]
    assert [r["Estimated"] for r in monthly] == [False, True, True]
    emulator.configure(estimated_days=0)
    assert not any(r["Estimated"] for r in usage(client, "2026-02-26", "2026-03-02")["ResultsByTime"])


# -- metrics and filters ----------------------------------------------------------------------------


def test_every_metric_is_computed_with_its_unit(tiny):
    _, client = tiny
    metrics = ["UnblendedCost", "BlendedCost", "AmortizedCost", "NetUnblendedCost", "NetAmortizedCost", "UsageQuantity"]
    (result,) = usage(
        client,
        YESTERDAY,
        TODAY.isoformat(),
        metrics=metrics,
        Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}},
    )["ResultsByTime"]
    total = result["Total"]
    assert total["UnblendedCost"]["Amount"] == "14.0000000001"
    assert total["BlendedCost"]["Amount"] == "13.5"
    assert total["AmortizedCost"]["Amount"] == "14.0000000001"
    assert {total[m]["Unit"] for m in metrics[:5]} == {"USD"}
    # Hours and GB-months cannot be added up: AWS reports the sum with Unit "N/A".
    assert total["UsageQuantity"] == {"Amount": "150", "Unit": "N/A"}


def test_unknown_metric_is_a_validation_error(tiny):
    _, client = tiny
    code, text, _ = error_of(lambda: usage(client, YESTERDAY, TODAY.isoformat(), metrics=["UNBLENDED_COST"]))
    assert code == "ValidationException" and "UNBLENDED_COST" in text


def test_and_of_linked_account_and_tags_filters_like_the_seed_query(tiny):
    _, client = tiny
    seed_filter = {
        "And": [
            {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}},
            {"Tags": {"Key": "env", "Values": ["prod"], "MatchOptions": ["EQUALS"]}},
        ]
    }
    answer = usage(client, "2026-02-27", TODAY.isoformat(), Filter=seed_filter)
    assert [amount(r) for r in answer["ResultsByTime"]] == [Decimal("10.5"), Decimal("11"), Decimal("12.0000000001")]


def test_or_and_not_filters(tiny):
    _, client = tiny
    either = {
        "Or": [
            {"Dimensions": {"Key": "SERVICE", "Values": [S3]}},
            {"Dimensions": {"Key": "SERVICE", "Values": [LAMBDA]}},
        ]
    }
    assert amount(usage(client, YESTERDAY, "2026-03-02", Filter=either)["ResultsByTime"][0]) == Decimal("2.3")
    no_tax = {"Not": {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Tax"]}}}
    assert amount(usage(client, YESTERDAY, "2026-03-02", Filter=no_tax)["ResultsByTime"][0]) == Decimal("15.3000000001")


def test_credits_are_negative_and_filterable_by_record_type(tiny):
    _, client = tiny
    credits = {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Credit"]}}
    (result,) = usage(client, "2026-02-28", YESTERDAY, Filter=credits)["ResultsByTime"]
    assert amount(result) == Decimal("-3")


@pytest.mark.parametrize(
    "untagged",
    [
        {"Tags": {"Key": "env", "MatchOptions": ["ABSENT"]}},
        {"Tags": {"Key": "env", "Values": [""]}},
    ],
)
def test_tag_absent_and_empty_value_select_untagged_costs(tiny, untagged):
    _, client = tiny
    (result,) = usage(client, YESTERDAY, "2026-03-02", Filter=untagged)["ResultsByTime"]
    assert amount(result) == Decimal("8")  # S3 2 + Tax 5 + young 1


def test_case_insensitive_tag_match(tiny):
    _, client = tiny
    tag = {"Tags": {"Key": "env", "Values": ["PROD"], "MatchOptions": ["EQUALS", "CASE_INSENSITIVE"]}}
    assert amount(usage(client, YESTERDAY, "2026-03-02", Filter=tag)["ResultsByTime"][0]) == Decimal("12.0000000001")


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        (
            {"And": [{"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [PROD]}}]},
            "And expression must have at least 2 operands",
        ),
        (
            {"Dimensions": {"Key": "SERVICE", "Values": [S3]}, "Tags": {"Key": "env", "Values": ["prod"]}},
            "Expression has zero or more than one roots",
        ),
        ({"Dimensions": {"Key": "RESOURCE_ID", "Values": ["i-1"]}}, "Dimension RESOURCE_ID is not allowed."),
        ({"Dimensions": {"Key": "USAGE_TYPE", "Values": ["x"]}}, "not modelled by the emulator"),
    ],
)
def test_invalid_filters_are_validation_errors(tiny, expression, message):
    _, client = tiny
    code, text, _ = error_of(lambda: usage(client, YESTERDAY, "2026-03-02", Filter=expression))
    assert code == "ValidationException" and message in text


def test_a_query_only_about_a_new_account_has_no_data_yet(tiny):
    _, client = tiny
    new_only = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [NEW]}}
    code, _, status = error_of(lambda: usage(client, YESTERDAY, "2026-03-02", Filter=new_only))
    assert (code, status) == ("DataUnavailableException", 400)
    both = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [NEW, PROD]}}
    assert amount(usage(client, YESTERDAY, "2026-03-02", Filter=both)["ResultsByTime"][0]) == Decimal("14.0000000001")


# -- grouping and pagination ------------------------------------------------------------------------


def test_two_group_bys_give_keys_empty_total_and_account_names(tiny):
    emulator, client = tiny
    emulator.configure(page_size=100)
    answer = usage(
        client,
        YESTERDAY,
        "2026-03-02",
        GroupBy=[{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    (result,) = answer["ResultsByTime"]
    assert result["Total"] == {}
    assert [(g["Keys"], g["Metrics"]["UnblendedCost"]["Amount"]) for g in result["Groups"]] == [
        ([STAGING, LAMBDA], "0.3"),
        ([STAGING, "Tax"], "5"),
        ([PROD, EC2], "12.0000000001"),
        ([PROD, S3], "2"),
        ([YOUNG, EC2], "1"),
    ]
    assert answer["GroupDefinitions"] == [
        {"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"},
        {"Type": "DIMENSION", "Key": "SERVICE"},
    ]
    assert answer["DimensionValueAttributes"] == [
        {"Value": STAGING, "Attributes": {"description": "payments-staging"}},
        {"Value": PROD, "Attributes": {"description": "payments-prod"}},
        {"Value": YOUNG, "Attributes": {"description": "young"}},
    ]


def test_tag_groups_are_keyed_key_dollar_value(tiny):
    emulator, client = tiny
    emulator.configure(page_size=100)
    answer = usage(client, YESTERDAY, "2026-03-02", GroupBy=[{"Type": "TAG", "Key": "env"}])
    groups = {g["Keys"][0]: g["Metrics"]["UnblendedCost"]["Amount"] for g in answer["ResultsByTime"][0]["Groups"]}
    assert groups == {"env$": "8", "env$prod": "12.0000000001", "env$staging": "0.3"}
    assert answer["DimensionValueAttributes"] == []


def test_more_than_two_group_bys_are_rejected(tiny):
    _, client = tiny
    group_by = [{"Type": "DIMENSION", "Key": key} for key in ("LINKED_ACCOUNT", "SERVICE", "REGION")]
    code, _, _ = error_of(lambda: usage(client, YESTERDAY, "2026-03-02", GroupBy=group_by))
    assert code == "ValidationException"


def test_pages_split_periods_and_continue_where_they_stopped(tiny):
    emulator, client = tiny  # page size 3
    pages, count = collect_pages(
        client,
        TimePeriod={"Start": "2026-02-27", "End": "2026-03-02"},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    # 2 + 1 + 4 services over three days, at most 3 groups a page: 1 March is split.
    assert count == 3
    assert [[r["TimePeriod"]["Start"] for r in page["ResultsByTime"]] for page in pages] == [
        ["2026-02-27", "2026-02-28"],
        ["2026-03-01"],
        ["2026-03-01"],
    ]
    assert [[len(r["Groups"]) for r in page["ResultsByTime"]] for page in pages] == [[2, 1], [3], [1]]
    assert "NextPageToken" not in pages[-1]
    assert emulator.counters()["GetCostAndUsage"] == {"requests": 3, "billed": 3, "errors": {}}


def test_following_every_page_gives_the_same_totals_as_one_big_page(ce_emulator, ce_client, cost_dataset):
    today = cost_dataset.today
    request = dict(
        TimePeriod={"Start": (today - timedelta(days=7)).isoformat(), "End": today.isoformat()},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "DIMENSION", "Key": "LINKED_ACCOUNT"}, {"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    pages, count = collect_pages(ce_client, **dict(request))
    assert count > 10, "the long-tail account alone needs several 25-group pages"
    starts = [r["TimePeriod"]["Start"] for page in pages for r in page["ResultsByTime"]]
    assert len(starts) > len(set(starts)), "some day must continue on the next page"
    assert ce_emulator.billed_requests() == count

    whole = CostExplorerEmulator(cost_dataset, page_size=1_000_000)
    server = whole.serve()
    try:
        (single,), single_count = collect_pages(client_for(server.url), **dict(request))
    finally:
        server.stop()
    assert single_count == 1
    assert merged_groups(pages) == merged_groups([single])
    ungrouped = ce_client.get_cost_and_usage(**{k: v for k, v in request.items() if k != "GroupBy"})
    for result in ungrouped["ResultsByTime"]:
        day = result["TimePeriod"]["Start"]
        assert sum(v for k, v in merged_groups(pages).items() if k[0] == day) == amount(result)


def test_an_invalid_page_token_is_rejected(tiny):
    _, client = tiny
    request = dict(
        TimePeriod={"Start": "2026-02-27", "End": "2026-03-02"},
        Granularity="DAILY",
        Metrics=["UnblendedCost"],
        GroupBy=[{"Type": "DIMENSION", "Key": "SERVICE"}],
    )
    code, _, status = error_of(lambda: client.get_cost_and_usage(NextPageToken="not-a-token", **request))
    assert (code, status) == ("InvalidNextTokenException", 400)
    token = client.get_cost_and_usage(**request)["NextPageToken"]
    changed = dict(request, Metrics=["BlendedCost"])
    code, _, _ = error_of(lambda: client.get_cost_and_usage(NextPageToken=token, **changed))
    assert code == "RequestChangedException"


def test_credits_larger_than_usage_give_negative_days(ce_client, cost_dataset, cost_dataset_document):
    # Usage net of credits, without the tax posted on the 1st of each month (credits do not
    # cover it): a window that contains a 1st would otherwise have one positive day, so the
    # test held only on some days of the month.
    account = cost_dataset_document["accounts"][CREDITS_EXCEED_ACCOUNT]["id"]
    today = cost_dataset.today
    answer = usage(
        ce_client,
        (today - timedelta(days=5)).isoformat(),
        today.isoformat(),
        Filter={
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}},
                {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Usage", "Credit"]}},
            ]
        },
    )
    assert len(answer["ResultsByTime"]) == 5
    assert all(amount(r) < 0 for r in answer["ResultsByTime"])


def test_tax_on_the_first_of_the_month_is_not_covered_by_credits():
    # The other side of the test above, on a fixed date whose window contains a 1st.
    document = standard_dataset_on(date(2026, 12, 3))
    account = document["accounts"][CREDITS_EXCEED_ACCOUNT]["id"]
    emulator = CostExplorerEmulator(costdata.load_dataset(document))
    server = emulator.serve()
    try:
        client = boto3.client(
            "ce", endpoint_url=emulator.url, region_name="us-east-1", aws_access_key_id="testing",
            aws_secret_access_key="testing", config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
        )
        answer = usage(client, "2026-11-28", "2026-12-03",
                       Filter={"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}})
    finally:
        server.stop()
    signs = {r["TimePeriod"]["Start"]: amount(r) > 0 for r in answer["ResultsByTime"]}
    assert signs == {"2026-11-28": False, "2026-11-29": False, "2026-11-30": False,
                     "2026-12-01": True, "2026-12-02": False}


# -- forecasts ----------------------------------------------------------------------------------------


def test_forecast_is_mean_of_recent_days_with_an_interval(ce_client, cost_dataset, cost_dataset_document):
    account = cost_dataset_document["accounts"][CREDIT_ACCOUNT]["id"]
    only_account = {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}}
    today = cost_dataset.today
    history = usage(ce_client, (today - timedelta(days=30)).isoformat(), today.isoformat(), Filter=only_account)
    daily_mean = sum(amount(r) for r in history["ResultsByTime"]) / 30
    forecast = ce_client.get_cost_forecast(
        TimePeriod={"Start": today.isoformat(), "End": (today + timedelta(days=3)).isoformat()},
        Metric="UNBLENDED_COST",
        Granularity="DAILY",
        Filter=only_account,
        PredictionIntervalLevel=80,
    )
    assert len(forecast["ForecastResultsByTime"]) == 3
    for result in forecast["ForecastResultsByTime"]:
        mean = Decimal(result["MeanValue"])
        assert abs(mean - daily_mean) < Decimal("0.0000001")
        assert Decimal(result["PredictionIntervalLowerBound"]) < mean < Decimal(result["PredictionIntervalUpperBound"])
    assert forecast["Total"]["Unit"] == "USD"
    assert abs(Decimal(forecast["Total"]["Amount"]) - 3 * daily_mean) < Decimal("0.000001")


def test_monthly_forecast_to_month_end_scales_with_days(tiny):
    emulator, client = tiny
    emulator.configure(today="2026-03-10", forecast_min_history_days=3)
    answer = client.get_cost_forecast(
        TimePeriod={"Start": "2026-03-10", "End": "2026-04-01"}, Metric="BLENDED_COST", Granularity="MONTHLY"
    )
    (result,) = answer["ForecastResultsByTime"]
    assert result["TimePeriod"] == {"Start": "2026-03-10", "End": "2026-04-01"}
    assert Decimal(result["MeanValue"]) > 0


@pytest.mark.parametrize(
    ("request_changes", "code", "message"),
    [
        ({"Metric": "UnblendedCost"}, "ValidationException", "Member must satisfy enum value set"),
        ({"TimePeriod": {"Start": "2026-03-01", "End": "2026-03-05"}}, "ValidationException", "current date"),
        (
            {"TimePeriod": {"Start": "2026-03-05", "End": "2026-03-03"}},
            "ValidationException",
            "Requested Start: 2026-03-05 must be before requested End: 2026-03-03",
        ),
        (
            {"Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [YOUNG]}}},
            "DataUnavailableException",
            "Insufficient amount of historical data.",
        ),
        ({"Filter": {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [NEW]}}}, "DataUnavailableException", ""),
    ],
)
def test_forecast_errors(tiny, request_changes, code, message):
    _, client = tiny
    request = dict(
        TimePeriod={"Start": "2026-03-02", "End": "2026-04-01"}, Metric="UNBLENDED_COST", Granularity="MONTHLY"
    )
    request.update(request_changes)
    got_code, text, status = error_of(lambda: client.get_cost_forecast(**request))
    assert (got_code, status) == (code, 400)
    assert message in text


# -- faults and counters --------------------------------------------------------------------------------


def test_throttling_is_limit_exceeded_with_http_400_parsed_by_botocore(tiny):
    emulator, client = tiny
    emulator.throttle(count=2)
    for _ in range(2):
        assert error_of(lambda: usage(client, YESTERDAY, "2026-03-02")) == (
            "LimitExceededException",
            "Rate exceeded",
            400,
        )
    usage(client, YESTERDAY, "2026-03-02")
    assert emulator.counters()["GetCostAndUsage"] == {
        "requests": 3,
        "billed": 1,
        "errors": {"LimitExceededException": 2},
    }


def test_botocore_retries_throttling_on_its_own(tiny):
    emulator, _ = tiny
    patient = boto3.client(
        "ce",
        endpoint_url=emulator.url,
        region_name="us-east-1",
        aws_access_key_id="t",
        aws_secret_access_key="t",
        config=Config(retries={"mode": "standard", "total_max_attempts": 3}),
    )
    emulator.throttle(count=2)
    assert usage(patient, YESTERDAY, "2026-03-02")["ResponseMetadata"]["RetryAttempts"] == 2


def test_rate_limit_throttles_requests_above_the_rate(tiny):
    emulator, client = tiny
    emulator.configure(requests_per_second=2)
    outcomes = []
    for _ in range(6):
        try:
            usage(client, YESTERDAY, "2026-03-02")
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes[:2] == ["ok", "ok"]
    assert outcomes.count("LimitExceededException") >= 3
    emulator.clear_faults()
    usage(client, YESTERDAY, "2026-03-02")


def test_throttling_can_target_one_operation(tiny):
    emulator, client = tiny
    emulator.throttle(count=None, operation="GetCostForecast")
    usage(client, YESTERDAY, "2026-03-02")
    code, _, _ = error_of(
        lambda: client.get_cost_forecast(
            TimePeriod={"Start": "2026-03-02", "End": "2026-03-03"}, Metric="UNBLENDED_COST", Granularity="DAILY"
        )
    )
    assert code == "LimitExceededException"


def test_injected_errors_and_slow_responses(tiny):
    emulator, client = tiny
    emulator.inject_error("BillExpirationException", "The requested report expired.", count=1)
    assert error_of(lambda: usage(client, YESTERDAY, "2026-03-02"))[0] == "BillExpirationException"
    emulator.slow_down(0.4, count=1)
    started = time.monotonic()
    usage(client, YESTERDAY, "2026-03-02")
    assert time.monotonic() - started >= 0.4
    started = time.monotonic()
    usage(client, YESTERDAY, "2026-03-02")
    assert time.monotonic() - started < 0.4


def test_requests_are_logged_and_reset_clears_counters_but_keeps_data(tiny):
    emulator, client = tiny
    usage(client, YESTERDAY, "2026-03-02", Filter={"Dimensions": {"Key": "SERVICE", "Values": [S3]}})
    (logged,) = emulator.requests()
    assert logged["operation"] == "GetCostAndUsage" and logged["status"] == 200
    assert logged["request"]["Filter"] == {"Dimensions": {"Key": "SERVICE", "Values": [S3]}}
    emulator.reset()
    assert emulator.counters() == {} and emulator.requests() == []
    assert amount(usage(client, YESTERDAY, "2026-03-02")["ResultsByTime"][0]) == Decimal("20.3000000001")


# -- raw protocol and control API -------------------------------------------------------------------------


SIGNED = {"Authorization": "AWS4-HMAC-SHA256 Credential=testing/20260302/us-east-1/ce/aws4_request, Signature=0"}


def raw(url, target, body, content_type=CONTENT_TYPE, headers=SIGNED):
    return requests.post(
        url, data=json.dumps(body), timeout=5, headers={"X-Amz-Target": target, "Content-Type": content_type, **headers}
    )


def test_wire_format_of_answers_and_errors(tiny):
    emulator, _ = tiny
    ok = raw(
        emulator.url,
        "AWSInsightsIndexService.GetCostAndUsage",
        {"TimePeriod": {"Start": YESTERDAY, "End": "2026-03-02"}, "Granularity": "DAILY", "Metrics": ["UnblendedCost"]},
    )
    assert ok.status_code == 200 and ok.headers["Content-Type"] == CONTENT_TYPE
    assert ok.headers["x-amzn-RequestId"]
    emulator.throttle(1)
    throttled = raw(emulator.url, "AWSInsightsIndexService.GetCostAndUsage", {})
    assert throttled.status_code == 400
    assert throttled.json() == {"__type": "LimitExceededException", "message": "Rate exceeded"}


@pytest.mark.parametrize(
    ("target", "content_type", "headers", "error_type"),
    [
        ("AWSInsightsIndexService.GetAnomalies", CONTENT_TYPE, SIGNED, "UnknownOperationException"),
        ("SomethingElse.GetCostAndUsage", CONTENT_TYPE, SIGNED, "UnknownOperationException"),
        ("AWSInsightsIndexService.GetCostAndUsage", "application/json", SIGNED, "SerializationException"),
        ("AWSInsightsIndexService.GetCostAndUsage", CONTENT_TYPE, {}, "MissingAuthenticationTokenException"),
    ],
)
def test_protocol_violations_are_rejected(tiny, target, content_type, headers, error_type):
    emulator, _ = tiny
    answer = raw(emulator.url, target, {}, content_type, headers)
    assert answer.status_code == 400 and answer.json()["__type"] == error_type


def test_control_api_over_http(tiny):
    emulator, client = tiny
    control = f"{emulator.url}/__control"
    assert requests.get(f"{control}/health", timeout=5).json()["line_items"] == 10
    requests.post(f"{control}/settings", json={"today": "2026-03-01", "page_size": 1}, timeout=5).raise_for_status()
    assert emulator.today == date(2026, 3, 1) and emulator.page_size == 1
    requests.post(f"{control}/faults", json={"kind": "throttle", "count": 1}, timeout=5).raise_for_status()
    assert error_of(lambda: usage(client, "2026-02-28", YESTERDAY))[0] == "LimitExceededException"
    usage(client, "2026-02-28", YESTERDAY)
    counters = requests.get(f"{control}/counters", timeout=5).json()
    assert counters["GetCostAndUsage"] == {"requests": 2, "billed": 1, "errors": {"LimitExceededException": 1}}
    assert len(requests.get(f"{control}/requests", timeout=5).json()) == 2
    requests.post(f"{control}/reset", timeout=5).raise_for_status()
    assert requests.get(f"{control}/counters", timeout=5).json() == {}

    requests.post(f"{control}/dataset", json=dict(TINY, today="2026-02-28"), timeout=5).raise_for_status()
    assert emulator.today == date(2026, 2, 28)
    generated = requests.post(f"{control}/generate", json={"accounts": 2, "days": 3, "today": "2026-03-02"}, timeout=5)
    generated.raise_for_status()
    assert requests.get(f"{control}/health", timeout=5).json()["accounts"] == 2
    assert requests.post(f"{control}/settings", json={"page_size": 0}, timeout=5).status_code == 400
    assert requests.post(f"{control}/nothing", timeout=5).status_code == 404


def test_runs_standalone_from_the_command_line(tmp_path):
    dataset_file = tmp_path / "tiny.json"
    dataset_file.write_text(json.dumps(TINY))
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.support.ce_emulator", "--port", "0", "--dataset", str(dataset_file)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        banner = process.stdout.readline()
        url = banner.split(" on ")[1].split(" ")[0]
        answer = usage(client_for(url), YESTERDAY, "2026-03-02")
        assert amount(answer["ResultsByTime"][0]) == Decimal("20.3000000001")
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_spike_is_visible_through_the_api(ce_client, cost_dataset, cost_dataset_document):
    account = cost_dataset_document["accounts"][SPIKE_ACCOUNT]["id"]
    today = cost_dataset.today
    answer = usage(
        ce_client,
        (today - timedelta(days=8)).isoformat(),
        today.isoformat(),
        Filter={
            "And": [
                {"Dimensions": {"Key": "LINKED_ACCOUNT", "Values": [account]}},
                {"Dimensions": {"Key": "RECORD_TYPE", "Values": ["Usage"]}},
            ]
        },
    )
    days = [amount(r) for r in answer["ResultsByTime"]]
    assert days[-1] > 3 * days[0]  # yesterday vs the same weekday a week earlier


def test_chunked_request_bodies_are_read(tiny):
    emulator, _ = tiny
    body = json.dumps(
        {"TimePeriod": {"Start": YESTERDAY, "End": "2026-03-02"}, "Granularity": "DAILY", "Metrics": ["UnblendedCost"]}
    ).encode()
    chunks = iter([body[:10], body[10:]])  # a generator body makes requests send it chunked
    answer = requests.post(
        emulator.url,
        data=chunks,
        timeout=5,
        headers={"X-Amz-Target": "AWSInsightsIndexService.GetCostAndUsage", "Content-Type": CONTENT_TYPE, **SIGNED},
    )
    assert answer.status_code == 200
    assert answer.json()["ResultsByTime"][0]["Total"]["UnblendedCost"]["Amount"] == "20.3000000001"


def test_list_cost_allocation_tags_answers_the_configured_tags(tiny):
    emulator, client = tiny
    assert client.list_cost_allocation_tags()["CostAllocationTags"] == []
    emulator.configure(cost_allocation_tags={"team": "Active", "env": "Inactive"})
    answer = client.list_cost_allocation_tags(TagKeys=["team", "env", "unknown"])["CostAllocationTags"]
    assert answer == [
        {"TagKey": "env", "Type": "UserDefined", "Status": "Inactive"},
        {"TagKey": "team", "Type": "UserDefined", "Status": "Active"},
    ]
    assert [t["TagKey"] for t in client.list_cost_allocation_tags(Status="Active")["CostAllocationTags"]] == ["team"]
