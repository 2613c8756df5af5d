//! Sections: what a [`super::Produces::Section`] kind adds to the account's first message of the
//! run, and how it joins that message without breaking Slack's limits.
//!
//! A section goes after the message's own content and before its footer (the last context
//! block). The message it joins always keeps its own content: when Slack's limits leave too
//! little room, the section lists fewer lines, then only its one-line overview. An alerting
//! section marks the message's header and notification text like a cost alert does.

use orgpulse_slack::limits::{self, MAX_HEADER_TEXT_CHARS, MAX_SECTION_TEXT_CHARS};
use orgpulse_slack::mrkdwn::{char_len, escape, truncate};
use orgpulse_slack::PostMessage;
use slack_morphism::prelude::*;

/// What marks an alert, as in the cost report's header.
pub const ALERT_MARKER: &str = "🚨 ";

/// One kind's section for one account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The kind's name.
    pub notification: &'static str,
    /// Raw text: escaped when rendered.
    pub title: String,
    /// mrkdwn lines, already escaped by the kind (it alone knows which parts are untrusted).
    pub lines: Vec<String>,
    /// The same lines as terminal text.
    pub text_lines: Vec<String>,
    /// One mrkdwn line saying what the lines say, for a message with no room for them.
    pub overview: String,
    /// Why this section is an alert, one short phrase ("1 budget forecast to exceed"); `None`
    /// when it is not.
    pub alert: Option<String>,
}

impl Section {
    /// The section as terminal text (for `orgpulse preview`), ending with a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n", self.title);
        for line in &self.text_lines {
            text.push_str("  ");
            text.push_str(line);
            text.push('\n');
        }
        text.chars()
            .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
            .collect()
    }

    /// Block Kit blocks showing the first `shown` lines (all of them when `shown` is larger),
    /// a line counting the rest, or only the overview when `shown` is `None`.
    fn blocks(&self, shown: Option<usize>) -> Vec<SlackBlock> {
        let title = format!("*{}*", escape(&self.title));
        let mut lines: Vec<String> = match shown {
            None => vec![self.overview.clone()],
            Some(shown) => self.lines.iter().take(shown).cloned().collect(),
        };
        if let Some(shown) = shown.filter(|&shown| shown < self.lines.len()) {
            lines.push(format!("…and {} more", self.lines.len() - shown));
        }
        let mut blocks: Vec<SlackBlock> = vec![SlackDividerBlock::new().into()];
        let mut current = title;
        for line in lines {
            let line = truncate(&line, MAX_SECTION_TEXT_CHARS / 2);
            if char_len(&current) + 1 + char_len(&line) > MAX_SECTION_TEXT_CHARS {
                blocks.push(mrkdwn_section(std::mem::take(&mut current)).into());
                current = line;
            } else {
                current.push('\n');
                current.push_str(&line);
            }
        }
        blocks.push(mrkdwn_section(current).into());
        blocks
    }
}

fn mrkdwn_section(text: String) -> SlackSectionBlock {
    SlackSectionBlock::new().with_text(SlackBlockMarkDownText::new(text).with_verbatim(true).into())
}

/// Adds `sections` to `message` (see the module documentation). Returns the sections that had
/// to be shortened, by name, so the caller can say so.
pub fn attach_sections(message: &mut PostMessage, sections: &[Section]) -> Vec<&'static str> {
    let mut shortened = Vec::new();
    for section in sections {
        let mut attempts = (0..=section.lines.len())
            .rev()
            .map(Some)
            .chain(std::iter::once(None));
        let fitted = attempts.find_map(|shown| {
            let mut candidate = message.clone();
            insert_before_footer(&mut candidate, section.blocks(shown));
            limits::check(&candidate)
                .is_ok()
                .then_some((shown, candidate))
        });
        match fitted {
            Some((shown, candidate)) => {
                if shown != Some(section.lines.len()) {
                    shortened.push(section.notification);
                }
                *message = candidate;
            }
            None => {
                tracing::warn!(
                    notification = section.notification,
                    "no room for the section in the message; sent without it"
                );
                shortened.push(section.notification);
                continue;
            }
        }
        if let Some(alert) = &section.alert {
            mark_alert(message, alert);
        }
    }
    shortened
}

/// Before the last block when it is a context block (the footer), else at the end.
fn insert_before_footer(message: &mut PostMessage, new_blocks: Vec<SlackBlock>) {
    let blocks = message.content.blocks.get_or_insert_with(Vec::new);
    let at = match blocks.last() {
        Some(SlackBlock::Context(_)) => blocks.len() - 1,
        _ => blocks.len(),
    };
    blocks.splice(at..at, new_blocks);
}

