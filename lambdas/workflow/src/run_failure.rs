//! A run that failed before its summary: the state machine catches a failed Plan and invokes
//! the summarize function with the error (`{"run_failure": {...}}`), which posts one short
//! "run failed: cause, fix" message to the operators' channel, so a run never ends in silence
//! while Slack works. (When Slack itself is what is broken, the execution still fails and the
//! hub's alarm reaches the e-mail addresses subscribed to its topic.)

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use orgpulse_config::ChannelId;
use orgpulse_pipeline::ledger::LedgerKey;
use orgpulse_slack::mrkdwn::{escape, truncate};
use orgpulse_slack::PostMessage;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use slack_morphism::prelude::*;

use crate::error::{Error, Result};
use crate::messages::{DeliveryStatus, PlanOutput};
use crate::summarize::{Summarizer, SummaryDelivery};

/// `metadata.event_type` of the failure message (the `orgpulse_` prefix lets a lost answer be
/// found in the channel's history like any other delivery).
pub const RUN_FAILED_EVENT_TYPE: &str = "orgpulse_run_failed";

/// What the summarize function receives: a finished plan (the usual summary) or the failure
/// of a step before the fan-out.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(untagged)]
pub enum SummarizeEvent {
    RunFailure { run_failure: RunFailure },
    Plan(PlanOutput),
}

/// A step's failure as the state machine's `Catch` saw it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RunFailure {
    /// The state that failed (`Plan`).
    pub step: String,
    /// The `Catch` result as a whole (`{"Error": …, "Cause": …}`): passed as one object, so a
    /// failure without a `Cause` cannot break the state that reports it.
    pub caught: Caught,
    pub execution_id: Option<String>,
    pub execution_name: Option<String>,
    pub started_at: Option<DateTime<Utc>>,
}

/// What a Step Functions `Catch` puts at its `ResultPath`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, Serialize)]
pub struct Caught {
    /// The function's `errorType` (`InvalidConfig`, …), or the service's own
    /// (`Lambda.Unknown`, `States.Timeout`, `Runtime.InvalidEntrypoint`, …).
    #[serde(rename = "Error", default)]
    pub error: String,
    /// For a function error, the JSON of its `errorType` and `errorMessage`.
    #[serde(rename = "Cause", default)]
    pub cause: Option<String>,
}

/// What the function answers for a failure report.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct RunFailureOutput {
    pub step: String,
    pub error: String,
    pub summary: SummaryDelivery,
}

impl RunFailure {
    /// The failure's own words: a function's `errorMessage`, else the cause as given.
    pub fn message(&self) -> String {
        let cause = self.caught.cause.as_deref().unwrap_or("").trim();
        let message = serde_json::from_str::<Value>(cause)
            .ok()
            .and_then(|value| {
                value
                    .get("errorMessage")
                    .and_then(Value::as_str)
                    .map(str::to_owned)
            })
            .unwrap_or_else(|| cause.to_owned());
        if message.is_empty() {
            "no cause given".into()
        } else {
            message
        }
    }

    /// (what went wrong, what to do). orgpulse's own errors end in "Fix: …"; failures of the
    /// platform get the fix for their error name.
    pub fn explain(&self) -> (String, String) {
        let message = self.message();
        if let Some((cause, fix)) = message.split_once(". Fix: ") {
            return (cause.to_owned(), fix.trim_end_matches('.').to_owned());
        }
        let lower = message.to_lowercase();
        let error = self.caught.error.as_str();
        let fix = if error.starts_with("Runtime.")
            || lower.contains("exec format error")
            || error == "Lambda.Unknown"
        {
            "the function cannot start: its zip must be built for the function's architecture \
             (set lambda_architecture to what scripts/build-lambdas built, see \
             build/lambda/manifest.json, and apply again), then run `orgpulse doctor`"
                .to_owned()
        } else if error == "States.Timeout" || lower.contains("task timed out") {
            "the step ran out of time: raise lambda_timeout_seconds.plan (and \
             lambda_memory_size.plan) in the hub module and apply again"
                .to_owned()
        } else if lower.contains("accessdenied") || lower.contains("not authorized") {
            "a permission is missing: apply the hub module again (it grants what the code \
             calls), check service control policies on the hub's account and region, then \
             run `orgpulse doctor`"
                .to_owned()
        } else {
            "run `orgpulse doctor` with the hub's credentials, and open the execution in the \
             Step Functions console for the full error"
                .to_owned()
        };
        (message, fix)
    }
}

/// "orgpulse run failed at Plan: <cause>. Fix: <fix>" with the execution's name.
pub fn render_run_failure(failure: &RunFailure, channel: &ChannelId, key: &str) -> PostMessage {
    let (cause, fix) = failure.explain();
    let headline = format!(
        "orgpulse run failed at {}: no report was sent",
        failure.step
    );
    let body = format!(
        "*Cause* ({}): {}\n*Fix*: {}",
        escape(&failure.caught.error),
        escape(&truncate(&cause, 1_500)),
        escape(&truncate(&fix, 800)),
    );
    let context = format!(
        "Execution {} · the next scheduled run tries again; start one by hand after the fix",
        failure.execution_name.as_deref().unwrap_or("(unknown)")
    );
    let blocks: Vec<SlackBlock> = vec![
        SlackHeaderBlock::new(SlackBlockPlainText::new(truncate(&headline, 150)).into()).into(),
        SlackSectionBlock::new()
            .with_text(SlackBlockMarkDownText::new(body).with_verbatim(true).into())
            .into(),
        SlackContextBlock::new(vec![
            SlackBlockPlainText::new(truncate(&context, 1_000)).into()
        ])
        .into(),
    ];
    let content = SlackMessageContent::new()
        // The notification text is mrkdwn too: escaped, so a cause can never ping anyone.
        .with_text(escape(&truncate(
            &format!("orgpulse run failed: {cause}. Fix: {fix}"),
            1_000,
        )))
        .with_blocks(blocks)
        .with_metadata(
            SlackMessageMetadata::new(RUN_FAILED_EVENT_TYPE.into()).with_event_payload(
                HashMap::from([(
                    orgpulse_slack::render::DELIVERY_KEY_FIELD.to_string(),
                    key.to_string(),
                )]),
            ),
        );
    SlackApiChatPostMessageRequest::new(SlackChannelId(channel.0.clone()), content)
        .with_unfurl_links(false)
        .with_unfurl_media(false)
}

