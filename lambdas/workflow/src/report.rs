//! The report step: one account's notifications, rendered and delivered to each of its
//! channels exactly once. Called by the Distributed Map for every item, and again (with
//! `failure` set) when the item failed after its retries, to record why.
//!
//! The step is the same for every notification kind ([`crate::kinds`]): it provides the needs
//! the item's kinds declare (cost data, the member-account session) once, lets each kind
//! produce its messages or sections, joins the sections to the account's first message, and
//! delivers every message through the [`Outbox`] under its ledger key.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use orgpulse_cost::{AccountCostData, CostExplorer, CostReport};
use orgpulse_pipeline::ledger::LedgerKey;
use orgpulse_pipeline::member::{MemberRoleStatus, MemberRoles, MemberSession};

use crate::deliveries::Outbox;
use crate::error::{Error, Result};
use crate::files::{RunFiles, RunLayout};
use crate::kinds::{
    self, attach_sections, KindInput, Message, Need, NotificationKind, Output, Section,
};
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
    /// The sections other kinds added to the account's first report (e.g. AWS Budgets), in
    /// the order they appear; `Section::to_text` prints one.
    pub sections: Vec<Section>,
}

/// The member role as the report step found it: a session to use, or why there is none.
enum MemberAccess {
    Available(Box<MemberSession>),
    Missing { reason: String },
    NotChecked,
}

impl MemberAccess {
    fn session(&self) -> Option<&MemberSession> {
        match self {
            Self::Available(session) => Some(session),
            _ => None,
        }
    }

    fn record(&self) -> MemberRole {
        match self {
            Self::Available(_) => MemberRole::Available,
            Self::Missing { reason } => MemberRole::Missing {
                reason: reason.clone(),
            },
            Self::NotChecked => MemberRole::NotChecked,
        }
    }
}

/// What a report invocation keeps after its last Slack wait: saving the result and answering.
pub const DEADLINE_MARGIN: Duration = Duration::from_secs(20);

/// The invocation's deadline from the runtime API's `Lambda-Runtime-Deadline-Ms`: milliseconds
/// since the epoch from Lambda; cargo-lambda's emulator sends the function's timeout instead
/// (600000), so a value too small to be a date after 2001 is read as a duration from now.
pub fn lambda_deadline(milliseconds: u64) -> SystemTime {
    const SEPTEMBER_2001_MS: u64 = 1_000_000_000_000;
    if milliseconds >= SEPTEMBER_2001_MS {
        UNIX_EPOCH + Duration::from_millis(milliseconds)
    } else {
        orgpulse_config::clock::system_now() + Duration::from_millis(milliseconds)
    }
}

impl Reporter {
    /// Handles one item. Permanent Slack failures (`channel_not_found`, …) are recorded and
    /// the item succeeds; deliveries that can still succeed make the item fail as `Retryable`
    /// after its result is saved, so Step Functions retries it and the ledger skips what was
    /// already delivered.
    pub async fn handle(&self, item: &WorkItem) -> Result<ItemCounts> {
        self.handle_until(item, None).await
    }

