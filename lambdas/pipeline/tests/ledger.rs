//! The delivery ledger against mocked DynamoDB answers: every branch of claim, mark and
//! release, including conditional-check failures and the fallbacks.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use aws_sdk_dynamodb::operation::get_item::GetItemOutput;
use aws_sdk_dynamodb::operation::put_item::{PutItemError, PutItemInput, PutItemOutput};
use aws_sdk_dynamodb::operation::update_item::{
    UpdateItemError, UpdateItemInput, UpdateItemOutput,
};
use aws_sdk_dynamodb::types::error::ConditionalCheckFailedException;
use aws_sdk_dynamodb::types::AttributeValue;
use aws_sdk_dynamodb::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use orgpulse_config::{AccountId, ChannelId};
use orgpulse_pipeline::aws::{retry_config, MAX_ATTEMPTS};
use orgpulse_pipeline::ledger::{
    ClaimOutcome, DeliveryLedger, EntryState, LedgerKey, PreviousClaim, Settled,
};
use pretty_assertions::assert_eq;

const TABLE: &str = "orgpulse-deliveries";

fn key() -> LedgerKey {
    LedgerKey::for_account(
        &AccountId::parse("012345678901").unwrap(),
        "cost-daily",
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        &ChannelId("C0123ABCD".into()),
    )
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 0, 5, 0).unwrap()
}

fn secs(t: DateTime<Utc>) -> AttributeValue {
    AttributeValue::N(t.timestamp().to_string())
}

fn s(v: &str) -> AttributeValue {
    AttributeValue::S(v.into())
}

/// A stored entry as DynamoDB would return it.
fn entry(
    status: &str,
    owner: &str,
    token: &str,
    claimed_at: DateTime<Utc>,
) -> HashMap<String, AttributeValue> {
    let mut item = HashMap::from([
        ("pk".to_owned(), s(key().as_str())),
        ("status".to_owned(), s(status)),
        ("claimed_by".to_owned(), s(owner)),
        ("claim_token".to_owned(), s(token)),
        ("claimed_at".to_owned(), secs(claimed_at)),
        (
            "expires_at".to_owned(),
            secs(claimed_at + Duration::days(40)),
        ),
    ]);
    match status {
        "pending" => {
            item.insert(
                "lease_until".into(),
                secs(claimed_at + Duration::minutes(15)),
            );
        }
        "delivered" => {
            item.insert(
                "delivered_at".into(),
                secs(claimed_at + Duration::seconds(2)),
            );
            item.insert("message_ts".into(), s("1764288302.000100"));
        }
        "released" => {
            item.insert(
                "released_at".into(),
                secs(claimed_at + Duration::seconds(2)),
            );
            item.insert("release_reason".into(), s("channel_not_found"));
        }
        _ => unreachable!(),
    }
    item
}

fn condition_failed_put(item: Option<HashMap<String, AttributeValue>>) -> Rule {
    mock!(Client::put_item).then_error(move || {
        PutItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .message("The conditional request failed")
                .set_item(item.clone())
                .build(),
        )
    })
}

fn ledger(rules: &[Rule]) -> DeliveryLedger {
    let client = mock_client!(aws_sdk_dynamodb, RuleMode::Sequential, rules, |c| c
        .retry_config(retry_config(MAX_ATTEMPTS)));
    DeliveryLedger::new(client, TABLE)
}

/// Records the claim token a PutItem carried, so later updates can be checked against it.
#[derive(Clone, Default)]
struct Token(Arc<Mutex<Option<String>>>);

impl Token {
    fn capture_put(&self, req: &PutItemInput) -> bool {
        let token = req.item().unwrap()["claim_token"].as_s().unwrap().clone();
        *self.0.lock().unwrap() = Some(token);
        true
    }
    fn get(&self) -> String {
        self.0.lock().unwrap().clone().unwrap()
    }
}

fn value<'a>(req: &'a UpdateItemInput, name: &str) -> &'a AttributeValue {
    &req.expression_attribute_values().unwrap()[name]
}