impl Summarizer {
    /// Posts the failure once per execution (a retry of this step does not post it twice).
    pub async fn report_run_failure(&self, failure: &RunFailure) -> Result<RunFailureOutput> {
        let mut output = RunFailureOutput {
            step: failure.step.clone(),
            error: failure.caught.error.clone(),
            summary: SummaryDelivery::NoChannel,
        };
        tracing::error!(step = %failure.step, error = %failure.caught.error, cause = %failure.message(), "run failed before its summary");
        let Some(channel) = &self.operators_channel else {
            return Ok(output);
        };
        let day = failure
            .started_at
            .unwrap_or_else(orgpulse_config::clock::now)
            .date_naive();
        let execution = failure
            .execution_name
            .clone()
            .unwrap_or_else(|| "unknown-execution".into());
        let key = LedgerKey::new("run", &format!("FAILED-{execution}"), day, channel);
        let message = render_run_failure(failure, channel, key.as_str());
        output.summary = match self.outbox.deliver(&key, &message).await? {
            DeliveryStatus::Sent { .. } => SummaryDelivery::Sent,
            DeliveryStatus::AlreadyDelivered => SummaryDelivery::NothingNew,
            DeliveryStatus::DryRun => SummaryDelivery::DryRun,
            // Failing the step keeps its Retry for what a retry can fix; either way the
            // execution then fails and the alarm fires.
            DeliveryStatus::Failed { code, message } => {
                return Err(Error::SummaryNotPosted {
                    channel: channel.to_string(),
                    code,
                    message,
                    retryable: false,
                })
            }
            DeliveryStatus::Retryable { code, message } => {
                return Err(Error::SummaryNotPosted {
                    channel: channel.to_string(),
                    code,
                    message,
                    retryable: true,
                })
            }
        };
        Ok(output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn failure(error: &str, cause: &str) -> RunFailure {
        RunFailure {
            step: "Plan".into(),
            caught: Caught {
                error: error.into(),
                cause: Some(cause.into()),
            },
            execution_id: None,
            execution_name: Some("schedule-2026-12-04".into()),
            started_at: None,
        }
    }

    #[test]
    fn orgpulse_errors_keep_their_own_fix() {
        let cause = r#"{"errorType":"InvalidConfig","errorMessage":"the configuration could not be used: s3://b/config/orgpulse.json does not exist. Fix: upload it"}"#;
        let (what, fix) = failure("InvalidConfig", cause).explain();
        assert_eq!(
            what,
            "the configuration could not be used: s3://b/config/orgpulse.json does not exist"
        );
        assert_eq!(fix, "upload it");
    }

    #[test]
    fn a_function_that_cannot_start_points_at_the_architecture() {
        let cause = "fork/exec /var/task/bootstrap: exec format error";
        let (_, fix) = failure("Runtime.InvalidEntrypoint", cause).explain();
        assert!(fix.contains("lambda_architecture"), "{fix}");
        let (_, fix) = failure("States.Timeout", "").explain();
        assert!(fix.contains("lambda_timeout_seconds.plan"), "{fix}");
        let (what, fix) = failure("Unknown", "").explain();
        assert_eq!(what, "no cause given");
        assert!(fix.contains("orgpulse doctor"), "{fix}");
    }

    #[test]
    fn the_event_is_a_plan_or_a_failure() {
        let event: SummarizeEvent = serde_json::from_str(
            r#"{"run_failure": {"step": "Plan", "caught": {"Error": "InvalidConfig"}, "execution_name": "e"}}"#,
        )
        .unwrap();
        assert!(matches!(event, SummarizeEvent::RunFailure { .. }));
        let event: SummarizeEvent = serde_json::from_str(
            r#"{"run_id": "r", "report_date": "2026-12-04", "bucket": "b", "items_key": "k", "plan_key": "p", "item_count": 0}"#,
        )
        .unwrap();
        assert!(matches!(event, SummarizeEvent::Plan(_)));
    }

    #[test]
    fn the_message_escapes_what_came_from_outside() {
        let message = render_run_failure(
            &failure("InvalidConfig", "<!channel> broke"),
            &ChannelId("G0PERATORS".into()),
            "k",
        );
        let json = serde_json::to_string(&message).unwrap();
        assert!(!json.contains("<!channel>"), "{json}");
        assert!(json.contains("orgpulse_run_failed"));
    }

    #[tokio::test]
    async fn dry_run_posts_nothing_and_says_so() {
        let summarizer = Summarizer {
            files: crate::files::RunFiles::memory(),
            outbox: crate::deliveries::Outbox::DryRun,
            operators_channel: Some(ChannelId("G0PERATORS".into())),
        };
        let output = summarizer
            .report_run_failure(&failure("InvalidConfig", "x"))
            .await
            .unwrap();
        assert_eq!(output.summary, SummaryDelivery::DryRun);
    }
}
