//! `chat.postMessage` bodies as one self-contained HTML page that looks like Slack: for
//! reviewing every message of a run before delivery is enabled (`orgpulse preview --html`,
//! `orgpulse run --dry-run --html`) and for the demo's record of what the Slack sink received
//! (`orgpulse slack html`).
//!
//! Input is plain JSON ([`serde_json::Value`]), not our own message types, so messages from
//! anywhere render: rendered locally, recorded by a Slack sink, or pasted from Block Kit
//! Builder. The page has inline CSS only (no script, font, stylesheet or icon to fetch; image
//! blocks load their own URLs, as in Slack).
//!
//! Safety: every string from a message is HTML-escaped; mrkdwn's `&lt;`/`&gt;`/`&amp;` stay
//! escaped (they are shown as `<`, `>`, `&`, as Slack shows them), links are kept only for
//! `http(s):` and `mailto:` URLs. A block this renderer does not know is shown as a visible
//! marker with the class [`RENDER_ERROR_CLASS`] rather than dropped silently, so a test can
//! check that nothing failed to render.

use std::fmt::Write;

use chrono::DateTime;
use serde_json::Value;

/// The class of every "could not render this" marker.
pub const RENDER_ERROR_CLASS: &str = "render-error";

/// The page and what went into it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedPage {
    pub html: String,
    pub channels: usize,
    pub messages: usize,
    /// Markers with [`RENDER_ERROR_CLASS`] on the page (unknown block types, malformed blocks).
    pub render_errors: usize,
}

/// The page for `channels`: (channel ID, its messages in order) — each message a
/// `chat.postMessage` body or a message as Slack returns it (`text`, `blocks`, `attachments`,
/// optionally `ts` and `metadata`).
pub fn render_page(title: &str, channels: &[(String, Vec<Value>)]) -> String {
    render_page_with_report(title, channels).html
}

/// [`render_page`], with counts (the CLI reports render errors in its exit status).
pub fn render_page_with_report(title: &str, channels: &[(String, Vec<Value>)]) -> RenderedPage {
    let mut page = Page::default();
    let messages: usize = channels.iter().map(|(_, m)| m.len()).sum();
    let mut html = String::with_capacity(16_384 + messages * 4_096);
    html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(html, "<title>{}</title>", escape_html(title));
    html.push_str("<style>\n");
    html.push_str(STYLE);
    html.push_str("</style>\n</head>\n<body>\n<div class=\"workspace\">\n");

    html.push_str("<nav class=\"sidebar\">\n<div class=\"sidebar-title\">Channels</div>\n<ul>\n");
    for (channel, messages) in channels {
        let _ = writeln!(
            html,
            "<li><a href=\"#{}\"><span class=\"hash\">#</span> {}</a> <span class=\"count\">{}</span></li>",
            channel_element_id(channel),
            escape_html(channel),
            messages.len()
        );
    }
    html.push_str("</ul>\n</nav>\n<main class=\"channels\">\n");
    let _ = writeln!(
        html,
        "<header class=\"page-header\"><h1>{}</h1><p>{} message{} in {} channel{}</p></header>",
        escape_html(title),
        messages,
        plural(messages),
        channels.len(),
        plural(channels.len())
    );
    if channels.is_empty() {
        html.push_str("<p class=\"empty\">No messages.</p>\n");
    }
    for (channel, messages) in channels {
        let _ = writeln!(
            html,
            "<section class=\"channel\" id=\"{}\" data-channel=\"{}\">",
            channel_element_id(channel),
            escape_html(channel)
        );
        let _ = writeln!(
            html,
            "<h2 class=\"channel-name\"><span class=\"hash\">#</span> {} <span class=\"count\">{} message{}</span></h2>",
            escape_html(channel),
            messages.len(),
            plural(messages.len())
        );
        for (index, message) in messages.iter().enumerate() {
            page.message(&mut html, channel, index, message);
        }
        html.push_str("</section>\n");
    }
    html.push_str("</main>\n</div>\n</body>\n</html>\n");
    RenderedPage {
        html,
        channels: channels.len(),
        messages,
        render_errors: page.errors,
    }
}

/// Messages in the order given, grouped by their `channel` (groups in order of first
/// appearance). Every message must be a JSON object with a non-empty string `channel`;
/// the error names the first one that is not (0-based position).
pub fn group_by_channel(messages: Vec<Value>) -> Result<Vec<(String, Vec<Value>)>, String> {
    let mut channels: Vec<(String, Vec<Value>)> = Vec::new();
    for (position, message) in messages.into_iter().enumerate() {
        let channel = match message.get("channel") {
            Some(Value::String(channel)) if !channel.trim().is_empty() => channel.clone(),
            Some(_) => {
                return Err(format!(
                    "message {position}: \"channel\" is not a channel ID string"
                ))
            }
            None if message.is_object() => {
                return Err(format!(
                "message {position} has no \"channel\" (a chat.postMessage body names its channel)"
            ))
            }
            None => return Err(format!("message {position} is not a JSON object")),
        };
        match channels.iter_mut().find(|(c, _)| *c == channel) {
            Some((_, list)) => list.push(message),
            None => channels.push((channel, vec![message])),
        }
    }
    Ok(channels)
}

/// Slack mrkdwn as HTML: `*bold*`, `_italic_`, `~strike~`, `` `code` ``, ```` ```pre``` ````,
/// `<url|label>` links, `<@U…>`/`<#C…>`/`<!here>` mentions, `>` quotes and line breaks.
/// Slack's entities (`&amp;`, `&lt;`, `&gt;`) show as the characters they stand for and stay
/// escaped in the HTML; emoji (`:tada:` or 🎉) are kept as they are.
pub fn mrkdwn_to_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + text.len() / 4);
    let mut rest = text;
    while let Some((before, code, after)) = split_code_block(rest) {
        out.push_str(&lines_to_html(before.strip_suffix('\n').unwrap_or(before)));
        out.push_str("<pre class=\"code-block\">");
        out.push_str(&escape_html(&decode_entities(code)));
        out.push_str("</pre>");
        rest = after.strip_prefix('\n').unwrap_or(after);
    }
    out.push_str(&lines_to_html(rest));
    out
}

/// Escapes text for HTML content and attribute values.
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_html_char(&mut out, c);
    }
    out
}

fn push_html_char(out: &mut String, c: char) {
    match c {
        '&' => out.push_str("&amp;"),
        '<' => out.push_str("&lt;"),
        '>' => out.push_str("&gt;"),
        '"' => out.push_str("&quot;"),
        '\'' => out.push_str("&#39;"),
        // Control characters (a terminal escape typed into a description) are invalid in
        // HTML: show that something was there.
        c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{FFFD}'),
        c => out.push(c),
    }
}

fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

/// An element ID from a channel ID: letters, digits, `-` and `_` only.
fn channel_element_id(channel: &str) -> String {
    let cleaned: String = channel
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("channel-{cleaned}")
}

// ---------------------------------------------------------------------------------------------
// Messages and blocks
// ---------------------------------------------------------------------------------------------

#[derive(Default)]
struct Page {
    errors: usize,
}

impl Page {
    fn error(&mut self, out: &mut String, what: &str) {
        self.errors += 1;
        let _ = write!(
            out,
            "<div class=\"{RENDER_ERROR_CLASS}\">⚠ {}</div>",
            escape_html(what)
        );
    }

    fn message(&mut self, out: &mut String, channel: &str, index: usize, message: &Value) {
        let _ = write!(
            out,
            "<article class=\"message\" id=\"{}-message-{index}\" data-channel=\"{}\" data-message-index=\"{index}\"",
            channel_element_id(channel),
            escape_html(channel),
        );
        if let Some(key) = message
            .pointer("/metadata/event_payload/delivery_key")
            .and_then(Value::as_str)
        {
            let _ = write!(out, " data-delivery-key=\"{}\"", escape_html(key));
        }
        out.push_str(">\n<div class=\"avatar\" aria-hidden=\"true\">op</div>\n<div class=\"message-body\">\n");
        out.push_str("<div class=\"message-meta\"><span class=\"app-name\">orgpulse</span><span class=\"app-badge\">APP</span>");
        if let Some(time) = message.get("ts").and_then(Value::as_str).and_then(ts_label) {
            let _ = write!(out, "<span class=\"time\">{}</span>", escape_html(&time));
        }
        if let Some(kind) = message
            .pointer("/metadata/event_type")
            .and_then(Value::as_str)
        {
            let _ = write!(
                out,
                "<span class=\"event-type\">{}</span>",
                escape_html(kind)
            );
        }
        out.push_str("</div>\n");

        let Some(object) = message.as_object() else {
            self.error(out, "this message is not a JSON object");
            out.push_str("</div>\n</article>\n");
            return;
        };
        let text = object.get("text").and_then(Value::as_str).unwrap_or("");
        let blocks = object.get("blocks").filter(|b| !b.is_null());
        let attachments = object.get("attachments").filter(|a| !a.is_null());
        match blocks {
            Some(Value::Array(blocks)) if !blocks.is_empty() => {
                out.push_str("<div class=\"blocks\">\n");
                self.blocks(out, blocks);
                out.push_str("</div>\n");
                if !text.is_empty() {
                    // Slack shows the blocks; the text is what notifications say, without
                    // formatting.
                    let _ = writeln!(
                        out,
                        "<div class=\"notification\" title=\"Notification text\">🔔 {}</div>",
                        escape_html(&decode_entities(text))
                    );
                }
            }
            Some(Value::Array(_)) | None => {
                if !text.is_empty() {
                    let _ = writeln!(
                        out,
                        "<div class=\"mrkdwn message-text\">{}</div>",
                        mrkdwn_to_html(text)
                    );
                } else if attachments.is_none() {
                    self.error(out, "empty message: no text, no blocks");
                }
            }
            Some(_) => self.error(out, "\"blocks\" is not a list"),
        }
        match attachments {
            Some(Value::Array(attachments)) => {
                for attachment in attachments {
                    self.attachment(out, attachment);
                }
            }
            Some(_) => self.error(out, "\"attachments\" is not a list"),
            None => {}
        }
        let json = serde_json::to_string_pretty(&sorted_keys(message)).unwrap_or_default();
        let _ = writeln!(
            out,
            "<details class=\"raw\"><summary>JSON</summary><pre>{}</pre></details>",
            escape_html(&json)
        );
        out.push_str("</div>\n</article>\n");
    }

    fn blocks(&mut self, out: &mut String, blocks: &[Value]) {
        for block in blocks {
            self.block(out, block);
            out.push('\n');
        }
    }

