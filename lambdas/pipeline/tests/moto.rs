//! This crate against moto over real HTTP: the same SDK clients, wire protocols and condition
//! expressions as in AWS. Ignored by default (they start a moto server); run them with
//! `cargo test -p orgpulse-pipeline --test moto -- --ignored`.

mod moto_support;

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, KeySchemaElement, KeyType, ScalarAttributeType,
};
use aws_sdk_organizations::types::{OrganizationFeatureSet, Tag};
use chrono::{Duration, NaiveDate, TimeZone, Utc};
use moto_support::Moto;
use orgpulse_config::{AccountId, ChannelId};
use orgpulse_pipeline::aws::{organizations_client, s3_client};
use orgpulse_pipeline::ledger::{
    ClaimOutcome, DeliveryLedger, EntryState, LedgerKey, PreviousClaim, Settled,
};
use orgpulse_pipeline::member::{MemberRoleStatus, MemberRoles};
use orgpulse_pipeline::organizations::{OrganizationsReader, TagLookup};
use orgpulse_pipeline::secrets::SlackTokenSource;
use orgpulse_pipeline::store::{KnownAccounts, ObjectStore, RunId, RunStore, StateStore};
use orgpulse_pipeline::Error;
use pretty_assertions::assert_eq;

fn id(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

#[tokio::test]
#[ignore = "starts a moto server: cargo test -p orgpulse-pipeline --test moto -- --ignored"]
async fn organizations_walk_finds_every_account_with_its_path() {
    let moto = Moto::start();
    let config = moto.config().await;
    // Test setup speaks to moto directly: not part of the code whose calls IAM must allow.
    let admin = aws_sdk_organizations::Client::new(&config);
    admin
        .create_organization()
        .feature_set(OrganizationFeatureSet::All)
        .send()
        .await
        .unwrap();
    let root = admin.list_roots().send().await.unwrap().roots()[0]
        .id()
        .unwrap()
        .to_owned();
    let new_ou = |parent: String, name: &'static str| {
        let admin = admin.clone();
        async move {
            admin
                .create_organizational_unit()
                .parent_id(parent)
                .name(name)
                .send()
                .await
                .unwrap()
                .organizational_unit()
                .unwrap()
                .id()
                .unwrap()
                .to_owned()
        }
    };
    let prod = new_ou(root.clone(), "Prod").await;
    let payments = new_ou(prod.clone(), "Payments").await;
    let _dev = new_ou(root.clone(), "Dev").await;

    let new_account = |name: String, ou: String| {
        let admin = admin.clone();
        let root = root.clone();
        async move {
            let created = admin
                .create_account()
                .account_name(&name)
                .email(format!("{name}@example.com"))
                .send()
                .await
                .unwrap();
            let account = created
                .create_account_status()
                .unwrap()
                .account_id()
                .unwrap()
                .to_owned();
            admin
                .move_account()
                .account_id(&account)
                .source_parent_id(root)
                .destination_parent_id(ou)
                .send()
                .await
                .unwrap();
            account
        }
    };
    // More than two pages of 20 under one OU.
    let mut prod_accounts = Vec::new();
    for i in 0..45 {
        prod_accounts.push(new_account(format!("prod-{i}"), prod.clone()).await);
    }
    let payments_account = new_account("payments".into(), payments.clone()).await;
    admin
        .tag_resource()
        .resource_id(&payments_account)
        .tags(
            Tag::builder()
                .key("team")
                .value("payments")
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    admin
        .close_account()
        .account_id(&prod_accounts[3])
        .send()
        .await
        .unwrap();

    let reader = OrganizationsReader::new(organizations_client(&config));
    let listing = reader
        .list_accounts(&TagLookup::Only(BTreeSet::from([id(&payments_account)])))
        .await
        .unwrap();

    // moto's management account sits under the root.
    assert_eq!(
        listing.organization.management_account_id,
        id("123456789012")
    );
    assert_eq!(listing.accounts.len(), 1 + 44 + 1);
    let by_id: BTreeMap<&str, _> = listing
        .accounts
        .iter()
        .map(|a| (a.id.as_str(), a))
        .collect();
    let found = by_id[payments_account.as_str()];
    let path: Vec<&str> = found.ou_path.iter().map(|ou| ou.name.as_str()).collect();
    assert_eq!(path, vec!["Payments", "Prod", "Root"]);
    assert_eq!(found.ou_path[0].id.0, payments);
    assert_eq!(found.tags["team"], "payments");
    assert_eq!(found.email, "payments@example.com");
    assert!(by_id[prod_accounts[0].as_str()].tags.is_empty());
    assert_eq!(listing.skipped.len(), 1);
    assert_eq!(listing.skipped[0].id, prod_accounts[3]);
    assert_eq!(listing.skipped[0].status, "SUSPENDED");
}

#[tokio::test]
#[ignore = "starts a moto server: cargo test -p orgpulse-pipeline --test moto -- --ignored"]
async fn run_store_and_known_accounts_round_trip_through_s3() {
    let moto = Moto::start();
    let config = moto.config().await;
    let client = s3_client(&config);
    // Setup, named apart from the `s3` receiver so call-derived IAM checks never count it.
    let bucket_admin = client.clone();
    bucket_admin
        .create_bucket()
        .bucket("hub")
        .send()
        .await
        .unwrap();

    let run = RunStore::new(client.clone(), "hub", RunId::new("exec-1").unwrap());
    run.put_items(&[serde_json::json!({"account": "012345678901"})])
        .await
        .unwrap();
    let items: Vec<serde_json::Value> = run.get_items().await.unwrap();
    assert_eq!(items, vec![serde_json::json!({"account": "012345678901"})]);

    run.put_result(&id("012345678901"), &serde_json::json!({"sent": 1}))
        .await
        .unwrap();
    let result: Option<serde_json::Value> = run.get_result(&id("012345678901")).await.unwrap();
    assert_eq!(result, Some(serde_json::json!({"sent": 1})));
    let missing: Option<serde_json::Value> = run.get_result(&id("000000000002")).await.unwrap();
    assert_eq!(missing, None);

    let error = ObjectStore::new(client.clone())
        .get_bytes("hub", "config/orgpulse.json")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    let error = ObjectStore::new(client.clone())
        .get_bytes("no-such-bucket", "k")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidConfig { .. }), "{error:?}");

    let state = StateStore::new(client, "hub");
    assert_eq!(state.load_known_accounts().await.unwrap(), None);
    let mut known = KnownAccounts::default();
    known.record(
        &[id("012345678901")],
        NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
    );
    state.save_known_accounts(&known).await.unwrap();
    assert_eq!(state.load_known_accounts().await.unwrap(), Some(known));
}

