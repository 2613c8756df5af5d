//! The delivery ledger: at most one Slack message per (account, report kind, period, channel),
//! however often Step Functions retries an item or an operator restarts a run.
//!
//! One DynamoDB item per delivery, keyed `pk = "<account>#<kind>#<period_start>#<channel>"`
//! ([`LedgerKey`]). Calls: `dynamodb:PutItem` (claim), `dynamodb:UpdateItem` (mark delivered,
//! release), `dynamodb:GetItem` (read an entry; also the fallback when a conditional failure
//! does not carry the old item).
//!
//! # Protocol
//!
//! 1. [`DeliveryLedger::claim`] — a conditional PutItem that succeeds only if there is no entry,
//!    the entry was released, or it is `pending` and its lease has run out. Answers
//!    [`ClaimOutcome::Claimed`], [`ClaimOutcome::AlreadyDelivered`] (skip: it was posted) or
//!    [`ClaimOutcome::InFlight`] (another attempt holds it: retry later).
//! 2. Post the message, carrying [`DELIVERY_METADATA_EVENT_TYPE`] metadata with the key.
//! 3. [`DeliveryLedger::mark_delivered`] with Slack's message `ts` — conditional on still owning
//!    the claim — or [`DeliveryLedger::release`] when Slack's answer proves nothing was posted
//!    (`ok:false`, HTTP 429, any error response): permanent *and* retryable failures alike, so
//!    the next attempt can claim at once.
//!
//! Each claim carries a random token, so the owner is one attempt, not one execution: a
//! Step Functions retry of the same item is a different owner and does not take over a claim
//! whose post may have gone out. An SDK retry of our own write (first response lost) is
//! recognised by the token and treated as success.
//!
//! # The remaining ambiguity
//!
//! If the post's response is lost (timeout, crash after sending), the entry stays `pending`:
//! the message may or may not be in the channel. Nothing on our side can tell, so the claim is
//! left to expire instead of being released; until the lease ends other attempts get
//! `InFlight`. The attempt that takes over an expired lease gets a [`Claim`] whose
//! [`Claim::must_check_earlier_delivery`] is true: before posting it should look for an
//! earlier post with `conversations.history` (`include_all_metadata=true`, `oldest` =
//! [`Claim::check_history_since`]) and a message whose metadata `event_type` is
//! [`DELIVERY_METADATA_EVENT_TYPE`] and `event_payload.ledger_key` equals the key. If found,
//! mark it delivered with that message's `ts` instead of posting. Without that check (or
//! without the `channels:history` scope) a lost response can still mean one duplicate.
//!
//! Entries expire through DynamoDB TTL on `expires_at` (epoch seconds). TTL deletion is lazy,
//! so an expired entry may still block a delivery for a while — the safe direction. The
//! retention must outlast the longest time in which a period can be reported again (a
//! monthly report re-run): 40 days by default.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::time::Duration;

use aws_sdk_dynamodb::operation::get_item::GetItemError;
use aws_sdk_dynamodb::operation::put_item::PutItemError;
use aws_sdk_dynamodb::operation::update_item::UpdateItemError;
use aws_sdk_dynamodb::types::{AttributeValue, ReturnValue, ReturnValuesOnConditionCheckFailure};
use chrono::{DateTime, NaiveDate, Utc};
use orgpulse_config::{AccountId, ChannelId};
use serde::{Deserialize, Serialize};

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{AwsOperation, Error, Result};

const PUT_ITEM: AwsOperation = AwsOperation::new("dynamodb", "PutItem");
const UPDATE_ITEM: AwsOperation = AwsOperation::new("dynamodb", "UpdateItem");
const GET_ITEM: AwsOperation = AwsOperation::new("dynamodb", "GetItem");

/// `event_type` of the Slack message metadata that carries the ledger key
/// (`event_payload: {"ledger_key": "<pk>"}`), so an earlier post can be found again.
pub const DELIVERY_METADATA_EVENT_TYPE: &str = "orgpulse_delivery";

/// How long a claim shuts out other attempts: a Lambda runs at most 15 minutes, so a claim older
/// than that belongs to an attempt that no longer runs.
pub const DEFAULT_LEASE: Duration = Duration::from_secs(15 * 60);
/// How long entries are kept: longer than any period can be reported again.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(40 * 24 * 60 * 60);

/// A claim that does not land after this many rounds of (claim, read the blocker) is reported as
/// in flight: the entry is changing under us, another attempt is active.
const CLAIM_ROUNDS: usize = 3;

