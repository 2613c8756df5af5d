//! Exactly-once delivery: the DynamoDB ledger says who may post, Slack's history settles the
//! one case the ledger cannot (a post whose answer was lost).

use std::time::SystemTime;

use orgpulse_config::clock;
use orgpulse_config::ChannelId;
use orgpulse_pipeline::ledger::{ClaimOutcome, DeliveryLedger, LedgerKey};
use orgpulse_slack::{PostMessage, SlackClient};

use crate::error::Result;
use crate::messages::DeliveryStatus;

/// How messages leave: for real through the ledger and Slack, or not at all (`--dry-run`).
// One per container; boxing would only add an indirection to every delivery.
#[allow(clippy::large_enum_variant)]
pub enum Outbox {
    Slack {
        ledger: DeliveryLedger,
        slack: SlackClient,
        /// Who claims, for the ledger's records (the Lambda request ID, the CLI's host).
        owner: String,
    },
    /// Renders, records nothing, sends nothing.
    DryRun,
}

impl Outbox {
    /// Posts `message` to its channel unless the ledger says `key` was delivered already.
    /// Ledger (DynamoDB) failures are errors: without the ledger, posting could duplicate.
    pub async fn deliver(&self, key: &LedgerKey, message: &PostMessage) -> Result<DeliveryStatus> {
        self.deliver_before(key, message, None).await
    }

    /// [`Self::deliver`], waiting out Slack's rate limits only until `deadline`; a delivery
    /// still waiting then is `Retryable` (`ratelimited`).
    pub async fn deliver_before(
        &self,
        key: &LedgerKey,
        message: &PostMessage,
        deadline: Option<SystemTime>,
    ) -> Result<DeliveryStatus> {
        let Outbox::Slack {
            ledger,
            slack,
            owner,
        } = self
        else {
            return Ok(DeliveryStatus::DryRun);
        };
        let channel = ChannelId(message.channel.0.clone());
        let claim = match ledger.claim(key, owner, clock::now()).await? {
            ClaimOutcome::AlreadyDelivered { .. } => return Ok(DeliveryStatus::AlreadyDelivered),
            ClaimOutcome::InFlight {
                claimed_by,
                lease_until,
                ..
            } => {
                return Ok(DeliveryStatus::Retryable {
                    code: "in_flight".into(),
                    message: format!(
                    "another attempt ({claimed_by}) is delivering to {channel} until {lease_until}"
                ),
                })
            }
            ClaimOutcome::Claimed(claim) => claim,
        };
        if let Some(since) = claim.check_history_since() {
            // The previous owner never finished: its post may be in the channel already.
            let since = SystemTime::from(since) - std::time::Duration::from_secs(60);
            match slack.find_delivery(&channel.0, key.as_str(), since).await {
                Ok(Some(ts)) => {
                    ledger.mark_delivered(&claim, &ts, clock::now()).await?;
                    return Ok(DeliveryStatus::AlreadyDelivered);
                }
                Ok(None) => {}
                Err(err) => {
                    // Leave the claim pending: posting now could duplicate.
                    return Ok(DeliveryStatus::Retryable {
                        code: err.code().to_owned(),
                        message: err.to_string(),
                    });
                }
            }
        }
        match slack.post_message_before(message, deadline).await {
            Ok(posted) => {
                ledger
                    .mark_delivered(&claim, &posted.ts, clock::now())
                    .await?;
                // `found_earlier` is this call's own post whose answer was lost: still sent now.
                Ok(DeliveryStatus::Sent { ts: posted.ts })
            }
            Err(err @ orgpulse_slack::SlackError::Ambiguous { .. })
            | Err(err @ orgpulse_slack::SlackError::HistoryTooLong { .. }) => {
                // The message may be out: keep the claim until its lease ends, so the next
                // attempt checks the history before posting.
                Ok(DeliveryStatus::Retryable {
                    code: err.code().to_owned(),
                    message: err.to_string(),
                })
            }
            Err(err) => {
                ledger.release(&claim, err.code(), clock::now()).await?;
                let (code, message) = (err.code().to_owned(), err.to_string());
                Ok(if err.is_retryable() {
                    DeliveryStatus::Retryable { code, message }
                } else {
                    DeliveryStatus::Failed { code, message }
                })
            }
        }
    }
}