#[tokio::test]
async fn a_new_delivery_is_claimed_with_lease_and_ttl() {
    let put = mock!(Client::put_item)
        .match_requests(|req| {
            let item = req.item().unwrap();
            let condition = req.condition_expression().unwrap();
            req.table_name() == Some(TABLE)
                && item["pk"] == s("012345678901#cost-daily#2026-11-27#C0123ABCD")
                && item["status"] == s("pending")
                && item["claimed_by"] == s("exec-1")
                && item["claimed_at"] == secs(now())
                && item["lease_until"] == secs(now() + Duration::minutes(15))
                && item["expires_at"] == secs(now() + Duration::days(40))
                && condition.contains("attribute_not_exists(#pk)")
                && condition.contains("#lease_until < :now")
                && req.expression_attribute_values().unwrap()[":now"] == secs(now())
        })
        .then_output(|| PutItemOutput::builder().build());
    let outcome = ledger(std::slice::from_ref(&put))
        .claim(&key(), "exec-1", now())
        .await
        .unwrap();
    let ClaimOutcome::Claimed(claim) = outcome else {
        panic!("expected a claim, got {outcome:?}");
    };
    assert_eq!(claim.owner, "exec-1");
    assert_eq!(claim.previous, None);
    assert!(!claim.must_check_earlier_delivery());
    assert_eq!(put.num_calls(), 1);
}

#[tokio::test]
async fn an_already_delivered_entry_is_reported_with_its_message() {
    let earlier = now() - Duration::hours(3);
    let rules = [condition_failed_put(Some(entry(
        "delivered",
        "exec-0",
        "t0",
        earlier,
    )))];
    let outcome = ledger(&rules).claim(&key(), "exec-1", now()).await.unwrap();
    assert_eq!(
        outcome,
        ClaimOutcome::AlreadyDelivered {
            message_ts: Some("1764288302.000100".into()),
            delivered_at: earlier + Duration::seconds(2),
        }
    );
}

#[tokio::test]
async fn a_claim_inside_its_lease_is_in_flight() {
    let claimed_at = now() - Duration::minutes(5);
    let rules = [condition_failed_put(Some(entry(
        "pending",
        "exec-0/attempt-1",
        "t0",
        claimed_at,
    )))];
    let outcome = ledger(&rules).claim(&key(), "exec-1", now()).await.unwrap();
    assert_eq!(
        outcome,
        ClaimOutcome::InFlight {
            claimed_by: "exec-0/attempt-1".into(),
            claimed_at,
            lease_until: claimed_at + Duration::minutes(15),
        }
    );
}

#[tokio::test]
async fn an_expired_lease_is_taken_over_and_asks_for_a_history_check() {
    let claimed_at = now() - Duration::minutes(20);
    let old = entry("pending", "exec-0", "t0", claimed_at);
    let put = mock!(Client::put_item)
        .match_requests(|req| {
            req.return_values() == Some(&aws_sdk_dynamodb::types::ReturnValue::AllOld)
        })
        .then_output(move || {
            PutItemOutput::builder()
                .set_attributes(Some(old.clone()))
                .build()
        });
    let outcome = ledger(&[put]).claim(&key(), "exec-1", now()).await.unwrap();
    let ClaimOutcome::Claimed(claim) = outcome else {
        panic!("expected a claim, got {outcome:?}");
    };
    assert_eq!(
        claim.previous,
        Some(PreviousClaim::LeaseExpired {
            claimed_by: "exec-0".into(),
            claimed_at,
        })
    );
    assert!(claim.must_check_earlier_delivery());
    assert_eq!(claim.check_history_since(), Some(claimed_at));
}

#[tokio::test]
async fn a_released_entry_is_claimed_again_without_a_history_check() {
    let old = entry("released", "exec-0", "t0", now() - Duration::minutes(1));
    let put = mock!(Client::put_item).then_output(move || {
        PutItemOutput::builder()
            .set_attributes(Some(old.clone()))
            .build()
    });
    let ClaimOutcome::Claimed(claim) = ledger(&[put]).claim(&key(), "exec-1", now()).await.unwrap()
    else {
        panic!("expected a claim");
    };
    assert_eq!(
        claim.previous,
        Some(PreviousClaim::Released {
            claimed_by: "exec-0".into(),
            reason: "channel_not_found".into(),
        })
    );
    assert!(!claim.must_check_earlier_delivery());
}

#[tokio::test]
async fn a_condition_failure_without_the_old_item_reads_it() {
    let earlier = now() - Duration::hours(1);
    let delivered = entry("delivered", "exec-0", "t0", earlier);
    let rules = [
        condition_failed_put(None),
        mock!(Client::get_item)
            .match_requests(|req| req.consistent_read() == Some(true))
            .then_output(move || {
                GetItemOutput::builder()
                    .set_item(Some(delivered.clone()))
                    .build()
            }),
    ];
    let outcome = ledger(&rules).claim(&key(), "exec-1", now()).await.unwrap();
    assert!(
        matches!(outcome, ClaimOutcome::AlreadyDelivered { .. }),
        "{outcome:?}"
    );
    assert_eq!(rules[1].num_calls(), 1);
}

