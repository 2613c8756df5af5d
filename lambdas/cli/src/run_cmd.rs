//! `orgpulse run`: the deployed run's plan → report → summary on this machine
//! (`orgpulse_workflow::local`), for operators who want to run or rehearse it without Step
//! Functions. `--dry-run` renders every message and sends nothing; otherwise messages go to
//! Slack exactly once, through the same DynamoDB delivery ledger the Lambdas use.

use std::path::PathBuf;
use std::time::Duration;

use chrono::NaiveDate;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use orgpulse_config::ChannelId;
use orgpulse_cost::{CostExplorer, EcbRates, RetryPolicy};
use orgpulse_pipeline::aws::organizations_client;
use orgpulse_pipeline::ledger::{DeliveryLedger, LedgerKey};
use orgpulse_pipeline::organizations::OrganizationsReader;
use orgpulse_slack::{render_report, render_text};
use orgpulse_workflow::deliveries::Outbox;
use orgpulse_workflow::files::RunFiles;
use orgpulse_workflow::local::{self, LocalRun};
use orgpulse_workflow::messages::{DeliveryStatus, PlanEvent, PlanRecord, RunInput};
use orgpulse_workflow::plan::{ConfigSource, Planner};
use orgpulse_workflow::report::Reporter;
use orgpulse_workflow::summarize::{Summarizer, SummaryDelivery};
use orgpulse_workflow::summary_message::render_summary;
use serde_json::Value;

use crate::exit::{Failure, Status};
use crate::session;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// The configuration file (JSON or CSV), as uploaded for the deployed run.
    #[arg(long)]
    pub config: PathBuf,
    /// Run as if on this day (YYYY-MM-DD); today in the organization's time zone when left out.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// Render every message and print it; send nothing, record nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Accounts reported at the same time.
    #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
    /// Also write a Slack-like HTML page of the messages (with --dry-run: every message that
    /// would be sent; otherwise the messages this run sent) to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// The DynamoDB delivery ledger (the hub's table): required to send, because exactly-once
    /// delivery is decided there.
    #[arg(long, value_name = "TABLE")]
    pub deliveries_table: Option<String>,
    /// Post the run summary to this Slack channel ID.
    #[arg(long, value_name = "CHANNEL")]
    pub operators_channel: Option<String>,
    /// ARN (or name) of the Secrets Manager secret holding the Slack bot token; SLACK_BOT_TOKEN
    /// is used when left out.
    #[arg(long, value_name = "ARN")]
    pub slack_secret: Option<String>,
}

/// The channel the summary is shown under in the HTML page when no operators' channel is set.
const SUMMARY_PLACEHOLDER_CHANNEL: &str = "operators-summary";

pub async fn run(args: RunArgs) -> Result<Status, Failure> {
    if !args.dry_run && args.deliveries_table.is_none() {
        return Err(Failure::usage(
            "sending needs --deliveries-table: exactly-once delivery is recorded in the \
             DynamoDB ledger (the hub module's deliveries table, e.g. orgpulse-deliveries). Pass \
             it, or use --dry-run to send nothing",
        ));
    }
    let operators_channel = args
        .operators_channel
        .as_deref()
        .map(|id| {
            ChannelId::parse(id)
                .map_err(|problem| Failure::usage(format!("--operators-channel {id:?}: {problem}")))
        })
        .transpose()?;
    let bytes = session::read_config(&args.config)?;
    let aws = session::aws_session().await?;

    let files = RunFiles::memory();
    let explorer = CostExplorer::from_sdk_config(&aws, RetryPolicy::default());
    let planner = Planner {
        files: files.clone(),
        config: ConfigSource::Bytes {
            name: args.config.display().to_string(),
            bytes,
        },
        organizations: OrganizationsReader::new(organizations_client(&aws)),
        explorer: explorer.clone(),
        live_rates: EcbRates::from_env().map_err(|error| Failure::usage(error.to_string()))?,
        default_time_zone: session::default_time_zone()?,
        // Member roles are the deployed run's concern; a local run does not check them.
        member_stack_set: None,
        // The deployed plan checks channel membership; a local run posts (or not) as told.
        channel_check: None,
    };
    let (report_outbox, summary_outbox) = match &args.deliveries_table {
        Some(table) if !args.dry_run => {
            let token = session::slack_token(&aws, args.slack_secret.as_deref()).await?;
            let owner = owner();
            let outbox = |slack| Outbox::Slack {
                ledger: DeliveryLedger::new(aws_sdk_dynamodb::Client::new(&aws), table.clone()),
                slack,
                owner: owner.clone(),
            };
            (
                outbox(session::slack_client(token.clone())?),
                outbox(session::slack_client(token)?),
            )
        }
        _ => (Outbox::DryRun, Outbox::DryRun),
    };
    let reporter = Reporter {
        files: files.clone(),
        explorer,
        outbox: report_outbox,
        member_roles: None,
    };
    let summarizer = Summarizer {
        files: files.clone(),
        outbox: summary_outbox,
        operators_channel: operators_channel.clone(),
    };
    let event = PlanEvent {
        input: RunInput {
            date: args.date,
            scheduled_time: None,
        },
        ..PlanEvent::default()
    };

    let progress = Progress::start(files);
    let outcome = local::run(
        &planner,
        &reporter,
        &summarizer,
        &event,
        usize::from(args.concurrency),
        |item| progress.item_done(&item.account.name),
    )
    .await;
    progress.finish();
    let local = outcome.map_err(|error| Failure::usage(format!("the run failed: {error}")))?;

    if args.dry_run {
        print!("{}", dry_run_text(&local));
        let messages: usize = local
            .reported
            .iter()
            .filter_map(|(item, reported)| {
                Some(reported.as_ref()?.reports.len() * item.settings.channel_ids.len())
            })
            .sum();
        println!(
            "Dry run: {messages} message{} rendered for {} account{}; nothing was sent or recorded.",
            if messages == 1 { "" } else { "s" },
            local.reported.len(),
            if local.reported.len() == 1 { "" } else { "s" }
        );
    }
    print!("{}", local.summary.to_text());

    if let Some(path) = &args.html {
        let channels = html_messages(&local, args.dry_run, operators_channel.as_ref());
        let mode = if args.dry_run { "dry run" } else { "sent" };
        let title = format!("orgpulse run {} — {mode}", local.plan.output.report_date);
        session::write_html(path, &title, &channels)?;
    }

    let failures = local.summary.failures();
    if failures.is_empty() {
        Ok(Status::Ok)
    } else {
        eprintln!(
            "orgpulse: {} deliver{} failed (listed above)",
            failures.len(),
            if failures.len() == 1 { "y" } else { "ies" }
        );
        Ok(Status::Problems)
    }
}

