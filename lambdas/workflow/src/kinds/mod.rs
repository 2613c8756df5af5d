//! Notification kinds: the one place a new kind of notification plugs into orgpulse.
//!
//! A kind is one module implementing [`NotificationKind`]. Its [`KindSpec`] declares
//!
//! - **what it needs** ([`Need`]): the account's cost data (the plan's organization-wide query
//!   sliced for the account, or the account's own tag-filtered query), its own per-account
//!   Cost Explorer requests, or a session inside the member account through the read-only role
//!   the StackSet deploys. The report step provides each need at most once per account and
//!   hands a kind only what it declared ([`KindInput`]);
//! - **what it produces** ([`Produces`]): messages of its own, or a section inside the account's
//!   first message of the run;
//! - **which IAM actions it adds**: `hub_actions` (the report function's policy,
//!   `modules/hub/locals.tf` `lambda_code_actions.report`) and `member_actions` (the member
//!   role's policy, `stacksets/member-role.yaml`). The lists are documentation: the offline IAM
//!   test (`tests/infra/test_iam_consistency.py`) derives the actions from the code itself, where
//!   every SDK call is `<client>.<operation>()...send()` and clients acting inside member
//!   accounts are named `member_<service>` (`member_budgets`).
//!
//! and [`NotificationKind::produce`] reads what the kind reports on and renders it (Block Kit for
//! Slack and plain text for `orgpulse preview`), escaping whatever came from AWS or configuration.
//!
//! Everything else works for a new kind unchanged: the planner (work items carry the resolved
//! [`orgpulse_config::AccountSettings`], where a kind's on/off column lands), the fan-out (one
//! item per account), delivery through [`crate::deliveries::Outbox`] with its exactly-once
//! ledger keys (account, [`Message::ledger_kind`], period start, channel), the item result and
//! the operators' summary (deliveries, failures, warnings, accounts whose member role is
//! missing).
//!
//! # Adding a kind
//!
//! 1. A module here with a unit struct implementing [`NotificationKind`] and its `SPEC`.
//! 2. Its entry in [`all`] (the order is the order sections appear in a message).
//! 3. If it has an on/off switch per account, a configuration column (`lambdas/config`) that
//!    resolves into `AccountSettings` like every other field, and `wanted` reading it.
//! 4. If it reads inside member accounts: the action in `stacksets/member-role.yaml`; if it
//!    calls AWS from the hub: the action in `lambda_code_actions.report`. `pytest tests/infra`
//!    says which is missing.
//! 5. If it produces messages of its own: a [`Content`] variant (how the message renders) and a
//!    ledger kind of its own (e.g. `HEALTH`), never one of the cost report's
//!    `DAILY`/`WEEKLY`/`MONTHLY`.

use chrono::NaiveDate;
use futures_util::future::BoxFuture;
use orgpulse_config::{ChannelId, Granularity};
use orgpulse_cost::{AccountCostData, CostExplorer, CostReport};
use orgpulse_pipeline::member::MemberSession;
use orgpulse_slack::PostMessage;

use crate::error::Result;
use crate::messages::WorkItem;

pub mod budgets;
pub mod cost;
pub mod section;

pub use section::{attach_sections, Section};

/// Every notification kind, in the order the report step runs them; sections appear in a
/// message in this order too.
pub fn all() -> &'static [&'static dyn NotificationKind] {
    &[&cost::CostReports, &budgets::BudgetStatus]
}

/// A kind of notification. See the module documentation for the contract.
pub trait NotificationKind: Sync {
    /// Its name, needs, output and IAM actions.
    fn spec(&self) -> &'static KindSpec;

    /// Whether the item's account gets this kind today (its settings, the reports due).
    fn wanted(&self, item: &WorkItem) -> bool;

    /// Reads what the kind reports on and renders it. Errors fail the item (Step Functions
    /// retries it); a problem that should not hold back the account's other notifications is a
    /// warning in [`Produced::warnings`] instead.
    fn produce<'a>(&'a self, input: &'a KindInput<'a>) -> BoxFuture<'a, Result<Produced>>;
}

/// What a kind declares about itself.
#[derive(Debug)]
pub struct KindSpec {
    /// Stable name: recorded with every delivery, shown in the summary and logs.
    pub name: &'static str,
    /// One sentence for people.
    pub description: &'static str,
    pub needs: &'static [Need],
    pub produces: Produces,
    /// AWS actions its code calls with the hub's credentials (the report function's role).
    pub hub_actions: &'static [&'static str],
    /// AWS actions its code calls inside member accounts (the member role).
    pub member_actions: &'static [&'static str],
}

