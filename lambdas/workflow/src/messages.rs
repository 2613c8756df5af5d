//! What the steps pass each other through Step Functions (and S3). Field names are the
//! interface of the state machine definition: `bucket` and `items_key` of [`PlanOutput`] feed
//! the Distributed Map's `ItemReader`; [`WorkItem::failure`] is where its `Catch` puts the error.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use orgpulse_config::{AccountId, AccountSettings, ChannelId, Granularity, OrgSettings, Problem};
use orgpulse_cost::{AppliedRate, FetchPlan};
use orgpulse_pipeline::organizations::SkippedAccount;
use serde::{Deserialize, Serialize};

/// The plan function's event: the execution's context and its input.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct PlanEvent {
    pub execution_id: Option<String>,
    pub execution_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub input: RunInput,
}

/// The execution input. The schedule sends `{}` (or its scheduled time); an operator re-running
/// a day sends `{"date": "2026-11-27"}`.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct RunInput {
    /// Report as if the run happened on this day (in the organization's time zone).
    pub date: Option<NaiveDate>,
    /// EventBridge Scheduler's `<aws.scheduler.scheduled-time>`, when the schedule passes it.
    pub scheduled_time: Option<DateTime<Utc>>,
}

/// The plan function's answer: small, whatever the size of the organization.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct PlanOutput {
    pub run_id: String,
    pub report_date: NaiveDate,
    pub bucket: String,
    pub items_key: String,
    pub plan_key: String,
    pub item_count: usize,
    /// Set by the state machine's `Catch` when the map run itself failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fan_out_error: Option<StepFailure>,
}

/// One account's work: everything the report function needs, so it reads nothing else but
/// its cost data.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct WorkItem {
    pub run_id: String,
    pub report_date: NaiveDate,
    pub account: AccountRef,
    pub settings: AccountSettings,
    pub org: OrgSettings,
    /// The reports due today, in order.
    pub kinds: Vec<Granularity>,
    pub costs: CostSource,
    /// The exchange rate for `settings.currency`, resolved once per run so every account of
    /// the run uses the same.
    pub rate: Option<AppliedRate>,
    /// Whether to check the member read-only role (not for the management account: StackSets
    /// never deploy there).
    pub check_member_role: bool,
    /// Set by the state machine's `Catch` when the report failed after its retries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<StepFailure>,
    /// This item's channels the Slack app is not a member of: recorded as failed with the
    /// fix, never posted to ([`crate::channels`]).
    /// The value is the fix (`/invite @<app>` in that channel).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub channels_not_joined: BTreeMap<ChannelId, String>,
}

/// An account as the reports name it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct AccountRef {
    pub id: AccountId,
    pub name: String,
    /// OU names, nearest first, the root last.
    pub ou_names: Vec<String>,
    pub onboarded: bool,
}

/// Where an item's cost data comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "from", rename_all = "snake_case")]
pub enum CostSource {
    /// The plan's organization-wide query, sliced for this account.
    Shared { key: String },
    /// The row filters by tags: the report function runs the seed's query for this account.
    Query { plan: FetchPlan },
}

/// `{"Error": …, "Cause": …}` as Step Functions' `Catch` writes it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct StepFailure {
    #[serde(rename = "Error")]
    pub error: String,
    #[serde(rename = "Cause", default)]
    pub cause: String,
}

/// What happened to one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum DeliveryStatus {
    Sent {
        ts: String,
    },
    /// Posted by an earlier attempt or run; not sent again.
    AlreadyDelivered,
    /// Slack refused for good (`channel_not_found`, `not_in_channel`, …): not retried.
    Failed {
        code: String,
        message: String,
    },
    /// Could be retried (rate limits, Slack or network trouble) but ran out of attempts.
    Retryable {
        code: String,
        message: String,
    },
    /// `orgpulse run --dry-run`: rendered, not sent.
    DryRun,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Delivery {
    /// The message's cadence: the cost report's granularity.
    pub kind: Granularity,
    /// The notification kind that produced the message (`cost`; see [`crate::kinds`]).
    /// Results written before kinds existed hold cost reports only.
    #[serde(default = "cost_notification")]
    pub notification: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub channel: ChannelId,
    pub alert: bool,
    #[serde(flatten)]
    pub status: DeliveryStatus,
}

fn cost_notification() -> String {
    crate::kinds::cost::SPEC.name.to_owned()
}

/// Whether the member read-only role could be assumed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum MemberRole {
    Available,
    Missing { reason: String },
    NotChecked,
}

/// One account's outcome, written to `runs/<run>/results/<account>.json`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ItemResult {
    pub account_id: AccountId,
    pub account_name: String,
    pub deliveries: Vec<Delivery>,
    pub no_data: bool,
    pub member_role: MemberRole,
    /// Warnings that did not stop the report (a stale exchange rate, …).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// The item failed after its retries (the state machine's `Catch`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<StepFailure>,
}

/// What the report function answers Step Functions: a few counters, never the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct ItemCounts {
    pub sent: usize,
    pub already_delivered: usize,
    pub failed: usize,
}

/// The plan's record for the summary, written to `runs/<run>/plan.json`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
pub struct PlanRecord {
    pub run_id: String,
    pub report_date: NaiveDate,
    pub organization_id: String,
    pub management_account_id: AccountId,
    pub config_source: String,
    pub config_rows_read: usize,
    /// Every configuration problem, each with its row, field, value and fix.
    pub config_problems: Vec<Problem>,
    /// Accounts reported on today, in item order.
    pub items: Vec<AccountId>,
    /// Accounts no row applies to (or whose rows give no channel), with the reason.
    pub unconfigured: BTreeMap<AccountId, String>,
    /// Accounts muted with `Enabled = FALSE`.
    pub disabled: Vec<AccountId>,
    /// Accounts with no report due today.
    pub not_due: usize,
    /// Suspended or closing accounts, left out.
    pub skipped: Vec<SkippedAccount>,
    /// Accounts seen for the first time (none on the first run, which records the baseline).
    pub onboarded: Vec<AccountRef>,
    pub baseline: bool,
    /// Rows naming accounts that are not ACTIVE members of the organization.
    pub unknown_accounts: Vec<AccountId>,
    /// Every ACTIVE account, for the known-accounts list the summary saves.
    pub active_accounts: Vec<AccountId>,
    /// Cost Explorer requests the plan made (pages counted, each billed).
    pub cost_explorer_requests: u64,
    pub warnings: Vec<String>,
    /// Member accounts the member-role StackSet has no usable instance in (not assumed into
    /// by the report step). Empty when no StackSet is configured: STS alone decides then.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub member_roles_missing: Vec<MemberRoleGap>,
    /// Configured channels the Slack app is not a member of: not posted to ([`crate::channels`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels_not_joined: Vec<crate::channels::ChannelNotJoined>,
}

/// A member account without the member read-only role, per the StackSet's instances.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MemberRoleGap {
    pub account_id: AccountId,
    pub account_name: String,
    /// The instance's status and what to do.
    pub reason: String,
}