    fn block(&mut self, out: &mut String, block: &Value) {
        let kind = block.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "header" => {
                match text_object(block.get("text")) {
                    Some(text) => {
                        let _ = write!(out, "<div class=\"block block-header\" data-block-type=\"header\">{text}</div>");
                    }
                    None => self.error(out, "header block without text"),
                }
            }
            "section" => self.section(out, block),
            "context" => self.context(out, block),
            "divider" => {
                out.push_str("<hr class=\"block block-divider\" data-block-type=\"divider\">")
            }
            "image" => self.image_block(out, block),
            "actions" => {
                out.push_str("<div class=\"block block-actions\" data-block-type=\"actions\">");
                for element in array(block, "elements") {
                    self.element(out, element);
                }
                out.push_str("</div>");
            }
            "table" => self.table(out, block),
            "rich_text" => {
                out.push_str("<div class=\"block block-rich-text\" data-block-type=\"rich_text\">");
                self.rich_text_elements(out, array(block, "elements"));
                out.push_str("</div>");
            }
            "markdown" => match block.get("text").and_then(Value::as_str) {
                // Standard Markdown, shown with mrkdwn's rules: close enough for a preview.
                Some(text) => {
                    let _ = write!(
                        out,
                        "<div class=\"block block-markdown mrkdwn\" data-block-type=\"markdown\">{}</div>",
                        mrkdwn_to_html(text)
                    );
                }
                None => self.error(out, "markdown block without text"),
            },
            "video" => {
                let title = text_object(block.get("title")).unwrap_or_else(|| "Video".into());
                out.push_str("<div class=\"block block-video\" data-block-type=\"video\">▶ ");
                match safe_url(block.get("video_url").and_then(Value::as_str).unwrap_or("")) {
                    Some(url) => {
                        let _ = write!(
                            out,
                            "<a href=\"{}\" rel=\"noopener noreferrer\">{title}</a>",
                            escape_html(url)
                        );
                    }
                    None => out.push_str(&title),
                }
                out.push_str("</div>");
            }
            "file" => {
                let id = block
                    .get("external_id")
                    .and_then(Value::as_str)
                    .unwrap_or("");
                let _ = write!(
                    out,
                    "<div class=\"block block-file\" data-block-type=\"file\">📄 file {}</div>",
                    escape_html(id)
                );
            }
            "" => self.error(out, "block without a type"),
            other => self.error(out, &format!("unsupported block: {other}")),
        }
    }

    fn section(&mut self, out: &mut String, block: &Value) {
        let text = block.get("text").filter(|t| !t.is_null());
        let fields = array(block, "fields");
        if text.is_none() && fields.is_empty() {
            self.error(out, "section block without text or fields");
            return;
        }
        out.push_str("<div class=\"block block-section\" data-block-type=\"section\"><div class=\"section-main\">");
        if let Some(text) = text {
            match text_object(Some(text)) {
                Some(html) => {
                    let _ = write!(out, "<div class=\"section-text\">{html}</div>");
                }
                None => self.error(out, "section text is not a text object"),
            }
        }
        if !fields.is_empty() {
            out.push_str("<div class=\"section-fields\">");
            for field in fields {
                match text_object(Some(field)) {
                    Some(html) => {
                        let _ = write!(out, "<div class=\"field\">{html}</div>");
                    }
                    None => self.error(out, "section field is not a text object"),
                }
            }
            out.push_str("</div>");
        }
        out.push_str("</div>");
        if let Some(accessory) = block.get("accessory").filter(|a| !a.is_null()) {
            out.push_str("<div class=\"accessory\">");
            if accessory.get("type").and_then(Value::as_str) == Some("image") {
                image_tag(out, accessory, "accessory-image");
            } else {
                self.element(out, accessory);
            }
            out.push_str("</div>");
        }
        out.push_str("</div>");
    }

    fn context(&mut self, out: &mut String, block: &Value) {
        out.push_str("<div class=\"block block-context\" data-block-type=\"context\">");
        for element in array(block, "elements") {
            if element.get("type").and_then(Value::as_str) == Some("image") {
                image_tag(out, element, "context-image");
                continue;
            }
            match text_object(Some(element)) {
                Some(html) => {
                    let _ = write!(out, "<span class=\"context-item\">{html}</span>");
                }
                None => self.error(out, "context element is neither text nor image"),
            }
        }
        out.push_str("</div>");
    }

    fn image_block(&mut self, out: &mut String, block: &Value) {
        out.push_str("<figure class=\"block block-image\" data-block-type=\"image\">");
        if let Some(title) = text_object(block.get("title")) {
            let _ = write!(out, "<figcaption>{title}</figcaption>");
        }
        if block.get("image_url").is_some() {
            image_tag(out, block, "image");
        } else if let Some(file) = block.get("slack_file") {
            // A file uploaded to Slack: only Slack can show it.
            let name = file
                .get("id")
                .or_else(|| file.get("url"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let alt = block.get("alt_text").and_then(Value::as_str).unwrap_or("");
            let _ = write!(
                out,
                "<div class=\"image-placeholder\">🖼 Slack file {} — {}</div>",
                escape_html(name),
                escape_html(alt)
            );
        } else {
            self.error(out, "image block without image_url or slack_file");
        }
        out.push_str("</figure>");
    }

    /// An interactive element (actions block or section accessory), shown inert.
    fn element(&mut self, out: &mut String, element: &Value) {
        let kind = element.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "button" | "workflow_button" => {
                let label = text_object(element.get("text")).unwrap_or_default();
                let style = match element.get("style").and_then(Value::as_str) {
                    Some("primary") => " button-primary",
                    Some("danger") => " button-danger",
                    _ => "",
                };
                match element
                    .get("url")
                    .and_then(Value::as_str)
                    .and_then(safe_url)
                {
                    Some(url) => {
                        let _ = write!(
                            out,
                            "<a class=\"button{style}\" href=\"{}\" rel=\"noopener noreferrer\">{label}</a>",
                            escape_html(url)
                        );
                    }
                    None => {
                        let _ = write!(out, "<span class=\"button{style}\">{label}</span>");
                    }
                }
            }
            "overflow" => out.push_str("<span class=\"button overflow\">⋯</span>"),
            "datepicker" | "timepicker" | "datetimepicker" => {
                let value = ["initial_date", "initial_time", "initial_date_time"]
                    .iter()
                    .find_map(|k| element.get(*k))
                    .map(|v| escape_html(&v.to_string().replace('"', "")))
                    .or_else(|| text_object(element.get("placeholder")))
                    .unwrap_or_else(|| kind.into());
                let _ = write!(out, "<span class=\"select\">📅 {value}</span>");
            }
            "checkboxes" | "radio_buttons" => {
                let mark = if kind == "checkboxes" { "☐" } else { "○" };
                out.push_str("<span class=\"options\">");
                for option in array(element, "options") {
                    let label = text_object(option.get("text")).unwrap_or_default();
                    let _ = write!(out, "<span class=\"option\">{mark} {label}</span>");
                }
                out.push_str("</span>");
            }
            kind if kind.ends_with("_select") => {
                let placeholder =
                    text_object(element.get("placeholder")).unwrap_or_else(|| "Select…".into());
                let _ = write!(out, "<span class=\"select\">{placeholder} ▾</span>");
            }
            "" => self.error(out, "element without a type"),
            other => self.error(out, &format!("unsupported element: {other}")),
        }
    }

    /// Slack's table block: rows of `raw_text` or `rich_text` cells; the first row is the
    /// header.
    fn table(&mut self, out: &mut String, block: &Value) {
        let rows = array(block, "rows");
        if rows.is_empty() {
            self.error(out, "table block without rows");
            return;
        }
        let aligns: Vec<&str> = array(block, "column_settings")
            .iter()
            .map(|s| s.get("align").and_then(Value::as_str).unwrap_or("left"))
            .collect();
        out.push_str("<table class=\"block block-table\" data-block-type=\"table\">");
        for (row_index, row) in rows.iter().enumerate() {
            let tag = if row_index == 0 { "th" } else { "td" };
            out.push_str("<tr>");
            let cells = row.as_array().map(Vec::as_slice).unwrap_or_default();
            for (column, cell) in cells.iter().enumerate() {
                let align = match aligns.get(column).copied() {
                    Some("right") => " class=\"align-right\"",
                    Some("center") => " class=\"align-center\"",
                    _ => "",
                };
                let _ = write!(out, "<{tag}{align}>");
                match cell.get("type").and_then(Value::as_str) {
                    Some("raw_text") => out.push_str(&plain_html(
                        cell.get("text").and_then(Value::as_str).unwrap_or(""),
                    )),
                    Some("rich_text") => self.rich_text_elements(out, array(cell, "elements")),
                    _ => match text_object(Some(cell)) {
                        Some(html) => out.push_str(&html),
                        None => self.error(out, "table cell is neither raw_text nor rich_text"),
                    },
                }
                let _ = write!(out, "</{tag}>");
            }
            out.push_str("</tr>");
        }
        out.push_str("</table>");
    }

    fn rich_text_elements(&mut self, out: &mut String, elements: &[Value]) {
        for element in elements {
            let kind = element.get("type").and_then(Value::as_str).unwrap_or("");
            match kind {
                "rich_text_section" => {
                    out.push_str("<div class=\"rt-section\">");
                    self.rich_inline(out, array(element, "elements"));
                    out.push_str("</div>");
                }
                "rich_text_list" => {
                    let tag = if element.get("style").and_then(Value::as_str) == Some("ordered") {
                        "ol"
                    } else {
                        "ul"
                    };
                    let indent = element.get("indent").and_then(Value::as_u64).unwrap_or(0);
                    let _ = write!(
                        out,
                        "<{tag} class=\"rt-list\" style=\"margin-left:{}px\">",
                        indent.min(8) * 24
                    );
                    for item in array(element, "elements") {
                        out.push_str("<li>");
                        self.rich_inline(out, array(item, "elements"));
                        out.push_str("</li>");
                    }
                    let _ = write!(out, "</{tag}>");
                }
                "rich_text_preformatted" => {
                    out.push_str("<pre class=\"code-block\">");
                    self.rich_inline(out, array(element, "elements"));
                    out.push_str("</pre>");
                }
                "rich_text_quote" => {
                    out.push_str("<blockquote>");
                    self.rich_inline(out, array(element, "elements"));
                    out.push_str("</blockquote>");
                }
                other => self.error(out, &format!("unsupported rich_text element: {other}")),
            }
        }
    }

    fn rich_inline(&mut self, out: &mut String, elements: &[Value]) {
        for element in elements {
            let text = |key: &str| element.get(key).and_then(Value::as_str).unwrap_or("");
            let inner = match element.get("type").and_then(Value::as_str).unwrap_or("") {
                "text" => plain_html(text("text")),
                "link" => {
                    let label = if text("text").is_empty() {
                        text("url")
                    } else {
                        text("text")
                    };
                    match safe_url(text("url")) {
                        Some(url) => format!(
                            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                            escape_html(url),
                            plain_html(label)
                        ),
                        None => plain_html(label),
                    }
                }
                "emoji" => match emoji_from_unicode(text("unicode")) {
                    Some(emoji) => escape_html(&emoji),
                    None => escape_html(&format!(":{}:", text("name"))),
                },
                "user" => mention(&format!("@{}", text("user_id"))),
                "usergroup" => mention(&format!("@{}", text("usergroup_id"))),
                "channel" => mention(&format!("#{}", text("channel_id"))),
                "broadcast" => mention(&format!("@{}", text("range"))),
                "date" => {
                    let fallback = text("fallback");
                    let shown = if fallback.is_empty() {
                        element
                            .get("timestamp")
                            .and_then(Value::as_i64)
                            .and_then(|t| DateTime::from_timestamp(t, 0))
                            .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
                            .unwrap_or_default()
                    } else {
                        fallback.to_owned()
                    };
                    escape_html(&shown)
                }
                "color" => escape_html(text("value")),
                other => {
                    self.error(out, &format!("unsupported rich_text item: {other}"));
                    continue;
                }
            };
            let style = element.get("style");
            let flag = |name: &str| {
                style
                    .and_then(|s| s.get(name))
                    .and_then(Value::as_bool)
                    .unwrap_or(false)
            };
            let mut html = inner;
            for (name, open, close) in [
                ("code", "<code>", "</code>"),
                ("strike", "<s>", "</s>"),
                ("italic", "<i>", "</i>"),
                ("bold", "<b>", "</b>"),
            ] {
                if flag(name) {
                    html = format!("{open}{html}{close}");
                }
            }
            out.push_str(&html);
        }
    }

    /// Legacy attachments: a coloured bar with pretext, title, text, fields and blocks.
    fn attachment(&mut self, out: &mut String, attachment: &Value) {
        let text = |key: &str| attachment.get(key).and_then(Value::as_str).unwrap_or("");
        let color = match text("color") {
            "good" => "#2eb67d".to_owned(),
            "warning" => "#ecb22e".to_owned(),
            "danger" => "#e01e5a".to_owned(),
            hex if hex.len() <= 7
                && hex
                    .trim_start_matches('#')
                    .chars()
                    .all(|c| c.is_ascii_hexdigit())
                && !hex.trim_start_matches('#').is_empty() =>
            {
                format!("#{}", hex.trim_start_matches('#'))
            }
            _ => "#dddddd".to_owned(),
        };
        if !text("pretext").is_empty() {
            let _ = write!(
                out,
                "<div class=\"mrkdwn\">{}</div>",
                mrkdwn_to_html(text("pretext"))
            );
        }
        let _ = write!(
            out,
            "<div class=\"attachment\" style=\"border-left-color:{color}\">"
        );
        if !text("title").is_empty() {
            out.push_str("<div class=\"attachment-title\">");
            match safe_url(text("title_link")) {
                Some(url) => {
                    let _ = write!(
                        out,
                        "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
                        escape_html(url),
                        escape_html(text("title"))
                    );
                }
                None => out.push_str(&escape_html(text("title"))),
            }
            out.push_str("</div>");
        }
        if !text("text").is_empty() {
            let _ = write!(
                out,
                "<div class=\"mrkdwn\">{}</div>",
                mrkdwn_to_html(text("text"))
            );
        }
        let fields = array(attachment, "fields");
        if !fields.is_empty() {
            out.push_str("<div class=\"section-fields\">");
            for field in fields {
                let value = |key: &str| field.get(key).and_then(Value::as_str).unwrap_or("");
                let _ = write!(
                    out,
                    "<div class=\"field\"><b>{}</b><br>{}</div>",
                    escape_html(value("title")),
                    mrkdwn_to_html(value("value"))
                );
            }
            out.push_str("</div>");
        }
        self.blocks(out, array(attachment, "blocks"));
        if !text("footer").is_empty() {
            let _ = write!(
                out,
                "<div class=\"block-context\">{}</div>",
                escape_html(text("footer"))
            );
        }
        out.push_str("</div>");
    }
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
}