async fn ledger_table(config: &aws_config::SdkConfig) -> DeliveryLedger {
    let admin = aws_sdk_dynamodb::Client::new(config);
    admin
        .create_table()
        .table_name("deliveries")
        .billing_mode(BillingMode::PayPerRequest)
        .attribute_definitions(
            AttributeDefinition::builder()
                .attribute_name("pk")
                .attribute_type(ScalarAttributeType::S)
                .build()
                .unwrap(),
        )
        .key_schema(
            KeySchemaElement::builder()
                .attribute_name("pk")
                .key_type(KeyType::Hash)
                .build()
                .unwrap(),
        )
        .send()
        .await
        .unwrap();
    DeliveryLedger::new(aws_sdk_dynamodb::Client::new(config), "deliveries")
}

fn key(channel: &str) -> LedgerKey {
    LedgerKey::for_account(
        &id("012345678901"),
        "cost-daily",
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
        &ChannelId(channel.into()),
    )
}

#[tokio::test]
#[ignore = "starts a moto server: cargo test -p orgpulse-pipeline --test moto -- --ignored"]
async fn the_ledger_delivers_once_under_real_condition_expressions() {
    let moto = Moto::start();
    let ledger = ledger_table(&moto.config().await).await;
    let t0 = Utc.with_ymd_and_hms(2026, 11, 28, 0, 5, 0).unwrap();

    // Claim, a competing attempt is told it is in flight, deliver, later attempts skip.
    let ClaimOutcome::Claimed(first) = ledger.claim(&key("C1"), "exec-1", t0).await.unwrap() else {
        panic!("the first claim must win");
    };
    let competing = ledger
        .claim(&key("C1"), "exec-2", t0 + Duration::minutes(1))
        .await
        .unwrap();
    assert!(
        matches!(&competing, ClaimOutcome::InFlight { claimed_by, .. } if claimed_by == "exec-1"),
        "{competing:?}"
    );
    assert_eq!(
        ledger
            .mark_delivered(&first, "1764288302.000100", t0 + Duration::seconds(3))
            .await
            .unwrap(),
        Settled::Recorded
    );
    assert_eq!(
        ledger
            .claim(&key("C1"), "exec-3", t0 + Duration::hours(5))
            .await
            .unwrap(),
        ClaimOutcome::AlreadyDelivered {
            message_ts: Some("1764288302.000100".into()),
            delivered_at: t0 + Duration::seconds(3),
        }
    );
    let entry = ledger.get(&key("C1")).await.unwrap().unwrap();
    assert_eq!(
        entry.expires_at,
        t0 + Duration::seconds(3) + Duration::days(40)
    );

    // A released claim is free at once.
    let ClaimOutcome::Claimed(failing) = ledger.claim(&key("C2"), "exec-1", t0).await.unwrap()
    else {
        panic!("claim C2");
    };
    assert_eq!(
        ledger.release(&failing, "ratelimited", t0).await.unwrap(),
        Settled::Recorded
    );
    let ClaimOutcome::Claimed(retry) = ledger
        .claim(&key("C2"), "exec-1-retry", t0 + Duration::seconds(10))
        .await
        .unwrap()
    else {
        panic!("a released claim must be claimable");
    };
    assert!(matches!(
        retry.previous,
        Some(PreviousClaim::Released { .. })
    ));
    assert!(!retry.must_check_earlier_delivery());

    // An abandoned claim is taken over after its lease; the old owner then learns it lost.
    let ClaimOutcome::Claimed(abandoned) = ledger.claim(&key("C3"), "exec-1", t0).await.unwrap()
    else {
        panic!("claim C3");
    };
    let late = t0 + Duration::minutes(16);
    let ClaimOutcome::Claimed(takeover) = ledger.claim(&key("C3"), "exec-2", late).await.unwrap()
    else {
        panic!("an expired lease must be claimable");
    };
    assert!(takeover.must_check_earlier_delivery());
    assert_eq!(takeover.check_history_since(), Some(t0));
    let lost = ledger
        .mark_delivered(&abandoned, "1.1", late)
        .await
        .unwrap();
    assert!(
        matches!(&lost, Settled::ClaimLost { current: Some(entry) } if entry.claimed_by == "exec-2"),
        "{lost:?}"
    );
    assert_eq!(
        ledger.mark_delivered(&takeover, "1.2", late).await.unwrap(),
        Settled::Recorded
    );
    assert!(matches!(
        ledger.get(&key("C3")).await.unwrap().unwrap().state,
        EntryState::Delivered { message_ts: Some(ts), .. } if ts == "1.2"
    ));

    // No table: a configuration error naming it.
    let moto2 = Moto::start();
    let missing = DeliveryLedger::new(
        aws_sdk_dynamodb::Client::new(&moto2.config().await),
        "deliveries",
    );
    let error = missing.claim(&key("C1"), "exec-1", t0).await.unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig", "{error}");
}

