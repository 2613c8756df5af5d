"""The committed sample (examples/demo) and the demo's terminal rendering, without starting
anything: fast checks that the sample still shows what the demo promises."""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from tests.support import costdata


def test_the_configuration_names_the_sample_organisation(demo_module):
    sample = demo_module.SampleOrganization.load()
    rows = json.loads(demo_module.CONFIG_FILE.read_text(encoding="utf-8"))
    ids = {a.expected_id: a for a in sample.accounts}
    for row in rows:
        if row.get("AccountId"):
            assert row["AccountId"] in ids, f"row for {row['AccountId']}: no such account in organization.json"
        if row.get("OrganizationalUnitId"):
            assert row["OrganizationalUnitId"] in sample.expected_ou_ids.values(), row
    configured = {row.get("AccountId") for row in rows}
    joining = [a for a in sample.accounts if a.joins_after_baseline]
    assert joining and all(a.expected_id not in configured for a in joining), "the onboarded account has no row"
    assert any(a.suspended for a in sample.accounts)
    members = [a for a in sample.accounts if a.ou]
    assert len(members) >= 12 and len(sample.ou_order) >= 3
    assert any(row.get("Currency") == "JPY" for row in rows)
    assert any(row.get("CostTags") for row in rows)
    assert any(any(ord(c) > 0x3000 for c in row.get("Description", "")) for row in rows)


def test_the_cost_history_has_a_rhythm_a_spike_credits_and_tags(demo_module):
    sample = demo_module.SampleOrganization.load()
    ids = {a.name: f"{n:012d}" for n, a in enumerate(sample.accounts, start=100000000000)}
    document = demo_module.cost_document(sample, ids)
    costdata.load_dataset(document)  # valid for the emulator
    daily = defaultdict(Decimal)
    for item in document["line_items"]:
        daily[(item["account"], item["date"])] += Decimal(item["unblended"])
    first_day = min(item["date"] for item in document["line_items"])
    assert date.fromisoformat(first_day) <= sample.report_date - timedelta(days=60)

    # Staging idles at weekends: Saturday well below the Friday before it.
    staging = ids["payments-stg"]
    saturday = sample.report_date - timedelta(days=2)
    assert saturday.weekday() == 5
    friday = saturday - timedelta(days=1)
    assert daily[(staging, saturday.isoformat())] < daily[(staging, friday.isoformat())] * Decimal("0.7")
    # The spike: yesterday at least twice the day before.
    spike = ids["search-prod"]
    yesterday, before = sample.report_date - timedelta(days=1), sample.report_date - timedelta(days=2)
    assert daily[(spike, yesterday.isoformat())] > 2 * daily[(spike, before.isoformat())]
    assert any(i.get("record_type") == "Credit" and i["account"] == ids["ml-sandbox"] for i in document["line_items"])
    teams = {i["tags"].get("team") for i in document["line_items"] if i["account"] == ids["shared-analytics"] and i.get("tags")}
    assert {"data-platform", "ml"} <= teams
    # The account that joins tonight has costs from yesterday only.
    joined = {i["date"] for i in document["line_items"] if i["account"] == ids["checkout-dev"]}
    assert joined == {yesterday.isoformat()}


def test_ids_moto_assigns_differently_are_replaced_in_the_uploaded_configuration(demo_module):
    seeded = demo_module.SeededOrganization(root_id="r-abcd", renamed_ids={"178283161276": "012345678901"})
    text = demo_module.configuration_text(seeded)
    assert '"012345678901"' in text and '"178283161276"' not in text


def test_block_kit_in_the_terminal(demo_module):
    style = demo_module.Style(color=False)
    message = {
        "channel": "C0PAYMENTS",
        "text": "fallback",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": "決済基盤 · Daily cost"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*¥137,162* &lt;!channel&gt; <https://example.com|Open>\u001b[31m"}},
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "*Month*\n¥1"}, {"type": "mrkdwn", "text": "*Projected*\n¥2"}]},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "a" * 30}, {"type": "plain_text", "text": "b" * 30}]},
            {"type": "divider"},
            {"type": "video", "title": {"type": "plain_text", "text": "x"}},
        ],
    }
    lines = demo_module.render_message(message, style, width=50)
    assert lines[0] == "決済基盤 · Daily cost"
    assert lines[1] == "¥137,162 <!channel> Open [31m", "entities decoded last, the escape character dropped"
    assert lines[2].startswith("Month") and lines[2].rstrip().endswith("Projected")
    assert lines[4] == "a" * 30 and lines[5] == "b" * 30, "context wraps at the width"
    assert "not shown in the terminal" in lines[-1]
    assert demo_module.cells("決済") == 4
