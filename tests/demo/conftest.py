"""scripts/demo.py as a module (scripts/ is not a package), for tests of its parts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

DEMO_SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "demo.py"


@pytest.fixture(scope="session")
def demo_module():
    spec = importlib.util.spec_from_file_location("orgpulse_demo", DEMO_SCRIPT)
    module = importlib.util.module_from_spec(spec)
    # dataclasses look their module up by name while the module is being executed.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