/// A text object as HTML: `plain_text` escaped, `mrkdwn` converted. `None` when `value` is
/// not a text object.
fn text_object(value: Option<&Value>) -> Option<String> {
    let value = value?;
    let text = value.get("text")?.as_str()?;
    match value.get("type").and_then(Value::as_str) {
        Some("plain_text") => Some(plain_html(text)),
        Some("mrkdwn") => Some(format!(
            "<span class=\"mrkdwn\">{}</span>",
            mrkdwn_to_html(text)
        )),
        _ => None,
    }
}

/// Plain text: escaped, line breaks kept.
fn plain_html(text: &str) -> String {
    escape_html(text).replace('\n', "<br>")
}

fn mention(text: &str) -> String {
    format!("<span class=\"mention\">{}</span>", escape_html(text))
}

fn image_tag(out: &mut String, image: &Value, class: &str) {
    let alt = image.get("alt_text").and_then(Value::as_str).unwrap_or("");
    let url = image.get("image_url").and_then(Value::as_str).unwrap_or("");
    match safe_image_url(url) {
        Some(url) => {
            let _ = write!(
                out,
                "<img class=\"{class}\" src=\"{}\" alt=\"{}\" loading=\"lazy\">",
                escape_html(url),
                escape_html(alt)
            );
        }
        None => {
            let _ = write!(
                out,
                "<span class=\"image-placeholder {class}\">🖼 {}</span>",
                escape_html(alt)
            );
        }
    }
}

