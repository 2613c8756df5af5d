//! The run store and object helpers against mocked S3 answers.

use std::sync::{Arc, Mutex};

use aws_sdk_s3::operation::get_object::{GetObjectError, GetObjectOutput};
use aws_sdk_s3::operation::put_object::PutObjectOutput;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::error::NoSuchKey;
use aws_sdk_s3::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use chrono::NaiveDate;
use orgpulse_config::AccountId;
use orgpulse_pipeline::store::{
    KnownAccounts, ObjectStore, RunId, RunStore, StateStore, KNOWN_ACCOUNTS_KEY,
};
use orgpulse_pipeline::Error;
use pretty_assertions::assert_eq;
use serde::{Deserialize, Serialize};

const BUCKET: &str = "orgpulse-hub";

fn client(rules: &[Rule]) -> Client {
    mock_client!(aws_sdk_s3, RuleMode::MatchAny, rules)
}

fn object(bucket: &'static str, key: &'static str, body: &'static [u8]) -> Rule {
    mock!(Client::get_object)
        .match_requests(move |req| req.bucket() == Some(bucket) && req.key() == Some(key))
        .then_output(move || {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(body))
                .build()
        })
}

fn no_such_key() -> Rule {
    mock!(Client::get_object).then_error(|| GetObjectError::NoSuchKey(NoSuchKey::builder().build()))
}

/// One captured PutObject: key, content type, body.
type Put = (String, String, Vec<u8>);

/// Captures every PutObject.
#[derive(Clone, Default)]
struct Puts(Arc<Mutex<Vec<Put>>>);

impl Puts {
    fn rule(&self) -> Rule {
        let puts = self.clone();
        mock!(Client::put_object)
            .match_requests(move |req| {
                let body = req.body().bytes().unwrap_or_default().to_vec();
                puts.0.lock().unwrap().push((
                    req.key().unwrap().to_owned(),
                    req.content_type().unwrap_or_default().to_owned(),
                    body,
                ));
                req.bucket() == Some(BUCKET)
            })
            .then_output(|| PutObjectOutput::builder().build())
    }
    fn all(&self) -> Vec<Put> {
        self.0.lock().unwrap().clone()
    }
}

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Item {
    account: String,
}

fn id(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

#[tokio::test]
async fn get_bytes_returns_the_object() {
    let rules = [object(
        BUCKET,
        "config/orgpulse.json",
        b"[{\"AccountId\": \"1\"}]",
    )];
    let bytes = ObjectStore::new(client(&rules))
        .get_bytes(BUCKET, "config/orgpulse.json")
        .await
        .unwrap();
    assert_eq!(bytes, b"[{\"AccountId\": \"1\"}]");
}

#[tokio::test]
async fn a_missing_key_is_not_found_with_a_fix() {
    let rules = [no_such_key()];
    let error = ObjectStore::new(client(&rules))
        .get_bytes(BUCKET, "config/orgpulse.json")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::NotFound { .. }), "{error:?}");
    assert_eq!(error.error_type(), "InvalidConfig");
    let text = error.to_string();
    assert!(
        text.contains("s3://orgpulse-hub/config/orgpulse.json does not exist"),
        "{text}"
    );
    assert!(text.contains("Fix:"), "{text}");
}

#[tokio::test]
async fn a_forbidden_object_mentions_that_it_may_be_missing() {
    let rules = [mock!(Client::get_object)
        .sequence()
        .http_status(
            403,
            Some("<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>".into()),
        )
        .build()];
    let error = ObjectStore::new(client(&rules))
        .get_bytes(BUCKET, "config/orgpulse.json")
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    let text = error.to_string();
    assert!(text.contains("may be missing"), "{text}");
    assert!(
        text.contains("s3://orgpulse-hub/config/orgpulse.json"),
        "{text}"
    );
}

#[tokio::test]
async fn a_missing_bucket_is_a_configuration_error() {
    let rules = [mock!(Client::get_object).sequence().http_status(
        404,
        Some("<Error><Code>NoSuchBucket</Code><Message>The specified bucket does not exist</Message></Error>".into()),
    ).build()];
    let error = ObjectStore::new(client(&rules))
        .get_bytes("nope", "k")
        .await
        .unwrap_err();
    assert!(matches!(error, Error::InvalidConfig { .. }), "{error:?}");
    assert!(error.to_string().contains("bucket nope"), "{error}");
}

