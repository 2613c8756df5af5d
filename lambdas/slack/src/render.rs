//! A [`CostReport`] as the exact `chat.postMessage` body: Block Kit built with slack-morphism's
//! types, a notification fallback, and metadata that identifies the delivery.
//!
//! Layout, most important first: header (who, what, when, alert marker) → the total and how it
//! moved → month to date and projection → top services → notes (provisional figures, tag
//! filter, exchange rate) and the Cost Explorer link.
//!
//! Safety: everything that came from configuration or AWS is escaped in mrkdwn, or placed in
//! plain_text (never parsed for mentions), and every mrkdwn text object is `verbatim`, so a
//! literal `@channel` is not auto-linked either. Size: the message always fits Slack's limits;
//! long lists end with "…and N more services", long names are shortened.

use std::collections::HashMap;

use orgpulse_config::ChannelId;
use orgpulse_cost::CostReport;
use rust_decimal::Decimal;
use slack_morphism::prelude::*;

use crate::limits;
use crate::money;
use crate::mrkdwn::{char_len, escape, escape_truncated, link, truncate};
use crate::view::{Comparison, MonthView, Note, ReportView, Row};

/// The body of `chat.postMessage`; serialises to exactly what is sent.
pub type PostMessage = SlackApiChatPostMessageRequest;

/// `metadata.event_type` of every report message; `conversations.history` finds it again.
pub const REPORT_EVENT_TYPE: &str = "orgpulse_report";
/// `metadata.event_payload` key of the delivery's idempotency key.
pub const DELIVERY_KEY_FIELD: &str = "delivery_key";

/// Service names longer than this are shortened (Marketplace products can be very long).
pub const MAX_SERVICE_NAME_CHARS: usize = 80;
/// Room for the blocks, kept below Slack's ~13,000 so the message never nears the edge.
pub const BLOCKS_JSON_BUDGET: usize = 12_000;
/// Long descriptions in the line under the header.
const MAX_DESCRIPTION_CHARS: usize = 1_000;
/// Any one note (tag filter, rate, warning).
const MAX_NOTE_CHARS: usize = 1_000;
/// The label inside the notification text.
const MAX_FALLBACK_LABEL_CHARS: usize = 200;

const ALERT_MARKER: &str = "🚨 ";

/// Renders one report for one channel. `delivery_key` identifies this (account, kind, period,
/// channel) delivery; it travels in the message metadata so an earlier post can be found.
pub fn render_report(report: &CostReport, channel: &ChannelId, delivery_key: &str) -> PostMessage {
    let view = ReportView::new(report);
    let shown = services_that_fit(&view);
    let content = SlackMessageContent::new()
        .with_text(fallback_text(&view))
        .with_blocks(blocks(&view, shown))
        .with_metadata(
            SlackMessageMetadata::new(REPORT_EVENT_TYPE.into()).with_event_payload(HashMap::from(
                [
                    ("account_id".to_string(), report.account_id.to_string()),
                    ("kind".to_string(), report.kind.as_str().to_string()),
                    ("period_start".to_string(), report.period.start.to_string()),
                    ("period_end".to_string(), report.period.end.to_string()),
                    (DELIVERY_KEY_FIELD.to_string(), delivery_key.to_string()),
                ],
            )),
        );
    SlackApiChatPostMessageRequest::new(SlackChannelId(channel.0.clone()), content)
        .with_unfurl_links(false)
        .with_unfurl_media(false)
}

/// The idempotency key of one delivery: at most one message per account, report kind, period
/// and channel. `123456789012/DAILY/2024-05-14/C0123456789`.
pub fn delivery_key(report: &CostReport, channel: &ChannelId) -> String {
    format!(
        "{}/{}/{}/{}",
        report.account_id,
        report.kind.as_str(),
        report.period.start,
        channel
    )
}

/// The delivery key a rendered message carries, if any.
pub fn delivery_key_of(message: &PostMessage) -> Option<&str> {
    message
        .content
        .metadata
        .as_ref()?
        .event_payload
        .as_ref()?
        .get(DELIVERY_KEY_FIELD)
        .map(String::as_str)
}

