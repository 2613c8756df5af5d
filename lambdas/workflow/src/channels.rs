//! The rule: the app must be a member of every channel it posts to. Posting to a public channel
//! would work without it (`chat:write.public`), but the lost-answer look-up that keeps delivery
//! exactly-once reads the channel's history (`conversations.history`), which Slack answers
//! only in conversations the app is a member of (`not_in_channel` otherwise). So a channel the
//! app is not in is not posted to at all: its reports are recorded as failed with the fix
//! (`/invite @<app>` in that channel), once, instead of failing again on every retry.
//!
//! The plan step checks it once per run: `auth.test` (the app's name for the fix),
//! `users.conversations` (every conversation the app is in, 999 a page: one call for most
//! workspaces), and one `conversations.info` per configured channel missing from that list, to
//! tell a channel the app is not in (`is_member: false`) from one that does not exist. Scopes:
//! channels:read and groups:read (im:read when `D…` IDs are configured).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use orgpulse_config::{AccountId, ChannelId};
use orgpulse_pipeline::secrets::SlackTokenSource;
use orgpulse_slack::SlackClient;
use serde::{Deserialize, Serialize};

/// A configured channel the app is not a member of, and what to do.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct ChannelNotJoined {
    pub channel: ChannelId,
    /// Accounts whose reports go to it today.
    pub accounts: Vec<AccountId>,
    pub fix: String,
}

/// The membership check the plan step runs: with a client, or with the token's secret (read
/// at the first run, so a missing token is a warning, not a plan that cannot start).
pub enum ChannelCheck {
    // Boxed: the client is large beside an Arc, and the check is built once per run.
    Client(Box<SlackClient>),
    Secret(Arc<SlackTokenSource>),
}

/// What the check found.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Membership {
    /// The bot user's name, for `/invite @…`.
    pub app_name: String,
    pub not_joined: BTreeSet<ChannelId>,
}

/// The conversation types to list for `channels`: channels always (public and private; since
/// 2021 private channels have `C…` IDs too), direct messages only when a `D…` ID is configured
/// (they need `im:read`).
pub fn types_for<'a>(channels: impl IntoIterator<Item = &'a ChannelId>) -> Vec<&'static str> {
    let mut types = vec!["public_channel", "private_channel"];
    if channels.into_iter().any(|c| c.0.starts_with('D')) {
        types.push("im");
    }
    types
}

/// `/invite @app` in the channel, as an operator reads it.
pub fn invite_fix(app_name: &str, channel: &ChannelId) -> String {
    let app = if app_name.is_empty() {
        "<the orgpulse app>"
    } else {
        app_name
    };
    if channel.0.starts_with('D') {
        format!(
            "{channel} is a direct message the app is not part of: use a channel ID instead \
             (or give the app im:read and im:history and open the DM with it)"
        )
    } else {
        format!(
            "the app is not a member of {channel}, so nothing is posted there: type \
             /invite @{app} in that channel (the next run delivers the reports)"
        )
    }
}

impl ChannelCheck {
    /// Which of `channels` the app is not in. An error is a sentence for the summary's warnings.
    pub async fn check(&self, channels: &BTreeSet<ChannelId>) -> Result<Membership, String> {
        if channels.is_empty() {
            return Ok(Membership::default());
        }
        match self {
            Self::Client(slack) => check_with(slack, channels).await,
            Self::Secret(source) => {
                let slack = crate::env::slack_from_secret(source.clone())
                    .await
                    .map_err(|e| {
                        format!("could not check which Slack channels the app is in: {e}")
                    })?;
                check_with(&slack, channels).await
            }
        }
    }
}

async fn check_with(
    slack: &SlackClient,
    channels: &BTreeSet<ChannelId>,
) -> Result<Membership, String> {
    let auth = slack
        .auth_test()
        .await
        .map_err(|e| format!("Slack auth.test failed: {e}"))?;
    let members = slack
        .member_channels(&types_for(channels))
        .await
        .map_err(|e| {
            format!(
                "could not list the channels the Slack app is in, so every configured \
                     channel was posted to unchecked ({e}). Fix: give the app the channels:read \
                     and groups:read scopes (im:read for D… IDs) and reinstall it"
            )
        })?;
    // A channel missing from the list is either one the app is not in or one that does not
    // exist (deleted, mistyped): one conversations.info each tells them apart, so a wrong ID
    // keeps its own fix (channel_not_found when posting, not retried).
    let mut not_joined = BTreeSet::new();
    for channel in channels.iter().filter(|c| !members.contains(&c.0)) {
        match slack.conversation_info(&channel.0).await {
            Ok(Some(info)) if !info.is_member => {
                not_joined.insert(channel.clone());
            }
            Ok(_) => {}
            Err(e) => {
                return Err(format!(
                    "could not look up Slack channel {channel}, so every configured channel \
                     was posted to unchecked ({e})"
                ))
            }
        }
    }
    Ok(Membership {
        app_name: auth.user,
        not_joined,
    })
}

