//! The run's files in S3.
//!
//! Layout of the hub bucket:
//!
//! ```text
//! runs/<run_id>/items.json             JSON array, one fan-out item per account; the
//!                                      Distributed Map's ItemReader reads it
//! runs/<run_id>/org-costs.json         the organisation-wide cost data, fetched once by the plan
//! runs/<run_id>/results/<account>.json one result per item (report step or its failure path)
//! state/known-accounts.json            accounts seen by earlier runs (onboarding detection)
//! ```
//!
//! Calls: `s3:GetObject`, `s3:PutObject`.
//!
//! A missing object is [`Error::NotFound`] only when the function may list the bucket
//! (`s3:ListBucket`); without it S3 answers a GetObject of a missing key with 403 AccessDenied,
//! which this module reports as access denied *or* missing, with both fixes.

use std::collections::BTreeMap;

use aws_sdk_s3::operation::get_object::GetObjectError;
use aws_sdk_s3::primitives::ByteStream;
use chrono::NaiveDate;
use orgpulse_config::AccountId;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use crate::error::{AwsOperation, Error, Result};

const GET_OBJECT: AwsOperation = AwsOperation::new("s3", "GetObject");
const PUT_OBJECT: AwsOperation = AwsOperation::new("s3", "PutObject");

/// Reads and writes whole objects.
#[derive(Debug, Clone)]
pub struct ObjectStore {
    s3: aws_sdk_s3::Client,
}

impl ObjectStore {
    pub fn new(s3: aws_sdk_s3::Client) -> Self {
        Self { s3 }
    }

    /// The object's bytes. A missing object or bucket is [`Error::NotFound`] /
    /// [`Error::InvalidConfig`] naming the location and the fix.
    pub async fn get_bytes(&self, bucket: &str, key: &str) -> Result<Vec<u8>> {
        let output = match self.s3.get_object().bucket(bucket).key(key).send().await {
            Ok(output) => output,
            Err(err) => return Err(get_object_error(bucket, key, err)),
        };
        let body = output
            .body
            .collect()
            .await
            .map_err(|err| Error::Transient {
                operation: GET_OBJECT,
                message: format!("reading the body of s3://{bucket}/{key} failed: {err}"),
            })?;
        Ok(body.into_bytes().to_vec())
    }

    /// The object parsed as JSON.
    pub async fn get_json<T: DeserializeOwned>(&self, bucket: &str, key: &str) -> Result<T> {
        let bytes = self.get_bytes(bucket, key).await?;
        serde_json::from_slice(&bytes).map_err(|err| Error::CorruptData {
            what: format!("s3://{bucket}/{key}"),
            problem: err.to_string(),
        })
    }

    /// Writes `bytes` with the given content type (last writer wins).
    pub async fn put_bytes(
        &self,
        bucket: &str,
        key: &str,
        bytes: Vec<u8>,
        content_type: &str,
    ) -> Result<()> {
        self.s3
            .put_object()
            .bucket(bucket)
            .key(key)
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|err| {
                let missing_bucket = err.code() == Some("NoSuchBucket");
                match Error::from_sdk(PUT_OBJECT, err) {
                    _ if missing_bucket => missing_bucket_error(bucket),
                    other => other,
                }
            })?;
        Ok(())
    }

    /// Writes `value` as JSON.
    pub async fn put_json<T: Serialize + ?Sized>(
        &self,
        bucket: &str,
        key: &str,
        value: &T,
    ) -> Result<()> {
        let bytes = serde_json::to_vec(value).map_err(|source| Error::Encode {
            what: format!("s3://{bucket}/{key}"),
            source,
        })?;
        self.put_bytes(bucket, key, bytes, "application/json").await
    }
}

fn get_object_error(
    bucket: &str,
    key: &str,
    err: aws_sdk_s3::error::SdkError<GetObjectError>,
) -> Error {
    if matches!(err.as_service_error(), Some(GetObjectError::NoSuchKey(_))) {
        return Error::NotFound {
            bucket: bucket.to_owned(),
            key: key.to_owned(),
            fix: "check the bucket and key the function is configured with, and upload the \
                  object if it should exist"
                .into(),
        };
    }
    if err.code() == Some("NoSuchBucket") {
        return missing_bucket_error(bucket);
    }
    match Error::from_sdk(GET_OBJECT, err) {
        Error::AccessDenied {
            operation, message, ..
        } => Error::AccessDenied {
            operation,
            message: format!("s3://{bucket}/{key}: {message}"),
            fix: "the object may be missing (S3 answers 403 for a missing key when the caller \
                  may not list the bucket): check that it exists; otherwise allow s3:GetObject \
                  on it for this function's role and, with SSE-KMS, kms:Decrypt on the key"
                .into(),
        },
        other => other,
    }
}

fn missing_bucket_error(bucket: &str) -> Error {
    Error::InvalidConfig {
        what: format!("bucket {bucket}"),
        problem: "it does not exist".into(),
        fix: "set the function's bucket to the one the hub module created (its output), or \
              apply the module"
            .into(),
    }
}