/// Link targets worth following from a preview.
fn safe_url(url: &str) -> Option<&str> {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://") || lower.starts_with("http://") || lower.starts_with("mailto:"))
        .then_some(url.trim_start())
}

fn safe_image_url(url: &str) -> Option<&str> {
    let lower = url.trim_start().to_ascii_lowercase();
    (lower.starts_with("https://")
        || lower.starts_with("http://")
        || lower.starts_with("data:image/png")
        || lower.starts_with("data:image/jpeg")
        || lower.starts_with("data:image/gif"))
    .then_some(url.trim_start())
}

/// `1f1ef-1f1f5` → 🇯🇵.
fn emoji_from_unicode(code: &str) -> Option<String> {
    if code.is_empty() {
        return None;
    }
    code.split('-')
        .map(|part| u32::from_str_radix(part, 16).ok().and_then(char::from_u32))
        .collect()
}

/// A message `ts` (`1732780800.000100`) as a UTC time.
fn ts_label(ts: &str) -> Option<String> {
    let seconds: i64 = ts.split('.').next()?.parse().ok()?;
    let time = DateTime::from_timestamp(seconds, 0)?;
    Some(time.format("%Y-%m-%d %H:%M:%S UTC").to_string())
}

// ---------------------------------------------------------------------------------------------
// mrkdwn
// ---------------------------------------------------------------------------------------------

/// The first ```` ``` ```` block: (text before, code, text after). `None` when there is no
/// complete, non-empty one.
fn split_code_block(text: &str) -> Option<(&str, &str, &str)> {
    let start = text.find("```")?;
    let content_start = start + 3;
    let length = text[content_start..].find("```")?;
    let code = &text[content_start..content_start + length];
    if code.trim().is_empty() {
        return None;
    }
    let code = code.strip_prefix('\n').unwrap_or(code);
    let code = code.strip_suffix('\n').unwrap_or(code);
    Some((&text[..start], code, &text[content_start + length + 3..]))
}

/// Lines with line breaks; consecutive lines starting with `>` (or `&gt;`) as one quote.
fn lines_to_html(text: &str) -> String {
    if text.is_empty() {
        return String::new();
    }
    let lines: Vec<(bool, String)> = text
        .split('\n')
        .map(|line| match quote_content(line) {
            Some(content) => (true, inline_to_html(content)),
            None => (false, inline_to_html(line)),
        })
        .collect();
    let mut out = String::new();
    for (i, (quoted, html)) in lines.iter().enumerate() {
        let previous_quoted = i > 0 && lines[i - 1].0;
        let next = lines.get(i + 1).map(|(q, _)| *q);
        if *quoted {
            if !previous_quoted {
                out.push_str("<blockquote>");
            }
            out.push_str(html);
            match next {
                Some(true) => out.push_str("<br>"),
                _ => out.push_str("</blockquote>"),
            }
        } else {
            out.push_str(html);
            if next == Some(false) {
                out.push_str("<br>\n");
            }
        }
    }
    out
}

fn quote_content(line: &str) -> Option<&str> {
    let rest = line
        .strip_prefix("&gt;")
        .or_else(|| line.strip_prefix('>'))?;
    Some(rest.strip_prefix(' ').unwrap_or(rest))
}

/// One piece of a line: a character (entities already decoded, so a decoded `<` is text and
/// never markup), or finished HTML (a link, mention or code span, whose insides take no
/// further formatting).
enum Atom {
    Char(char),
    Html(String),
}

fn inline_to_html(line: &str) -> String {
    render_atoms(&atoms(line))
}

fn atoms(line: &str) -> Vec<Atom> {
    let chars: Vec<char> = line.chars().collect();
    let mut atoms = Vec::with_capacity(chars.len());
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '`' => {
                if let Some(end) = (i + 1..chars.len()).find(|&j| chars[j] == '`') {
                    if end > i + 1 {
                        let code: String = chars[i + 1..end].iter().collect();
                        atoms.push(Atom::Html(format!(
                            "<code>{}</code>",
                            escape_html(&decode_entities(&code))
                        )));
                        i = end + 1;
                        continue;
                    }
                }
                atoms.push(Atom::Char('`'));
                i += 1;
            }
            '<' => {
                let end = (i + 1..chars.len()).find(|&j| chars[j] == '>' || chars[j] == '<');
                match end {
                    Some(end) if chars[end] == '>' && end > i + 1 => {
                        let token: String = chars[i + 1..end].iter().collect();
                        atoms.push(Atom::Html(angle_token(&token)));
                        i = end + 1;
                    }
                    _ => {
                        atoms.push(Atom::Char('<'));
                        i += 1;
                    }
                }
            }
            '&' => {
                let rest: String = chars[i..chars.len().min(i + 5)].iter().collect();
                let (decoded, length) = if rest.starts_with("&amp;") {
                    ('&', 5)
                } else if rest.starts_with("&lt;") {
                    ('<', 4)
                } else if rest.starts_with("&gt;") {
                    ('>', 4)
                } else {
                    ('&', 1)
                };
                atoms.push(Atom::Char(decoded));
                i += length;
            }
            c => {
                atoms.push(Atom::Char(c));
                i += 1;
            }
        }
    }
    atoms
}

