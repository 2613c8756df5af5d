//! What a cost report says, as display strings, before it becomes Block Kit or terminal text.
//! Both renderers read this one view, so Slack and `orgpulse preview --format text` always say
//! the same thing.
//!
//! Strings here are raw (not escaped): the Slack renderer escapes whatever came from
//! configuration or AWS (`label`, account name, service names, tag filter, rate source).

use chrono::{Datelike, NaiveDate};
use orgpulse_config::{CurrencyCode, Granularity, TagFilter, TagMatch};
use orgpulse_cost::{AlertReason, Change, CostReport, Period, ProjectionMethod};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

use crate::money;
use crate::mrkdwn::single_line;

/// A rate older than this many days (against the period's last day) is called out as stale.
pub const STALE_RATE_DAYS: i64 = 7;

pub struct ReportView {
    pub alert: bool,
    /// The account's description, else its name, else its ID; one line.
    pub label: String,
    /// What and when: "Daily cost · 2024-05-14 (Tue)".
    pub kind_and_period: String,
    pub account_id: String,
    /// The account name when the label is the description (otherwise it would repeat).
    pub account_name: Option<String>,
    pub no_data: bool,
    pub total: String,
    pub estimated: bool,
    pub comparisons: Vec<Comparison>,
    /// Why the report is an alert, one sentence each.
    pub alerts: Vec<String>,
    /// Credits and refunds larger than usage: the total is negative.
    pub credits_exceed_usage: bool,
    pub month: Option<MonthView>,
    /// The daily totals as a sparkline, with their range.
    pub trend: Option<Trend>,
    pub services: Vec<Row>,
    pub other: Option<Row>,
    pub credits: Option<Row>,
    pub notes: Vec<Note>,
    pub console_url: String,
    pub metric: &'static str,
    /// For the fallback text: the main change, "▲ +11.1% vs the day before".
    pub headline_change: Option<String>,
    pub currency: CurrencyCode,
}

/// "▲ +$123.45 (+11.1%) vs the day before ($1,111.11)"
pub struct Comparison {
    pub arrow: &'static str,
    /// "+$123.45 (+11.1%)" or "no change".
    pub delta: String,
    /// "vs the day before ($1,111.11)".
    pub against: String,
}

impl Comparison {
    pub fn line(&self) -> String {
        format!("{} {} {}", self.arrow, self.delta, self.against)
    }
}

/// "▁▂▃▅▇█", one character per day, lowest to highest.
pub struct Trend {
    pub days: usize,
    pub sparkline: String,
    pub low: String,
    pub high: String,
}

impl Trend {
    pub fn caption(&self) -> String {
        format!(
            "last {} days, low {} · high {}",
            self.days, self.low, self.high
        )
    }
}

pub struct MonthView {
    /// "Month to date (May 1–14)".
    pub title: String,
    pub amount: String,
    pub comparison: Comparison,
    /// "Projected for May".
    pub projection_title: String,
    /// "≈ $38,000.00".
    pub projection: String,
    /// "from the recent daily run rate".
    pub projection_method: &'static str,
}

/// One line of the services table.
pub struct Row {
    pub name: String,
    pub amount: Decimal,
    pub amount_text: String,
    /// "▲ +$40.10 (+5.2%)"; `None` where a change means nothing (credits).
    pub change: Option<String>,
}

pub enum Note {
    /// Figures are still provisional.
    Estimated,
    /// The tag filter, readable: "env = prod or staging, and team not set". Untrusted.
    Tags(String),
    /// "1 USD = 151.20 JPY (ECB reference rate, 2024-05-13)". Source is untrusted-ish.
    Rate(String),
    /// Why the rate may be out of date.
    RateWarning(String),
}