#[tokio::test]
async fn an_sdk_retry_that_meets_our_own_claim_is_our_claim() {
    // The first PutItem landed but its response was lost; the retry fails the condition
    // against the entry it wrote itself.
    let token = Token::default();
    let capture = token.clone();
    let seen = token.clone();
    let rules = [mock!(Client::put_item)
        .match_requests(move |req| capture.capture_put(req))
        .then_compute_response(move |_| {
            aws_smithy_mocks::MockResponse::Error(PutItemError::ConditionalCheckFailedException(
                ConditionalCheckFailedException::builder()
                    .set_item(Some(entry("pending", "exec-1", &seen.get(), now())))
                    .build(),
            ))
        })];
    let outcome = ledger(&rules).claim(&key(), "exec-1", now()).await.unwrap();
    assert!(matches!(outcome, ClaimOutcome::Claimed(_)), "{outcome:?}");
}

#[tokio::test(start_paused = true)]
async fn throttled_claims_are_retried_then_succeed() {
    let rules = [mock!(Client::put_item)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException","message":"Rate of requests exceeds the allowed throughput."}"#.into()),
        )
        .times(2)
        .output(|| PutItemOutput::builder().build())
        .build()];
    let outcome = ledger(&rules).claim(&key(), "exec-1", now()).await.unwrap();
    assert!(matches!(outcome, ClaimOutcome::Claimed(_)));
    assert_eq!(rules[0].num_calls(), 3);
}

#[tokio::test]
async fn a_missing_table_is_a_configuration_error() {
    let rules = [mock!(Client::put_item)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"com.amazonaws.dynamodb.v20120810#ResourceNotFoundException","message":"Requested resource not found"}"#.into()),
        )
        .build()];
    let error = ledger(&rules)
        .claim(&key(), "exec-1", now())
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    assert!(error.to_string().contains(TABLE), "{error}");
}

/// Claims, then answers the update with `update`.
async fn claim_then(
    update: Rule,
) -> (
    orgpulse_pipeline::ledger::Claim,
    DeliveryLedger,
    Token,
    Rule,
) {
    let token = Token::default();
    let capture = token.clone();
    let put = mock!(Client::put_item)
        .match_requests(move |req| capture.capture_put(req))
        .then_output(|| PutItemOutput::builder().build());
    let ledger = ledger(&[put, update.clone()]);
    let ClaimOutcome::Claimed(claim) = ledger.claim(&key(), "exec-1", now()).await.unwrap() else {
        panic!("expected a claim");
    };
    (claim, ledger, token, update)
}

