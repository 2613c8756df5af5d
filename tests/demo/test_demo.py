"""scripts/demo end to end, and its HTML preview in a real browser (Debian's headless Chromium).

The demo runs as a subprocess, exactly as `scripts/demo` starts it after bootstrapping: the
real state machine file, the real Lambda binaries, moto, the Cost Explorer emulator and the
Slack sink. The test then opens the preview the demo wrote, takes a screenshot and reads the
DOM the browser built.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.demo import png
from tests.demo.browser import CHROMIUM, INSTALL_HINT, capture

REPO_ROOT = Path(__file__).resolve().parents[2]
DEMO = REPO_ROOT / "scripts" / "demo.py"
DEMO_TIMEOUT = 1800  # seconds; a cold build of the Lambda binaries alone takes minutes


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """One demo run for the whole module: its stdout and the files it wrote."""
    workdir = tmp_path_factory.mktemp("demo")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    completed = subprocess.run(
        [sys.executable, str(DEMO), "--workdir", str(workdir), "--no-color"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=DEMO_TIMEOUT,
    )
    assert completed.returncode == 0, (
        f"scripts/demo exited {completed.returncode}\n--- stdout (end) ---\n{completed.stdout[-6000:]}"
        f"\n--- stderr (end) ---\n{completed.stderr[-6000:]}"
    )
    result = json.loads((workdir / "result.json").read_text(encoding="utf-8"))
    messages = json.loads((workdir / "messages.json").read_text(encoding="utf-8"))
    return {"stdout": completed.stdout, "result": result, "messages": messages, "workdir": workdir}


def test_the_demo_prints_every_delivered_message(demo):
    messages, stdout, result = demo["messages"], demo["stdout"], demo["result"]
    # The preview's messages are today's run as the Slack sink recorded them (yesterday's
    # baseline run is delivered too, and not shown).
    assert len(messages) == result["messages"] == result["sink_messages"] - result["baseline_messages"]
    first = result["first_run"]
    assert first["failed"] == 0 and first["config_problems"] == 0, first
    assert first["sent"] + 1 == len(messages), "every report plus the operators' summary"
    for number, message in enumerate(messages, start=1):
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        header = f"┌ message {number} · "
        line = next((l for l in stdout.splitlines() if l.startswith(header)), None)
        assert line is not None, f"message {number} ({message['channel']}) is not printed"
        if "account_id" in payload:
            assert payload["account_id"] in line and payload["kind"].lower() in line, line
    assert stdout.count("┌ message ") == len(messages)
    assert "Run summary" in stdout
    assert f"Cost Explorer: {result['cost_explorer_requests']} billed requests" in stdout
    assert str(demo["workdir"] / "preview.html") in stdout


def test_the_sample_organisation_shows_what_the_product_handles(demo):
    result, messages = demo["result"], demo["messages"]
    assert len(result["account_ids"]) >= 12
    every_text = json.dumps(messages, ensure_ascii=False)
    reports = [m for m in messages if (m.get("metadata") or {}).get("event_type") == "orgpulse_report"]
    kinds = {m["metadata"]["event_payload"]["kind"] for m in reports}
    assert kinds == {"DAILY", "WEEKLY", "MONTHLY"}, kinds
    assert "¥" in every_text, "the JPY account"
    assert "決済基盤" in every_text, "the Japanese description"
    assert "Only costs tagged" in every_text, "the tag-filtered account"
    assert "🚨" in every_text, "the spike over its alert threshold"
    assert "Credits" in every_text or "credits" in every_text, "the account with credits"
    summary = [m for m in messages if m["channel"] == "G0PERATORS"]
    assert len(summary) == 1
    summary_text = json.dumps(summary[0], ensure_ascii=False)
    assert "checkout-dev" in summary_text and result["first_run"]["onboarded"] == 1, "the onboarded account"
    assert "suspended" in summary_text, "the suspended account is skipped, and said so"
    assert result["account_ids"]["legacy-batch-prod"] not in {
        m["metadata"]["event_payload"]["account_id"] for m in reports
    }


def test_the_second_run_of_the_day_delivers_nothing_new(demo):
    result, stdout = demo["result"], demo["stdout"]
    second = result["second_run"]
    assert result["second_run_messages"] == 0
    assert second["sent"] == 0 and second["failed"] == 0, second
    assert second["already_delivered"] == result["first_run"]["sent"], second
    assert second["summary"] == "nothing_new", second
    assert "nothing new delivered" in stdout
    assert f"{second['already_delivered']} reports already in the DynamoDB ledger, 0 sent" in stdout


class _PreviewDom(HTMLParser):
    """Counts what the test checks in the DOM Chromium built."""

    def __init__(self) -> None:
        super().__init__()
        self.message_indices: list[tuple[str, str]] = []
        self.render_errors = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if "data-message-index" in attributes:
            self.message_indices.append((attributes.get("data-channel") or "", attributes["data-message-index"] or ""))
        if "render-error" in (attributes.get("class") or "").split():
            self.render_errors += 1


def test_the_preview_shows_every_message_in_a_browser(demo, tmp_path):
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    screenshot = tmp_path / "preview.png"
    dom = capture(demo["workdir"] / "preview.html", screenshot, width=1280, height=2000)

    parsed = _PreviewDom()
    parsed.feed(dom)
    messages = demo["messages"]
    assert len(parsed.message_indices) == len(messages), "every delivered message is on the page"
    expected = {}
    for message in messages:
        expected.setdefault(message["channel"], []).append(message)
    shown = {}
    for channel, index in parsed.message_indices:
        shown.setdefault(channel, []).append(index)
    assert {c: len(m) for c, m in expected.items()} == {c: len(i) for c, i in shown.items()}
    assert parsed.render_errors == 0, "an element with class render-error: a block the preview could not render"

    image = png.read(screenshot.read_bytes())
    assert (image.width, image.height) == (1280, 2000)
    assert screenshot.stat().st_size > 30_000, "a page of messages compresses to more than a blank page"
    colours = image.distinct_colours(step=7)
    assert len(colours) > 50, f"only {len(colours)} colours: the page looks blank"
    assert image.share_of_most_common_colour(step=7) < 0.95, "almost one colour: the page looks blank"
