"""End-to-end fixtures: a fresh LocalSystem (moto + router + cargo-lambda + doubles) for each
test, so no ledger entry, message or fault leaks from one scenario into another. Starting one
costs a few seconds once the binaries are built (the first build takes minutes)."""

from __future__ import annotations

import pytest

from tests.e2e.harness import LocalSystem


@pytest.fixture
def system(tmp_path):
    with LocalSystem(tmp_path / "system") as running:
        yield running
