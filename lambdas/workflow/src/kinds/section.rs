//! Sections: what a [`super::Produces::Section`] kind adds to the account's first message of the
//! run, and how it joins that message without breaking Slack's limits.
//!
//! A section goes after the message's own content and before its footer (the last context
//! block). The message it joins always keeps its own content: when Slack's limits leave too
//! little room, the section lists fewer lines, then only its one-line overview. An alerting
//! section marks the message's header and notification text like a cost alert does.

use orgpulse_slack::limits::{self, MAX_HEADER_TEXT_CHARS, MAX_SECTION_TEXT_CHARS};
use orgpulse_slack::mrkdwn::{char_len, escape, escape_truncated, single_line, truncate};
use orgpulse_slack::PostMessage;
use slack_morphism::prelude::*;

/// What marks an alert, as in the cost report's header.
pub const ALERT_MARKER: &str = "🚨 ";

/// Untrusted parts of a line (a budget's name or unit, an account name: text a member
/// account's admin typed) are capped at this many characters each.
pub const MAX_FIELD_CHARS: usize = 80;

/// One line of a section, built so that it cannot carry unescaped text: every piece of text is
/// escaped, made a single line and capped; only `&'static str` literals written in our own code
/// can add mrkdwn markup. A member-account admin's `<!channel>` or `<https://evil|Pay>` in a
/// budget name or unit is therefore shown literally, never as a mention or a link (Slack's
/// mrkdwn gives meaning to `<`, `>` and `&` only, and sections are sent `verbatim`, so bare
/// URLs and names are not linkified either).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Line {
    mrkdwn: String,
    text: String,
}

impl Line {
    /// An empty line.
    pub fn new() -> Self {
        Self::default()
    }

    /// A line that is one piece of text (escaped, single line, capped).
    pub fn plain(text: &str) -> Self {
        Self::new().text(text)
    }

    /// Appends mrkdwn markup written in our code (`"*"`, `" — "`, `"• "`): the only way to add
    /// text that is not escaped.
    pub fn markup(mut self, markup: &'static str) -> Self {
        self.mrkdwn.push_str(markup);
        // The terminal shows text, not markup.
        self.text.extend(
            markup
                .chars()
                .filter(|c| !matches!(c, '*' | '_' | '~' | '`')),
        );
        self
    }

    /// Appends text (untrusted or not): one line, at most [`MAX_FIELD_CHARS`], escaped.
    pub fn text(self, text: &str) -> Self {
        self.text_capped(text, MAX_FIELD_CHARS)
    }

    /// [`Line::text`] with its own cap.
    pub fn text_capped(mut self, text: &str, max_chars: usize) -> Self {
        let line = single_line(text);
        self.mrkdwn.push_str(&escape_truncated(&line, max_chars));
        self.text.push_str(&truncate(&line, max_chars));
        self
    }

    /// Appends text in bold when `bold` (escaped like [`Line::text`]).
    pub fn emphasised(self, text: &str, bold: bool) -> Self {
        if bold {
            self.markup("*").text(text).markup("*")
        } else {
            self.text(text)
        }
    }

    /// The line as mrkdwn (every untrusted part escaped).
    pub fn mrkdwn(&self) -> &str {
        &self.mrkdwn
    }

    /// The line as terminal text.
    pub fn as_text(&self) -> &str {
        &self.text
    }
}

/// One kind's section for one account. Its lines are [`Line`]s, so a kind cannot put
/// unescaped text in a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The kind's name.
    pub notification: &'static str,
    /// Raw text: escaped when rendered.
    title: String,
    lines: Vec<Line>,
    /// One line saying what the lines say, for a message with no room for them.
    overview: Line,
    /// Why this section is an alert, one short phrase ("1 budget forecast to exceed"); `None`
    /// when it is not. Raw text: escaped when rendered.
    pub alert: Option<String>,
}

impl Section {
    /// A section; `title` and `alert` are raw text (escaped when rendered).
    pub fn new(
        notification: &'static str,
        title: &str,
        lines: Vec<Line>,
        overview: Line,
        alert: Option<String>,
    ) -> Self {
        Self {
            notification,
            title: single_line(title),
            lines,
            overview,
            alert: alert.map(|a| single_line(&a)),
        }
    }

    /// The lines as mrkdwn.
    pub fn lines(&self) -> Vec<&str> {
        self.lines.iter().map(Line::mrkdwn).collect()
    }

    /// The lines as terminal text.
    pub fn text_lines(&self) -> Vec<&str> {
        self.lines.iter().map(Line::as_text).collect()
    }

    /// The overview as mrkdwn.
    pub fn overview(&self) -> &str {
        self.overview.mrkdwn()
    }

    /// The section as terminal text (for `orgpulse preview`), ending with a newline.
    pub fn to_text(&self) -> String {
        let mut text = format!("{}\n", self.title);
        for line in &self.lines {
            text.push_str("  ");
            text.push_str(line.as_text());
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
            None => vec![self.overview.mrkdwn().to_owned()],
            Some(shown) => self
                .lines
                .iter()
                .take(shown)
                .map(|l| l.mrkdwn().to_owned())
                .collect(),
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
        Section::new(
            "test",
            "Things <here>",
            (0..lines)
                .map(|i| Line::new().markup("• ").text(&format!("line {i}")))
                .collect(),
            Line::plain("3 things"),
            alert.then(|| "1 thing over".to_string()),
        )
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
            .map(|i| Line::new().text_capped(&format!("{i}{}", "x".repeat(1_400)), 2_000))
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
    fn a_line_escapes_every_piece_of_text_as_one_capped_line() {
        let line = Line::new()
            .markup("• ")
            .emphasised("<!channel>\nPay", true)
            .markup(" ")
            .text(&format!(
                "<https://evil.example|Pay invoice>{}",
                "x".repeat(200)
            ));
        assert_eq!(
            line.mrkdwn(),
            format!(
                "• *&lt;!channel&gt; Pay* &lt;https://evil.example|Pay invoice&gt;{}…",
                "x".repeat(39)
            )
        );
        assert_eq!(
            line.as_text(),
            format!(
                "• <!channel> Pay <https://evil.example|Pay invoice>{}…",
                "x".repeat(45)
            )
        );
    }

    #[test]
    fn terminal_text_has_no_control_characters() {
        let mut s = section(1, false);
        s.lines = vec![Line::plain("bell\u{7} here")];
        assert_eq!(s.to_text(), "Things <here>\n  bell here\n");
    }
}