/// `<…>` in mrkdwn: a link, a mention, a special mention or a date.
fn angle_token(token: &str) -> String {
    let (target, label) = match token.split_once('|') {
        Some((target, label)) => (target, Some(label)),
        None => (token, None),
    };
    let label = label.map(decode_entities).filter(|l| !l.is_empty());
    if let Some(user) = target.strip_prefix('@') {
        return mention(&label.unwrap_or_else(|| format!("@{user}")));
    }
    if let Some(channel) = target.strip_prefix('#') {
        let name = label.map(|l| format!("#{l}"));
        return mention(&name.unwrap_or_else(|| format!("#{channel}")));
    }
    if let Some(special) = target.strip_prefix('!') {
        let shown = match special {
            "here" | "channel" | "everyone" => format!("@{special}"),
            _ if special.starts_with("date^") => {
                return escape_html(&label.unwrap_or_else(|| special.to_owned()));
            }
            _ => label.unwrap_or_else(|| format!("@{special}")),
        };
        return mention(&shown);
    }
    let url = decode_entities(target);
    let shown = label.unwrap_or_else(|| url.clone());
    match safe_url(&url) {
        Some(url) => format!(
            "<a href=\"{}\" rel=\"noopener noreferrer\">{}</a>",
            escape_html(url),
            escape_html(&shown)
        ),
        // Not a link Slack would open; show the text, not a live link.
        None => format!(
            "<span class=\"link-disabled\" title=\"{}\">{}</span>",
            escape_html(&url),
            escape_html(&shown)
        ),
    }
}

fn decode_entities(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

fn emphasis_tag(c: char) -> Option<&'static str> {
    match c {
        '*' => Some("b"),
        '_' => Some("i"),
        '~' => Some("s"),
        _ => None,
    }
}

fn render_atoms(atoms: &[Atom]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < atoms.len() {
        match &atoms[i] {
            Atom::Html(html) => out.push_str(html),
            Atom::Char(c) => {
                if let Some(tag) = emphasis_tag(*c) {
                    if let Some(close) = closing_marker(atoms, i) {
                        let _ =
                            write!(out, "<{tag}>{}</{tag}>", render_atoms(&atoms[i + 1..close]));
                        i = close + 1;
                        continue;
                    }
                }
                push_html_char(&mut out, *c);
            }
        }
        i += 1;
    }
    out
}

/// Where the emphasis opened by the marker at `open` closes, with Slack's rules: the opening
/// marker follows a non-word character, is followed by a non-space; the closing one follows
/// a non-space and is not followed by a word character (so `snake_case_name` and `2*3*4` stay
/// as they are).
fn closing_marker(atoms: &[Atom], open: usize) -> Option<usize> {
    let Atom::Char(marker) = atoms[open] else {
        return None;
    };
    let opens_after =
        open == 0 || !matches!(&atoms[open - 1], Atom::Char(c) if c.is_alphanumeric());
    let opens_before = match atoms.get(open + 1) {
        Some(Atom::Char(c)) => !c.is_whitespace() && *c != marker,
        Some(Atom::Html(_)) => true,
        None => false,
    };
    if !opens_after || !opens_before {
        return None;
    }
    (open + 2..atoms.len()).find(|&j| {
        matches!(&atoms[j], Atom::Char(c) if *c == marker)
            && !matches!(&atoms[j - 1], Atom::Char(c) if c.is_whitespace())
            && !matches!(atoms.get(j + 1), Some(Atom::Char(c)) if c.is_alphanumeric())
    })
}

const STYLE: &str = r#"*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: #1d1c1d; background: #ffffff;
  font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", "Noto Sans CJK JP",
    "Hiragino Sans", "Hiragino Kaku Gothic ProN", "Yu Gothic", Meiryo, Roboto, "Helvetica Neue",
    Arial, sans-serif, "Apple Color Emoji", "Segoe UI Emoji", "Noto Color Emoji";
  font-size: 15px; line-height: 1.46668; }
code, pre, .block-table td, .block-table th { font-family: Menlo, Monaco, Consolas, "Noto Sans Mono CJK JP",
  "Noto Sans Mono", "Courier New", monospace; }
