//! Where a run keeps its files: S3 in the deployed system, memory for `orgpulse run` on one
//! machine. Same layout in both, so the steps cannot tell them apart.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use orgpulse_pipeline::store::ObjectStore;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::{Error, Result};

#[derive(Debug, Clone)]
pub enum RunFiles {
    S3 {
        objects: ObjectStore,
        bucket: String,
    },
    Memory(Arc<Mutex<BTreeMap<String, Vec<u8>>>>),
}

impl RunFiles {
    pub fn s3(s3: aws_sdk_s3::Client, bucket: impl Into<String>) -> Self {
        Self::S3 {
            objects: ObjectStore::new(s3),
            bucket: bucket.into(),
        }
    }

    pub fn memory() -> Self {
        Self::Memory(Arc::default())
    }

    /// The bucket name the state machine's `ItemReader` reads from (empty in memory).
    pub fn bucket(&self) -> &str {
        match self {
            Self::S3 { bucket, .. } => bucket,
            Self::Memory(_) => "",
        }
    }

    /// `None` when the object does not exist.
    pub async fn get_bytes(&self, key: &str) -> Result<Option<Vec<u8>>> {
        match self {
            Self::S3 { objects, bucket } => match objects.get_bytes(bucket, key).await {
                Ok(bytes) => Ok(Some(bytes)),
                Err(orgpulse_pipeline::Error::NotFound { .. }) => Ok(None),
                Err(err) => Err(err.into()),
            },
            Self::Memory(map) => Ok(map.lock().expect("not poisoned").get(key).cloned()),
        }
    }

    pub async fn get_json<T: DeserializeOwned>(&self, key: &str) -> Result<Option<T>> {
        let Some(bytes) = self.get_bytes(key).await? else {
            return Ok(None);
        };
        serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|err| Error::CorruptFile {
                key: key.to_owned(),
                problem: err.to_string(),
            })
    }

    pub async fn put_json<T: Serialize + ?Sized>(&self, key: &str, value: &T) -> Result<()> {
        let bytes = serde_json::to_vec(value).expect("run files are plain data");
        match self {
            Self::S3 { objects, bucket } => Ok(objects
                .put_bytes(bucket, key, bytes, "application/json")
                .await?),
            Self::Memory(map) => {
                map.lock()
                    .expect("not poisoned")
                    .insert(key.to_owned(), bytes);
                Ok(())
            }
        }
    }
}

/// The layout of a run's files, relative to the bucket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunLayout {
    pub run_id: String,
}

impl RunLayout {
    pub fn items(&self) -> String {
        format!("runs/{}/items.json", self.run_id)
    }
    pub fn plan(&self) -> String {
        format!("runs/{}/plan.json", self.run_id)
    }
    pub fn costs(&self, account: &orgpulse_config::AccountId) -> String {
        format!("runs/{}/costs/{account}.json", self.run_id)
    }
    pub fn result(&self, account: &orgpulse_config::AccountId) -> String {
        format!("runs/{}/results/{account}.json", self.run_id)
    }
    pub fn summary(&self) -> String {
        format!("runs/{}/summary.json", self.run_id)
    }
}

/// Accounts seen by earlier runs, to announce the ones seen for the first time.
pub const KNOWN_ACCOUNTS_KEY: &str = orgpulse_pipeline::store::KNOWN_ACCOUNTS_KEY;