/// How many of the report's top services the Slack message lists (the rest are summed in an
/// "…and N more services" line). The terminal rendering lists the same ones.
pub(crate) fn services_that_fit(view: &ReportView) -> usize {
    let all = view.services.len();
    let base = json_chars(&blocks(view, 0));
    // Each listed service adds its line plus the JSON-escaped newline before it.
    let mut used = base;
    let mut shown = 0;
    for row in &view.services {
        let cost = json_chars(&service_line(row)) + 2;
        if used + cost > BLOCKS_JSON_BUDGET {
            break;
        }
        used += cost;
        shown += 1;
    }
    // The estimate ignores section boundaries; the exact check settles it. Fewer services
    // never take more room, so a binary search finds the most that fit.
    if !fits(view, shown) {
        let (mut fitting, mut too_many) = (0, shown);
        while too_many - fitting > 1 {
            let middle = (fitting + too_many) / 2;
            if fits(view, middle) {
                fitting = middle;
            } else {
                too_many = middle;
            }
        }
        shown = fitting;
    }
    shown.min(all)
}

fn fits(view: &ReportView, shown: usize) -> bool {
    let blocks = blocks(view, shown);
    blocks.len() <= limits::MAX_BLOCKS && json_chars(&blocks) <= BLOCKS_JSON_BUDGET
}

fn json_chars<T: serde::Serialize>(value: &T) -> usize {
    serde_json::to_string(value)
        .map(|json| char_len(&json))
        .unwrap_or(usize::MAX)
}

fn blocks(view: &ReportView, shown_services: usize) -> Vec<SlackBlock> {
    let mut blocks: Vec<SlackBlock> = vec![header(view).into(), account_context(view).into()];
    if view.no_data {
        blocks.push(
            mrkdwn_section(
                "*No cost data yet.* Cost Explorer has no data for this account in this period. \
                 A new account's costs usually appear within a day of its first usage."
                    .into(),
            )
            .into(),
        );
    } else {
        blocks.push(mrkdwn_section(headline(view)).into());
        if let Some(trend) = &view.trend {
            blocks.push(
                SlackContextBlock::new(vec![mrkdwn(format!(
                    "`{}`  {}",
                    trend.sparkline,
                    trend.caption()
                ))
                .into()])
                .into(),
            );
        }
        if let Some(month) = &view.month {
            blocks.push(month_fields(month).into());
        }
        let lines = table_lines(view, shown_services);
        if !lines.is_empty() {
            blocks.push(SlackDividerBlock::new().into());
            blocks.extend(pack_sections("*Top services*", lines));
        }
    }
    blocks.push(footer(view).into());
    blocks
}

fn mrkdwn(text: String) -> SlackBlockMarkDownText {
    SlackBlockMarkDownText::new(text).with_verbatim(true)
}

fn mrkdwn_section(text: String) -> SlackSectionBlock {
    SlackSectionBlock::new().with_text(mrkdwn(text).into())
}

fn header(view: &ReportView) -> SlackHeaderBlock {
    SlackHeaderBlock::new(SlackBlockPlainText::new(header_text(view).0).into())
}

/// The header line, and whether the label had to be shortened to fit.
fn header_text(view: &ReportView) -> (String, bool) {
    let marker = if view.alert { ALERT_MARKER } else { "" };
    let suffix = format!(" · {}", view.kind_and_period);
    let room = limits::MAX_HEADER_TEXT_CHARS.saturating_sub(char_len(marker) + char_len(&suffix));
    let label = truncate(&view.label, room);
    let shortened = label != view.label;
    (format!("{marker}{label}{suffix}"), shortened)
}

/// Plain text (never parsed for mentions): account ID and name, and the full description when
/// the header had to shorten it.
fn account_context(view: &ReportView) -> SlackContextBlock {
    let mut line = format!("Account {}", view.account_id);
    if let Some(name) = &view.account_name {
        line.push_str(" · ");
        line.push_str(name);
    }
    let mut elements: Vec<SlackContextBlockElement> =
        vec![SlackBlockPlainText::new(truncate(&line, MAX_NOTE_CHARS)).into()];
    if header_text(view).1 {
        elements
            .push(SlackBlockPlainText::new(truncate(&view.label, MAX_DESCRIPTION_CHARS)).into());
    }
    SlackContextBlock::new(elements)
}

fn comparison_line(comparison: &Comparison, emphasise: bool) -> String {
    if emphasise {
        format!(
            "{} *{}* {}",
            comparison.arrow, comparison.delta, comparison.against
        )
    } else {
        comparison.line()
    }
}

