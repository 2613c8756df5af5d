//! `orgpulse preview`, `run` and `slack html` as operators and scripts run them: argument and
//! setup errors (before any AWS request), and the HTML page. Runs against Cost Explorer,
//! Organizations, DynamoDB and Slack are in tests/cli/test_cli_preview.py (emulators).

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use pretty_assertions::assert_eq;

fn orgpulse() -> Command {
    Command::new(env!("CARGO_BIN_EXE_orgpulse"))
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

const SEED_CONFIG: &str = r#"[{"AccountId": "123456789012", "Description": "hogehoge service staging env",
  "ChannelIds": ["CR96Q1EJW"], "Currency": "JPY", "Granularity": ["DAILY"], "CostTags": ""}]"#;

fn seed_config(dir: &Path) -> PathBuf {
    let path = dir.join("config.json");
    std::fs::write(&path, SEED_CONFIG).unwrap();
    path
}

/// An environment in which the AWS credential chain finds nothing, quickly: no variables,
/// no profile files, no instance metadata.
fn without_aws_credentials(command: &mut Command, dir: &Path) {
    command
        .env_clear()
        .env("HOME", dir)
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("AWS_CONFIG_FILE", dir.join("no-config"))
        .env("AWS_SHARED_CREDENTIALS_FILE", dir.join("no-credentials"))
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env("AWS_REGION", "us-east-1");
}

#[test]
fn preview_refuses_an_account_id_that_is_not_12_digits() {
    let dir = scratch("preview_bad_account");
    let output = orgpulse()
        .args(["preview", "--account", "12345"])
        .arg("--config")
        .arg(seed_config(&dir))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--account \"12345\""), "{stderr}");
    assert!(stderr.contains("12-digit"), "{stderr}");
}

#[test]
fn preview_needs_a_readable_configuration() {
    let dir = scratch("preview_missing_config");
    let output = orgpulse()
        .args(["preview", "--account", "123456789012", "--config"])
        .arg(dir.join("missing.json"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("cannot read the configuration"));
}

#[test]
fn preview_rejects_unknown_kinds_and_formats() {
    for args in [
        ["--kind", "hourly"],
        ["--format", "yaml"],
        ["--date", "2024-02-30"],
    ] {
        orgpulse()
            .args(["preview", "--account", "123456789012", "--config", "x.json"])
            .args(args)
            .assert()
            .code(2);
    }
}

#[test]
fn preview_without_credentials_says_how_to_configure_them() {
    let dir = scratch("preview_no_credentials");
    let mut command = orgpulse();
    without_aws_credentials(&mut command, &dir);
    let output = command
        .args(["preview", "--account", "123456789012", "--config"])
        .arg(seed_config(&dir))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&output.stderr);
    assert!(stderr.contains("AWS credentials"), "{stderr}");
    assert!(stderr.contains("AWS_PROFILE"), "{stderr}");
    assert!(stderr.contains("aws sso login"), "{stderr}");
    assert_eq!(text(&output.stdout), "");
}

#[test]
fn run_refuses_to_send_without_the_delivery_ledger() {
    let dir = scratch("run_no_ledger");
    let output = orgpulse()
        .arg("run")
        .arg("--config")
        .arg(seed_config(&dir))
        .assert()
        .code(2)
        .get_output()
        .clone();
    let stderr = text(&output.stderr);
    assert!(stderr.contains("--deliveries-table"), "{stderr}");
    assert!(stderr.contains("exactly-once"), "{stderr}");
    assert!(stderr.contains("--dry-run"), "{stderr}");
}

#[test]
fn run_checks_its_arguments_before_touching_aws() {
    let dir = scratch("run_bad_arguments");
    let config = seed_config(&dir);
    orgpulse()
        .args(["run", "--dry-run", "--concurrency", "0", "--config"])
        .arg(&config)
        .assert()
        .code(2);
    let output = orgpulse()
        .args([
            "run",
            "--dry-run",
            "--operators-channel",
            "#general",
            "--config",
        ])
        .arg(&config)
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("--operators-channel \"#general\""));
}

#[test]
fn run_without_credentials_says_how_to_configure_them() {
    let dir = scratch("run_no_credentials");
    let mut command = orgpulse();
    without_aws_credentials(&mut command, &dir);
    let output = command
        .args(["run", "--dry-run", "--config"])
        .arg(seed_config(&dir))
        .timeout(std::time::Duration::from_secs(60))
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("aws sso login"));
}