/// Who claims deliveries in the ledger: this host and process.
fn owner() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_owned())
        })
        .unwrap_or_else(|| "localhost".into());
    format!("orgpulse-cli@{host}:{}", std::process::id())
}

/// Each report's terminal rendering, with the channels it would go to.
fn dry_run_text(local: &LocalRun) -> String {
    let mut out = String::new();
    for (item, reported) in &local.reported {
        let Some(reported) = reported else { continue };
        let channels: Vec<&str> = item
            .settings
            .channel_ids
            .iter()
            .map(|c| c.as_str())
            .collect();
        for report in &reported.reports {
            out.push_str(&render_text(report));
            out.push_str(&format!("→ would be sent to {}\n\n", channels.join(", ")));
        }
    }
    out
}

/// The messages for the HTML page, by channel: every rendered report and the summary (dry
/// run), or those this run sent.
fn html_messages(
    local: &LocalRun,
    dry_run: bool,
    operators_channel: Option<&ChannelId>,
) -> Vec<(String, Vec<Value>)> {
    let mut channels = Vec::new();
    for (item, reported) in &local.reported {
        let Some(reported) = reported else { continue };
        for report in &reported.reports {
            for channel in &item.settings.channel_ids {
                let sent = reported.result.deliveries.iter().any(|d| {
                    d.kind == report.kind
                        && &d.channel == channel
                        && matches!(d.status, DeliveryStatus::Sent { .. })
                });
                if !dry_run && !sent {
                    continue;
                }
                let key = LedgerKey::for_account(
                    &item.account.id,
                    report.kind.as_str(),
                    report.period.start,
                    channel,
                );
                let message = render_report(report, channel, key.as_str());
                session::push_message(
                    &mut channels,
                    channel.as_str(),
                    serde_json::to_value(&message).expect("a message is plain JSON"),
                );
            }
        }
    }
    if !dry_run && local.output.summary != SummaryDelivery::Sent {
        return channels;
    }
    let plan = &local.summary.plan;
    let summary_channel = operators_channel
        .cloned()
        .unwrap_or_else(|| ChannelId(SUMMARY_PLACEHOLDER_CHANNEL.into()));
    let key = LedgerKey::new(
        &plan.organization_id,
        "SUMMARY",
        plan.report_date,
        &summary_channel,
    );
    let summary = render_summary(&local.summary, &summary_channel, key.as_str());
    session::push_message(
        &mut channels,
        summary_channel.as_str(),
        serde_json::to_value(&summary).expect("a message is plain JSON"),
    );
    channels
}

/// A spinner while planning, then a bar over the planned accounts (on stderr, only when it is
/// a terminal).
struct Progress {
    bar: ProgressBar,
    files: RunFiles,
}

impl Progress {
    fn start(files: RunFiles) -> Self {
        let bar = ProgressBar::new_spinner();
        bar.set_style(
            ProgressStyle::with_template("{spinner} {msg} [{elapsed}]").expect("a valid template"),
        );
        bar.set_message("planning: reading the organization, the configuration and Cost Explorer");
        bar.enable_steady_tick(Duration::from_millis(120));
        Self { bar, files }
    }

    fn item_done(&self, account_name: &str) {
        if self.bar.length().is_none() {
            // The plan is done when the first item finishes; its record has the item count.
            if let Some(total) = planned_items(&self.files) {
                self.bar.set_length(total);
                self.bar.set_style(
                    ProgressStyle::with_template(
                        "{bar:30} {pos}/{len} accounts reported [{elapsed}] {msg}",
                    )
                    .expect("a valid template"),
                );
            }
        }
        self.bar.inc(1);
        self.bar.set_message(account_name.to_owned());
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// How many items the plan made, from the plan record it keeps in the run's files.
fn planned_items(files: &RunFiles) -> Option<u64> {
    let RunFiles::Memory(objects) = files else {
        return None;
    };
    let objects = objects.lock().ok()?;
    let (_, bytes) = objects
        .iter()
        .find(|(key, _)| key.ends_with("/plan.json"))?;
    let record: PlanRecord = serde_json::from_slice(bytes).ok()?;
    Some(record.items.len() as u64)
}
