//! The report step: one account's due reports, rendered and delivered to each of its channels
//! exactly once. Called by the Distributed Map for every item, and again (with `failure` set)
//! when the item failed after its retries, to record why.

use orgpulse_config::Granularity;
use orgpulse_cost::{build_report, AccountCostData, CostExplorer, CostReport};
use orgpulse_pipeline::ledger::LedgerKey;
use orgpulse_pipeline::member::{MemberRoleStatus, MemberRoles};
use orgpulse_slack::render_report;

use crate::deliveries::Outbox;
use crate::error::{Error, Result};
use crate::files::{RunFiles, RunLayout};
use crate::messages::{
    CostSource, Delivery, DeliveryStatus, ItemCounts, ItemResult, MemberRole, WorkItem,
};

pub struct Reporter {
    pub files: RunFiles,
    pub explorer: CostExplorer,
    pub outbox: Outbox,
    pub member_roles: Option<MemberRoles>,
}

/// An item's reports, for the CLI's previews (`--dry-run --html`).
pub struct Reported {
    pub result: ItemResult,
    pub reports: Vec<CostReport>,
}

impl Reporter {
    /// Handles one item. Permanent Slack failures (`channel_not_found`, …) are recorded and
    /// the item succeeds; deliveries that can still succeed make the item fail as `Retryable`
    /// after its result is saved, so Step Functions retries it and the ledger skips what was
    /// already delivered.
    pub async fn handle(&self, item: &WorkItem) -> Result<ItemCounts> {
        if let Some(failure) = &item.failure {
            self.record_failure(item, failure.clone()).await?;
            return Ok(ItemCounts::default());
        }
        let reported = self.report(item).await?;
        let counts = counts(&reported.result);
        let pending: Vec<&Delivery> = reported
            .result
            .deliveries
            .iter()
            .filter(|d| matches!(d.status, DeliveryStatus::Retryable { .. }))
            .collect();
        if let Some(first) = pending.first() {
            let DeliveryStatus::Retryable { code, message } = &first.status else {
                unreachable!("filtered above")
            };
            return Err(Error::DeliveriesPending {
                account: item.account.id.to_string(),
                deliveries: pending.len(),
                first: format!(
                    "{} to {}: {code}: {message}",
                    first.kind.as_str(),
                    first.channel
                ),
            });
        }
        Ok(counts)
    }

    /// Builds and delivers the item's reports; saves and returns the result.
    pub async fn report(&self, item: &WorkItem) -> Result<Reported> {
        let layout = RunLayout {
            run_id: item.run_id.clone(),
        };
        let data = self.cost_data(item).await?;
        let member_role = match &self.member_roles {
            Some(roles) if item.check_member_role => match roles.assume(&item.account.id).await? {
                MemberRoleStatus::Available(_) => MemberRole::Available,
                MemberRoleStatus::Missing { reason } | MemberRoleStatus::Denied { reason } => {
                    MemberRole::Missing { reason }
                }
            },
            _ => MemberRole::NotChecked,
        };
        let earlier: Option<ItemResult> = self
            .files
            .get_json(&layout.result(&item.account.id))
            .await?;

        let mut deliveries = Vec::new();
        let mut reports = Vec::new();
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
            for channel in &item.settings.channel_ids {
                let key = LedgerKey::for_account(
                    &item.account.id,
                    kind.as_str(),
                    report.period.start,
                    channel,
                );
                let message = render_report(&report, channel, key.as_str());
                let status = self.outbox.deliver(&key, &message).await?;
                let status = keep_earlier_send(earlier.as_ref(), kind, channel, status);
                deliveries.push(Delivery {
                    kind,
                    period_start: report.period.start,
                    period_end: report.period.end,
                    channel: channel.clone(),
                    alert: !report.alerts.is_empty(),
                    status,
                });
            }
            reports.push(report);
        }
        warnings.dedup();
        let result = ItemResult {
            account_id: item.account.id.clone(),
            account_name: item.account.name.clone(),
            deliveries,
            no_data: data.no_data,
            member_role,
            warnings,
            failure: None,
        };
        self.files
            .put_json(&layout.result(&item.account.id), &result)
            .await?;
        Ok(Reported { result, reports })
    }

    async fn cost_data(&self, item: &WorkItem) -> Result<AccountCostData> {
        let settings = &item.settings;
        let mut data = match &item.costs {
            CostSource::Shared { key } => {
                self.files
                    .get_json(key)
                    .await?
                    .ok_or_else(|| Error::CorruptFile {
                        key: key.clone(),
                        problem: "the plan's cost data for this account is missing".into(),
                    })?
            }
            CostSource::Query { plan } => {
                self.explorer
                    .fetch_account(&item.account.id, &settings.cost_tags, settings.metric, plan)
                    .await?
            }
        };
        if settings.forecast && item.kinds.contains(&Granularity::Daily) && !data.no_data {
            data.forecast = self
                .explorer
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

    /// The `Catch` path: the item failed after its retries. Keep what the last attempt
    /// recorded (some channels may have been delivered) and add why it failed.
    async fn record_failure(
        &self,
        item: &WorkItem,
        failure: crate::messages::StepFailure,
    ) -> Result<()> {
        let layout = RunLayout {
            run_id: item.run_id.clone(),
        };
        let key = layout.result(&item.account.id);
        let mut result = self
            .files
            .get_json::<ItemResult>(&key)
            .await?
            .unwrap_or_else(|| ItemResult {
                account_id: item.account.id.clone(),
                account_name: item.account.name.clone(),
                deliveries: Vec::new(),
                no_data: false,
                member_role: MemberRole::NotChecked,
                warnings: Vec::new(),
                failure: None,
            });
        tracing::warn!(account = %item.account.id, error = %failure.error, "item failed after its retries");
        result.failure = Some(failure);
        self.files.put_json(&key, &result).await
    }
}

/// A retry finds its own earlier sends in the ledger: they stay "sent", not "already delivered".
fn keep_earlier_send(
    earlier: Option<&ItemResult>,
    kind: Granularity,
    channel: &orgpulse_config::ChannelId,
    now: DeliveryStatus,
) -> DeliveryStatus {
    if now != DeliveryStatus::AlreadyDelivered {
        return now;
    }
    earlier
        .into_iter()
        .flat_map(|r| &r.deliveries)
        .find(|d| d.kind == kind && &d.channel == channel)
        .and_then(|d| match &d.status {
            DeliveryStatus::Sent { .. } => Some(d.status.clone()),
            _ => None,
        })
        .unwrap_or(now)
}

pub fn counts(result: &ItemResult) -> ItemCounts {
    let mut counts = ItemCounts::default();
    for delivery in &result.deliveries {
        match delivery.status {
            DeliveryStatus::Sent { .. } => counts.sent += 1,
            DeliveryStatus::AlreadyDelivered => counts.already_delivered += 1,
            DeliveryStatus::Failed { .. } | DeliveryStatus::Retryable { .. } => counts.failed += 1,
            DeliveryStatus::DryRun => {}
        }
    }
    counts
}
