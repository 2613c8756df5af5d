"""Product code reads the wall clock only through orgpulse_config::clock (which tests pin), so
no report and no test depends on the day it runs without saying so."""

from pathlib import Path

from clock_reads import CLOCK_MODULE, REPO_ROOT, find_reads


def test_product_code_reads_the_wall_clock_only_in_the_clock_module():
    reads = find_reads()
    assert reads == [], "read the time through orgpulse_config::clock::now() instead:\n" + "\n".join(reads)


def test_the_clock_module_itself_reads_the_clock():
    # Guards the scanner's pattern: the one allowed read must be something it would flag.
    source = (REPO_ROOT / CLOCK_MODULE).read_text(encoding="utf-8")
    assert "Utc::now" in source


def write(root: Path, relative: str, text: str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_an_injected_read_is_caught_and_test_code_and_the_clock_module_are_not(tmp_path):
    write(tmp_path, "lambdas/config/src/clock.rs", "pub fn now() -> DateTime<Utc> { Utc::now() }\n")
    write(
        tmp_path,
        "lambdas/workflow/src/plan.rs",
        "fn today() -> NaiveDate {\n"
        "    // Utc::now() in a comment is not a read\n"
        "    chrono::Utc::now().date_naive()\n"
        "}\n"
        "fn later() -> bool { std::time::Instant::now().elapsed().is_zero() }\n"
        "#[cfg(test)]\n"
        "mod tests {\n"
        "    fn measured() { let _ = std::time::SystemTime::now(); if true { } }\n"
        "}\n"
        "fn deadline() -> SystemTime { SystemTime :: now() }\n",
    )
    write(tmp_path, "lambdas/cli/src/main.rs", "fn main() { let _ = chrono::Local::now(); }\n")
    write(tmp_path, "lambdas/cli/tests/it.rs", "fn t() { let _ = Utc::now(); }\n")
    assert find_reads(tmp_path) == [
        "lambdas/cli/src/main.rs:1: fn main() { let _ = chrono::Local::now(); }",
        "lambdas/workflow/src/plan.rs:3: chrono::Utc::now().date_naive()",
        "lambdas/workflow/src/plan.rs:10: fn deadline() -> SystemTime { SystemTime :: now() }",
    ]