mod attr {
    pub const PK: &str = "pk";
    pub const STATUS: &str = "status";
    pub const CLAIMED_BY: &str = "claimed_by";
    pub const CLAIM_TOKEN: &str = "claim_token";
    pub const CLAIMED_AT: &str = "claimed_at";
    pub const LEASE_UNTIL: &str = "lease_until";
    pub const EXPIRES_AT: &str = "expires_at";
    pub const DELIVERED_AT: &str = "delivered_at";
    pub const MESSAGE_TS: &str = "message_ts";
    pub const RELEASED_AT: &str = "released_at";
    pub const RELEASE_REASON: &str = "release_reason";
}

const PENDING: &str = "pending";
const DELIVERED: &str = "delivered";
const RELEASED: &str = "released";

/// `"<scope>#<kind>#<period_start>#<channel>"`: one delivery.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct LedgerKey(String);

impl LedgerKey {
    /// One account's report of `kind` (e.g. `cost-daily`) for the period starting
    /// `period_start`, to `channel`.
    pub fn for_account(
        account: &AccountId,
        kind: &str,
        period_start: NaiveDate,
        channel: &ChannelId,
    ) -> Self {
        Self::new(account.as_str(), kind, period_start, channel)
    }

    /// Any other delivery (e.g. the run summary: scope = organisation ID).
    pub fn new(scope: &str, kind: &str, period_start: NaiveDate, channel: &ChannelId) -> Self {
        Self(format!(
            "{scope}#{kind}#{}#{channel}",
            period_start.format("%Y-%m-%d")
        ))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Lease and retention of the ledger's entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LedgerPolicy {
    pub lease: Duration,
    pub retention: Duration,
}

impl Default for LedgerPolicy {
    fn default() -> Self {
        Self {
            lease: DEFAULT_LEASE,
            retention: DEFAULT_RETENTION,
        }
    }
}

/// A claim this attempt holds: pass it to [`DeliveryLedger::mark_delivered`] or
/// [`DeliveryLedger::release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Claim {
    pub key: LedgerKey,
    pub owner: String,
    pub claimed_at: DateTime<Utc>,
    /// The entry this claim replaced, if any.
    pub previous: Option<PreviousClaim>,
    token: String,
}

impl Claim {
    /// True when this claim took over a `pending` claim whose lease ran out: that attempt may
    /// have posted (see the module docs), so look for its message before posting.
    pub fn must_check_earlier_delivery(&self) -> bool {
        matches!(self.previous, Some(PreviousClaim::LeaseExpired { .. }))
    }

    /// Where to start looking for an earlier post, when [`Self::must_check_earlier_delivery`].
    pub fn check_history_since(&self) -> Option<DateTime<Utc>> {
        match &self.previous {
            Some(PreviousClaim::LeaseExpired { claimed_at, .. }) => Some(*claimed_at),
            _ => None,
        }
    }
}

/// What a claim replaced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PreviousClaim {
    /// An attempt that proved nothing was posted and let go.
    Released { claimed_by: String, reason: String },
    /// An attempt that never finished: its post may or may not have gone out.
    LeaseExpired {
        claimed_by: String,
        claimed_at: DateTime<Utc>,
    },
}

/// The answer to [`DeliveryLedger::claim`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// This attempt owns the delivery: post, then mark or release.
    Claimed(Claim),
    /// Posted earlier; do not post again.
    AlreadyDelivered {
        message_ts: Option<String>,
        delivered_at: DateTime<Utc>,
    },
    /// Another attempt holds the delivery until `lease_until`; try again after it.
    InFlight {
        claimed_by: String,
        claimed_at: DateTime<Utc>,
        lease_until: DateTime<Utc>,
    },
}

/// The answer to [`DeliveryLedger::mark_delivered`] and [`DeliveryLedger::release`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Settled {
    /// The entry now says what this attempt did.
    Recorded,
    /// The claim expired and another attempt took it over before we wrote: if we posted, the
    /// other attempt may post too. Log it; nothing more can be done here.
    ClaimLost { current: Option<LedgerEntry> },
}

/// A stored entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEntry {
    pub key: LedgerKey,
    pub claimed_by: String,
    pub claimed_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
    pub state: EntryState,
    claim_token: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EntryState {
    Pending {
        lease_until: DateTime<Utc>,
    },
    Delivered {
        delivered_at: DateTime<Utc>,
        message_ts: Option<String>,
    },
    Released {
        released_at: DateTime<Utc>,
        reason: String,
    },
}