#[tokio::test(start_paused = true)]
async fn server_errors_are_retried() {
    let rules = [mock!(Client::get_object)
        .sequence()
        .http_status(
            503,
            Some(
                "<Error><Code>SlowDown</Code><Message>Reduce your request rate.</Message></Error>"
                    .into(),
            ),
        )
        .http_status(500, None)
        .output(|| {
            GetObjectOutput::builder()
                .body(ByteStream::from_static(b"ok"))
                .build()
        })
        .build()];
    let client = mock_client!(aws_sdk_s3, RuleMode::MatchAny, &rules, |c| c.retry_config(
        orgpulse_pipeline::aws::retry_config(orgpulse_pipeline::aws::MAX_ATTEMPTS)
    ));
    let bytes = ObjectStore::new(client)
        .get_bytes(BUCKET, "k")
        .await
        .unwrap();
    assert_eq!(bytes, b"ok");
    assert_eq!(rules[0].num_calls(), 3);
}

#[tokio::test]
async fn run_files_go_where_the_state_machine_and_summary_read_them() {
    let puts = Puts::default();
    let rules = [puts.rule()];
    let run = RunStore::new(client(&rules), BUCKET, RunId::new("exec-42").unwrap());

    let key = run
        .put_items(&[
            Item {
                account: "012345678901".into(),
            },
            Item {
                account: "000000000002".into(),
            },
        ])
        .await
        .unwrap();
    assert_eq!(key, "runs/exec-42/items.json");
    run.put_org_costs(&serde_json::json!({"total": "12.34"}))
        .await
        .unwrap();
    run.put_result(&id("012345678901"), &serde_json::json!({"sent": 2}))
        .await
        .unwrap();

    let written = puts.all();
    let keys: Vec<&str> = written.iter().map(|(k, _, _)| k.as_str()).collect();
    assert_eq!(
        keys,
        vec![
            "runs/exec-42/items.json",
            "runs/exec-42/org-costs.json",
            "runs/exec-42/results/012345678901.json"
        ]
    );
    assert!(written
        .iter()
        .all(|(_, content_type, _)| content_type == "application/json"));
    // The ItemReader reads a JSON array.
    let items: serde_json::Value = serde_json::from_slice(&written[0].2).unwrap();
    assert_eq!(
        items,
        serde_json::json!([{"account": "012345678901"}, {"account": "000000000002"}])
    );
}

#[tokio::test]
async fn a_missing_result_is_none_and_a_present_one_is_parsed() {
    let rules = [
        object(
            BUCKET,
            "runs/r/results/012345678901.json",
            b"{\"account\": \"012345678901\"}",
        ),
        no_such_key(),
    ];
    let run = RunStore::new(client(&rules), BUCKET, RunId::new("r").unwrap());
    let found: Option<Item> = run.get_result(&id("012345678901")).await.unwrap();
    assert_eq!(
        found,
        Some(Item {
            account: "012345678901".into()
        })
    );
    let missing: Option<Item> = run.get_result(&id("000000000002")).await.unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn unreadable_run_files_are_corrupt_data() {
    let rules = [object(BUCKET, "runs/r/items.json", b"{not json")];
    let run = RunStore::new(client(&rules), BUCKET, RunId::new("r").unwrap());
    let error = run.get_items::<Item>().await.unwrap_err();
    assert_eq!(error.error_type(), "Permanent");
    assert!(
        error
            .to_string()
            .contains("s3://orgpulse-hub/runs/r/items.json"),
        "{error}"
    );
}

#[tokio::test]
async fn known_accounts_load_diff_and_save() {
    // Nothing recorded yet: a baseline.
    let rules = [no_such_key()];
    let state = StateStore::new(client(&rules), BUCKET);
    let previous = state.load_known_accounts().await.unwrap();
    assert_eq!(previous, None);
    assert!(KnownAccounts::changes(previous.as_ref(), &[id("000000000001")]).baseline);

    // A recorded file: one new account.
    let day = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let mut recorded = KnownAccounts::default();
    recorded.record(&[id("000000000001")], day);
    let body: &'static [u8] = Box::leak(serde_json::to_vec(&recorded).unwrap().into_boxed_slice());
    let puts = Puts::default();
    let rules = [object(BUCKET, KNOWN_ACCOUNTS_KEY, body), puts.rule()];
    let state = StateStore::new(client(&rules), BUCKET);
    let mut known = state.load_known_accounts().await.unwrap().unwrap();
    let now = [id("000000000001"), id("000000000002")];
    let changes = KnownAccounts::changes(Some(&known), &now);
    assert_eq!(changes.onboarded, vec![id("000000000002")]);
    known.record(&now, day.succ_opt().unwrap());
    state.save_known_accounts(&known).await.unwrap();

    let written = puts.all();
    assert_eq!(written[0].0, "state/known-accounts.json");
    let saved: KnownAccounts = serde_json::from_slice(&written[0].2).unwrap();
    assert_eq!(saved, known);
}
