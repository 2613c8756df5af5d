//! The operators' summary of a run, as data (`RunSummary`) and as a Slack message.
//! Every name, description and problem text came from people or AWS: all of it is escaped.

use std::collections::HashMap;

use orgpulse_config::{AccountId, ChannelId};
use orgpulse_slack::mrkdwn::{escape, link, truncate};
use orgpulse_slack::PostMessage;
use serde::{Deserialize, Serialize};
use slack_morphism::prelude::*;

use crate::messages::{Delivery, DeliveryStatus, ItemResult, MemberRole, PlanRecord, StepFailure};

/// Lines listed per section before "…and N more".
const MAX_LINES: usize = 12;
/// Slack's section text limit is 3,000 characters; keep clear of it.
const MAX_SECTION_CHARS: usize = 2_800;

pub const SUMMARY_EVENT_TYPE: &str = "orgpulse_summary";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunSummary {
    pub plan: PlanRecord,
    pub results: Vec<ItemResult>,
    pub fan_out_error: Option<StepFailure>,
}

/// One failed delivery or item, with what to do about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FailureLine {
    pub account: String,
    pub what: String,
    pub reason: String,
}

impl RunSummary {
    pub fn new(
        plan: PlanRecord,
        results: Vec<ItemResult>,
        fan_out_error: Option<StepFailure>,
    ) -> Self {
        Self {
            plan,
            results,
            fan_out_error,
        }
    }

    pub fn count(&self, matches: impl Fn(&DeliveryStatus) -> bool) -> usize {
        self.results
            .iter()
            .flat_map(|r| &r.deliveries)
            .filter(|d| matches(&d.status))
            .count()
    }

    pub fn failures(&self) -> Vec<FailureLine> {
        let mut lines = Vec::new();
        for result in &self.results {
            let account = account_label(result);
            for delivery in &result.deliveries {
                if let DeliveryStatus::Failed { message, .. }
                | DeliveryStatus::Retryable { message, .. } = &delivery.status
                {
                    lines.push(FailureLine {
                        account: account.clone(),
                        what: format!("{} to {}", delivery_label(delivery), delivery.channel),
                        reason: message.clone(),
                    });
                }
            }
            if let Some(failure) = &result.failure {
                lines.push(FailureLine {
                    account: account.clone(),
                    what: "report".into(),
                    reason: format!("{}: {}", failure.error, failure_cause(&failure.cause)),
                });
            }
        }
        lines
    }

    /// Member accounts without the read-only role: those STS refused (reported accounts) and
    /// those the member-role StackSet has no usable instance in (every ACTIVE member account).
    pub fn missing_member_roles(&self) -> Vec<(String, String)> {
        let mut missing: Vec<(String, String)> = self
            .results
            .iter()
            .filter_map(|r| match &r.member_role {
                MemberRole::Missing { reason } => Some((account_label(r), reason.clone())),
                _ => None,
            })
            .collect();
        let refused: Vec<&AccountId> = self
            .results
            .iter()
            .filter(|r| matches!(r.member_role, MemberRole::Missing { .. }))
            .map(|r| &r.account_id)
            .collect();
        missing.extend(
            self.plan
                .member_roles_missing
                .iter()
                .filter(|gap| !refused.contains(&&gap.account_id))
                .map(|gap| {
                    let label = if gap.account_name.is_empty() {
                        gap.account_id.to_string()
                    } else {
                        format!("{} ({})", gap.account_name, gap.account_id)
                    };
                    (label, gap.reason.clone())
                }),
        );
        missing
    }

    /// Anything an operator has not been told today: a message sent, a failure, a newcomer.
    pub fn has_news(&self) -> bool {
        self.count(|s| matches!(s, DeliveryStatus::Sent { .. })) > 0
            || !self.failures().is_empty()
            || !self.plan.onboarded.is_empty()
            || self.fan_out_error.is_some()
    }