/// The ledger table.
#[derive(Debug, Clone)]
pub struct DeliveryLedger {
    dynamodb: aws_sdk_dynamodb::Client,
    table: String,
    policy: LedgerPolicy,
}

impl DeliveryLedger {
    pub fn new(dynamodb: aws_sdk_dynamodb::Client, table: impl Into<String>) -> Self {
        Self {
            dynamodb,
            table: table.into(),
            policy: LedgerPolicy::default(),
        }
    }

    pub fn with_policy(mut self, policy: LedgerPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// Tries to take the delivery for `owner` (an execution ID plus attempt, for the logs).
    pub async fn claim(
        &self,
        key: &LedgerKey,
        owner: &str,
        now: DateTime<Utc>,
    ) -> Result<ClaimOutcome> {
        let token = claim_token();
        for _ in 0..CLAIM_ROUNDS {
            let put = self
                .dynamodb
                .put_item()
                .table_name(&self.table)
                .item(attr::PK, s(key.as_str()))
                .item(attr::STATUS, s(PENDING))
                .item(attr::CLAIMED_BY, s(owner))
                .item(attr::CLAIM_TOKEN, s(&token))
                .item(attr::CLAIMED_AT, n(now))
                .item(attr::LEASE_UNTIL, n(now + self.policy.lease))
                .item(attr::EXPIRES_AT, n(now + self.policy.retention))
                .condition_expression(
                    "attribute_not_exists(#pk) OR #status = :released \
                     OR (#status = :pending AND #lease_until < :now)",
                )
                .expression_attribute_names("#pk", attr::PK)
                .expression_attribute_names("#status", attr::STATUS)
                .expression_attribute_names("#lease_until", attr::LEASE_UNTIL)
                .expression_attribute_values(":released", s(RELEASED))
                .expression_attribute_values(":pending", s(PENDING))
                .expression_attribute_values(":now", n(now))
                .return_values(ReturnValue::AllOld)
                .return_values_on_condition_check_failure(
                    ReturnValuesOnConditionCheckFailure::AllOld,
                )
                .send()
                .await;
            let blocker = match put {
                Ok(output) => {
                    let previous = output.attributes().and_then(|old| {
                        match self.parse_entry(key, old) {
                            Ok(entry) => previous_claim(&entry),
                            // The claim is ours already: failing now would strand it for a
                            // lease. The condition says the unreadable entry was released or
                            // abandoned; assume the worst (abandoned at any time in the
                            // retention window) so the caller checks for an earlier post.
                            Err(err) => {
                                tracing::warn!(key = %key, error = %err, "replaced an unreadable ledger entry");
                                Some(PreviousClaim::LeaseExpired {
                                    claimed_by: "unknown (unreadable entry)".into(),
                                    claimed_at: now - self.policy.retention,
                                })
                            }
                        }
                    });
                    return Ok(ClaimOutcome::Claimed(Claim {
                        key: key.clone(),
                        owner: owner.to_owned(),
                        claimed_at: now,
                        previous,
                        token,
                    }));
                }
                Err(err) => match err.as_service_error() {
                    Some(PutItemError::ConditionalCheckFailedException(failed)) => {
                        match failed.item() {
                            Some(item) => Some(self.parse_entry(key, item)?),
                            // Emulators may not return the old item: read it.
                            None => self.get(key).await?,
                        }
                    }
                    _ => return Err(self.table_error(PUT_ITEM, err)),
                },
            };
            let Some(blocker) = blocker else {
                // Gone between our write and our read (TTL): claim again.
                continue;
            };
            if blocker.claim_token == token {
                // Our own write landed and its response was lost; the SDK's retry then failed
                // the condition against it.
                return Ok(ClaimOutcome::Claimed(Claim {
                    key: key.clone(),
                    owner: owner.to_owned(),
                    claimed_at: now,
                    previous: None,
                    token,
                }));
            }
            match blocker.state {
                EntryState::Delivered {
                    delivered_at,
                    message_ts,
                } => {
                    return Ok(ClaimOutcome::AlreadyDelivered {
                        message_ts,
                        delivered_at,
                    })
                }
                EntryState::Pending { lease_until } if lease_until >= now => {
                    return Ok(ClaimOutcome::InFlight {
                        claimed_by: blocker.claimed_by,
                        claimed_at: blocker.claimed_at,
                        lease_until,
                    })
                }
                // Released or expired since our write was judged: claim again.
                _ => continue,
            }
        }
        match self.get(key).await? {
            Some(LedgerEntry {
                claimed_by,
                claimed_at,
                state: EntryState::Pending { lease_until },
                ..
            }) => Ok(ClaimOutcome::InFlight {
                claimed_by,
                claimed_at,
                lease_until,
            }),
            _ => Err(Error::Transient {
                operation: PUT_ITEM,
                message: format!("the ledger entry {key} kept changing while claiming it"),
            }),
        }
    }

    /// Records that the claimed message was posted as Slack message `message_ts`.
    pub async fn mark_delivered(
        &self,
        claim: &Claim,
        message_ts: &str,
        now: DateTime<Utc>,
    ) -> Result<Settled> {
        let update = self
            .dynamodb
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, s(claim.key.as_str()))
            .update_expression(
                "SET #status = :delivered, #delivered_at = :now, #message_ts = :ts, \
                 #expires_at = :expires REMOVE #lease_until",
            )
            .condition_expression("#claim_token = :token AND #status = :pending")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#delivered_at", attr::DELIVERED_AT)
            .expression_attribute_names("#message_ts", attr::MESSAGE_TS)
            .expression_attribute_names("#expires_at", attr::EXPIRES_AT)
            .expression_attribute_names("#lease_until", attr::LEASE_UNTIL)
            .expression_attribute_names("#claim_token", attr::CLAIM_TOKEN)
            .expression_attribute_values(":delivered", s(DELIVERED))
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":ts", s(message_ts))
            .expression_attribute_values(":expires", n(now + self.policy.retention))
            .expression_attribute_values(":token", s(&claim.token))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        self.settled(claim, update, |state| {
            matches!(state, EntryState::Delivered { .. })
        })
        .await
    }

    /// Lets go of a claim whose message was certainly not posted, so the next attempt can
    /// claim at once. `reason` is kept on the entry for operators.
    pub async fn release(
        &self,
        claim: &Claim,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Settled> {
        let update = self
            .dynamodb
            .update_item()
            .table_name(&self.table)
            .key(attr::PK, s(claim.key.as_str()))
            .update_expression(
                "SET #status = :released, #released_at = :now, #release_reason = :reason \
                 REMOVE #lease_until",
            )
            .condition_expression("#claim_token = :token AND #status = :pending")
            .expression_attribute_names("#status", attr::STATUS)
            .expression_attribute_names("#released_at", attr::RELEASED_AT)
            .expression_attribute_names("#release_reason", attr::RELEASE_REASON)
            .expression_attribute_names("#lease_until", attr::LEASE_UNTIL)
            .expression_attribute_names("#claim_token", attr::CLAIM_TOKEN)
            .expression_attribute_values(":released", s(RELEASED))
            .expression_attribute_values(":pending", s(PENDING))
            .expression_attribute_values(":now", n(now))
            .expression_attribute_values(":reason", s(reason))
            .expression_attribute_values(":token", s(&claim.token))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        self.settled(claim, update, |state| {
            matches!(state, EntryState::Released { .. })
        })
        .await
    }

    /// The entry for `key` (strongly consistent read).
    pub async fn get(&self, key: &LedgerKey) -> Result<Option<LedgerEntry>> {
        let output = self
            .dynamodb
            .get_item()
            .table_name(&self.table)
            .key(attr::PK, s(key.as_str()))
            .consistent_read(true)
            .send()
            .await
            .map_err(|err| self.table_error::<GetItemError>(GET_ITEM, err))?;
        output
            .item()
            .map(|item| self.parse_entry(key, item))
            .transpose()
    }

    async fn settled(
        &self,
        claim: &Claim,
        update: std::result::Result<
            aws_sdk_dynamodb::operation::update_item::UpdateItemOutput,
            aws_sdk_dynamodb::error::SdkError<UpdateItemError>,
        >,
        already_in_target_state: impl Fn(&EntryState) -> bool,
    ) -> Result<Settled> {
        let err = match update {
            Ok(_) => return Ok(Settled::Recorded),
            Err(err) => err,
        };
        let current = match err.as_service_error() {
            Some(UpdateItemError::ConditionalCheckFailedException(failed)) => match failed.item() {
                Some(item) => Some(self.parse_entry(&claim.key, item)?),
                None => self.get(&claim.key).await?,
            },
            _ => return Err(self.table_error(UPDATE_ITEM, err)),
        };
        match current {
            // Our own earlier attempt of this same write landed (its response was lost).
            Some(entry)
                if entry.claim_token == claim.token && already_in_target_state(&entry.state) =>
            {
                Ok(Settled::Recorded)
            }
            current => {
                tracing::warn!(key = %claim.key, owner = %claim.owner, "ledger claim lost before it was settled");
                Ok(Settled::ClaimLost { current })
            }
        }
    }

    fn table_error<E>(
        &self,
        operation: AwsOperation,
        err: aws_sdk_dynamodb::error::SdkError<E>,
    ) -> Error
    where
        E: aws_sdk_dynamodb::error::ProvideErrorMetadata
            + std::error::Error
            + Send
            + Sync
            + 'static,
    {
        if err.code() == Some("ResourceNotFoundException") {
            return Error::InvalidConfig {
                what: format!("delivery ledger table {}", self.table),
                problem: "it does not exist".into(),
                fix: "set the function's table name to the hub module's deliveries table, or \
                      apply the module"
                    .into(),
            };
        }
        Error::from_sdk(operation, err)
    }

    fn parse_entry(
        &self,
        key: &LedgerKey,
        item: &HashMap<String, AttributeValue>,
    ) -> Result<LedgerEntry> {
        let corrupt = |problem: String| Error::CorruptData {
            what: format!("ledger entry {key} in table {}", self.table),
            problem,
        };
        let text = |name: &str| -> Result<String> {
            match item.get(name) {
                Some(AttributeValue::S(value)) => Ok(value.clone()),
                _ => Err(corrupt(format!(
                    "attribute {name} is missing or not a string"
                ))),
            }
        };
        let time = |name: &str| -> Result<DateTime<Utc>> {
            match item.get(name) {
                Some(AttributeValue::N(value)) => value
                    .parse::<i64>()
                    .ok()
                    .and_then(|secs| DateTime::from_timestamp(secs, 0))
                    .ok_or_else(|| {
                        corrupt(format!("attribute {name} = {value} is not epoch seconds"))
                    }),
                _ => Err(corrupt(format!(
                    "attribute {name} is missing or not a number"
                ))),
            }
        };
        let status = text(attr::STATUS)?;
        let state = match status.as_str() {
            PENDING => EntryState::Pending {
                lease_until: time(attr::LEASE_UNTIL)?,
            },
            DELIVERED => EntryState::Delivered {
                delivered_at: time(attr::DELIVERED_AT)?,
                message_ts: text(attr::MESSAGE_TS).ok(),
            },
            RELEASED => EntryState::Released {
                released_at: time(attr::RELEASED_AT)?,
                reason: text(attr::RELEASE_REASON).unwrap_or_default(),
            },
            other => return Err(corrupt(format!("unknown status {other:?}"))),
        };
        Ok(LedgerEntry {
            key: key.clone(),
            claimed_by: text(attr::CLAIMED_BY)?,
            claimed_at: time(attr::CLAIMED_AT)?,
            expires_at: time(attr::EXPIRES_AT)?,
            state,
            claim_token: text(attr::CLAIM_TOKEN).unwrap_or_default(),
        })
    }
}

