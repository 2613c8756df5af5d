//! The whole run on one machine (`orgpulse run`): the same plan, report and summary steps,
//! with the fan-out done by tokio instead of a Distributed Map.

use std::time::Duration;

use futures_util::stream::{self, StreamExt};

use crate::error::Result;
use crate::messages::{DeliveryStatus, PlanEvent, StepFailure, WorkItem};
use crate::plan::{Plan, Planner};
use crate::report::{Reported, Reporter};
use crate::summarize::{Summarizer, SummaryOutput};
use crate::summary_message::RunSummary;

/// Attempts per item, as the state machine's `Retry` allows.
const ITEM_ATTEMPTS: u32 = 3;

pub struct LocalRun {
    pub plan: Plan,
    /// Each item with its reports, in item order.
    pub reported: Vec<(WorkItem, Option<Reported>)>,
    pub output: SummaryOutput,
    pub summary: RunSummary,
}

/// Plans, reports every item with `concurrency` in flight (retrying deliveries that can still
/// succeed, like the state machine does), then summarises. `on_item` is called as each item
/// finishes (a progress bar).
pub async fn run(
    planner: &Planner,
    reporter: &Reporter,
    summarizer: &Summarizer,
    event: &PlanEvent,
    concurrency: usize,
    on_item: impl Fn(&WorkItem) + Sync,
) -> Result<LocalRun> {
    let plan = planner.plan(event).await?;
    let mut reported: Vec<(usize, WorkItem, Option<Reported>)> =
        stream::iter(plan.items.iter().cloned().enumerate())
            .map(|(index, item)| {
                let on_item = &on_item;
                async move {
                    let outcome = report_with_retries(reporter, &item).await;
                    on_item(&item);
                    (index, item, outcome)
                }
            })
            .buffer_unordered(concurrency.max(1))
            .collect()
            .await;
    reported.sort_by_key(|(index, _, _)| *index);
    let (output, summary) = summarizer.summarize(&plan.output).await?;
    Ok(LocalRun {
        plan,
        reported: reported.into_iter().map(|(_, item, r)| (item, r)).collect(),
        output,
        summary,
    })
}

async fn report_with_retries(reporter: &Reporter, item: &WorkItem) -> Option<Reported> {
    let mut attempt = 1;
    loop {
        match reporter.report(item).await {
            Ok(reported) => {
                let pending = reported
                    .result
                    .deliveries
                    .iter()
                    .any(|d| matches!(d.status, DeliveryStatus::Retryable { .. }));
                if !pending || attempt >= ITEM_ATTEMPTS {
                    return Some(reported);
                }
            }
            Err(err)
                if attempt >= ITEM_ATTEMPTS
                    || err.error_type() != "Retryable" && err.error_type() != "Throttled" =>
            {
                let failed = WorkItem {
                    failure: Some(StepFailure {
                        error: err.error_type().to_owned(),
                        cause: err.to_string(),
                    }),
                    ..item.clone()
                };
                if let Err(record) = reporter.handle(&failed).await {
                    tracing::error!(account = %item.account.id, %record, "the failure could not be recorded");
                }
                return None;
            }
            Err(err) => tracing::warn!(account = %item.account.id, %err, attempt, "retrying"),
        }
        tokio::time::sleep(Duration::from_secs(2u64.pow(attempt))).await;
        attempt += 1;
    }
}