    /// The summary as terminal text (the CLI and the demo print it).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for (title, lines) in self.sections() {
            out.push_str(&title);
            out.push('\n');
            for line in lines {
                out.push_str("  ");
                out.push_str(&line);
                out.push('\n');
            }
        }
        out
    }

    fn headline(&self) -> String {
        let sent = self.count(|s| matches!(s, DeliveryStatus::Sent { .. }));
        let already = self.count(|s| *s == DeliveryStatus::AlreadyDelivered);
        let failed = self.failures().len();
        let marker = if failed > 0 || !self.plan.config_problems.is_empty() {
            "⚠️ "
        } else {
            ""
        };
        format!(
            "{marker}orgpulse {}: {sent} sent, {already} already delivered, {failed} failed",
            self.plan.report_date
        )
    }

    /// (title, lines) pairs, raw text (not escaped), most urgent first.
    fn sections(&self) -> Vec<(String, Vec<String>)> {
        let plan = &self.plan;
        let mut sections = vec![(
            self.headline(),
            vec![format!(
                "{} accounts reported, {} with no report due today, {} disabled; {} Cost Explorer requests",
                self.results.len(),
                plan.not_due,
                plan.disabled.len(),
                plan.cost_explorer_requests
            )],
        )];
        if let Some(error) = &self.fan_out_error {
            sections.push((
                "The fan-out failed".into(),
                vec![format!("{}: {}", error.error, failure_cause(&error.cause))],
            ));
        }
        if !plan.channels_not_joined.is_empty() {
            sections.push((
                format!(
                    "Slack channels the app is not in ({}) — nothing was posted there",
                    plan.channels_not_joined.len()
                ),
                plan.channels_not_joined
                    .iter()
                    .map(|c| {
                        let n = c.accounts.len();
                        let s = if n == 1 { "" } else { "s" };
                        format!("{} ({n} account{s}): {}", c.channel, c.fix)
                    })
                    .collect(),
            ));
        }
        let failures = self.failures();
        if !failures.is_empty() {
            sections.push((
                format!("Failed ({})", failures.len()),
                failures
                    .iter()
                    .map(|f| format!("{} — {}: {}", f.account, f.what, f.reason))
                    .collect(),
            ));
        }
        if !plan.config_problems.is_empty() {
            sections.push((
                format!(
                    "Configuration problems ({}) in {} — the other rows were used",
                    plan.config_problems.len(),
                    plan.config_source
                ),
                plan.config_problems
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ));
        }
        if !plan.onboarded.is_empty() {
            sections.push((
                format!("New accounts ({})", plan.onboarded.len()),
                plan.onboarded
                    .iter()
                    .map(|a| {
                        let reported = if plan.items.contains(&a.id) {
                            "reported with its OU's settings"
                        } else if plan.unconfigured.contains_key(&a.id) {
                            "not reported: no configuration row applies"
                        } else {
                            "no report due today"
                        };
                        format!(
                            "{} ({}) in {} — {reported}",
                            a.name,
                            a.id,
                            a.ou_names.join(" / ")
                        )
                    })
                    .collect(),
            ));
        }
        let missing = self.missing_member_roles();
        if !missing.is_empty() {
            sections.push((
                format!(
                    "Member role missing ({}) — check the StackSet instances",
                    missing.len()
                ),
                missing
                    .iter()
                    .map(|(a, reason)| format!("{a}: {reason}"))
                    .collect(),
            ));
        }
        if !plan.unconfigured.is_empty() {
            sections.push((
                format!("Accounts without settings ({})", plan.unconfigured.len()),
                plan.unconfigured
                    .iter()
                    .map(|(id, reason)| format!("{id}: {reason}"))
                    .collect(),
            ));
        }
        if !plan.unknown_accounts.is_empty() {
            sections.push((
                format!(
                    "Rows for accounts not in the organization ({})",
                    plan.unknown_accounts.len()
                ),
                plan.unknown_accounts
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ));
        }
        if !plan.skipped.is_empty() {
            sections.push((
                format!("Skipped accounts ({})", plan.skipped.len()),
                plan.skipped
                    .iter()
                    .map(|s| format!("{} ({}): {}", s.name, s.id, s.reason))
                    .collect(),
            ));
        }
        let warnings: Vec<String> = plan
            .warnings
            .iter()
            .cloned()
            .chain(self.results.iter().flat_map(|r| r.warnings.iter().cloned()))
            .collect();
        if !warnings.is_empty() {
            let mut warnings = warnings;
            warnings.sort();
            warnings.dedup();
            sections.push(("Warnings".into(), warnings));
        }
        sections
    }
}