impl ReportView {
    pub fn new(report: &CostReport) -> Self {
        let currency = &report.currency;
        let description = single_line(&report.description);
        let account_name = report
            .account_name
            .as_deref()
            .map(single_line)
            .filter(|n| !n.is_empty());
        let (label, account_name) = if !description.is_empty() {
            (description, account_name)
        } else if let Some(name) = account_name {
            (name, None)
        } else {
            (report.account_id.to_string(), None)
        };
        let previous = previous_period_words(report.kind);
        let mut comparisons = vec![comparison(&report.change, currency, previous)];
        if let Some(change) = &report.change_vs_7day_average {
            comparisons.push(comparison(change, currency, "the 7-day average"));
        }
        let headline_change = if report.no_data {
            None
        } else {
            Some(short_change(&report.change, currency, previous))
        };
        Self {
            alert: !report.alerts.is_empty(),
            label,
            kind_and_period: format!("{} · {}", kind_words(report.kind), period_text(report)),
            account_id: report.account_id.to_string(),
            account_name,
            no_data: report.no_data,
            total: money::amount(report.total, currency),
            estimated: report.estimated,
            comparisons,
            alerts: report
                .alerts
                .iter()
                .map(|a| alert_text(a, currency, previous))
                .collect(),
            credits_exceed_usage: report.total < Decimal::ZERO,
            month: month_view(report),
            trend: (!report.no_data).then(|| trend(report)).flatten(),
            services: report
                .services
                .iter()
                .map(|s| Row {
                    name: single_line(&s.name),
                    amount: s.amount,
                    amount_text: money::amount(s.amount, currency),
                    change: Some(comparison(&s.change, currency, "").short()),
                })
                .collect(),
            other: report.other.as_ref().map(|o| Row {
                name: format!(
                    "Other ({} service{})",
                    o.count,
                    if o.count == 1 { "" } else { "s" }
                ),
                amount: o.amount,
                amount_text: money::amount(o.amount, currency),
                change: Some(comparison(&o.change, currency, "").short()),
            }),
            credits: (report.credits < Decimal::ZERO).then(|| Row {
                name: "Credits and refunds (included above)".into(),
                amount: report.credits,
                amount_text: money::amount(report.credits, currency),
                change: None,
            }),
            notes: notes(report),
            console_url: report.console_url.clone(),
            metric: report.metric.as_str(),
            headline_change,
            currency: currency.clone(),
        }
    }
}

impl Comparison {
    /// Without the "vs …" part, for table rows.
    fn short(self) -> String {
        format!("{} {}", self.arrow, self.delta)
    }
}

fn kind_words(kind: Granularity) -> &'static str {
    match kind {
        Granularity::Daily => "Daily cost",
        Granularity::Weekly => "Weekly cost",
        Granularity::Monthly => "Monthly cost",
    }
}

fn previous_period_words(kind: Granularity) -> &'static str {
    match kind {
        Granularity::Daily => "the day before",
        Granularity::Weekly => "the week before",
        Granularity::Monthly => "the month before",
    }
}

fn period_text(report: &CostReport) -> String {
    let Period { start, end } = report.period;
    let last = report.period.last_day();
    let whole_month = start.day() == 1 && end.day() == 1 && months_between(start, end) == 1;
    match report.kind {
        _ if report.period.days() == 1 => format!("{} ({})", start, start.format("%a")),
        Granularity::Monthly if whole_month => start.format("%B %Y").to_string(),
        _ => format!("{start} – {last}"),
    }
}

fn months_between(start: NaiveDate, end: NaiveDate) -> i32 {
    (end.year() - start.year()) * 12 + end.month() as i32 - start.month() as i32
}

/// Arrow and signed delta; "no change" when the delta rounds to nothing in this currency.
fn comparison(change: &Change, currency: &CurrencyCode, against: &str) -> Comparison {
    let delta_text = money::signed(change.amount, currency);
    let zero_text = money::amount(Decimal::ZERO, currency);
    let reference = money::amount(change.reference, currency);
    let against = if against.is_empty() {
        String::new()
    } else {
        format!("vs {against} ({reference})")
    };
    if delta_text == zero_text {
        return Comparison {
            arrow: "→",
            delta: "no change".into(),
            against,
        };
    }
    let arrow = if change.amount > Decimal::ZERO {
        "▲"
    } else {
        "▼"
    };
    // `orgpulse_cost::compute::change` takes the percent against the reference's size, so it
    // has the sign of the change even against a negative reference (credits beyond usage).
    let ratio = match change.percent {
        Some(percent) => money::percent(percent),
        // No ratio against zero: say where it started instead.
        None => format!("from {zero_text}"),
    };
    Comparison {
        arrow,
        delta: format!("{delta_text} ({ratio})"),
        against,
    }
}