fn previous_claim(entry: &LedgerEntry) -> Option<PreviousClaim> {
    match &entry.state {
        EntryState::Released { reason, .. } => Some(PreviousClaim::Released {
            claimed_by: entry.claimed_by.clone(),
            reason: reason.clone(),
        }),
        EntryState::Pending { .. } => Some(PreviousClaim::LeaseExpired {
            claimed_by: entry.claimed_by.clone(),
            claimed_at: entry.claimed_at,
        }),
        // The condition never lets a claim replace a delivered entry.
        EntryState::Delivered { .. } => None,
    }
}

/// A token unique to one claim call: the process-random keys of std's hasher, fed the clock.
fn claim_token() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        orgpulse_config::clock::system_now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos(),
    );
    format!("{:016x}", hasher.finish())
}

fn s(value: &str) -> AttributeValue {
    AttributeValue::S(value.to_owned())
}

fn n(time: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(time.timestamp().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_has_the_documented_shape() {
        let key = LedgerKey::for_account(
            &AccountId::parse("012345678901").unwrap(),
            "cost-daily",
            NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            &ChannelId("C0123ABCD".into()),
        );
        assert_eq!(key.as_str(), "012345678901#cost-daily#2026-11-27#C0123ABCD");
    }

    #[test]
    fn claim_tokens_differ_per_call() {
        let tokens: std::collections::BTreeSet<String> = (0..100).map(|_| claim_token()).collect();
        assert_eq!(tokens.len(), 100);
    }
}
