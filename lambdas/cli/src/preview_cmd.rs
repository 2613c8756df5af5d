//! `orgpulse preview`: one account's report from Cost Explorer, with the settings the deployed
//! run would resolve for it, as terminal text, as the exact `chat.postMessage` bodies, as a
//! Slack-like HTML page, or posted to its channels.

use std::path::PathBuf;

use chrono::NaiveDate;
use clap::{Args, ValueEnum};
use orgpulse_config::{AccountId, AccountSettings, Granularity, Loaded, OrgUnitId};
use orgpulse_cost::{
    build_report, report_date, resolve_rate, AppliedRate, CostExplorer, CostReport, EcbRates,
    FixedRates, FixedThenLive, RetryPolicy,
};
use orgpulse_pipeline::aws::organizations_client;
use orgpulse_pipeline::ledger::LedgerKey;
use orgpulse_pipeline::organizations::{OrganizationsReader, TagLookup};
use orgpulse_slack::{render_report, render_text, PostMessage};

use crate::exit::{Failure, Status};
use crate::session;

#[derive(Debug, Args)]
pub struct PreviewArgs {
    /// The configuration file (JSON or CSV), as uploaded for the deployed run.
    #[arg(long)]
    pub config: PathBuf,
    /// The account to report on (12 digits).
    #[arg(long)]
    pub account: String,
    /// Which report; every granularity configured for the account when left out.
    #[arg(long, value_enum)]
    pub kind: Option<Kind>,
    /// Report as if run on this day (YYYY-MM-DD); today in the organization's time zone when
    /// left out. A daily report covers the day before.
    #[arg(long)]
    pub date: Option<NaiveDate>,
    /// `text`: a terminal rendering; `json`: each `chat.postMessage` body, one per line.
    #[arg(long, value_enum, default_value_t = OutputFormat::Text)]
    pub format: OutputFormat,
    /// Also write a Slack-like HTML page of the messages to this file.
    #[arg(long)]
    pub html: Option<PathBuf>,
    /// Post the messages to the account's channels (token from SLACK_BOT_TOKEN or
    /// --slack-secret). Not recorded in the delivery ledger: the deployed run still sends its
    /// own report.
    #[arg(long)]
    pub send: bool,
    /// ARN (or name) of the Secrets Manager secret holding the Slack bot token.
    #[arg(long, value_name = "ARN")]
    pub slack_secret: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Kind {
    Daily,
    Weekly,
    Monthly,
}

impl From<Kind> for Granularity {
    fn from(kind: Kind) -> Granularity {
        match kind {
            Kind::Daily => Granularity::Daily,
            Kind::Weekly => Granularity::Weekly,
            Kind::Monthly => Granularity::Monthly,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    Text,
    Json,
}

/// Where the account sits, as far as these credentials can tell.
struct Placement {
    name: Option<String>,
    /// OU IDs, nearest first, the root last; empty when Organizations is not accessible.
    ou_path: Vec<OrgUnitId>,
}

pub async fn run(args: PreviewArgs) -> Result<Status, Failure> {
    let account = AccountId::parse(&args.account).map_err(|problem| {
        Failure::usage(format!(
            "--account {:?}: {problem}. Fix: give the 12-digit account ID",
            args.account
        ))
    })?;
    let bytes = session::read_config(&args.config)?;
    let loaded = session::load_config(&args.config, &bytes)?;
    let aws = session::aws_session().await?;

    let placement = locate(&aws, &account, &loaded).await?;
    let settings = loaded
        .config
        .try_resolve(&account, &placement.ou_path)
        .map_err(|reason| {
            Failure::usage(format!(
                "account {account} has no settings in {}: {reason}. Fix: add a row for it (or \
                 for its OU, or a Default row)",
                args.config.display()
            ))
        })?;
    let mut org = loaded.config.org_settings();
    if loaded
        .config
        .default_row()
        .is_none_or(|row| row.time_zone.is_none())
    {
        org.time_zone = session::default_time_zone()?;
    }
    let date = args
        .date
        .unwrap_or_else(|| report_date(&org, orgpulse_config::clock::now()));
    let kinds: Vec<Granularity> = match args.kind {
        Some(kind) => vec![kind.into()],
        None => settings.granularities.clone(),
    };
    if !settings.enabled {
        eprintln!("orgpulse: note: account {account} is muted (Enabled = FALSE); the deployed run sends it nothing");
    }
    eprintln!("orgpulse: {}", describe(&settings, &kinds, date));

    let rate = exchange_rate(&settings, &org, date).await;
    let explorer = CostExplorer::from_sdk_config(&aws, RetryPolicy::default());
    let data = explorer
        .account_data(&settings, &kinds, date, None)
        .await
        .map_err(|error| Failure::usage(format!("account {account}: {error}")))?;
    if data.no_data {
        return Err(Failure::usage(format!(
            "Cost Explorer has no cost data for account {account} (DataUnavailableException). \
             Fix: check that Cost Explorer is enabled for these credentials' account (the \
             management account sees every member), and give a new account a day to show costs"
        )));
    }

    let reports: Vec<CostReport> = kinds
        .iter()
        .map(|&kind| {
            build_report(
                &settings,
                &org,
                kind,
                date,
                &data,
                rate.clone(),
                placement.name.clone(),
            )
        })
        .collect();
    let messages: Vec<PostMessage> = reports
        .iter()
        .flat_map(|report| {
            settings.channel_ids.iter().map(move |channel| {
                let key = LedgerKey::for_account(
                    &report.account_id,
                    report.kind.as_str(),
                    report.period.start,
                    channel,
                );
                render_report(report, channel, key.as_str())
            })
        })
        .collect();

    match args.format {
        OutputFormat::Text => {
            let texts: Vec<String> = reports.iter().map(render_text).collect();
            print!("{}", texts.join("\n"));
        }
        OutputFormat::Json => {
            for message in &messages {
                println!(
                    "{}",
                    serde_json::to_string(message).expect("a message is plain JSON")
                );
            }
        }
    }

    if let Some(path) = &args.html {
        let mut channels = Vec::new();
        for message in &messages {
            session::push_message(
                &mut channels,
                &message.channel.0,
                serde_json::to_value(message).expect("a message is plain JSON"),
            );
        }
        let title = format!("orgpulse preview — account {account}, {date}");
        session::write_html(path, &title, &channels)?;
    }

    if !args.send {
        return Ok(Status::Ok);
    }
    let token = session::slack_token(&aws, args.slack_secret.as_deref()).await?;
    let slack = session::slack_client(token)?;
    let mut failed = 0;
    for message in &messages {
        let kind = message_kind(message);
        match slack.post_message(message).await {
            Ok(posted) => eprintln!(
                "orgpulse: sent the {kind} report to {} (ts {})",
                message.channel, posted.ts
            ),
            Err(error) => {
                failed += 1;
                eprintln!(
                    "orgpulse: the {kind} report to {} was not sent: {error}",
                    message.channel
                );
            }
        }
    }
    Ok(if failed == 0 {
        Status::Ok
    } else {
        Status::Problems
    })
}

/// The account's OU path and name from Organizations. Without access to Organizations (a
/// member account's credentials) the account row and the Default row still apply, OU rows
/// cannot: say so and go on.
async fn locate(
    aws: &aws_config::SdkConfig,
    account: &AccountId,
    loaded: &Loaded,
) -> Result<Placement, Failure> {
    let reader = OrganizationsReader::new(organizations_client(aws));
    match reader.list_accounts(&TagLookup::None).await {
        Ok(listing) => {
            if let Some(found) = listing.accounts.iter().find(|a| &a.id == account) {
                return Ok(Placement {
                    name: Some(found.name.clone()).filter(|n| !n.is_empty()),
                    ou_path: found.ou_path.iter().map(|ou| ou.id.clone()).collect(),
                });
            }
            if let Some(skipped) = listing.skipped.iter().find(|s| s.id == account.as_str()) {
                return Err(Failure::usage(format!(
                    "account {account} ({}) is {} in organization {}: {}; it gets no reports",
                    skipped.name, skipped.status, listing.organization.id, skipped.reason
                )));
            }
            Err(Failure::usage(format!(
                "account {account} is not a member of organization {} (management account {}). \
                 Fix: check the account ID, or use credentials of the organization it belongs to",
                listing.organization.id, listing.organization.management_account_id
            )))
        }
        Err(error) if error.is_retryable() => Err(Failure::usage(format!(
            "Organizations could not be read: {error}. Run again in a moment"
        ))),
        Err(error) => {
            eprintln!(
                "orgpulse: note: Organizations is not accessible with these credentials ({error}). \
                 OU rows are not applied: the settings come from the account's own row and the \
                 Default row. Use the management account's credentials to apply OU rows."
            );
            let configured = loaded.config.account_row(account).is_some()
                || loaded.config.default_row().is_some();
            if !configured {
                return Err(Failure::usage(format!(
                    "account {account} is not in the configuration (no row of its own and no \
                     Default row), and without Organizations its OU is unknown. Fix: check the \
                     account ID, or use the management account's credentials"
                )));
            }
            Ok(Placement {
                name: None,
                ou_path: Vec::new(),
            })
        }
    }
}

/// The exchange rate the plan step would use: the Default row's fixed rate, else the ECB's.
/// Without either, the report stays in USD (and says so) rather than failing.
async fn exchange_rate(
    settings: &AccountSettings,
    org: &orgpulse_config::OrgSettings,
    date: NaiveDate,
) -> Option<AppliedRate> {
    let live = match EcbRates::from_env() {
        Ok(live) => live,
        Err(error) => {
            eprintln!("orgpulse: warning: {error}; the report is shown in USD");
            return None;
        }
    };
    let source = FixedThenLive {
        fixed: FixedRates::from_org(org, date),
        live,
    };
    match resolve_rate(&source, &settings.currency, None).await {
        Ok(rate) => rate,
        Err(error) => {
            eprintln!(
                "orgpulse: warning: no {} exchange rate ({error}); the report is shown in USD. \
                 Fix: set ExchangeRates on the Default row, e.g. \"{}=150\"",
                settings.currency, settings.currency
            );
            None
        }
    }
}

/// One line for the operator: which rows applied, where it goes, what it reports.
fn describe(settings: &AccountSettings, kinds: &[Granularity], date: NaiveDate) -> String {
    let sources: Vec<String> = settings.sources.iter().map(ToString::to_string).collect();
    let channels: Vec<&str> = settings.channel_ids.iter().map(|c| c.as_str()).collect();
    let kinds: Vec<&str> = kinds.iter().map(|k| k.as_str()).collect();
    format!(
        "account {}: {} report{} as of {date} in {}, to {} (settings from {})",
        settings.account_id,
        kinds.join(", "),
        if kinds.len() == 1 { "" } else { "s" },
        settings.currency,
        channels.join(", "),
        sources.join(" > ")
    )
}

fn message_kind(message: &PostMessage) -> String {
    message
        .content
        .metadata
        .as_ref()
        .and_then(|m| m.event_payload.as_ref())
        .and_then(|p| p.get("kind"))
        .map(|kind| kind.to_lowercase())
        .unwrap_or_else(|| "cost".into())
}