/// The summary as a `chat.postMessage` body for the operators' channel.
pub fn render_summary(
    summary: &RunSummary,
    channel: &ChannelId,
    delivery_key: &str,
) -> PostMessage {
    let sections = summary.sections();
    let mut blocks: Vec<SlackBlock> = Vec::new();
    let (headline, overview) = &sections[0];
    blocks.push(
        SlackHeaderBlock::new(SlackBlockPlainText::new(truncate(headline, 150)).into()).into(),
    );
    blocks.push(
        section(
            &overview
                .iter()
                .map(|l| escape(l))
                .collect::<Vec<_>>()
                .join("\n"),
        )
        .into(),
    );
    let linked = linked_problem_lines(&summary.plan.config_problems);
    for (title, lines) in &sections[1..] {
        let mut text = format!("*{}*", escape(title));
        for (shown, line) in lines.iter().enumerate() {
            let line = match linked.get(line) {
                Some(mrkdwn) => format!("\n• {mrkdwn}"),
                None => format!("\n• {}", escape(&truncate(line, 400))),
            };
            if shown == MAX_LINES || text.chars().count() + line.chars().count() > MAX_SECTION_CHARS
            {
                text.push_str(&format!("\n…and {} more", lines.len() - shown));
                break;
            }
            text.push_str(&line);
        }
        blocks.push(SlackDividerBlock::new().into());
        blocks.push(section(&text).into());
    }
    let plan = &summary.plan;
    blocks.push(
        SlackContextBlock::new(vec![SlackBlockPlainText::new(truncate(
            &format!(
                "Run {} · organization {} · configuration {}{}",
                plan.run_id,
                plan.organization_id,
                plan.config_source,
                management_account_note(summary)
            ),
            1_000,
        ))
        .into()])
        .into(),
    );
    let content = SlackMessageContent::new()
        .with_text(truncate(headline, 1_000))
        .with_blocks(blocks)
        .with_metadata(
            SlackMessageMetadata::new(SUMMARY_EVENT_TYPE.into()).with_event_payload(HashMap::from(
                [
                    (
                        orgpulse_slack::render::DELIVERY_KEY_FIELD.to_string(),
                        delivery_key.to_string(),
                    ),
                    ("run_id".to_string(), plan.run_id.clone()),
                ],
            )),
        );
    SlackApiChatPostMessageRequest::new(SlackChannelId(channel.0.clone()), content)
        .with_unfurl_links(false)
        .with_unfurl_media(false)
}

/// What happens to the management account's budgets, said where it is reported: service-managed
/// StackSets never deploy the member role there, and the hub does not read its budgets with its
/// own credentials, so its report has no AWS Budgets section (and it is not "missing" the role).
fn management_account_note(summary: &RunSummary) -> String {
    let management = &summary.plan.management_account_id;
    if summary.results.iter().any(|r| &r.account_id == management) {
        format!(
            " · management account {management}: reported without AWS Budgets (StackSets never \
             deploy the member role there)"
        )
    } else {
        String::new()
    }
}

/// The configuration problems a Google Sheet shows at a cell, by their line: the line as
/// mrkdwn with its place (`'Tab'!C7`) a link that opens the sheet at that cell, escaped like
/// every other link. Other problems' lines are escaped as text.
fn linked_problem_lines(problems: &[orgpulse_config::Problem]) -> HashMap<String, String> {
    problems
        .iter()
        .filter_map(|problem| {
            let location = problem.location.as_deref()?;
            let url = location.url.as_deref()?;
            let line = problem.to_string();
            let rest = line.strip_prefix(&location.text)?;
            let label = &location.text;
            let rest = truncate(rest, 400usize.saturating_sub(label.chars().count()));
            Some((
                line.clone(),
                format!("{}{}", link(url, label), escape(&rest)),
            ))
        })
        .collect()
}

fn section(text: &str) -> SlackSectionBlock {
    SlackSectionBlock::new().with_text(
        SlackBlockMarkDownText::new(text.to_owned())
            .with_verbatim(true)
            .into(),
    )
}

/// "daily report" for a cost report, "daily health" for another kind's daily message.
fn delivery_label(delivery: &Delivery) -> String {
    let cadence = delivery.kind.as_str().to_lowercase();
    if delivery.notification == crate::kinds::cost::SPEC.name {
        format!("{cadence} report")
    } else {
        format!("{cadence} {}", delivery.notification)
    }
}

fn account_label(result: &ItemResult) -> String {
    if result.account_name.is_empty() {
        result.account_id.to_string()
    } else {
        format!("{} ({})", result.account_name, result.account_id)
    }
}

