//! The same message as terminal text, for `orgpulse preview --format text` and demos.
//!
//! Reads the same view as the Block Kit renderer and lists the same services, so what an
//! operator previews is what the channel gets. Columns are aligned by display width (Japanese
//! characters take two cells) and control characters never reach the terminal.

use orgpulse_cost::CostReport;
use unicode_width::UnicodeWidthStr;

use crate::mrkdwn::truncate;
use crate::render::{services_that_fit, MAX_SERVICE_NAME_CHARS};
use crate::view::{Note, ReportView, Row};
use crate::{money, mrkdwn};

const RULE_WIDTH: usize = 60;

/// A readable multi-line rendering of the report, ending with a newline.
pub fn render_text(report: &CostReport) -> String {
    let view = ReportView::new(report);
    let mut out = Vec::<String>::new();
    let marker = if view.alert { "🚨 " } else { "" };
    out.push(format!("{marker}{} · {}", view.label, view.kind_and_period));
    match &view.account_name {
        Some(name) => out.push(format!("Account {} · {name}", view.account_id)),
        None => out.push(format!("Account {}", view.account_id)),
    }
    out.push("═".repeat(RULE_WIDTH));

    if view.no_data {
        out.push(
            "No cost data yet. Cost Explorer has no data for this account in this period.".into(),
        );
        out.push("A new account's costs usually appear within a day of its first usage.".into());
    } else {
        let estimated = if view.estimated { "  (Estimated)" } else { "" };
        out.push(format!("{}{estimated}", view.total));
        out.extend(view.comparisons.iter().map(|c| c.line()));
        if view.credits_exceed_usage {
            out.push("Credits and refunds are larger than usage in this period.".into());
        }
        out.extend(view.alerts.iter().map(|a| format!("🚨 Alert: {a}")));
        if let Some(trend) = &view.trend {
            out.push(format!("{}  {}", trend.sparkline, trend.caption()));
        }

        if let Some(month) = &view.month {
            out.push(String::new());
            let rows = [
                (
                    month.title.clone(),
                    month.amount.clone(),
                    month.comparison.line(),
                ),
                (
                    month.projection_title.clone(),
                    month.projection.clone(),
                    month.projection_method.to_string(),
                ),
            ];
            out.extend(table(&rows, ""));
        }

        let shown = services_that_fit(&view);
        let rows = table_rows(&view, shown);
        if !rows.is_empty() {
            out.push(String::new());
            out.push("Top services".into());
            out.extend(table(&rows, "  "));
        }
    }

    out.push("─".repeat(RULE_WIDTH));
    for note in &view.notes {
        out.push(match note {
            Note::Estimated => {
                "⏳ Estimated: recent figures are provisional until AWS finalises the bill".into()
            }
            Note::Tags(filter) => format!("🏷 Only costs tagged {}", mrkdwn::single_line(filter)),
            Note::Rate(rate) => format!("💱 {rate}"),
            Note::RateWarning(warning) => format!("⚠️ {warning}"),
        });
    }
    if view.console_url.is_empty() {
        out.push(view.metric.to_string());
    } else {
        out.push(format!(
            "{} · Cost Explorer: {}",
            view.metric,
            mrkdwn::single_line(&view.console_url)
        ));
    }

    let mut text = out.join("\n");
    text.push('\n');
    // Nothing from configuration or AWS may drive the terminal (escape sequences, bells).
    text.chars()
        .map(|c| if c.is_control() && c != '\n' { ' ' } else { c })
        .collect()
}

fn table_rows(view: &ReportView, shown: usize) -> Vec<(String, String, String)> {
    let row = |r: &Row| {
        (
            truncate(&r.name, MAX_SERVICE_NAME_CHARS),
            r.amount_text.clone(),
            r.change.clone().unwrap_or_default(),
        )
    };
    let mut rows: Vec<_> = view.services[..shown].iter().map(row).collect();
    let hidden = &view.services[shown..];
    if !hidden.is_empty() {
        let sum = hidden.iter().map(|r| r.amount).sum();
        rows.push((
            format!(
                "…and {} more service{}",
                hidden.len(),
                if hidden.len() == 1 { "" } else { "s" }
            ),
            money::amount(sum, &view.currency),
            String::new(),
        ));
    }
    rows.extend(view.other.iter().map(row));
    rows.extend(view.credits.iter().map(row));
    rows
}

/// Name left-aligned, amount right-aligned, change after; widths in terminal cells.
fn table(rows: &[(String, String, String)], indent: &str) -> Vec<String> {
    let name_width = rows.iter().map(|r| r.0.width()).max().unwrap_or(0);
    let amount_width = rows.iter().map(|r| r.1.width()).max().unwrap_or(0);
    rows.iter()
        .map(|(name, amount, change)| {
            let line = format!(
                "{indent}{name}{}  {}{amount}  {change}",
                " ".repeat(name_width - name.width()),
                " ".repeat(amount_width - amount.width()),
            );
            line.trim_end().to_string()
        })
        .collect()
}
