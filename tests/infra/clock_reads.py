"""Finds wall-clock reads in product code outside the clock module.

orgpulse reads the date and time in one place, lambdas/config/src/clock.rs, which tests can pin
(`orgpulse_config::clock::pin`); a read anywhere else makes some test, or some report, depend on
the day it runs. Scanned: every .rs file under lambdas/*/src, without `#[cfg(test)]` items (unit
tests may read the clock to measure things). Not scanned: lambdas/*/tests. Monotonic timers
(Instant::now) say nothing about the date and are allowed.

    python tests/infra/clock_reads.py            # lists the reads, exit status 1 if any
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CLOCK_MODULE = Path("lambdas/config/src/clock.rs")

# Calendar reads of std, chrono (and time/jiff, should they ever be added).
WALL_CLOCK = re.compile(
    r"\b(?:SystemTime\s*::\s*now|Utc\s*::\s*(?:now|today)|Local\s*::\s*(?:now|today)"
    r"|OffsetDateTime\s*::\s*now_(?:utc|local)|Timestamp\s*::\s*now|Zoned\s*::\s*now)\b"
)
CFG_TEST = re.compile(r"#\[cfg\((?:test|all\(test[^\]]*)\)\]")


def without_test_items(source: str) -> str:
    """The source with every `#[cfg(test)]` item blanked out (lines kept, for line numbers):
    from the attribute to the end of the item's `{...}` block, or to its `;`."""
    out = list(source)
    for match in reversed(list(CFG_TEST.finditer(source))):
        position, depth = match.end(), 0
        while position < len(source):
            char = source[position]
            if char == "{":
                depth += 1
            elif char == "}":
                depth -= 1
                if depth == 0:
                    break
            elif char == ";" and depth == 0:
                break
            position += 1
        for index in range(match.start(), min(position + 1, len(source))):
            if out[index] != "\n":
                out[index] = " "
    return "".join(out)


def without_comments(line: str) -> str:
    return line.split("//", 1)[0]


def find_reads(root: Path = REPO_ROOT) -> list[str]:
    """`path:line: text` for each wall-clock read in product code outside the clock module."""
    found = []
    for path in sorted(root.glob("lambdas/*/src/**/*.rs")):
        relative = path.relative_to(root)
        if relative == CLOCK_MODULE:
            continue
        source = without_test_items(path.read_text(encoding="utf-8"))
        for number, line in enumerate(source.splitlines(), 1):
            if WALL_CLOCK.search(without_comments(line)):
                found.append(f"{relative}:{number}: {line.strip()}")
    return found


def main() -> int:
    reads = find_reads()
    for read in reads:
        print(read)
    if reads:
        print(f"{len(reads)} wall-clock read(s) outside {CLOCK_MODULE}: use orgpulse_config::clock::now()")
    return 1 if reads else 0


if __name__ == "__main__":
    sys.exit(main())