/// Step Functions passes a Lambda error's cause as the JSON the function returned
/// (`{"errorType": …, "errorMessage": …}`); show the message.
fn failure_cause(cause: &str) -> String {
    serde_json::from_str::<serde_json::Value>(cause)
        .ok()
        .and_then(|v| {
            v.get("errorMessage")
                .and_then(|m| m.as_str())
                .map(str::to_owned)
        })
        .unwrap_or_else(|| cause.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::messages::MemberRoleGap;
    use crate::test_support::plan_record;

    fn result(account: &str, member_role: MemberRole) -> ItemResult {
        ItemResult {
            account_id: AccountId::parse(account).unwrap(),
            account_name: format!("name-{account}"),
            deliveries: Vec::new(),
            no_data: false,
            member_role,
            warnings: Vec::new(),
            failure: None,
        }
    }

    #[test]
    fn sheet_problems_link_to_their_cell_and_others_stay_text() {
        let sheet = orgpulse_config::SheetOrigin {
            spreadsheet_id: "1AbC_sheet".into(),
            tab: "A&B <設定>".into(),
            sheet_id: 99,
        };
        let table = orgpulse_config::Table::read_sheet_csv(
            b"Title\nAccountId,ChannelIds\n012345678901,#general\n",
            0,
            0,
            sheet,
        );
        let mut plan = plan_record();
        plan.config_problems = orgpulse_config::validate(&table).problems;
        plan.config_problems.extend(
            orgpulse_config::load(b"AccountId\n1\n", orgpulse_config::Format::Csv).problems,
        );
        let message = render_summary(
            &RunSummary::new(plan, Vec::new(), None),
            &ChannelId::parse("C0OPS00001").unwrap(),
            "key",
        );
        let json = serde_json::to_string(&message.content.blocks).unwrap();
        // The URL's & is escaped once, the tab's title in the label like any text.
        assert!(
            json.contains(
                "• <https://docs.google.com/spreadsheets/d/1AbC_sheet/edit#gid=99&amp;range=B3|'A&amp;B &lt;設定&gt;'!B3>, ChannelIds = \\\"#general\\\": is the channel's name"
            ),
            "{json}"
        );
        // A CSV file has no link: its place is text.
        assert!(json.contains("• row 2, column A, AccountId = "), "{json}");
    }

    #[test]
    fn missing_member_roles_come_from_sts_and_from_the_stack_set_once_each() {
        let mut plan = plan_record();
        plan.member_roles_missing = vec![
            MemberRoleGap {
                account_id: AccountId::parse("000000000002").unwrap(),
                account_name: "sandbox".into(),
                reason: "the member-role StackSet s has no instance in this account".into(),
            },
            MemberRoleGap {
                account_id: AccountId::parse("000000000001").unwrap(),
                account_name: "refused".into(),
                reason: "also listed by the StackSet".into(),
            },
        ];
        let results = vec![
            result(
                "000000000001",
                MemberRole::Missing {
                    reason: "STS refused".into(),
                },
            ),
            result("000000000003", MemberRole::Available),
        ];
        let summary = RunSummary::new(plan, results, None);
        assert_eq!(
            summary.missing_member_roles(),
            [
                (
                    "name-000000000001 (000000000001)".to_string(),
                    "STS refused".to_string()
                ),
                (
                    "sandbox (000000000002)".to_string(),
                    "the member-role StackSet s has no instance in this account".to_string()
                ),
            ]
        );
        let text = summary.to_text();
        assert!(
            text.contains("Member role missing (2) — check the StackSet instances"),
            "{text}"
        );
    }

    #[test]
    fn the_summary_says_the_management_account_gets_no_budgets() {
        let plan = plan_record();
        let management = plan.management_account_id.to_string();
        let footer = |results: Vec<ItemResult>| {
            let summary = RunSummary::new(plan.clone(), results, None);
            serde_json::to_string(&render_summary(
                &summary,
                &ChannelId("G0PERATORS".into()),
                "k",
            ))
            .unwrap()
        };
        let with = footer(vec![result(&management, MemberRole::NotChecked)]);
        assert!(
            with.contains(&format!(
                "management account {management}: reported without AWS Budgets"
            )),
            "{with}"
        );
        let without = footer(vec![result("000000000003", MemberRole::Available)]);
        assert!(
            !without.contains("reported without AWS Budgets"),
            "{without}"
        );
    }
}