/// Identifies one run in the bucket: the Step Functions execution name, or the CLI's own.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RunId(String);

impl RunId {
    /// Accepts what can be one path segment of an S3 key: not empty, no `/`, not `.` or `..`,
    /// no control characters, at most 200 bytes.
    pub fn new(run_id: impl Into<String>) -> Result<Self> {
        let run_id = run_id.into();
        let problem = if run_id.is_empty() {
            Some("it is empty")
        } else if run_id.len() > 200 {
            Some("it is longer than 200 bytes")
        } else if run_id.contains('/') {
            Some("it contains '/'")
        } else if run_id == "." || run_id == ".." {
            Some("it is a relative path segment")
        } else if run_id.chars().any(char::is_control) {
            Some("it contains control characters")
        } else {
            None
        };
        match problem {
            Some(problem) => Err(Error::InvalidConfig {
                what: format!("run id {run_id:?}"),
                problem: problem.into(),
                fix: "use the execution name (letters, digits, '-' and '_')".into(),
            }),
            None => Ok(Self(run_id)),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for RunId {
    type Error = Error;
    fn try_from(value: String) -> Result<Self> {
        Self::new(value)
    }
}

impl From<RunId> for String {
    fn from(run_id: RunId) -> String {
        run_id.0
    }
}

impl std::fmt::Display for RunId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// The files of one run.
#[derive(Debug, Clone)]
pub struct RunStore {
    objects: ObjectStore,
    bucket: String,
    run_id: RunId,
}

impl RunStore {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>, run_id: RunId) -> Self {
        Self {
            objects: ObjectStore::new(s3),
            bucket: bucket.into(),
            run_id,
        }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    pub fn run_id(&self) -> &RunId {
        &self.run_id
    }

    /// `runs/<run_id>/items.json`: what the state machine's ItemReader is pointed at.
    pub fn items_key(&self) -> String {
        format!("runs/{}/items.json", self.run_id)
    }

    pub fn org_costs_key(&self) -> String {
        format!("runs/{}/org-costs.json", self.run_id)
    }

    pub fn result_key(&self, account: &AccountId) -> String {
        format!("runs/{}/results/{account}.json", self.run_id)
    }

    /// Writes the fan-out items as one JSON array; returns its key.
    pub async fn put_items<T: Serialize>(&self, items: &[T]) -> Result<String> {
        let key = self.items_key();
        self.objects.put_json(&self.bucket, &key, items).await?;
        Ok(key)
    }

    pub async fn get_items<T: DeserializeOwned>(&self) -> Result<Vec<T>> {
        self.objects.get_json(&self.bucket, &self.items_key()).await
    }

    pub async fn put_org_costs<T: Serialize>(&self, costs: &T) -> Result<()> {
        self.objects
            .put_json(&self.bucket, &self.org_costs_key(), costs)
            .await
    }

    pub async fn get_org_costs<T: DeserializeOwned>(&self) -> Result<T> {
        self.objects
            .get_json(&self.bucket, &self.org_costs_key())
            .await
    }

    /// Writes one account's result (overwrites an earlier attempt's).
    pub async fn put_result<T: Serialize>(&self, account: &AccountId, result: &T) -> Result<()> {
        self.objects
            .put_json(&self.bucket, &self.result_key(account), result)
            .await
    }

    /// One account's result, or `None` when its item wrote none (it failed before recording).
    pub async fn get_result<T: DeserializeOwned>(&self, account: &AccountId) -> Result<Option<T>> {
        match self
            .objects
            .get_json(&self.bucket, &self.result_key(account))
            .await
        {
            Ok(result) => Ok(Some(result)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }
}

/// `state/known-accounts.json`: the accounts earlier runs have seen.
pub const KNOWN_ACCOUNTS_KEY: &str = "state/known-accounts.json";

/// When each account was first and last seen. Accounts are never removed, so one that comes
/// back after a suspension is not announced as new again.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct KnownAccounts {
    /// The date of the run that last wrote the file.
    pub updated_on: Option<NaiveDate>,
    pub accounts: BTreeMap<AccountId, KnownAccount>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KnownAccount {
    pub first_seen: NaiveDate,
    pub last_seen: NaiveDate,
}

/// What changed since the last recorded run.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AccountChanges {
    /// No earlier run was recorded: every account is the starting point, none is announced.
    pub baseline: bool,
    /// Seen now, never before (sorted).
    pub onboarded: Vec<AccountId>,
    /// Seen by the last recorded run, not now: left the organisation or no longer ACTIVE
    /// (sorted). Each departure is reported once, by the first run that misses the account.
    pub departed: Vec<AccountId>,
}

impl KnownAccounts {
    /// Compares the accounts seen now with this record (`None`: nothing recorded yet).
    pub fn changes(previous: Option<&KnownAccounts>, current: &[AccountId]) -> AccountChanges {
        let Some(previous) = previous else {
            return AccountChanges {
                baseline: true,
                ..AccountChanges::default()
            };
        };
        let mut onboarded: Vec<AccountId> = current
            .iter()
            .filter(|id| !previous.accounts.contains_key(id))
            .cloned()
            .collect();
        onboarded.sort();
        onboarded.dedup();
        let current_set: std::collections::BTreeSet<&AccountId> = current.iter().collect();
        let departed = previous
            .accounts
            .iter()
            .filter(|(id, known)| {
                Some(known.last_seen) == previous.updated_on && !current_set.contains(id)
            })
            .map(|(id, _)| id.clone())
            .collect();
        AccountChanges {
            baseline: false,
            onboarded,
            departed,
        }
    }

    /// Records that `current` were seen on `today`.
    pub fn record(&mut self, current: &[AccountId], today: NaiveDate) {
        for id in current {
            self.accounts
                .entry(id.clone())
                .and_modify(|known| known.last_seen = known.last_seen.max(today))
                .or_insert(KnownAccount {
                    first_seen: today,
                    last_seen: today,
                });
        }
        self.updated_on = Some(self.updated_on.map_or(today, |d| d.max(today)));
    }
}

/// The state that outlives runs, in the same bucket.
#[derive(Debug, Clone)]
pub struct StateStore {
    objects: ObjectStore,
    bucket: String,
}

impl StateStore {
    pub fn new(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self {
            objects: ObjectStore::new(s3),
            bucket: bucket.into(),
        }
    }

    /// The record, or `None` before the first run saved one.
    pub async fn load_known_accounts(&self) -> Result<Option<KnownAccounts>> {
        match self
            .objects
            .get_json(&self.bucket, KNOWN_ACCOUNTS_KEY)
            .await
        {
            Ok(known) => Ok(Some(known)),
            Err(Error::NotFound { .. }) => Ok(None),
            Err(other) => Err(other),
        }
    }

    /// Saves the record. Call it after the onboarded accounts were announced, so a run that
    /// fails before announcing leaves them new for the next run.
    pub async fn save_known_accounts(&self, known: &KnownAccounts) -> Result<()> {
        self.objects
            .put_json(&self.bucket, KNOWN_ACCOUNTS_KEY, known)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    #[test]
    fn run_ids_must_be_one_key_segment() {
        assert!(RunId::new("exec-2026-11-28_a1").is_ok());
        for bad in ["", "a/b", "..", ".", "a\nb"] {
            let error = RunId::new(bad).unwrap_err();
            assert_eq!(error.error_type(), "InvalidConfig", "{bad:?}");
        }
    }

    #[test]
    fn keys_follow_the_documented_layout() {
        let client = aws_sdk_s3::Client::from_conf(
            aws_sdk_s3::Config::builder()
                .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
                .build(),
        );
        let run = RunStore::new(client, "bucket", RunId::new("r1").unwrap());
        assert_eq!(run.items_key(), "runs/r1/items.json");
        assert_eq!(run.org_costs_key(), "runs/r1/org-costs.json");
        assert_eq!(
            run.result_key(&id("012345678901")),
            "runs/r1/results/012345678901.json"
        );
    }

    #[test]
    fn first_run_is_a_baseline_that_announces_nobody() {
        let changes = KnownAccounts::changes(None, &[id("000000000001")]);
        assert!(changes.baseline);
        assert!(changes.onboarded.is_empty());
    }

    #[test]
    fn new_accounts_are_onboarded_once_and_departures_reported_once() {
        let mut known = KnownAccounts::default();
        known.record(&[id("000000000001"), id("000000000002")], day(1));

        let now = [id("000000000001"), id("000000000003")];
        let changes = KnownAccounts::changes(Some(&known), &now);
        assert_eq!(changes.onboarded, vec![id("000000000003")]);
        assert_eq!(changes.departed, vec![id("000000000002")]);
        known.record(&now, day(2));

        let changes = KnownAccounts::changes(Some(&known), &now);
        assert!(changes.onboarded.is_empty());
        assert!(
            changes.departed.is_empty(),
            "reported by the first run only"
        );

        // Back after a suspension: not new.
        let back = [id("000000000001"), id("000000000002"), id("000000000003")];
        assert!(KnownAccounts::changes(Some(&known), &back)
            .onboarded
            .is_empty());
        known.record(&back, day(3));
        assert_eq!(known.accounts[&id("000000000003")].first_seen, day(2));
        assert_eq!(known.accounts[&id("000000000002")].last_seen, day(3));
    }

    #[test]
    fn known_accounts_round_trip_as_json() {
        let mut known = KnownAccounts::default();
        known.record(&[id("012345678901")], day(5));
        let json = serde_json::to_string(&known).unwrap();
        assert!(json.contains("\"012345678901\""), "{json}");
        let back: KnownAccounts = serde_json::from_str(&json).unwrap();
        assert_eq!(back, known);
    }
}
