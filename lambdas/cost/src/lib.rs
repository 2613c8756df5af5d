//! Cost Explorer access and cost reports.
//!
//! - [`periods`]: which days a report covers, which reports are due, what a run fetches.
//! - [`explorer`]: Cost Explorer queries (organization-wide and per account), retries, paging.
//! - [`data`]: fetched costs (USD), shared between the plan step and the fan-out.
//! - [`compute`]: a [`CostReport`] from one account's data.
//! - [`currency`]: exchange rates (fixed, ECB) and [`money`]: formatting by currency.

pub mod compute;
pub mod currency;
pub mod data;
pub mod error;
pub mod explorer;
pub mod money;
pub mod periods;
pub mod report;

pub use compute::build_report;
pub use currency::{resolve_rate, EcbRates, FixedRates, FixedThenLive, RateSource};
pub use data::{AccountCostData, Amounts, Bucket, Forecast, MetricCosts, OrgCostData};
pub use error::{Error, RateError, Result};
pub use explorer::{organization_query, CostExplorer, RequestStats, RetryPolicy};
pub use periods::{due_kinds, is_due, report_date, FetchPlan, ReportPeriods};
pub use report::*;
