"""Fixtures shared by every Python test: the Cost Explorer emulator and the Slack sink on free
loopback ports (background threads, stopped after the test), and generated cost datasets.

    def test_something(ce_emulator, ce_env, slack_sink, slack_env, cost_dataset):
        subprocess.run([...], env={**os.environ, **ce_env, **slack_env})
        assert ce_emulator.billed_requests() == 1
        assert [m["channel"] for m in slack_sink.messages()] == [REPORTS_CHANNEL]
"""

from __future__ import annotations

import os
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

# `tests.support` must be importable with `pytest tests` as well as `python -m pytest tests`
# (only the latter puts the repository root on sys.path). Run pytest from the repository root.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.support import costdata  # noqa: E402
from tests.support.ce_emulator import CostExplorerEmulator  # noqa: E402
from tests.support.slack_sink import Channel, SlackSink  # noqa: E402

# Channels every sink fixture knows. Slack IDs: C = public channel, G/C = private.
REPORTS_CHANNEL = "C0000000001"  # public, the bot is a member
OPERATORS_CHANNEL = "G0000000002"  # private, the bot is a member
PUBLIC_NOT_JOINED_CHANNEL = "C0000000003"  # public, the bot is not a member
PRIVATE_NOT_JOINED_CHANNEL = "G0000000004"  # private, the bot is not a member: invisible to it
ARCHIVED_CHANNEL = "C0000000005"
SLACK_TOKEN = "xoxb-0000000000-orgpulse-test-token"

# The generated organisation of `cost_dataset`: which account index shows which case.
DATASET_SEED = 20261128
LONG_TAIL_ACCOUNT = 0  # 200 services
CREDIT_ACCOUNT = 1  # credits of ~30% of usage
CREDITS_EXCEED_ACCOUNT = 2  # credits larger than usage
ZERO_COST_ACCOUNT = 3  # no charges at all
SPIKE_ACCOUNT = 4  # yesterday's top service at 8x


# The session's "today": ORGPULSE_TEST_TODAY when set (the date matrix of `scripts/test dates`
# may set it), else the UTC date read here, once, and exported, so that every double, fixture and
# child process of this session agrees on one day even across midnight. Under faketime the read
# gives the faked date. The doubles never read the clock themselves (costdata.pinned_today).
os.environ.setdefault(costdata.TODAY_ENV, datetime.now(UTC).date().isoformat())


def session_today() -> date:
    return costdata.pinned_today()


def standard_dataset(today=None, **overrides) -> dict:
    """The dataset document behind `cost_dataset`, for tests that want a variant of it."""
    arguments = dict(
        seed=DATASET_SEED,
        accounts=10,
        days=70,
        today=(today or session_today()).isoformat(),
        long_tail_accounts=[LONG_TAIL_ACCOUNT],
        credit_accounts=[CREDIT_ACCOUNT],
        credits_exceed_usage_accounts=[CREDITS_EXCEED_ACCOUNT],
        zero_cost_accounts=[ZERO_COST_ACCOUNT],
        new_accounts=1,
        spikes=[{"account": SPIKE_ACCOUNT, "date": 1, "factor": 8}],
    )
    arguments.update(overrides)
    return costdata.generate(**arguments)


@pytest.fixture(scope="session")
def cost_dataset_document() -> dict:
    """A generated 10-account organisation (+1 new account) around the session's today: JSON
    document in the costdata format, e.g. to write to a file for another process."""
    return standard_dataset()


@pytest.fixture(scope="session")
def cost_dataset(cost_dataset_document) -> costdata.Dataset:
    """The same organisation, parsed and indexed (immutable: safe to share)."""
    return costdata.load_dataset(cost_dataset_document)


@pytest.fixture
def ce_emulator(cost_dataset):
    """A Cost Explorer emulator serving `cost_dataset` on a free loopback port.
    `ce_emulator.url` is its endpoint; page size is small (25 groups) so pagination happens."""
    emulator = CostExplorerEmulator(cost_dataset, page_size=25)
    server = emulator.serve()
    yield emulator
    server.stop()


@pytest.fixture
def ce_env(ce_emulator) -> dict[str, str]:
    """Environment for a process using an AWS SDK (e.g. the Rust binaries) to reach the emulator."""
    return {
        "AWS_ENDPOINT_URL_COST_EXPLORER": ce_emulator.url,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
    }


@pytest.fixture
def ce_client(ce_emulator):
    """boto3's real `ce` client against the emulator, without SDK retries."""
    import boto3
    from botocore.config import Config

    return boto3.client(
        "ce",
        endpoint_url=ce_emulator.url,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=Config(retries={"mode": "standard", "total_max_attempts": 1}),
    )


def standard_channels() -> list[Channel]:
    return [
        Channel(REPORTS_CHANNEL, "cost-reports"),
        Channel(OPERATORS_CHANNEL, "orgpulse-operators", is_private=True),
        Channel(PUBLIC_NOT_JOINED_CHANNEL, "team-announcements", is_member=False),
        Channel(PRIVATE_NOT_JOINED_CHANNEL, "finance-private", is_private=True, is_member=False),
        Channel(ARCHIVED_CHANNEL, "old-reports", is_archived=True),
    ]


@pytest.fixture
def slack_sink():
    """A Slack Web API sink on a free loopback port with the standard channels and token.
    `slack_sink.api_url` is the base URL ending in /api/. Slack's per-channel rate limit
    (1 message/s, bursts of 3) is on; `slack_sink.configure(rate_limit_per_second=None)` turns
    it off for tests that post many messages to one channel."""
    sink = SlackSink(SLACK_TOKEN, standard_channels())
    server = sink.serve()
    yield sink
    server.stop()


@pytest.fixture
def slack_env(slack_sink) -> dict[str, str]:
    """Environment pointing orgpulse's Slack client (SLACK_API_URL) at the sink."""
    return {"SLACK_API_URL": f"{slack_sink.url}/api", "SLACK_BOT_TOKEN": SLACK_TOKEN,
            # Endpoint overrides may point at local doubles only with this switch.
            "ORGPULSE_ALLOW_LOCAL_ENDPOINTS": "1"}


@pytest.fixture
def slack_client(slack_sink):
    """slack_sdk's WebClient against the sink (no automatic retries)."""
    from slack_sdk import WebClient

    return WebClient(token=SLACK_TOKEN, base_url=slack_sink.api_url, timeout=5)


def pytest_report_header(config):
    return f"orgpulse session today: {session_today()} ({costdata.TODAY_ENV}; wall clock {datetime.now(UTC):%Y-%m-%dT%H:%M:%SZ})"