.workspace { display: flex; min-height: 100vh; }
.sidebar { flex: 0 0 240px; background: #3f0e40; color: #cfc3cf; padding: 16px 0; }
.sidebar-title { font-weight: 700; color: #ffffff; padding: 0 16px 8px; }
.sidebar ul { list-style: none; margin: 0; padding: 0; }
.sidebar li { padding: 2px 16px; }
.sidebar a { color: #cfc3cf; text-decoration: none; }
.sidebar a:hover { color: #ffffff; }
.sidebar .count { float: right; font-size: 12px; opacity: .7; }
.channels { flex: 1 1 auto; min-width: 0; padding: 0 0 48px; }
.page-header { padding: 16px 20px; border-bottom: 1px solid #dddddd; }
.page-header h1 { font-size: 22px; margin: 0; }
.page-header p { margin: 4px 0 0; color: #616061; }
.empty { padding: 20px; color: #616061; }
.channel { border-bottom: 1px solid #dddddd; }
.channel-name { position: sticky; top: 0; z-index: 1; margin: 0; padding: 10px 20px; font-size: 18px;
  background: #ffffff; border-bottom: 1px solid #eeeeee; }
.hash { color: #616061; font-weight: 400; }
.channel-name .count { font-size: 13px; font-weight: 400; color: #616061; margin-left: 8px; }
.message { display: flex; gap: 8px; padding: 8px 20px; }
.message:hover { background: #f8f8f8; }
.avatar { flex: 0 0 36px; height: 36px; border-radius: 6px; background: #2eb67d; color: #ffffff;
  font-weight: 700; font-size: 14px; display: flex; align-items: center; justify-content: center; }
.message-body { flex: 1 1 auto; min-width: 0; max-width: 860px; overflow-wrap: anywhere; }
.message-meta { display: flex; gap: 6px; align-items: baseline; }
.app-name { font-weight: 900; }
.app-badge { font-size: 10px; font-weight: 700; color: #616061; background: #e8e8e8; border-radius: 2px; padding: 0 3px; }
.time, .event-type { font-size: 12px; color: #616061; }
.block { margin: 4px 0; }
.block-header { font-size: 18px; font-weight: 900; line-height: 1.33; margin: 8px 0 4px; }
.block-section { display: flex; gap: 12px; align-items: flex-start; }
.section-main { flex: 1 1 auto; min-width: 0; }
.section-fields { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 8px 16px; margin-top: 4px; }
.accessory { flex: 0 0 auto; }
.accessory-image { width: 88px; height: 88px; object-fit: cover; border-radius: 4px; }
.block-context { display: flex; flex-wrap: wrap; align-items: center; gap: 4px 8px; font-size: 12px; color: #616061; }
.block-context code { font-size: 11px; }
.context-image { width: 20px; height: 20px; border-radius: 4px; }
.block-divider { border: 0; border-top: 1px solid #dddddd; margin: 12px 0; }
.block-image { margin: 8px 0; }
.block-image figcaption { font-size: 13px; color: #616061; margin-bottom: 4px; }
.block-image img { max-width: 100%; max-height: 400px; border-radius: 8px; border: 1px solid #dddddd; }
.image-placeholder { display: inline-block; padding: 8px 12px; border: 1px dashed #bbbbbb; border-radius: 8px; color: #616061; font-size: 13px; }
.block-actions { display: flex; flex-wrap: wrap; gap: 8px; margin: 8px 0; }
.button { display: inline-flex; align-items: center; height: 28px; padding: 0 12px; border: 1px solid #bbbbbb;
  border-radius: 4px; font-size: 13px; font-weight: 700; color: #1d1c1d; background: #ffffff; text-decoration: none; }
.button-primary { background: #007a5a; border-color: #007a5a; color: #ffffff; }
.button-danger { background: #e01e5a; border-color: #e01e5a; color: #ffffff; }
.select { display: inline-flex; align-items: center; height: 28px; padding: 0 10px; border: 1px solid #bbbbbb; border-radius: 4px; font-size: 13px; color: #616061; }
.options { display: inline-flex; flex-direction: column; font-size: 14px; }
.block-table { border-collapse: collapse; font-size: 13px; margin: 8px 0; }
.block-table th, .block-table td { border: 1px solid #dddddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.block-table th { background: #f8f8f8; font-weight: 700; }
.block-table .align-right { text-align: right; }
.block-table .align-center { text-align: center; }
.mrkdwn b { font-weight: 700; }
code { font-size: 12px; color: #e01e5a; background: #f8f8f8; border: 1px solid #e8e8e8; border-radius: 3px; padding: 1px 3px; }
pre.code-block { margin: 4px 0; padding: 8px; font-size: 12px; line-height: 1.5; white-space: pre-wrap;
  background: #f8f8f8; border: 1px solid #dddddd; border-radius: 4px; }
blockquote { margin: 4px 0; padding-left: 12px; border-left: 4px solid #dddddd; }
a { color: #1264a3; text-decoration: none; }
a:hover { text-decoration: underline; }
.link-disabled { color: #616061; text-decoration: underline dotted; }
.mention { color: #1264a3; background: rgba(29, 155, 209, .1); border-radius: 3px; padding: 0 2px; font-weight: 500; }
.rt-list { margin: 4px 0; padding-left: 24px; }
.attachment { border-left: 4px solid #dddddd; padding: 4px 0 4px 12px; margin: 6px 0; }
.attachment-title { font-weight: 700; }
.notification { margin-top: 4px; font-size: 12px; color: #616061; }
.raw { margin-top: 4px; font-size: 12px; color: #616061; }
.raw summary { cursor: pointer; }
.raw pre { max-height: 320px; overflow: auto; background: #f8f8f8; padding: 8px; border-radius: 4px; white-space: pre-wrap; }
.render-error { margin: 4px 0; padding: 6px 10px; border: 2px solid #e01e5a; border-radius: 4px; background: #fff0f4; color: #a0002a; font-weight: 700; }
"#;

/// The same JSON with every object's keys in sorted order: the page is identical whether or
/// not another crate in the build turned on serde_json's `preserve_order`.
fn sorted_keys(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let sorted: std::collections::BTreeMap<&String, Value> =
                map.iter().map(|(k, v)| (k, sorted_keys(v))).collect();
            Value::Object(sorted.into_iter().map(|(k, v)| (k.clone(), v)).collect())
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn bold_italic_strike_and_code() {
        assert_eq!(
            mrkdwn_to_html("*bold* _italic_ ~strike~ `code`"),
            "<b>bold</b> <i>italic</i> <s>strike</s> <code>code</code>"
        );
        assert_eq!(mrkdwn_to_html("*_both_*"), "<b><i>both</i></b>");
        assert_eq!(
            mrkdwn_to_html("▲ *+¥8,295 (+4.5%)* vs the day before"),
            "▲ <b>+¥8,295 (+4.5%)</b> vs the day before"
        );
        assert_eq!(
            mrkdwn_to_html("*$1,234.56*  _(Estimated)_"),
            "<b>$1,234.56</b>  <i>(Estimated)</i>"
        );
    }

    #[test]
    fn markers_inside_words_and_lone_markers_stay_text() {
        assert_eq!(mrkdwn_to_html("snake_case_name"), "snake_case_name");
        assert_eq!(mrkdwn_to_html("2*3*4"), "2*3*4");
        assert_eq!(mrkdwn_to_html("a * b * c"), "a * b * c");
        assert_eq!(mrkdwn_to_html("*not closed"), "*not closed");
        assert_eq!(mrkdwn_to_html("**"), "**");
        assert_eq!(mrkdwn_to_html("`"), "`");
    }

    #[test]
    fn code_keeps_its_content_literal() {
        assert_eq!(
            mrkdwn_to_html("`*not bold* &lt;b&gt;`"),
            "<code>*not bold* &lt;b&gt;</code>"
        );
        assert_eq!(
            mrkdwn_to_html("before\n```\nname   amount\nEC2    $1 <x>\n```\nafter"),
            "before<pre class=\"code-block\">name   amount\nEC2    $1 &lt;x&gt;</pre>after"
        );
    }

    #[test]
    fn entities_stay_escaped_and_raw_markup_never_becomes_html() {
        assert_eq!(
            mrkdwn_to_html("&lt;!channel&gt; pay now &amp; &lt;script&gt;alert(1)&lt;/script&gt;"),
            "&lt;!channel&gt; pay now &amp; &lt;script&gt;alert(1)&lt;/script&gt;"
        );
        // Raw angle brackets are mrkdwn tokens; what they hold is still escaped.
        let html = mrkdwn_to_html("<script>alert(1)</script>");
        assert!(!html.contains("<script"), "{html}");
        assert_eq!(
            mrkdwn_to_html("a < b & \"c\""),
            "a &lt; b &amp; &quot;c&quot;"
        );
        assert_eq!(mrkdwn_to_html("&amp;lt;"), "&amp;lt;");
    }

    #[test]
    fn links_and_mentions() {
        assert_eq!(
            mrkdwn_to_html("<https://x.example/a?b=1&amp;c=2|Open &lt;here&gt;>"),
            "<a href=\"https://x.example/a?b=1&amp;c=2\" rel=\"noopener noreferrer\">Open &lt;here&gt;</a>"
        );
        assert_eq!(
            mrkdwn_to_html("<https://x.example/a_b_c|label> _it_"),
            "<a href=\"https://x.example/a_b_c\" rel=\"noopener noreferrer\">label</a> <i>it</i>"
        );
        assert_eq!(
            mrkdwn_to_html("<!here> <@U123> <#C42|general> <!subteam^S1|@oncall>"),
            "<span class=\"mention\">@here</span> <span class=\"mention\">@U123</span> \
             <span class=\"mention\">#general</span> <span class=\"mention\">@oncall</span>"
        );
        assert_eq!(
            mrkdwn_to_html("<javascript:alert(1)|click>"),
            "<span class=\"link-disabled\" title=\"javascript:alert(1)\">click</span>"
        );
        assert_eq!(
            mrkdwn_to_html("<!date^1392734382^{date}|Feb 18, 2014>"),
            "Feb 18, 2014"
        );
    }

    #[test]
    fn line_breaks_quotes_and_emoji() {
        assert_eq!(mrkdwn_to_html("a\nb"), "a<br>\nb");
        assert_eq!(
            mrkdwn_to_html("intro\n&gt; quoted\n&gt; more\nafter"),
            "intro<blockquote>quoted<br>more</blockquote>after"
        );
        assert_eq!(mrkdwn_to_html(":tada: 🎉 決済"), ":tada: 🎉 決済");
    }

    #[test]
    fn grouping_keeps_first_appearance_order() {
        let messages = vec![
            json!({"channel": "C2", "text": "a"}),
            json!({"channel": "C1", "text": "b"}),
            json!({"channel": "C2", "text": "c"}),
        ];
        let grouped = group_by_channel(messages).unwrap();
        assert_eq!(
            grouped
                .iter()
                .map(|(c, m)| (c.as_str(), m.len()))
                .collect::<Vec<_>>(),
            [("C2", 2), ("C1", 1)]
        );
        assert!(group_by_channel(vec![json!({"text": "x"})])
            .unwrap_err()
            .contains("message 0 has no \"channel\""));
        assert!(group_by_channel(vec![json!(["x"])])
            .unwrap_err()
            .contains("not a JSON object"));
    }

    #[test]
    fn unknown_blocks_are_marked_not_dropped() {
        let page = render_page_with_report(
            "t",
            &[(
                "C1".into(),
                vec![
                    json!({"channel": "C1", "text": "x", "blocks": [{"type": "input"}, {"type": "divider"}]}),
                ],
            )],
        );
        assert_eq!(page.render_errors, 1);
        assert!(page
            .html
            .contains("class=\"render-error\">⚠ unsupported block: input"));
    }

    #[test]
    fn every_supported_block_renders_without_errors() {
        let message = json!({
            "channel": "C1",
            "ts": "1732780800.000100",
            "text": "fallback",
            "blocks": [
                {"type": "header", "text": {"type": "plain_text", "text": "Header <b>"}},
                {"type": "section", "text": {"type": "mrkdwn", "text": "*x*"},
                 "accessory": {"type": "button", "text": {"type": "plain_text", "text": "Go"}, "url": "https://e.example"}},
                {"type": "section", "fields": [{"type": "mrkdwn", "text": "a"}, {"type": "plain_text", "text": "b"}]},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"},
                    {"type": "image", "image_url": "https://e.example/i.png", "alt_text": "i"}]},
                {"type": "divider"},
                {"type": "image", "image_url": "https://e.example/chart.png", "alt_text": "chart",
                 "title": {"type": "plain_text", "text": "Trend"}},
                {"type": "image", "slack_file": {"id": "F123"}, "alt_text": "uploaded"},
                {"type": "actions", "elements": [
                    {"type": "button", "text": {"type": "plain_text", "text": "Open"}, "style": "primary"},
                    {"type": "static_select", "placeholder": {"type": "plain_text", "text": "Pick"}},
                    {"type": "overflow", "options": []}]},
                {"type": "table", "column_settings": [{"align": "left"}, {"align": "right"}],
                 "rows": [[{"type": "raw_text", "text": "Service"}, {"type": "raw_text", "text": "Cost"}],
                          [{"type": "raw_text", "text": "EC2"}, {"type": "rich_text", "elements": [
                              {"type": "rich_text_section", "elements": [{"type": "text", "text": "$1", "style": {"bold": true}}]}]}]]},
                {"type": "rich_text", "elements": [
                    {"type": "rich_text_section", "elements": [
                        {"type": "text", "text": "hi "}, {"type": "emoji", "name": "jp", "unicode": "1f1ef-1f1f5"},
                        {"type": "link", "url": "https://e.example", "text": "link"}, {"type": "user", "user_id": "U1"}]},
                    {"type": "rich_text_list", "style": "ordered", "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}]},
                    {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "pre"}]},
                    {"type": "rich_text_quote", "elements": [{"type": "text", "text": "quote"}]}]},
                {"type": "markdown", "text": "**md**"}
            ],
            "attachments": [{"color": "good", "text": "att", "fields": [{"title": "f", "value": "v", "short": true}]}]
        });
        let page = render_page_with_report("All blocks", &[("C1".into(), vec![message])]);
        assert_eq!(page.render_errors, 0, "{}", page.html);
        let html = &page.html;
        assert!(html.contains("Header &lt;b&gt;"));
        assert!(html.contains("2024-11-28 08:00:00 UTC"));
        assert!(html.contains("🇯🇵"));
        assert!(html.contains("<th>Service</th><th class=\"align-right\">Cost</th>"));
        assert!(html
            .contains("<td class=\"align-right\"><div class=\"rt-section\"><b>$1</b></div></td>"));
        assert!(html.contains("data-channel=\"C1\" data-message-index=\"0\""));
        assert!(html.contains("🖼 Slack file F123"));
    }

    #[test]
    fn unsafe_image_urls_are_not_loaded() {
        let message = json!({"channel": "C1", "blocks": [
            {"type": "image", "image_url": "javascript:alert(1)", "alt_text": "x"}]});
        let html = render_page("t", &[("C1".into(), vec![message])]);
        assert!(!html.contains("src=\"javascript"), "{html}");
    }

    #[test]
    fn page_is_self_contained() {
        let html = render_page("t", &[]);
        assert!(html.contains("<meta charset=\"utf-8\">"));
        assert!(html.contains("\"Noto Sans CJK JP\""));
        for external in ["<script", "<link", "@import", "url("] {
            assert!(!html.contains(external), "{external}");
        }
    }
}
