//! What `preview` and `run` share: the operator's AWS session (standard credential chain,
//! checked before any request), the configuration file, the Slack client, the HTML preview.

use std::io::Read;
use std::path::Path;

use aws_config::{Region, SdkConfig};
use aws_credential_types::provider::ProvideCredentials;
use orgpulse_config::{Loaded, MAX_FILE_BYTES};
use orgpulse_pipeline::aws::load_aws_config;
use orgpulse_pipeline::secrets::SlackTokenSource;
use orgpulse_slack::{SlackClient, SlackClientConfig, SlackToken};
use serde_json::Value;

use crate::exit::{error_chain, Failure};

/// The user agent's app name: AWS-side logs (CloudTrail) show the CLI made the request.
pub const APP_NAME: &str = "orgpulse-cli";
/// The Lambdas' variable for the organization's time zone when the Default row sets none;
/// the CLI honours it so a local run reports the same days as the deployed one.
pub const TIME_ZONE_ENV: &str = "ORGPULSE_TIME_ZONE";
/// Where the bot token comes from when `--slack-secret` is not given.
pub const SLACK_TOKEN_ENV: &str = "SLACK_BOT_TOKEN";
/// Cost Explorer and Organizations answer in us-east-1 whatever the region; used only when
/// the profile sets no region.
const FALLBACK_REGION: &str = "us-east-1";

const CREDENTIALS_FIX: &str = "configure AWS credentials as for the AWS CLI: `export \
    AWS_PROFILE=<profile>` (for an IAM Identity Center profile run `aws sso login --profile \
    <profile>` first), or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Use the management \
    account (or a delegated administrator): it sees every account's costs and the organization";

/// The standard AWS configuration (profile, SSO, `credential_process`, environment, instance
/// role; endpoints from `AWS_ENDPOINT_URL*`), with the credentials resolved once up front so a
/// missing or expired login is one clear message instead of a failed request later.
pub async fn aws_session() -> Result<SdkConfig, Failure> {
    let mut config = load_aws_config(APP_NAME).await;
    if config.region().is_none() {
        eprintln!(
            "orgpulse: no AWS region configured; using {FALLBACK_REGION} (set AWS_REGION to the \
             hub's region when a DynamoDB table or secret is involved)"
        );
        config = config
            .to_builder()
            .region(Region::from_static(FALLBACK_REGION))
            .build();
    }
    let Some(provider) = config.credentials_provider() else {
        return Err(Failure::usage(format!(
            "no AWS credentials provider is configured.\nFix: {CREDENTIALS_FIX}"
        )));
    };
    if let Err(error) = provider.provide_credentials().await {
        let profile = std::env::var("AWS_PROFILE")
            .map(|p| format!(" with AWS_PROFILE={p}"))
            .unwrap_or_default();
        return Err(Failure::usage(format!(
            "AWS credentials could not be loaded{profile}: {}\nFix: {CREDENTIALS_FIX}",
            error_chain(&error)
        )));
    }
    Ok(config)
}

/// The configuration file's bytes (at most one byte over the size limit, so the loader
/// reports an oversized file instead of this reading all of it).
pub fn read_config(path: &Path) -> Result<Vec<u8>, Failure> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(MAX_FILE_BYTES as u64 + 1).read_to_end(&mut bytes))
        .map_err(|error| {
            Failure::usage(format!(
                "cannot read the configuration {}: {error}",
                path.display()
            ))
        })?;
    Ok(bytes)
}

/// Loads the configuration; its problems are printed (the good rows are used, as in the
/// deployed run). No usable row at all stops the command.
pub fn load_config(path: &Path, bytes: &[u8]) -> Result<Loaded, Failure> {
    let loaded = orgpulse_config::load_detected(bytes);
    if loaded.config.rows.is_empty() {
        let first = loaded
            .problems
            .first()
            .map(|p| format!(" First problem: {p}"))
            .unwrap_or_default();
        return Err(Failure::usage(format!(
            "{} has no usable row.{first} Fix: run `orgpulse config validate {}`",
            path.display(),
            path.display()
        )));
    }
    if !loaded.problems.is_empty() {
        eprintln!(
            "orgpulse: {} has {} problem{}; the other rows are used (`orgpulse config validate` lists them):",
            path.display(),
            loaded.problems.len(),
            if loaded.problems.len() == 1 { "" } else { "s" }
        );
        for problem in &loaded.problems {
            eprintln!("  {problem}");
        }
    }
    Ok(loaded)
}

/// The zone "today" is computed in when the Default row sets no `TimeZone`.
pub fn default_time_zone() -> Result<chrono_tz::Tz, Failure> {
    match std::env::var(TIME_ZONE_ENV) {
        Ok(name) if !name.trim().is_empty() => name.trim().parse().map_err(|_| {
            Failure::usage(format!(
                "{TIME_ZONE_ENV} is {name:?}, not an IANA time zone such as Asia/Tokyo"
            ))
        }),
        _ => Ok(chrono_tz::UTC),
    }
}

/// The bot token: from the secret `--slack-secret` names (Secrets Manager, as the Lambdas read
/// it), else from `SLACK_BOT_TOKEN`.
pub async fn slack_token(aws: &SdkConfig, secret: Option<&str>) -> Result<SlackToken, Failure> {
    if let Some(secret) = secret {
        let source =
            SlackTokenSource::new(aws_sdk_secretsmanager::Client::new(aws), secret.to_owned());
        let token = source.token().await.map_err(|error| {
            Failure::usage(format!(
                "the Slack token could not be read from {secret}: {error}"
            ))
        })?;
        return Ok(SlackToken::new(token.expose_secret()));
    }
    match std::env::var(SLACK_TOKEN_ENV) {
        Ok(token) if !token.trim().is_empty() => Ok(SlackToken::new(token)),
        _ => Err(Failure::usage(format!(
            "sending needs the Slack bot token. Fix: set {SLACK_TOKEN_ENV}=xoxb-…, or pass \
             --slack-secret with the ARN of the hub's secret"
        ))),
    }
}

pub fn slack_client(token: SlackToken) -> Result<SlackClient, Failure> {
    SlackClient::new(token, SlackClientConfig::from_env())
        .map_err(|error| Failure::usage(error.to_string()))
}

/// Writes the Slack-like preview of `channels` to `path`.
pub fn write_html(
    path: &Path,
    title: &str,
    channels: &[(String, Vec<Value>)],
) -> Result<(), Failure> {
    let page = orgpulse_slack::render_page_with_report(title, channels);
    std::fs::write(path, page.html)
        .map_err(|error| Failure::usage(format!("cannot write {}: {error}", path.display())))?;
    eprintln!(
        "orgpulse: wrote {} ({} message{} in {} channel{})",
        path.display(),
        page.messages,
        if page.messages == 1 { "" } else { "s" },
        page.channels,
        if page.channels == 1 { "" } else { "s" }
    );
    Ok(())
}

/// Adds `message` under its channel, keeping channels in order of first appearance.
pub fn push_message(channels: &mut Vec<(String, Vec<Value>)>, channel: &str, message: Value) {
    match channels.iter_mut().find(|(c, _)| c == channel) {
        Some((_, messages)) => messages.push(message),
        None => channels.push((channel.to_owned(), vec![message])),
    }
}