/// "▲ +11.1% vs the day before", for the notification line.
fn short_change(change: &Change, currency: &CurrencyCode, against: &str) -> String {
    let full = comparison(change, currency, "");
    match (full.arrow, change.percent) {
        ("→", _) => format!("no change vs {against}"),
        (arrow, Some(percent)) => format!("{arrow} {} vs {against}", money::percent(percent)),
        (arrow, None) => format!("{arrow} {} vs {against}", full.delta),
    }
}

fn alert_text(alert: &AlertReason, currency: &CurrencyCode, against: &str) -> String {
    match alert {
        AlertReason::IncreasePercent { threshold, actual } => format!(
            "Up {} vs {against}, over the alert threshold of {}%",
            money::percent(*actual),
            threshold.normalize()
        ),
        AlertReason::IncreaseAmount { threshold, actual } => format!(
            "Up {} vs {against}, over the alert threshold of {}",
            money::signed(*actual, currency),
            money::amount(*threshold, currency)
        ),
    }
}

fn month_view(report: &CostReport) -> Option<MonthView> {
    let mtd = report.month_to_date.as_ref()?;
    let currency = &report.currency;
    let Period { start, .. } = mtd.period;
    let title = if mtd.period.days() > 0 {
        let last = mtd.period.last_day();
        if last == start {
            format!("Month to date ({} {})", start.format("%b"), start.day())
        } else {
            format!(
                "Month to date ({} {}–{})",
                start.format("%b"),
                start.day(),
                last.day()
            )
        }
    } else {
        "Month to date".into()
    };
    Some(MonthView {
        title,
        amount: money::amount(mtd.amount, currency),
        comparison: comparison(&mtd.change, currency, "the same days last month"),
        projection_title: format!("Projected for {}", start.format("%B")),
        projection: format!("≈ {}", money::amount(mtd.projection.amount, currency)),
        projection_method: match mtd.projection.method {
            ProjectionMethod::RunRate => "from the recent daily run rate",
            ProjectionMethod::CostExplorerForecast => "Cost Explorer forecast",
        },
    })
}

const SPARK_LEVELS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

fn trend(report: &CostReport) -> Option<Trend> {
    if report.trend.len() < 2 {
        return None;
    }
    let amounts: Vec<Decimal> = report.trend.iter().map(|p| p.amount).collect();
    let low = amounts.iter().copied().min()?;
    let high = amounts.iter().copied().max()?;
    let span = high - low;
    let top = Decimal::from(SPARK_LEVELS.len() - 1);
    let sparkline = amounts
        .iter()
        .map(|amount| {
            let level = if span.is_zero() {
                0
            } else {
                ((amount - low) / span * top)
                    .round()
                    .to_usize()
                    .unwrap_or(0)
            };
            SPARK_LEVELS[level.min(SPARK_LEVELS.len() - 1)]
        })
        .collect();
    Some(Trend {
        days: amounts.len(),
        sparkline,
        low: money::amount(low, &report.currency),
        high: money::amount(high, &report.currency),
    })
}

fn notes(report: &CostReport) -> Vec<Note> {
    let mut notes = Vec::new();
    if report.estimated && !report.no_data {
        notes.push(Note::Estimated);
    }
    if !report.tag_filter.is_empty() {
        notes.push(Note::Tags(tag_filter_text(&report.tag_filter)));
    }
    if let Some(rate) = &report.rate {
        notes.push(Note::Rate(format!(
            "1 USD = {} {} ({}, {})",
            money::rate(rate.per_usd),
            rate.currency,
            single_line(&rate.source),
            rate.date
        )));
        let age = (report.period.last_day() - rate.date).num_days();
        if let Some(warning) = &rate.warning {
            notes.push(Note::RateWarning(single_line(warning)));
        } else if age > STALE_RATE_DAYS {
            notes.push(Note::RateWarning(format!(
                "The exchange rate is {age} days older than the period it converts"
            )));
        }
    }
    notes
}

/// The filter as a sentence: `env = prod or staging, and team not set`.
pub fn tag_filter_text(filter: &TagFilter) -> String {
    filter
        .clauses
        .iter()
        .map(|clause| match &clause.matches {
            TagMatch::Equals(values) => format!("{} = {}", clause.key, values.join(" or ")),
            TagMatch::Absent => format!("{} not set", clause.key),
        })
        .collect::<Vec<_>>()
        .join(", and ")
}
