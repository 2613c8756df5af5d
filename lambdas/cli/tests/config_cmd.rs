//! `orgpulse config validate|convert` as operators and scripts run it.

use std::path::PathBuf;

use assert_cmd::Command;
use pretty_assertions::assert_eq;

fn orgpulse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_orgpulse"))
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../config/tests/fixtures")
        .join(name)
}

/// A fresh directory per test under Cargo's scratch space for integration tests.
fn scratch(test: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(test);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

#[test]
fn validate_the_seeds_example_exits_0() {
    let output = orgpulse()
        .args(["config", "validate"])
        .arg(fixture("seed.json"))
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert_eq!(text(&output.stdout), "");
    assert!(text(&output.stderr)
        .contains("1 row read, 1 used (1 account, 0 OUs, no Default row); valid"));
}

#[test]
fn validate_prints_one_line_per_problem_and_exits_1() {
    let output = orgpulse()
        .args(["config", "validate"])
        .arg(fixture("mistakes.csv"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let stdout = text(&output.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 15, "{stdout}");
    for line in &lines {
        let number = line
            .strip_prefix("row ")
            .and_then(|rest| rest.split([',', ':']).next())
            .and_then(|n| n.parse::<usize>().ok());
        assert!(number.is_some(), "{line}");
    }
    // The header is row 1, as the spreadsheet shows it: the ID is in cell A4.
    assert!(lines[1].starts_with("row 4, column A, AccountId = \"12345678901\""));
    // The good rows still load: the summary counts them.
    assert!(text(&output.stderr).contains("4 used (3 accounts, 0 OUs, a Default row); 15 problems"));
}

#[test]
fn validate_reads_stdin() {
    orgpulse()
        .args(["config", "validate", "-"])
        .write_stdin("AccountId,ChannelIds\n012345678901,#general\n")
        .assert()
        .code(1)
        .stdout(
            "row 2, column B, ChannelIds = \"#general\": is the channel's name; Slack needs its ID, which \
             stays the same when #general is renamed. Fix: in Slack, open the channel and click \
             its name at the top: the Channel ID (C…) is at the bottom of the About tab (row skipped)\n",
        );
}

#[test]
fn validate_json_report_for_machines() {
    let output = orgpulse()
        .args(["config", "validate", "--format", "json"])
        .arg(fixture("mistakes.json"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["format"], "json");
    assert_eq!(report["rows_used"], 2);
    let first = &report["problems"][0];
    assert_eq!(first["row"], 2);
    assert_eq!(first["field"], "AccountId");
    // A JSON file is located at the element of its array, 1-based, and the field.
    assert_eq!(
        first["location"],
        serde_json::json!({
            "sheet": null, "tab": null, "sheet_id": null, "row": null, "element": 2,
            "column": null, "field": "AccountId", "a1": null, "url": null, "text": "element 2",
        })
    );
    assert_eq!(first["value"], "123456789012");
    assert_eq!(first["consequence"], "row_skipped");
    assert!(first["fix"].as_str().unwrap().contains("\"123456789012\""));

    orgpulse()
        .args(["config", "validate", "--format", "json"])
        .arg(fixture("org.csv"))
        .assert()
        .code(0);
}

#[test]
fn validate_locates_csv_problems_at_the_spreadsheet_row_and_column() {
    // A title and a note above the header, an empty row among the data.
    let csv = "Accounts of the payments team,,\n\
               Edit your own rows only,,\n\
               AccountId,Description,ChannelIds\n\
               012345678901,ok,C0CHANNEL1\n\
               ,,\n\
               111111111111,bad,#general\n";
    let output = orgpulse()
        .args(["config", "validate", "--format", "json", "-"])
        .write_stdin(csv)
        .assert()
        .code(1)
        .get_output()
        .clone();
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(report["note_rows"], serde_json::json!([1, 2]));
    assert_eq!(report["skipped_rows"], serde_json::json!([6]));
    let location = &report["problems"][0]["location"];
    assert_eq!(
        (
            &location["row"],
            &location["column"],
            &location["a1"],
            &location["text"]
        ),
        (
            &serde_json::json!(6),
            &serde_json::json!("C"),
            &serde_json::json!("C6"),
            &serde_json::json!("row 6, column C")
        )
    );

    let output = orgpulse()
        .args(["config", "validate", "-"])
        .write_stdin(csv)
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&output.stdout).starts_with("row 6, column C, ChannelIds = \"#general\""));
    assert!(
        text(&output.stderr).contains("1 problem; rows 1, 2 above the header skipped as notes"),
        "{}",
        text(&output.stderr)
    );
}

#[test]
fn usage_and_io_errors_exit_2() {
    orgpulse()
        .args(["config", "validate", "/nonexistent/config.csv"])
        .assert()
        .code(2)
        .stderr("orgpulse: cannot read /nonexistent/config.csv: No such file or directory (os error 2)\n");
    orgpulse().args(["config", "validate"]).assert().code(2);
    orgpulse()
        .args(["config", "validate", "--format", "xml", "x"])
        .assert()
        .code(2);
    orgpulse()
        .args(["config", "convert", "x.json"])
        .assert()
        .code(2);
    orgpulse().args(["config", "frobnicate"]).assert().code(2);
    orgpulse()
        .args([
            "config",
            "convert",
            "--to",
            "csv",
            "-o",
            "/nonexistent/dir/out.csv",
        ])
        .arg(fixture("seed.json"))
        .assert()
        .code(2);
}

#[test]
fn convert_json_to_csv_to_json_is_identical() {
    let dir = scratch("convert_json_to_csv_to_json_is_identical");
    let csv = dir.join("config.csv");
    let json = dir.join("config.json");
    orgpulse()
        .args(["config", "convert", "--to", "csv", "-o"])
        .arg(&csv)
        .arg(fixture("roundtrip.json"))
        .assert()
        .code(0)
        .stdout("");
    orgpulse()
        .args(["config", "convert", "--to", "json", "-o"])
        .arg(&json)
        .arg(&csv)
        .assert()
        .code(0);
    assert_eq!(
        text(&std::fs::read(&json).unwrap()),
        text(&std::fs::read(fixture("roundtrip.json")).unwrap())
    );
    assert!(text(&std::fs::read(&csv).unwrap()).contains("動画配信事業部"));
}

#[test]
fn convert_writes_to_stdout_and_reads_stdin() {
    let output = orgpulse()
        .args(["config", "convert", "-", "--to", "json"])
        .write_stdin(std::fs::read(fixture("org.csv")).unwrap())
        .assert()
        .code(0)
        .get_output()
        .clone();
    let rows: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(rows.as_array().unwrap().len(), 5);
    assert_eq!(rows[0]["Default"], true);
    assert_eq!(
        rows[1]["ChannelIds"],
        serde_json::json!(["C0VIDEO001", "C0VIDEO002"])
    );
}

#[test]
fn convert_keeps_rows_with_problems_and_exits_1() {
    let dir = scratch("convert_keeps_rows_with_problems_and_exits_1");
    let out = dir.join("mistakes.json");
    let output = orgpulse()
        .args(["config", "convert", "--to", "json", "-o"])
        .arg(&out)
        .arg(fixture("mistakes.csv"))
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&output.stderr).starts_with("row 1, column I, Chanels"));
    let rows: serde_json::Value = serde_json::from_slice(&std::fs::read(&out).unwrap()).unwrap();
    // Every non-blank row is kept, mistakes included, so nobody's typing is lost.
    assert_eq!(rows.as_array().unwrap().len(), 17);
    assert_eq!(rows[3]["AccountId"], "1.23457E+11");
    assert_eq!(rows[15]["Chanels"], "C0TYPO0001");
}

#[test]
fn convert_writes_nothing_when_the_input_cannot_be_read() {
    let dir = scratch("convert_writes_nothing_when_the_input_cannot_be_read");
    let out = dir.join("out.csv");
    orgpulse()
        .args(["config", "convert", "-", "--to", "csv", "-o"])
        .arg(&out)
        .write_stdin("[{\"AccountId\": \"012345678901\",}]")
        .assert()
        .code(1);
    assert!(!out.exists());
}