/// The alert marker at the start of the header (once) and the reason in the notification text.
fn mark_alert(message: &mut PostMessage, reason: &str) {
    if let Some(blocks) = message.content.blocks.as_mut() {
        if let Some(SlackBlock::Header(header)) = blocks.first_mut() {
            let current = serde_json::to_value(&header.text)
                .ok()
                .and_then(|v| v.get("text").and_then(|t| t.as_str()).map(str::to_owned))
                .unwrap_or_default();
            if !current.starts_with(ALERT_MARKER) {
                let marked = truncate(&format!("{ALERT_MARKER}{current}"), MAX_HEADER_TEXT_CHARS);
                header.text = SlackBlockPlainText::new(marked).into();
            }
        }
    }
    let text = message.content.text.get_or_insert_with(String::new);
    let addition = format!(" · {ALERT_MARKER}{}", escape(reason));
    if char_len(text) + char_len(&addition) <= limits::MAX_FALLBACK_TEXT_CHARS {
        text.push_str(&addition);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(blocks: Vec<SlackBlock>) -> PostMessage {
        let content = SlackMessageContent::new()
            .with_text("Account · Daily cost: $1.00".into())
            .with_blocks(blocks);
        SlackApiChatPostMessageRequest::new(SlackChannelId("C0123456789".into()), content)
    }

    fn cost_like() -> PostMessage {
        message(vec![
            SlackHeaderBlock::new(SlackBlockPlainText::new("Account · Daily cost".into()).into())
                .into(),
            mrkdwn_section("*$1.00*".into()).into(),
            SlackContextBlock::new(vec![SlackBlockPlainText::new("footer".into()).into()]).into(),
        ])
    }

    fn section(lines: usize, alert: bool) -> Section {
        Section {
            notification: "test",
            title: "Things <here>".into(),
            lines: (0..lines).map(|i| format!("• line {i}")).collect(),
            text_lines: (0..lines).map(|i| format!("line {i}")).collect(),
            overview: "3 things".into(),
            alert: alert.then(|| "1 thing over".to_string()),
        }
    }

    fn json(message: &PostMessage) -> serde_json::Value {
        serde_json::to_value(message).unwrap()
    }

    #[test]
    fn goes_before_the_footer_with_an_escaped_title() {
        let mut message = cost_like();
        let shortened = attach_sections(&mut message, &[section(2, false)]);
        assert!(shortened.is_empty());
        let value = json(&message);
        let types: Vec<&str> = value["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["type"].as_str().unwrap())
            .collect();
        assert_eq!(
            types,
            ["header", "section", "divider", "section", "context"]
        );
        assert_eq!(
            value["blocks"][3]["text"]["text"],
            "*Things &lt;here&gt;*\n• line 0\n• line 1"
        );
        assert_eq!(value["text"], "Account · Daily cost: $1.00");
    }

    #[test]
    fn an_alert_marks_the_header_once_and_the_notification_text() {
        let mut message = cost_like();
        attach_sections(&mut message, &[section(1, true), section(1, true)]);
        let value = json(&message);
        assert_eq!(
            value["blocks"][0]["text"]["text"],
            "🚨 Account · Daily cost"
        );
        assert_eq!(
            value["text"],
            "Account · Daily cost: $1.00 · 🚨 1 thing over · 🚨 1 thing over"
        );
    }

    #[test]
    fn a_full_message_gets_fewer_lines_then_the_overview() {
        // 48 blocks: room for the divider and one more section only.
        let mut blocks =
            vec![SlackHeaderBlock::new(SlackBlockPlainText::new("h".into()).into()).into()];
        blocks.extend((0..46).map(|i| mrkdwn_section(format!("content {i}")).into()));
        blocks
            .push(SlackContextBlock::new(vec![SlackBlockPlainText::new("f".into()).into()]).into());
        let mut long = section(3, false);
        long.lines = (0..3)
            .map(|i| format!("{i}{}", "x".repeat(1_400)))
            .collect();
        let mut message = message(blocks);
        let shortened = attach_sections(&mut message, &[long]);
        assert_eq!(shortened, ["test"]);
        limits::check(&message).expect("within Slack's limits");
        let value = json(&message);
        let blocks = value["blocks"].as_array().unwrap();
        assert_eq!(blocks.len(), 50);
        assert_eq!(blocks[blocks.len() - 1]["type"], "context");
        let added = blocks[blocks.len() - 3..blocks.len() - 1].to_vec();
        assert_eq!(added[0]["type"], "divider");
        let text = added[1]["text"]["text"].as_str().unwrap();
        assert!(text.contains("…and 1 more"), "{text}");
    }

    #[test]
    fn terminal_text_has_no_control_characters() {
        let mut s = section(1, false);
        s.text_lines = vec!["bell\u{7} here".into()];
        assert_eq!(s.to_text(), "Things <here>\n  bell  here\n");
    }
}
