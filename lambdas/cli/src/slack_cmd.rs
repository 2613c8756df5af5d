//! `orgpulse slack html`: recorded or rendered `chat.postMessage` bodies as one Slack-like HTML
//! page (the demo renders what its Slack sink received with it).

use std::io::Read;

use clap::{Args, Subcommand};
use orgpulse_slack::html::group_by_channel;
use serde_json::Value;

use crate::exit::{Failure, Status};

#[derive(Debug, Subcommand)]
pub enum SlackCommand {
    /// Render messages as a self-contained HTML page that looks like Slack (exit 1 when some
    /// block could not be rendered: the page marks it).
    Html(HtmlArgs),
}

#[derive(Debug, Args)]
pub struct HtmlArgs {
    /// A JSON array of messages, each a chat.postMessage body with its "channel" (what
    /// `orgpulse preview --format json` prints, one per line, is accepted too); `-` reads stdin.
    #[arg(long, value_name = "FILE.json")]
    pub messages: String,
    /// The HTML file to write; `-` writes to stdout.
    #[arg(short, long, value_name = "OUT.html")]
    pub output: String,
    /// The page title.
    #[arg(long, default_value = "orgpulse — Slack messages")]
    pub title: String,
}

pub fn run(command: SlackCommand) -> Result<Status, Failure> {
    match command {
        SlackCommand::Html(args) => html(&args),
    }
}

fn html(args: &HtmlArgs) -> Result<Status, Failure> {
    let name = if args.messages == "-" {
        "stdin"
    } else {
        &args.messages
    };
    let mut text = String::new();
    let read = if args.messages == "-" {
        std::io::stdin().read_to_string(&mut text).map(|_| ())
    } else {
        std::fs::read_to_string(&args.messages).map(|t| text = t)
    };
    read.map_err(|error| Failure::usage(format!("cannot read {name}: {error}")))?;
    let messages =
        parse_messages(&text).map_err(|problem| Failure::usage(format!("{name}: {problem}")))?;
    let channels = group_by_channel(messages)
        .map_err(|problem| Failure::usage(format!("{name}: {problem}")))?;
    let page = orgpulse_slack::render_page_with_report(&args.title, &channels);

    if args.output == "-" {
        print!("{}", page.html);
    } else {
        std::fs::write(&args.output, &page.html)
            .map_err(|error| Failure::usage(format!("cannot write {}: {error}", args.output)))?;
    }
    eprintln!(
        "orgpulse: {} message{} in {} channel{} rendered{}",
        page.messages,
        if page.messages == 1 { "" } else { "s" },
        page.channels,
        if page.channels == 1 { "" } else { "s" },
        if args.output == "-" {
            String::new()
        } else {
            format!(" to {}", args.output)
        }
    );
    if page.render_errors > 0 {
        eprintln!(
            "orgpulse: {} block{} could not be rendered (marked \"render-error\" on the page)",
            page.render_errors,
            if page.render_errors == 1 { "" } else { "s" }
        );
        return Ok(Status::Problems);
    }
    Ok(Status::Ok)
}

/// A JSON array of messages, or one JSON object per line.
fn parse_messages(text: &str) -> Result<Vec<Value>, String> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Ok(Vec::new());
    }
    if trimmed.starts_with('[') {
        return match serde_json::from_str::<Value>(trimmed) {
            Ok(Value::Array(messages)) => Ok(messages),
            Ok(_) => Err("not a JSON array of messages".into()),
            Err(error) => Err(format!("not valid JSON: {error}")),
        };
    }
    trimmed
        .lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(number, line)| {
            serde_json::from_str::<Value>(line).map_err(|error| {
                format!(
                    "line {}: not a JSON message ({error}); expected a JSON array of messages or one message per line",
                    number + 1
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_and_json_lines_are_both_read() {
        let array =
            parse_messages(r#"[{"channel": "C1", "text": "a"}, {"channel": "C2", "text": "b"}]"#)
                .unwrap();
        assert_eq!(array.len(), 2);
        let lines = parse_messages(
            "{\"channel\": \"C1\", \"text\": \"a\"}\n\n{\"channel\": \"C1\", \"text\": \"b\"}\n",
        )
        .unwrap();
        assert_eq!(lines.len(), 2);
        assert!(parse_messages("").unwrap().is_empty());
        assert!(parse_messages("{\"channel\": \"C1\"}\nnot json")
            .unwrap_err()
            .starts_with("line 2:"));
        assert!(parse_messages("[1, ")
            .unwrap_err()
            .starts_with("not valid JSON"));
    }
}