/// Two channels, in the Slack sink's recorded format (with `ts`, as `messages()` returns).
const RECORDED: &str = r#"[
  {"channel": "C0000000001", "ts": "1732780800.000100", "has_text_fallback": true,
   "text": "hogehoge · Daily cost: ¥1,234",
   "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "日本語の説明 · Daily cost"}},
              {"type": "section", "text": {"type": "mrkdwn", "text": "*¥1,234* &lt;script&gt;", "verbatim": true}}],
   "metadata": {"event_type": "orgpulse_report", "event_payload": {"delivery_key": "123456789012#DAILY#2024-11-27#C0000000001"}}},
  {"channel": "G0000000002", "ts": "1732780801.000200", "text": "orgpulse 2024-11-28: 1 sent"},
  {"channel": "C0000000001", "ts": "1732780802.000300", "text": "second"}
]"#;

#[test]
fn slack_html_renders_recorded_messages_grouped_by_channel() {
    let dir = scratch("slack_html");
    let messages = dir.join("messages.json");
    std::fs::write(&messages, RECORDED).unwrap();
    let page = dir.join("page.html");
    let output = orgpulse()
        .args(["slack", "html", "--title", "Demo <run>", "--messages"])
        .arg(&messages)
        .arg("-o")
        .arg(&page)
        .assert()
        .code(0)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("3 messages in 2 channels"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("<title>Demo &lt;run&gt;</title>"));
    let first = html
        .find("data-channel=\"C0000000001\" data-message-index=\"1\"")
        .unwrap();
    let second_channel = html.find("id=\"channel-G0000000002\"").unwrap();
    assert!(first < second_channel, "messages are grouped by channel");
    assert!(html.contains("data-channel=\"G0000000002\" data-message-index=\"0\""));
    assert!(html.contains("日本語の説明"));
    assert!(html.contains("<b>¥1,234</b> &lt;script&gt;"));
    assert!(html.contains("data-delivery-key=\"123456789012#DAILY#2024-11-27#C0000000001\""));
    assert!(!html.contains("class=\"render-error\""));
}

#[test]
fn slack_html_reads_json_lines_from_stdin_and_writes_stdout() {
    let output = orgpulse()
        .args(["slack", "html", "--messages", "-", "-o", "-"])
        .write_stdin(
            "{\"channel\": \"C1\", \"text\": \"one\"}\n{\"channel\": \"C2\", \"text\": \"two\"}\n",
        )
        .assert()
        .code(0)
        .get_output()
        .clone();
    let html = text(&output.stdout);
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("data-channel=\"C2\" data-message-index=\"0\""));
}

#[test]
fn slack_html_marks_unknown_blocks_and_exits_1() {
    let dir = scratch("slack_html_unknown_block");
    let messages = dir.join("messages.json");
    std::fs::write(
        &messages,
        r#"[{"channel": "C1", "text": "x", "blocks": [{"type": "input", "label": {"type": "plain_text", "text": "l"}}]}]"#,
    )
    .unwrap();
    let page = dir.join("page.html");
    let output = orgpulse()
        .args(["slack", "html", "--messages"])
        .arg(&messages)
        .arg("-o")
        .arg(&page)
        .assert()
        .code(1)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("1 block could not be rendered"));
    let html = std::fs::read_to_string(&page).unwrap();
    assert!(html.contains("class=\"render-error\">⚠ unsupported block: input"));
}

#[test]
fn slack_html_names_the_message_without_a_channel() {
    let dir = scratch("slack_html_no_channel");
    let messages = dir.join("messages.json");
    std::fs::write(
        &messages,
        r#"[{"channel": "C1", "text": "a"}, {"text": "b"}]"#,
    )
    .unwrap();
    let output = orgpulse()
        .args(["slack", "html", "--messages"])
        .arg(&messages)
        .arg("-o")
        .arg(dir.join("page.html"))
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("message 1 has no \"channel\""));
    assert!(!dir.join("page.html").exists());
}

#[test]
fn slack_html_refuses_what_is_not_json() {
    let dir = scratch("slack_html_not_json");
    let messages = dir.join("messages.json");
    std::fs::write(&messages, "[{\"channel\": ").unwrap();
    let output = orgpulse()
        .args(["slack", "html", "--messages"])
        .arg(&messages)
        .args(["-o", "-"])
        .assert()
        .code(2)
        .get_output()
        .clone();
    assert!(text(&output.stderr).contains("not valid JSON"));
}