#[tokio::test]
#[ignore = "starts a moto server: cargo test -p orgpulse-pipeline --test moto -- --ignored"]
async fn the_slack_token_is_read_from_secrets_manager() {
    let moto = Moto::start();
    let config = moto.config().await;
    let admin = aws_sdk_secretsmanager::Client::new(&config);
    let arn = admin
        .create_secret()
        .name("orgpulse/slack")
        .secret_string(r#"{"bot_token": "xoxb-moto-token"}"#)
        .send()
        .await
        .unwrap()
        .arn()
        .unwrap()
        .to_owned();
    let source = SlackTokenSource::new(aws_sdk_secretsmanager::Client::new(&config), &arn);
    assert_eq!(
        source.token().await.unwrap().expose_secret(),
        "xoxb-moto-token"
    );

    let missing = SlackTokenSource::new(
        aws_sdk_secretsmanager::Client::new(&config),
        "orgpulse/nope",
    );
    let error = missing.token().await.unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig", "{error}");
    assert!(error.to_string().contains("orgpulse/nope"), "{error}");
}

#[tokio::test]
#[ignore = "starts a moto server: cargo test -p orgpulse-pipeline --test moto -- --ignored"]
async fn a_member_session_acts_in_the_member_account() {
    let moto = Moto::start();
    let config = moto.config().await;
    let roles = MemberRoles::new(
        aws_sdk_sts::Client::new(&config),
        config.clone(),
        "orgpulse-member-read-only",
        "report",
    );
    let status = roles.assume(&id("012345678901")).await.unwrap();
    let MemberRoleStatus::Available(session) = status else {
        panic!("moto lets any role be assumed; got {status:?}");
    };
    let caller = aws_sdk_sts::Client::new(&session.config)
        .get_caller_identity()
        .send()
        .await
        .unwrap();
    assert_eq!(caller.account(), Some("012345678901"));
    assert!(
        caller.arn().unwrap().contains("orgpulse-report"),
        "{caller:?}"
    );
}