/// The total first, then how it moved, then why it is an alert.
fn headline(view: &ReportView) -> String {
    let mut lines = vec![format!(
        "*{}*{}",
        view.total,
        if view.estimated {
            "  _(Estimated)_"
        } else {
            ""
        }
    )];
    for (i, comparison) in view.comparisons.iter().enumerate() {
        lines.push(comparison_line(comparison, i == 0));
    }
    if view.credits_exceed_usage {
        lines.push("Credits and refunds are larger than usage in this period.".into());
    }
    for alert in &view.alerts {
        lines.push(format!("{ALERT_MARKER}*Alert:* {}", escape(alert)));
    }
    lines.join("\n")
}

fn month_fields(month: &MonthView) -> SlackSectionBlock {
    SlackSectionBlock::new().with_fields(vec![
        mrkdwn(format!(
            "*{}*\n{}\n{}",
            month.title,
            month.amount,
            month.comparison.line()
        ))
        .into(),
        mrkdwn(format!(
            "*{}*\n{}\n{}",
            month.projection_title, month.projection, month.projection_method
        ))
        .into(),
    ])
}

fn service_line(row: &Row) -> String {
    let name = escape_truncated(&row.name, MAX_SERVICE_NAME_CHARS);
    match &row.change {
        Some(change) => format!("• {name}  *{}*  {change}", row.amount_text),
        None => format!("• {name}  *{}*", row.amount_text),
    }
}

/// Services (the first `shown`), a line for those left out, "Other", credits.
fn table_lines(view: &ReportView, shown: usize) -> Vec<String> {
    let mut lines: Vec<String> = view.services[..shown].iter().map(service_line).collect();
    let hidden = &view.services[shown..];
    if !hidden.is_empty() {
        let sum: Decimal = hidden.iter().map(|row| row.amount).sum();
        lines.push(format!(
            "…and {} more service{}  *{}*",
            hidden.len(),
            if hidden.len() == 1 { "" } else { "s" },
            money::amount(sum, &view.currency)
        ));
    }
    lines.extend(view.other.iter().map(service_line));
    lines.extend(view.credits.iter().map(service_line));
    lines
}

/// Lines into as few sections as Slack's section text limit allows.
fn pack_sections(title: &str, lines: Vec<String>) -> Vec<SlackBlock> {
    let mut sections = Vec::new();
    let mut current = title.to_string();
    for line in lines {
        if char_len(&current) + 1 + char_len(&line) > limits::MAX_SECTION_TEXT_CHARS {
            sections.push(mrkdwn_section(std::mem::take(&mut current)).into());
            current = line;
        } else {
            current.push('\n');
            current.push_str(&line);
        }
    }
    sections.push(mrkdwn_section(current).into());
    sections
}

fn footer(view: &ReportView) -> SlackContextBlock {
    let mut elements: Vec<SlackContextBlockElement> = Vec::new();
    for note in &view.notes {
        elements.push(match note {
            Note::Estimated => mrkdwn(
                "⏳ *Estimated:* recent figures are provisional until AWS finalises the bill"
                    .into(),
            )
            .into(),
            // Plain text: tag keys and values are typed by people.
            Note::Tags(filter) => SlackBlockPlainText::new(truncate(
                &format!("🏷 Only costs tagged {filter}"),
                MAX_NOTE_CHARS,
            ))
            .into(),
            Note::Rate(rate) => {
                mrkdwn(format!("💱 {}", escape_truncated(rate, MAX_NOTE_CHARS))).into()
            }
            Note::RateWarning(warning) => {
                mrkdwn(format!("⚠️ {}", escape_truncated(warning, MAX_NOTE_CHARS))).into()
            }
        });
    }
    let mut last = view.metric.to_string();
    if !view.console_url.is_empty() {
        last.push_str(" · ");
        last.push_str(&link(&view.console_url, "Open in Cost Explorer"));
    }
    elements.push(mrkdwn(last).into());
    SlackContextBlock::new(elements)
}

/// The notification line (also what screen readers and old clients show).
fn fallback_text(view: &ReportView) -> String {
    let label = escape_truncated(&view.label, MAX_FALLBACK_LABEL_CHARS);
    if view.no_data {
        return format!("{label} · {}: no cost data yet", view.kind_and_period);
    }
    let marker = if view.alert { ALERT_MARKER } else { "" };
    let mut text = format!("{marker}{label} · {}: {}", view.kind_and_period, view.total);
    if let Some(change) = &view.headline_change {
        text.push_str(", ");
        text.push_str(change);
    }
    if view.estimated {
        text.push_str(" (Estimated)");
    }
    text
}
