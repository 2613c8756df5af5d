"""End-to-end fixtures: one LocalSystem (moto + router + cargo-lambda + doubles) per test
module, because starting it costs a few seconds and the first build far more."""

from __future__ import annotations

import pytest

from tests.e2e.harness import LocalSystem


@pytest.fixture
def system(tmp_path):
    with LocalSystem(tmp_path / "system") as running:
        yield running
