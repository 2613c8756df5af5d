//! orgpulse's run, step by step — the code the Lambda functions and `orgpulse run` share:
//!
//! 1. [`plan::Planner`]: configuration, organization and today's date → one [`messages::WorkItem`]
//!    per account with a report due, and the organization-wide cost data, fetched once.
//! 2. [`report::Reporter`]: one item → its notifications (the [`kinds`]: cost reports, …),
//!    delivered to each channel exactly once ([`deliveries::Outbox`]).
//! 3. [`summarize::Summarizer`]: every result → one message to the operators.
//!
//! No `lambda_runtime` here.

pub mod channels;
pub mod config_source;
pub mod deliveries;
pub mod env;
pub mod error;
pub mod files;
pub mod kinds;
pub mod local;
pub mod messages;
pub mod plan;
pub mod report;
pub mod run_failure;
pub mod stack_set;
pub mod summarize;
pub mod summary_message;
#[cfg(test)]
mod test_support;

pub use error::{Error, Result};