/// What a kind reads besides its work item (account, settings, date, exchange rate).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The account's cost data: the plan's organization-wide Cost Explorer query sliced for this
    /// account, or — for rows with `CostTags` — the account's own query made by the report step.
    /// Loaded once per item, however many kinds need it.
    CostData,
    /// Cost Explorer requests of its own for this account (each one billed).
    CostExplorer,
    /// A session inside the member account through the StackSet's read-only role. Assumed once
    /// per item (the same `sts:AssumeRole` that tells the summary whether the role exists);
    /// absent for the management account and for accounts whose role is missing.
    MemberRole,
}

/// What a kind adds to an account's notifications.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Produces {
    /// Messages of its own, each delivered to each of the account's channels exactly once.
    Messages,
    /// A section inside the account's first message of the run (so a day with a daily and a
    /// monthly report shows it once).
    Section,
}

/// A kind's view of one work item: only what its spec declared.
pub struct KindInput<'a> {
    pub item: &'a WorkItem,
    explorer: Option<&'a CostExplorer>,
    cost_data: Option<&'a AccountCostData>,
    member: Option<&'a MemberSession>,
}

impl<'a> KindInput<'a> {
    /// Hands `spec`'s kind what it declared, and nothing else.
    pub fn new(
        spec: &KindSpec,
        item: &'a WorkItem,
        explorer: &'a CostExplorer,
        cost_data: Option<&'a AccountCostData>,
        member: Option<&'a MemberSession>,
    ) -> Self {
        let declared = |need| spec.needs.contains(&need);
        Self {
            item,
            explorer: declared(Need::CostExplorer).then_some(explorer),
            cost_data: cost_data.filter(|_| declared(Need::CostData)),
            member: member.filter(|_| declared(Need::MemberRole)),
        }
    }

    /// [`Need::CostExplorer`].
    pub fn explorer(&self) -> Option<&'a CostExplorer> {
        self.explorer
    }

    /// [`Need::CostData`].
    pub fn cost_data(&self) -> Option<&'a AccountCostData> {
        self.cost_data
    }

    /// [`Need::MemberRole`]: `None` when the role is missing or was not checked.
    pub fn member_session(&self) -> Option<&'a MemberSession> {
        self.member
    }
}

/// Whether any kind wanted for `item` declared `need`.
pub fn needed(kinds: &[&dyn NotificationKind], need: Need) -> bool {
    kinds.iter().any(|kind| kind.spec().needs.contains(&need))
}

/// A kind's output for one account.
pub struct Produced {
    pub output: Output,
    /// Problems that did not stop the account's notifications; the summary lists them.
    pub warnings: Vec<String>,
}

impl Produced {
    pub fn new(output: Output) -> Self {
        Self {
            output,
            warnings: Vec::new(),
        }
    }
}

pub enum Output {
    Messages(Vec<Message>),
    Section(Section),
    /// Nothing to say about this account today.
    Nothing,
}

/// One message of a kind, rendered once per channel.
pub struct Message {
    /// The kind's [`KindSpec::name`], recorded with each delivery.
    pub notification: &'static str,
    /// Which cadence it belongs to (the cost report's granularity; `DAILY` for a kind sent on
    /// every run).
    pub cadence: Granularity,
    /// The ledger's kind: at most one message per (account, ledger kind, period start,
    /// channel), across retries and re-runs.
    pub ledger_kind: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub alert: bool,
    pub content: Content,
}

/// What a message says, kept as data so `orgpulse` can preview it.
pub enum Content {
    CostReport(Box<CostReport>),
}

impl Content {
    /// The `chat.postMessage` body for `channel`; `delivery_key` travels in its metadata.
    pub fn render(&self, channel: &ChannelId, delivery_key: &str) -> PostMessage {
        match self {
            Self::CostReport(report) => cost::render(report, channel, delivery_key),
        }
    }

    /// The same message as terminal text.
    pub fn to_text(&self) -> String {
        match self {
            Self::CostReport(report) => orgpulse_slack::render_text(report),
        }
    }

    pub fn cost_report(&self) -> Option<&CostReport> {
        match self {
            Self::CostReport(report) => Some(report),
        }
    }

    pub fn into_cost_report(self) -> Option<CostReport> {
        match self {
            Self::CostReport(report) => Some(*report),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_have_distinct_names_and_declare_their_actions() {
        let mut names: Vec<&str> = all().iter().map(|k| k.spec().name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), all().len());
        for kind in all() {
            let spec = kind.spec();
            assert!(!spec.description.is_empty(), "{}", spec.name);
            for action in spec.hub_actions.iter().chain(spec.member_actions) {
                assert!(action.contains(':'), "{}: {action}", spec.name);
            }
            // A kind reading inside member accounts must say so, and the other way round.
            assert_eq!(
                spec.needs.contains(&Need::MemberRole),
                !spec.member_actions.is_empty(),
                "{}",
                spec.name
            );
        }
    }
}
