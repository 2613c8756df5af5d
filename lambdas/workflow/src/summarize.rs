//! The summary step: reads every item's result and tells the operators' channel what was
//! sent, what failed and why, which configuration rows were rejected, which accounts onboarded
//! and which lack the member role. Posted once per day, and again only when a later run of
//! the same day has something new to say.

use futures_util::stream::{self, StreamExt, TryStreamExt};
use orgpulse_config::{AccountId, ChannelId};
use orgpulse_pipeline::ledger::LedgerKey;
use orgpulse_pipeline::store::KnownAccounts;
use serde::{Deserialize, Serialize};

use crate::deliveries::Outbox;
use crate::error::{Error, Result};
use crate::files::{RunFiles, RunLayout, KNOWN_ACCOUNTS_KEY};
use crate::messages::{DeliveryStatus, ItemResult, PlanOutput, PlanRecord, StepFailure};
use crate::summary_message::{render_summary, RunSummary};

/// Results read at the same time.
const READ_CONCURRENCY: usize = 32;

pub struct Summarizer {
    pub files: RunFiles,
    pub outbox: Outbox,
    /// The operators' channel; `None` writes the summary file only.
    pub operators_channel: Option<ChannelId>,
}

/// What the summary function answers (and the execution's output).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct SummaryOutput {
    pub run_id: String,
    pub accounts: usize,
    pub sent: usize,
    pub already_delivered: usize,
    pub failed: usize,
    pub config_problems: usize,
    pub onboarded: usize,
    pub summary: SummaryDelivery,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SummaryDelivery {
    Sent,
    /// Nothing new since the day's summary was posted.
    NothingNew,
    #[default]
    NoChannel,
    DryRun,
    Failed,
}

impl Summarizer {
    pub async fn summarize(&self, plan: &PlanOutput) -> Result<(SummaryOutput, RunSummary)> {
        let layout = RunLayout {
            run_id: plan.run_id.clone(),
        };
        let record: PlanRecord =
            self.files
                .get_json(&plan.plan_key)
                .await?
                .ok_or_else(|| Error::CorruptFile {
                    key: plan.plan_key.clone(),
                    problem: "the plan's record is missing".into(),
                })?;
        let results = self.read_results(&layout, &record.items).await?;
        let summary = RunSummary::new(record, results, plan.fan_out_error.clone());
        let mut output = SummaryOutput {
            run_id: plan.run_id.clone(),
            accounts: summary.results.len(),
            sent: summary.count(|s| matches!(s, DeliveryStatus::Sent { .. })),
            already_delivered: summary.count(|s| *s == DeliveryStatus::AlreadyDelivered),
            failed: summary.failures().len(),
            config_problems: summary.plan.config_problems.len(),
            onboarded: summary.plan.onboarded.len(),
            summary: SummaryDelivery::NoChannel,
        };
        self.files.put_json(&layout.summary(), &output).await?;

        if let Some(channel) = &self.operators_channel {
            output.summary = self.post(&summary, channel).await?;
        }
        if output.summary != SummaryDelivery::DryRun {
            self.save_known_accounts(&summary.plan).await?;
        }
        tracing::info!(?output, "run summarised");
        Ok((output, summary))
    }

    async fn read_results(
        &self,
        layout: &RunLayout,
        accounts: &[AccountId],
    ) -> Result<Vec<ItemResult>> {
        stream::iter(accounts.iter().cloned())
            .map(|account| async move {
                let result: Option<ItemResult> =
                    self.files.get_json(&layout.result(&account)).await?;
                Ok::<_, Error>(result.unwrap_or_else(|| {
                    ItemResult {
                        account_id: account.clone(),
                        account_name: String::new(),
                        deliveries: Vec::new(),
                        no_data: false,
                        member_role: crate::messages::MemberRole::NotChecked,
                        warnings: Vec::new(),
                        failure: Some(StepFailure {
                            error: "NoResult".into(),
                            cause:
                                "the item left no result: its Lambda failed and the failure could \
                                not be recorded; see the execution's map run for the error"
                                    .into(),
                        }),
                    }
                }))
            })
            .buffered(READ_CONCURRENCY)
            .try_collect()
            .await
    }

    async fn post(&self, summary: &RunSummary, channel: &ChannelId) -> Result<SummaryDelivery> {
        if matches!(self.outbox, Outbox::DryRun) {
            return Ok(SummaryDelivery::DryRun);
        }
        let plan = &summary.plan;
        let daily = LedgerKey::new(&plan.organization_id, "SUMMARY", plan.report_date, channel);
        let mut status = self.send(summary, channel, &daily).await?;
        if status == DeliveryStatus::AlreadyDelivered && summary.has_news() {
            // A later run of the same day with news gets a summary of its own; a retry of
            // this step for the same run still posts it once.
            let kind = format!("SUMMARY-{}", plan.run_id);
            let this_run = LedgerKey::new(&plan.organization_id, &kind, plan.report_date, channel);
            status = self.send(summary, channel, &this_run).await?;
        }
        match status {
            DeliveryStatus::Sent { .. } => Ok(SummaryDelivery::Sent),
            DeliveryStatus::AlreadyDelivered => Ok(SummaryDelivery::NothingNew),
            DeliveryStatus::DryRun => Ok(SummaryDelivery::DryRun),
            // The operators must hear about a broken summary: fail the step (and so the
            // execution, which the hub's alarm watches).
            DeliveryStatus::Failed { code, message } => Err(Error::SummaryNotPosted {
                channel: channel.to_string(),
                code,
                message,
                retryable: false,
            }),
            DeliveryStatus::Retryable { code, message } => Err(Error::SummaryNotPosted {
                channel: channel.to_string(),
                code,
                message,
                retryable: true,
            }),
        }
    }

    async fn send(
        &self,
        summary: &RunSummary,
        channel: &ChannelId,
        key: &LedgerKey,
    ) -> Result<DeliveryStatus> {
        let message = render_summary(summary, channel, key.as_str());
        self.outbox.deliver(key, &message).await
    }

    async fn save_known_accounts(&self, plan: &PlanRecord) -> Result<()> {
        let mut known: KnownAccounts = self
            .files
            .get_json(KNOWN_ACCOUNTS_KEY)
            .await?
            .unwrap_or_default();
        known.record(&plan.active_accounts, plan.report_date);
        self.files.put_json(KNOWN_ACCOUNTS_KEY, &known).await
    }
}