/// The summary's list: each channel the app is not in, with the accounts posting to it.
pub fn not_joined_list(
    membership: &Membership,
    routes: &[(AccountId, Vec<ChannelId>)],
) -> Vec<ChannelNotJoined> {
    let mut accounts: BTreeMap<&ChannelId, Vec<AccountId>> = BTreeMap::new();
    for (account, channels) in routes {
        for channel in channels
            .iter()
            .filter(|c| membership.not_joined.contains(c))
        {
            accounts.entry(channel).or_default().push(account.clone());
        }
    }
    accounts
        .into_iter()
        .map(|(channel, accounts)| ChannelNotJoined {
            channel: channel.clone(),
            accounts,
            fix: invite_fix(&membership.app_name, channel),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn channel(id: &str) -> ChannelId {
        ChannelId(id.into())
    }

    #[test]
    fn direct_messages_are_listed_only_when_configured() {
        assert_eq!(
            types_for(&[channel("C1"), channel("G2")]),
            ["public_channel", "private_channel"]
        );
        assert_eq!(
            types_for(&[channel("C1"), channel("D2")]),
            ["public_channel", "private_channel", "im"]
        );
    }

    #[test]
    fn each_channel_is_listed_once_with_its_accounts_and_the_fix() {
        let membership = Membership {
            app_name: "orgpulse".into(),
            not_joined: [channel("C0MISSING")].into(),
        };
        let a = AccountId::parse("111111111111").unwrap();
        let b = AccountId::parse("222222222222").unwrap();
        let list = not_joined_list(
            &membership,
            &[
                (a.clone(), vec![channel("C0MISSING"), channel("C0OK")]),
                (b.clone(), vec![channel("C0MISSING")]),
            ],
        );
        assert_eq!(list.len(), 1);
        assert_eq!(list[0].channel, channel("C0MISSING"));
        assert_eq!(list[0].accounts, [a, b]);
        assert!(
            list[0].fix.contains("/invite @orgpulse in that channel"),
            "{}",
            list[0].fix
        );
    }

    #[tokio::test]
    async fn the_report_step_does_not_post_to_a_channel_the_app_is_not_in() {
        use crate::messages::DeliveryStatus;
        use crate::test_support::{item, reporter};
        let mut item = item(
            r#"{"AccountId": "012345678901", "ChannelIds": ["C0COST0001", "C0MISSING"]}"#,
            &[orgpulse_config::Granularity::Daily],
        );
        let fix = invite_fix("orgpulse", &channel("C0MISSING"));
        item.channels_not_joined
            .insert(channel("C0MISSING"), fix.clone());
        let reporter = reporter(&item).await;
        let reported = reporter.report(&item).await.unwrap();
        let statuses: Vec<(&str, &DeliveryStatus)> = reported
            .result
            .deliveries
            .iter()
            .map(|d| (d.channel.0.as_str(), &d.status))
            .collect();
        assert_eq!(
            statuses,
            [
                ("C0COST0001", &DeliveryStatus::DryRun),
                (
                    "C0MISSING",
                    &DeliveryStatus::Failed {
                        code: "not_in_channel".into(),
                        message: fix
                    }
                ),
            ]
        );
        // Permanent: the item succeeds, Step Functions does not retry it.
        assert!(reporter.handle(&item).await.is_ok());
    }

    #[test]
    fn the_summary_names_each_channel_with_the_fix() {
        let mut plan = crate::test_support::plan_record();
        plan.channels_not_joined = vec![ChannelNotJoined {
            channel: channel("C0MISSING"),
            accounts: vec![AccountId::parse("111111111111").unwrap()],
            fix: invite_fix("orgpulse", &channel("C0MISSING")),
        }];
        let text = crate::summary_message::RunSummary::new(plan, Vec::new(), None).to_text();
        assert!(
            text.contains("Slack channels the app is not in (1) — nothing was posted there"),
            "{text}"
        );
        assert!(
            text.contains("C0MISSING (1 account): the app is not a member of C0MISSING"),
            "{text}"
        );
        assert!(text.contains("/invite @orgpulse in that channel"), "{text}");
    }
}