    /// [`Self::handle`] in a Lambda that must answer by `lambda_deadline`: deliveries stop
    /// waiting for Slack's rate limits [`DEADLINE_MARGIN`] before it, so the result is saved
    /// and the item retried instead of timing out.
    pub async fn handle_until(
        &self,
        item: &WorkItem,
        lambda_deadline: Option<SystemTime>,
    ) -> Result<ItemCounts> {
        if let Some(failure) = &item.failure {
            self.record_failure(item, failure.clone()).await?;
            return Ok(ItemCounts::default());
        }
        let deadline = lambda_deadline.map(|at| at - DEADLINE_MARGIN);
        let reported = self.report_before(item, deadline).await?;
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

    /// Builds and delivers the item's notifications; saves and returns the result.
    pub async fn report(&self, item: &WorkItem) -> Result<Reported> {
        self.report_before(item, None).await
    }

    /// [`Self::report`], waiting for Slack's rate limits only until `deadline`.
    async fn report_before(
        &self,
        item: &WorkItem,
        deadline: Option<SystemTime>,
    ) -> Result<Reported> {
        let layout = RunLayout {
            run_id: item.run_id.clone(),
        };
        let wanted: Vec<&dyn NotificationKind> = kinds::all()
            .iter()
            .copied()
            .filter(|kind| kind.wanted(item))
            .collect();
        let member = self.member_access(item).await?;
        let data = if kinds::needed(&wanted, Need::CostData) {
            Some(self.cost_data(item).await?)
        } else {
            None
        };
        let earlier: Option<ItemResult> = self
            .files
            .get_json(&layout.result(&item.account.id))
            .await?;

        let mut messages: Vec<Message> = Vec::new();
        let mut sections: Vec<Section> = Vec::new();
        let mut warnings = Vec::new();
        for kind in &wanted {
            let input = KindInput::new(
                kind.spec(),
                item,
                &self.explorer,
                data.as_ref(),
                member.session(),
            );
            let produced = kind.produce(&input).await?;
            warnings.extend(produced.warnings);
            match produced.output {
                Output::Messages(produced) => messages.extend(produced),
                Output::Section(section) => sections.push(section),
                Output::Nothing => {}
            }
        }

        let mut deliveries = Vec::new();
        for (index, message) in messages.iter().enumerate() {
            // The first message carries the sections: a day with a daily and a monthly report
            // shows them once.
            let joined: &[Section] = if index == 0 { &sections } else { &[] };
            let alert = message.alert || joined.iter().any(|s| s.alert.is_some());
            for channel in &item.settings.channel_ids {
                let key = LedgerKey::for_account(
                    &item.account.id,
                    &message.ledger_kind,
                    message.period_start,
                    channel,
                );
                let mut post = message.content.render(channel, key.as_str());
                for shortened in attach_sections(&mut post, joined) {
                    let warning = format!(
                        "{shortened}: the section did not fit in the {} message with Slack's \
                         limits and was shortened",
                        message.ledger_kind.to_lowercase()
                    );
                    if !warnings.contains(&warning) {
                        warnings.push(warning);
                    }
                }
                let status = match item.channels_not_joined.get(channel) {
                    // Not posted: Slack would refuse it or, with chat:write.public, the
                    // exactly-once look-up would (see crate::channels). Failed once, not retried.
                    Some(fix) => DeliveryStatus::Failed {
                        code: "not_in_channel".into(),
                        message: fix.clone(),
                    },
                    None => self.outbox.deliver_before(&key, &post, deadline).await?,
                };
                let status = keep_earlier_send(earlier.as_ref(), message, channel, status);
                deliveries.push(Delivery {
                    kind: message.cadence,
                    notification: message.notification.to_owned(),
                    period_start: message.period_start,
                    period_end: message.period_end,
                    channel: channel.clone(),
                    alert,
                    status,
                });
            }
        }
        warnings.dedup();
        let result = ItemResult {
            account_id: item.account.id.clone(),
            account_name: item.account.name.clone(),
            deliveries,
            no_data: data.as_ref().is_some_and(|d| d.no_data),
            member_role: member.record(),
            warnings,
            failure: None,
        };
        self.files
            .put_json(&layout.result(&item.account.id), &result)
            .await?;
        let reports = messages
            .into_iter()
            .filter_map(|m| m.content.into_cost_report())
            .collect();
        Ok(Reported {
            result,
            reports,
            sections,
        })
    }

    /// Assumes the member role once per item: the summary says which accounts lack it, and
    /// kinds that read inside the member account use the session.
    async fn member_access(&self, item: &WorkItem) -> Result<MemberAccess> {
        Ok(match &self.member_roles {
            Some(roles) if item.check_member_role => match roles.assume(&item.account.id).await? {
                MemberRoleStatus::Available(session) => MemberAccess::Available(session),
                MemberRoleStatus::Missing { reason } | MemberRoleStatus::Denied { reason } => {
                    MemberAccess::Missing { reason }
                }
            },
            _ => MemberAccess::NotChecked,
        })
    }

    /// [`Need::CostData`]: the plan's slice of the organization-wide query, or the account's
    /// own query when its row filters by tags.
    async fn cost_data(&self, item: &WorkItem) -> Result<AccountCostData> {
        let settings = &item.settings;
        match &item.costs {
            CostSource::Shared { key } => {
                self.files
                    .get_json(key)
                    .await?
                    .ok_or_else(|| Error::CorruptFile {
                        key: key.clone(),
                        problem: "the plan's cost data for this account is missing".into(),
                    })
            }
            CostSource::Query { plan } => Ok(self
                .explorer
                .fetch_account(&item.account.id, &settings.cost_tags, settings.metric, plan)
                .await?),
        }
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
    message: &Message,
    channel: &orgpulse_config::ChannelId,
    now: DeliveryStatus,
) -> DeliveryStatus {
    if now != DeliveryStatus::AlreadyDelivered {
        return now;
    }
    earlier
        .into_iter()
        .flat_map(|r| &r.deliveries)
        .find(|d| {
            d.notification == message.notification
                && d.kind == message.cadence
                && d.period_start == message.period_start
                && &d.channel == channel
        })
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

#[cfg(test)]
mod tests {
    use orgpulse_config::Granularity;

    use super::*;
    use crate::test_support::{item, reporter, ACCOUNT};

    const ROW: &str =
        r#"{"AccountId": "012345678901", "ChannelIds": ["C0COST0001", "C0COST0002"]}"#;

    #[test]
    fn the_deadline_is_a_date_from_lambda_and_a_duration_from_the_emulator() {
        // Lambda: 2026-11-28T20:00:00Z in milliseconds.
        assert_eq!(
            lambda_deadline(1_795_896_000_000),
            UNIX_EPOCH + Duration::from_secs(1_795_896_000)
        );
        // cargo-lambda: the 600 s timeout.
        let before = SystemTime::now();
        let deadline = lambda_deadline(600_000);
        assert!(deadline >= before + Duration::from_secs(600));
        assert!(deadline <= SystemTime::now() + Duration::from_secs(600));
    }

    #[tokio::test]
    async fn every_due_report_goes_to_every_channel_once() {
        let item = item(ROW, &[Granularity::Daily, Granularity::Monthly]);
        let reporter = reporter(&item).await;
        let reported = reporter.report(&item).await.unwrap();
        let deliveries: Vec<(&str, Granularity, &str)> = reported
            .result
            .deliveries
            .iter()
            .map(|d| (d.notification.as_str(), d.kind, d.channel.as_str()))
            .collect();
        assert_eq!(
            deliveries,
            [
                ("cost", Granularity::Daily, "C0COST0001"),
                ("cost", Granularity::Daily, "C0COST0002"),
                ("cost", Granularity::Monthly, "C0COST0001"),
                ("cost", Granularity::Monthly, "C0COST0002"),
            ]
        );
        assert!(reported
            .result
            .deliveries
            .iter()
            .all(|d| d.status == DeliveryStatus::DryRun));
        assert_eq!(reported.reports.len(), 2);
        assert_eq!(reported.reports[0].kind, Granularity::Daily);
        assert_eq!(reported.reports[0].period.start.to_string(), "2026-11-27");
        assert!(reported.sections.is_empty());
        assert_eq!(reported.result.member_role, MemberRole::NotChecked);
        // The result is saved where the summary reads it.
        let saved: ItemResult = reporter
            .files
            .get_json(&format!("runs/test-run/results/{ACCOUNT}.json"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(saved, reported.result);
    }

    #[test]
    fn results_written_before_kinds_read_as_cost_deliveries() {
        let delivery: Delivery = serde_json::from_str(
            r#"{"kind": "DAILY", "period_start": "2026-11-27", "period_end": "2026-11-28",
                "channel": "C0COST0001", "alert": false, "status": "sent", "ts": "1.2"}"#,
        )
        .unwrap();
        assert_eq!(delivery.notification, "cost");
    }

    #[test]
    fn a_retry_keeps_its_own_earlier_send() {
        let earlier = ItemResult {
            account_id: orgpulse_config::AccountId::parse(ACCOUNT).unwrap(),
            account_name: String::new(),
            deliveries: vec![Delivery {
                kind: Granularity::Daily,
                notification: "cost".into(),
                period_start: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
                period_end: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
                channel: orgpulse_config::ChannelId("C0COST0001".into()),
                alert: false,
                status: DeliveryStatus::Sent { ts: "1.2".into() },
            }],
            no_data: false,
            member_role: MemberRole::NotChecked,
            warnings: Vec::new(),
            failure: None,
        };
        let message = Message {
            notification: "cost",
            cadence: Granularity::Daily,
            ledger_kind: "DAILY".into(),
            period_start: chrono::NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            period_end: chrono::NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
            alert: false,
            content: kinds::Content::CostReport(Box::new(orgpulse_cost::build_report(
                &item(ROW, &[Granularity::Daily]).settings,
                &orgpulse_config::OrgSettings::default(),
                Granularity::Daily,
                crate::test_support::REPORT_DATE,
                &orgpulse_cost::AccountCostData::empty(
                    orgpulse_config::AccountId::parse(ACCOUNT).unwrap(),
                    orgpulse_cost::FetchPlan::default(),
                ),
                None,
                None,
            ))),
        };
        let channel = orgpulse_config::ChannelId("C0COST0001".into());
        let kept = keep_earlier_send(
            Some(&earlier),
            &message,
            &channel,
            DeliveryStatus::AlreadyDelivered,
        );
        assert_eq!(kept, DeliveryStatus::Sent { ts: "1.2".into() });
        let other = orgpulse_config::ChannelId("C0COST0002".into());
        assert_eq!(
            keep_earlier_send(
                Some(&earlier),
                &message,
                &other,
                DeliveryStatus::AlreadyDelivered
            ),
            DeliveryStatus::AlreadyDelivered
        );
    }
}
