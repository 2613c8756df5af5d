"""Debian's Chromium, headless: a screenshot and the DOM of a local HTML file.

Flags keep the browser off the network and away from any profile: a fresh user-data directory
every time, no sync, no component updates, no background requests, no QUIC.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
INSTALL_HINT = "install it with `sudo apt-get install -y chromium` (scripts/bootstrap does)"
TIMEOUT = 120  # seconds per browser run; a static page takes about two


def _run(arguments: list[str]) -> subprocess.CompletedProcess:
    if not Path(CHROMIUM).exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    profile = tempfile.mkdtemp(prefix="orgpulse-chromium-")
    try:
        completed = subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
             "--disable-background-networking", "--disable-component-update", "--disable-sync",
             "--hide-scrollbars", f"--user-data-dir={profile}", *arguments],
            capture_output=True, text=True, timeout=TIMEOUT,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    if completed.returncode != 0:
        raise RuntimeError(f"chromium exited {completed.returncode}: {completed.stderr[-3000:]}")
    return completed


def screenshot(html: Path, png: Path, width: int, height: int) -> None:
    """The page's first `width` x `height` CSS pixels as a PNG."""
    png.parent.mkdir(parents=True, exist_ok=True)
    _run([f"--window-size={width},{height}", f"--screenshot={png}", Path(html).resolve().as_uri()])
    if not png.exists():
        raise RuntimeError(f"chromium wrote no screenshot to {png}")


def dump_dom(html: Path) -> str:
    """The DOM after the browser parsed the page, serialised."""
    return _run(["--dump-dom", Path(html).resolve().as_uri()]).stdout


def capture(html: Path, png: Path, width: int, height: int) -> str:
    screenshot(html, png, width, height)
    return dump_dom(html)
