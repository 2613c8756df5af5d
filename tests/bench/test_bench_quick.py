"""The benchmark's Cost Explorer part, as a test: on the local end-to-end system (scripts/bench),
orgpulse's billed Cost Explorer requests for a daily run stay the same from 10 to 100 accounts,
while the seed's design makes exactly one request per account.

The emulator's page size is large enough for 100 accounts' 58 days of totals to fit one page, so
pages do not blur the comparison (scripts/bench reports pages at the default page size)."""

from __future__ import annotations

import argparse

import pytest

from scripts import bench

PAGE_SIZE = 10_000  # > 58 days x 100 accounts: every query is one page


@pytest.fixture(scope="module")
def measured(tmp_path_factory):
    options = argparse.Namespace(
        release=False, max_concurrency=4, page_size=PAGE_SIZE, timeout_minutes=15, cold_start=False
    )
    return {
        accounts: {run.design: run for run in bench.bench_size(accounts, tmp_path_factory.mktemp(f"bench{accounts}"), options).runs}
        for accounts in (10, 100)
    }


def test_runs_succeed_and_report_every_account(measured):
    for accounts, runs in measured.items():
        for design, run in runs.items():
            assert run.status == "SUCCEEDED", (accounts, design, run.output)
            assert len(run.durations("report")) == accounts, (accounts, design)
        assert runs["orgpulse"].output["sent"] == accounts


def test_orgpulse_cost_explorer_requests_do_not_grow_with_accounts(measured):
    requests = {accounts: runs["orgpulse"].ce_requests_billed for accounts, runs in measured.items()}
    assert requests[10] == requests[100], requests
    # One organisation-wide query per range (services, totals): a handful, never one per account.
    assert requests[100] <= 4, requests


def test_naive_design_makes_one_request_per_account(measured):
    for accounts, runs in measured.items():
        assert runs["naive"].ce_requests_billed == accounts
        assert runs["naive"].ce_queries == accounts


@pytest.fixture(scope="module")
def fan_in(tmp_path_factory):
    options = argparse.Namespace(release=False, max_concurrency=4, page_size=500, timeout_minutes=15)
    return {run["scenario"]: run for run in bench.bench_slack_fan_in(12, tmp_path_factory.mktemp("fan-in"), options)}


def test_accounts_sharing_a_channel_all_deliver_at_slack_pace(fan_in):
    shared = fan_in["one shared channel"]
    assert shared["status"] == "SUCCEEDED", shared
    # Every account's report arrives although the workers were told to wait over and over.
    assert shared["ratelimited_answers"] > 0, shared
    assert (shared["sent"], shared["failed"]) == (12, 0), shared
    assert shared["outcomes"] == {"sent": 12}, shared
    # Each report waited its turn within its own invocation: no item failed over to Step
    # Functions' retry (which re-runs the whole item and, under heavier contention, gives up).
    assert shared["report_calls"] == 12, shared
    # Slack's pace, not the Map's concurrency, sets the time: one message a second after the burst.
    assert shared["shared_channel_span_seconds"] >= shared["slack_bound_seconds"] - 1, shared


def test_accounts_with_their_own_channels_never_wait_for_slack(fan_in):
    own = fan_in["a channel each"]
    assert (own["sent"], own["failed"], own["ratelimited_answers"]) == (12, 0, 0), own
