//! The cost report: what the account cost in each period due today, how it moved, its top
//! services, month to date and the projection — one message per due granularity
//! (`DAILY`, `WEEKLY`, `MONTHLY`), each delivered to every channel of the account's row.
//!
//! Needs: the account's cost data ([`Need::CostData`]) and, when the row sets `Forecast`, one
//! `GetCostForecast` request of its own ([`Need::CostExplorer`]).
//! IAM (hub): `ce:GetCostAndUsage` (the tag-filtered per-account query; the organization-wide
//! one is the plan function's), `ce:GetCostForecast`.

use futures_util::future::BoxFuture;
use orgpulse_config::{ChannelId, Granularity};
use orgpulse_cost::{build_report, AccountCostData, CostReport};
use orgpulse_slack::PostMessage;

use super::{
    Content, KindInput, KindSpec, Message, Need, NotificationKind, Output, Produced, Produces,
};
use crate::error::Result;
use crate::messages::WorkItem;

pub const SPEC: KindSpec = KindSpec {
    name: "cost",
    description: "What the account cost in each period due today and what changed",
    needs: &[Need::CostData, Need::CostExplorer],
    produces: Produces::Messages,
    hub_actions: &["ce:GetCostAndUsage", "ce:GetCostForecast"],
    member_actions: &[],
};

/// The cost report kind.
pub struct CostReports;

impl NotificationKind for CostReports {
    fn spec(&self) -> &'static KindSpec {
        &SPEC
    }

    /// The planner makes an item only for accounts with a report due, so this is every item.
    fn wanted(&self, item: &WorkItem) -> bool {
        !item.kinds.is_empty()
    }

    fn produce<'a>(&'a self, input: &'a KindInput<'a>) -> BoxFuture<'a, Result<Produced>> {
        Box::pin(cost_reports(input))
    }
}

/// The `chat.postMessage` body of one report.
pub fn render(report: &CostReport, channel: &ChannelId, delivery_key: &str) -> PostMessage {
    orgpulse_slack::render_report(report, channel, delivery_key)
}

async fn cost_reports(input: &KindInput<'_>) -> Result<Produced> {
    let item = input.item;
    let data = input
        .cost_data()
        .expect("the report step loads the cost data of kinds that declare Need::CostData");
    let data = with_forecast(input, data).await?;
    let mut messages = Vec::with_capacity(item.kinds.len());
    let mut warnings = Vec::new();
    for &kind in &item.kinds {
        let report = build_report(
            &item.settings,
            &item.org,
            kind,
            item.report_date,
            &data,
            item.rate.clone(),
            Some(item.account.name.clone()),
        );
        if let Some(warning) = report.rate.as_ref().and_then(|r| r.warning.clone()) {
            warnings.push(warning);
        }
        messages.push(Message {
            notification: SPEC.name,
            cadence: kind,
            ledger_kind: kind.as_str().to_owned(),
            period_start: report.period.start,
            period_end: report.period.end,
            alert: !report.alerts.is_empty(),
            content: Content::CostReport(Box::new(report)),
        });
    }
    warnings.dedup();
    Ok(Produced {
        output: Output::Messages(messages),
        warnings,
    })
}

/// The daily report's month-end projection from `GetCostForecast` when the row asks for it
/// (one billed request per account); otherwise the report extrapolates from data it has.
async fn with_forecast(input: &KindInput<'_>, data: &AccountCostData) -> Result<AccountCostData> {
    let item = input.item;
    let settings = &item.settings;
    let mut data = data.clone();
    if settings.forecast && item.kinds.contains(&Granularity::Daily) && !data.no_data {
        let explorer = input
            .explorer()
            .expect("the cost kind declares Need::CostExplorer");
        data.forecast = explorer
            .forecast_month_end(
                &item.account.id,
                &settings.cost_tags,
                settings.metric,
                item.report_date,
            )
            .await?;
    }
    Ok(data)
}
