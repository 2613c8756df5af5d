"""The cost dataset generator and loader: realistic shapes, determinism, the file format."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.conftest import (
    CREDIT_ACCOUNT,
    CREDITS_EXCEED_ACCOUNT,
    LONG_TAIL_ACCOUNT,
    REPO_ROOT,
    SPIKE_ACCOUNT,
    ZERO_COST_ACCOUNT,
    standard_dataset,
)
from tests.support import costdata

TODAY = date(2026, 3, 2)  # a Monday just after a short February


@pytest.fixture(scope="module")
def document() -> dict:
    return standard_dataset(today=TODAY)


def account_id(document: dict, index: int) -> str:
    return document["accounts"][index]["id"]


def daily_totals(document: dict, account: str, record_types=("Usage", "Tax", "Credit")) -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for item in document["line_items"]:
        if item["account"] == account and item.get("record_type", "Usage") in record_types:
            totals[item["date"]] += Decimal(item["unblended"])
    return totals


def test_same_arguments_give_the_same_dataset_and_another_seed_another():
    assert standard_dataset(today=TODAY) == standard_dataset(today=TODAY)
    assert standard_dataset(today=TODAY) != standard_dataset(today=TODAY, seed=99)


def test_data_covers_the_days_before_today_and_nothing_from_today_on(document):
    days = {item["date"] for item in document["line_items"]}
    assert max(days) == (TODAY - timedelta(days=1)).isoformat()
    assert min(days) == (TODAY - timedelta(days=70)).isoformat()
    assert document["today"] == TODAY.isoformat()
    assert document["estimated_days"] == 2


def test_accounts_and_organizational_units_look_like_aws(document):
    ids = [account["id"] for account in document["accounts"]]
    assert all(re.fullmatch(r"\d{12}", account_id) for account_id in ids)
    assert len(set(ids)) == len(ids)
    assert any(account_id.startswith("0") for account_id in ids), "a leading-zero ID must exist"
    ou_ids = {ou["id"] for ou in document["organizational_units"]}
    assert all(re.fullmatch(r"ou-[0-9a-z]{4,32}-[0-9a-z]{8,32}", ou_id) for ou_id in ou_ids)
    assert all(account["ou"] in ou_ids for account in document["accounts"])
    assert [ou["name"] for ou in document["organizational_units"]] == costdata.DEFAULT_OUS


def test_service_names_are_cost_explorer_spellings(document):
    services = {item["service"] for item in document["line_items"]}
    assert {"Amazon Elastic Compute Cloud - Compute", "Amazon Simple Storage Service", "Tax"} <= services
    assert "AWS Lambda" in {name for name, _, _ in costdata.COMMON_SERVICES}


def test_one_account_has_a_long_tail_of_200_services(document):
    account = account_id(document, LONG_TAIL_ACCOUNT)
    services = {item["service"] for item in document["line_items"] if item["account"] == account}
    assert len(services - {"Tax"}) == costdata.LONG_TAIL_SERVICE_COUNT
    # The tail is cents while the head carries the cost.
    per_service = defaultdict(Decimal)
    for item in document["line_items"]:
        if item["account"] == account and item["date"] == "2026-02-20":
            per_service[item["service"]] += Decimal(item["unblended"])
    ranked = sorted(per_service.values(), reverse=True)
    assert ranked[0] > 100 * ranked[-1]


def test_weekends_are_cheaper_outside_production(document):
    staging = next(a["id"] for a in document["accounts"] if a["tags"]["env"] == "staging")
    totals = daily_totals(document, staging, ("Usage",))
    weekdays = [v for d, v in totals.items() if date.fromisoformat(d).weekday() < 5]
    weekends = [v for d, v in totals.items() if date.fromisoformat(d).weekday() >= 5]
    assert sum(weekends) / len(weekends) < Decimal("0.6") * sum(weekdays) / len(weekdays)


def test_the_spike_multiplies_yesterday(document):
    totals = daily_totals(document, account_id(document, SPIKE_ACCOUNT), ("Usage",))
    yesterday = (TODAY - timedelta(days=1)).isoformat()
    same_weekday_before = (TODAY - timedelta(days=8)).isoformat()
    assert totals[yesterday] > 3 * totals[same_weekday_before]


def test_credits_are_negative_credit_lines_and_can_exceed_usage(document):
    credit_lines = [i for i in document["line_items"] if i.get("record_type") == "Credit"]
    assert credit_lines and all(Decimal(i["unblended"]) < 0 for i in credit_lines)
    assert {i["account"] for i in credit_lines} == {
        account_id(document, CREDIT_ACCOUNT),
        account_id(document, CREDITS_EXCEED_ACCOUNT),
    }
    exceeding = daily_totals(document, account_id(document, CREDITS_EXCEED_ACCOUNT), ("Usage", "Credit"))
    assert all(total < 0 for total in exceeding.values())
    partial = daily_totals(document, account_id(document, CREDIT_ACCOUNT), ("Usage", "Credit"))
    assert all(total > 0 for total in partial.values())


def test_tax_is_posted_on_the_first_of_each_month(document):
    tax_days = {i["date"] for i in document["line_items"] if i["service"] == "Tax"}
    assert tax_days == {"2026-01-01", "2026-02-01", "2026-03-01"}
    assert all(i.get("record_type") == "Tax" for i in document["line_items"] if i["service"] == "Tax")


def test_line_items_carry_cost_allocation_tags_and_some_are_untagged(document):
    usage = [i for i in document["line_items"] if i.get("record_type", "Usage") == "Usage"]
    tagged = [i for i in usage if i.get("tags")]
    assert tagged and len(tagged) < len(usage)
    assert {i["tags"]["env"] for i in tagged} == {"prod", "staging", "dev", "sandbox"}
    assert all(set(i["tags"]) == {"env", "team"} for i in tagged)


def test_zero_cost_and_new_accounts_have_no_line_items(document):
    zero = account_id(document, ZERO_COST_ACCOUNT)
    new_accounts = [a for a in document["accounts"] if a["new"]]
    assert len(new_accounts) == 1
    charged = {i["account"] for i in document["line_items"]}
    assert zero not in charged and new_accounts[0]["id"] not in charged


def test_metrics_differ_where_aws_metrics_differ(document):
    compute = [
        i
        for i in document["line_items"]
        if i["service"] == "Amazon Elastic Compute Cloud - Compute" and i.get("record_type", "Usage") == "Usage"
    ]
    assert all(Decimal(i["blended"]) < Decimal(i["unblended"]) for i in compute)
    assert any("amortized" in i for i in compute)
    assert all(i["usage_unit"] == "Hrs" and Decimal(i["usage_quantity"]) > 0 for i in compute)


def test_loading_indexes_by_day_and_account_with_defaults(document):
    dataset = costdata.load_dataset(document)
    assert dataset.line_count == len(document["line_items"])
    assert dataset.today == TODAY
    zero_cost = account_id(document, ZERO_COST_ACCOUNT)
    assert zero_cost in dataset.accounts
    day = TODAY - timedelta(days=1)
    lines = list(dataset.lines(day, [account_id(document, SPIKE_ACCOUNT)]))
    assert lines and all(line.account == account_id(document, SPIKE_ACCOUNT) for line in lines)
    # Omitted metrics default to unblended; omitted quantity to 0.
    minimal = costdata.load_dataset(
        {
            "accounts": [{"id": "000000000001", "name": "a"}],
            "line_items": [{"date": "2026-01-01", "account": "000000000001", "service": "S", "unblended": "1.5"}],
        }
    )
    (line,) = minimal.lines(date(2026, 1, 1))
    assert line.amounts == (15 * 10**9,) * 5 + (0,)
    assert (line.record_type, line.region, dict(line.tags), line.usage_unit) == ("Usage", "us-east-1", {}, "N/A")


def test_invalid_documents_are_rejected_with_every_problem_listed():
    with pytest.raises(costdata.DatasetError) as error:
        costdata.load_dataset(
            {
                "accounts": [{"id": "12345"}],
                "line_items": [
                    {"date": "2026-13-01", "account": "000000000001", "service": "S", "unblended": "1"},
                    {"date": "2026-01-01", "account": "000000000001", "service": "S", "unblended": "0.00000000001"},
                ],
            }
        )
    message = str(error.value)
    for expected in ("12-digit", "2026-13-01", "not listed in accounts", "more than 10 decimal places"):
        assert expected in message


def test_amount_formatting_is_exact_and_plain():
    assert costdata.format_amount(costdata.to_units("12.3400")) == "12.34"
    assert costdata.format_amount(costdata.to_units("-0.0000000001")) == "-0.0000000001"
    assert costdata.format_amount(0) == "0"
    assert costdata.format_amount(costdata.to_units("100")) == "100"


def test_cli_writes_a_dataset_file_the_loader_reads(tmp_path):
    out = tmp_path / "org.json"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "tests.support.costdata",
            "--out",
            str(out),
            "--accounts",
            "3",
            "--days",
            "5",
            "--today",
            "2026-05-10",
            "--credits",
            "1",
            "--spike",
            "0:2026-05-09:5",
            "--new",
            "1",
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "4 accounts" in result.stdout
    document = json.loads(out.read_text())
    assert document["format"] == costdata.FORMAT
    assert costdata.read_dataset_file(str(out)).line_count == len(document["line_items"])