#[tokio::test]
async fn marking_delivered_is_conditional_on_owning_the_claim() {
    let recorded = Arc::new(Mutex::new(None::<UpdateItemInput>));
    let sink = recorded.clone();
    let update = mock!(Client::update_item)
        .match_requests(move |req| {
            *sink.lock().unwrap() = Some(req.clone());
            true
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let (claim, ledger, token, update) = claim_then(update).await;
    let settled = ledger
        .mark_delivered(&claim, "1764288302.000100", now() + Duration::seconds(2))
        .await
        .unwrap();
    assert_eq!(settled, Settled::Recorded);
    assert_eq!(update.num_calls(), 1);

    let req = recorded.lock().unwrap().clone().unwrap();
    assert_eq!(req.key().unwrap()["pk"], s(key().as_str()));
    assert_eq!(
        req.condition_expression(),
        Some("#claim_token = :token AND #status = :pending")
    );
    assert_eq!(value(&req, ":token"), &s(&token.get()));
    assert_eq!(value(&req, ":delivered"), &s("delivered"));
    assert_eq!(value(&req, ":ts"), &s("1764288302.000100"));
    assert_eq!(
        value(&req, ":expires"),
        &secs(now() + Duration::seconds(2) + Duration::days(40))
    );
}

#[tokio::test]
async fn marking_after_losing_the_claim_reports_who_holds_it() {
    let other = entry("pending", "exec-2", "t2", now() + Duration::minutes(16));
    let update = mock!(Client::update_item).then_error(move || {
        UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .set_item(Some(other.clone()))
                .build(),
        )
    });
    let (claim, ledger, _, _) = claim_then(update).await;
    let settled = ledger
        .mark_delivered(&claim, "1.2", now() + Duration::minutes(17))
        .await
        .unwrap();
    let Settled::ClaimLost {
        current: Some(current),
    } = settled
    else {
        panic!("expected a lost claim, got {settled:?}");
    };
    assert_eq!(current.claimed_by, "exec-2");
    assert!(matches!(current.state, EntryState::Pending { .. }));
}

#[tokio::test]
async fn a_retried_mark_that_meets_its_own_result_is_recorded() {
    let token = Token::default();
    let capture = token.clone();
    let seen = token.clone();
    let put = mock!(Client::put_item)
        .match_requests(move |req| capture.capture_put(req))
        .then_output(|| PutItemOutput::builder().build());
    let update = mock!(Client::update_item).then_compute_response(move |_| {
        aws_smithy_mocks::MockResponse::Error(UpdateItemError::ConditionalCheckFailedException(
            ConditionalCheckFailedException::builder()
                .set_item(Some(entry("delivered", "exec-1", &seen.get(), now())))
                .build(),
        ))
    });
    let ledger = ledger(&[put, update]);
    let ClaimOutcome::Claimed(claim) = ledger.claim(&key(), "exec-1", now()).await.unwrap() else {
        panic!("expected a claim");
    };
    assert_eq!(
        ledger.mark_delivered(&claim, "1.2", now()).await.unwrap(),
        Settled::Recorded
    );
}

#[tokio::test]
async fn release_keeps_the_reason_and_is_conditional_on_the_claim() {
    let update = mock!(Client::update_item)
        .match_requests(|req| {
            req.condition_expression() == Some("#claim_token = :token AND #status = :pending")
                && req.expression_attribute_values().unwrap()[":released"] == s("released")
                && req.expression_attribute_values().unwrap()[":reason"] == s("channel_not_found")
                && req
                    .update_expression()
                    .unwrap()
                    .contains("REMOVE #lease_until")
        })
        .then_output(|| UpdateItemOutput::builder().build());
    let (claim, ledger, _, update) = claim_then(update).await;
    assert_eq!(
        ledger
            .release(&claim, "channel_not_found", now())
            .await
            .unwrap(),
        Settled::Recorded
    );
    assert_eq!(update.num_calls(), 1);
}

#[tokio::test]
async fn get_reads_an_entry_or_nothing() {
    let delivered = entry("delivered", "exec-0", "t0", now());
    let rules = [
        mock!(Client::get_item).then_output(move || {
            GetItemOutput::builder()
                .set_item(Some(delivered.clone()))
                .build()
        }),
        mock!(Client::get_item).then_output(|| GetItemOutput::builder().build()),
    ];
    let ledger = ledger(&rules);
    let found = ledger.get(&key()).await.unwrap().unwrap();
    assert_eq!(found.key, key());
    assert_eq!(found.expires_at, now() + Duration::days(40));
    assert!(matches!(found.state, EntryState::Delivered { .. }));
    assert_eq!(ledger.get(&key()).await.unwrap(), None);
}

#[tokio::test]
async fn a_corrupt_entry_is_a_permanent_error_naming_the_key() {
    let mut item = entry("pending", "exec-0", "t0", now());
    item.insert("status".into(), s("exploded"));
    let rules = [condition_failed_put(Some(item))];
    let error = ledger(&rules)
        .claim(&key(), "exec-1", now())
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "Permanent");
    assert!(error.to_string().contains(key().as_str()), "{error}");
}

#[tokio::test]
async fn replacing_an_unreadable_entry_still_claims_and_asks_for_a_history_check() {
    let mut old = entry("pending", "exec-0", "t0", now() - Duration::minutes(20));
    old.remove("claimed_at");
    let put = mock!(Client::put_item).then_output(move || {
        PutItemOutput::builder()
            .set_attributes(Some(old.clone()))
            .build()
    });
    let ClaimOutcome::Claimed(claim) = ledger(&[put]).claim(&key(), "exec-1", now()).await.unwrap()
    else {
        panic!("the claim was written; it must be returned");
    };
    assert!(claim.must_check_earlier_delivery());
    assert_eq!(
        claim.check_history_since(),
        Some(now() - Duration::days(40))
    );
}
