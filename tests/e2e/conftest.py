"""End-to-end fixtures: a fresh LocalSystem (moto + router + cargo-lambda + doubles) for each
test, so no ledger entry, message or fault leaks from one scenario into another. Starting one
costs a few seconds once the binaries are built (the first build takes minutes)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from tests.e2e.harness import LocalSystem


@pytest.fixture
def system(tmp_path):
    with LocalSystem(tmp_path / "system") as running:
        yield running


@pytest.fixture(autouse=True)
def calls_allowed_by_iam():
    """After each scenario: every AWS request the functions of every LocalSystem it started made
    is allowed by the function's planned policy (or, in a member account, by the StackSet
    template's policy), at resource level (tests/infra/iam_calls.py). Known bugs are listed in
    iam_calls.KNOWN_DENIES."""
    LocalSystem.started.clear()
    yield
    if os.environ.get("ORGPULSE_IAM_CALL_CHECK") == "off":
        # Only scripts/test-dates sets it: under libfaketime the offline Terraform plan this
        # check needs cannot run (see there); `pytest tests` runs the check after every scenario.
        return
    infra = str(Path(__file__).resolve().parents[1] / "infra")
    if infra not in sys.path:
        sys.path.insert(0, infra)
    import iam_calls

    for system in LocalSystem.started:
        found = iam_calls.unexpected(iam_calls.check(system))
        assert not found, "IAM would deny:\n" + iam_calls.describe(found)
