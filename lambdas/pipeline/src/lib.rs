//! orgpulse's AWS plumbing: the organisation (Organizations), the run's files (S3), the
//! delivery ledger (DynamoDB), the Slack token (Secrets Manager) and member-account sessions
//! (STS). No `lambda_runtime` here: the Lambda binaries and the CLI call this library.

pub mod aws;
pub mod error;
pub mod ledger;
pub mod member;
pub mod organizations;
pub mod secrets;
pub mod store;

pub use error::{Error, Result};
