//! The computed cost report: plain data, already converted to the account's currency and
//! ready to render. Computation lives in `compute`; rendering in `orgpulse-slack`.

use chrono::NaiveDate;
use orgpulse_config::{AccountId, CostMetric, CurrencyCode, Granularity, TagFilter};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A half-open date range, `[start, end)`, exactly as Cost Explorer's `TimePeriod` takes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Period {
    pub start: NaiveDate,
    /// Exclusive.
    pub end: NaiveDate,
}

impl Period {
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days()
    }
    /// The last day inside the period (`end - 1`), for display.
    pub fn last_day(&self) -> NaiveDate {
        self.end
            .pred_opt()
            .expect("period end is after the minimum date")
    }
}

/// A figure and how it moved against a reference figure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub reference: Decimal,
    /// `current - reference`.
    pub amount: Decimal,
    /// Percent of `reference`; `None` when the reference is zero (no meaningful ratio).
    pub percent: Option<Decimal>,
}

/// One service line of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceLine {
    /// The Cost Explorer `SERVICE` dimension value, e.g. "Amazon Elastic Compute Cloud - Compute".
    pub name: String,
    pub amount: Decimal,
    pub change: Change,
}

/// Services beyond the top N, summed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherServices {
    pub count: usize,
    pub amount: Decimal,
    pub change: Change,
}

/// Month to date against the same point of last month, and where the month is heading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthToDate {
    /// The days of this month covered so far, `[1st, report day)`.
    pub period: Period,
    pub amount: Decimal,
    /// Against the same number of days at the start of last month (capped at its length).
    pub change: Change,
    pub projection: Projection,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Projection {
    /// Projected total for the whole month.
    pub amount: Decimal,
    pub method: ProjectionMethod,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ProjectionMethod {
    /// Computed from the data already fetched (recent daily run rate), no extra request.
    RunRate,
    /// Cost Explorer's GetCostForecast (mean), requested because the row asked for it.
    CostExplorerForecast,
}

/// The exchange rate a report was converted with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AppliedRate {
    pub currency: CurrencyCode,
    /// Units of `currency` per 1 USD.
    pub per_usd: Decimal,
    /// The business day the rate is published for.
    pub date: NaiveDate,
    /// Where it came from, e.g. "configuration" or "ECB reference rate".
    pub source: String,
    /// Set when the live source failed and an older known rate was used; says why.
    pub warning: Option<String>,
}

/// Why a report is marked as an alert.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum AlertReason {
    IncreasePercent { threshold: Decimal, actual: Decimal },
    IncreaseAmount { threshold: Decimal, actual: Decimal },
}

/// A day's total, for the trend chart and the text fallback.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyPoint {
    pub date: NaiveDate,
    pub amount: Decimal,
    pub estimated: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CostReport {
    pub account_id: AccountId,
    /// The account's name in Organizations, when known.
    pub account_name: Option<String>,
    /// The row's `Description` (free text: escape before rendering).
    pub description: String,
    pub kind: Granularity,
    pub metric: CostMetric,
    pub currency: CurrencyCode,
    /// `None` when the currency is USD.
    pub rate: Option<AppliedRate>,
    pub period: Period,
    pub total: Decimal,
    /// Against the previous comparable period (day before, week before, month before).
    pub change: Change,
    /// DAILY only: against the average of the 7 days before the reported day.
    pub change_vs_7day_average: Option<Change>,
    /// DAILY only (and MONTHLY never): month to date and projection.
    pub month_to_date: Option<MonthToDate>,
    /// Top N services by amount in the period, largest first.
    pub services: Vec<ServiceLine>,
    pub other: Option<OtherServices>,
    /// Sum of negative service amounts in the period (credits, refunds), zero or negative.
    pub credits: Decimal,
    /// Any figure of the period is still provisional (Cost Explorer's `Estimated`).
    pub estimated: bool,
    pub alerts: Vec<AlertReason>,
    /// The row's tag filter, shown so readers know the figures are a subset.
    pub tag_filter: TagFilter,
    /// Cost Explorer had no data for this account yet (new account, `DataUnavailableException`).
    pub no_data: bool,
    /// Daily totals for the trend chart (up to the last 30 days through the period end).
    pub trend: Vec<DailyPoint>,
    /// A Cost Explorer console link showing the same figures.
    pub console_url: String,
}
