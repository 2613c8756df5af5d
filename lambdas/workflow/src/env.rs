//! The deployed functions' settings, from the environment the hub module sets (non-secret
//! values only; the Slack token is read from Secrets Manager), and the steps built from them.

use orgpulse_config::ChannelId;
use orgpulse_cost::{CostExplorer, EcbRates, RetryPolicy};
use orgpulse_pipeline::aws::{load_aws_config, organizations_client};
use orgpulse_pipeline::ledger::DeliveryLedger;
use orgpulse_pipeline::member::MemberRoles;
use orgpulse_pipeline::organizations::OrganizationsReader;
use orgpulse_pipeline::secrets::SlackTokenSource;
use std::sync::Arc;

use orgpulse_slack::{SlackClient, SlackClientConfig, SlackToken, TokenRefresh};

use crate::channels::ChannelCheck;
use crate::deliveries::Outbox;
use crate::error::{Error, Result};
use crate::files::RunFiles;
use crate::plan::{ConfigSource, Planner};
use crate::report::Reporter;
use crate::stack_set::MemberStackSet;
use crate::summarize::Summarizer;

pub const BUCKET: &str = "ORGPULSE_BUCKET";
pub const CONFIG_KEY: &str = "ORGPULSE_CONFIG_KEY";
pub const DELIVERIES_TABLE: &str = "ORGPULSE_DELIVERIES_TABLE";
pub const SLACK_TOKEN_SECRET_ARN: &str = "ORGPULSE_SLACK_TOKEN_SECRET_ARN";
pub const OPERATORS_CHANNEL: &str = "ORGPULSE_OPERATORS_CHANNEL";
pub const MEMBER_ROLE_NAME: &str = "ORGPULSE_MEMBER_ROLE_NAME";
pub const TIME_ZONE: &str = "ORGPULSE_TIME_ZONE";
/// The member-role StackSet's name: the plan step reads its instances (optional).
pub const MEMBER_STACKSET_NAME: &str = "ORGPULSE_MEMBER_STACKSET_NAME";
/// `SELF` (default: the hub runs in the management account) or `DELEGATED_ADMIN`.
pub const MEMBER_STACKSET_CALL_AS: &str = "ORGPULSE_MEMBER_STACKSET_CALL_AS";

/// The configuration object's key when `ORGPULSE_CONFIG_KEY` is not set.
pub const DEFAULT_CONFIG_KEY: &str = "config/accounts.json";

fn required(name: &'static str) -> Result<String> {
    match std::env::var(name) {
        Ok(value) if !value.trim().is_empty() => Ok(value.trim().to_owned()),
        Ok(_) => Err(Error::Environment {
            name,
            problem: "is empty".into(),
        }),
        Err(_) => Err(Error::Environment {
            name,
            problem: "is not set".into(),
        }),
    }
}

fn optional(name: &'static str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn time_zone() -> Result<chrono_tz::Tz> {
    match optional(TIME_ZONE) {
        None => Ok(chrono_tz::UTC),
        Some(name) => name.parse().map_err(|_| Error::Environment {
            name: TIME_ZONE,
            problem: format!("is {name:?}, not an IANA time zone such as Asia/Tokyo"),
        }),
    }
}

pub async fn planner(app_name: &str) -> Result<Planner> {
    let aws = load_aws_config(app_name).await;
    Ok(Planner {
        files: RunFiles::s3(aws_sdk_s3::Client::new(&aws), required(BUCKET)?),
        config: ConfigSource::from_env(&aws)?,
        organizations: OrganizationsReader::new(organizations_client(&aws)),
        explorer: CostExplorer::from_sdk_config(&aws, RetryPolicy::default()),
        live_rates: EcbRates::from_env().map_err(orgpulse_cost::Error::from)?,
        default_time_zone: time_zone()?,
        member_stack_set: member_stack_set(&aws)?,
        // The token is read at the first run, not here: a plan without it still runs.
        channel_check: Some(ChannelCheck::Secret(Arc::new(slack_token_source(&aws)?))),
    })
}

/// The member-role StackSet, when `ORGPULSE_MEMBER_STACKSET_NAME` names it.
pub fn member_stack_set(aws: &aws_config::SdkConfig) -> Result<Option<MemberStackSet>> {
    let Some(name) = optional(MEMBER_STACKSET_NAME) else {
        return Ok(None);
    };
    let delegated_admin = match optional(MEMBER_STACKSET_CALL_AS).as_deref() {
        None | Some("SELF") => false,
        Some("DELEGATED_ADMIN") => true,
        Some(other) => {
            return Err(Error::Environment {
                name: MEMBER_STACKSET_CALL_AS,
                problem: format!("is {other:?}, not SELF or DELEGATED_ADMIN"),
            })
        }
    };
    Ok(Some(MemberStackSet::new(
        aws_sdk_cloudformation::Client::new(aws),
        name,
        delegated_admin,
    )))
}

/// The Slack client with the token from Secrets Manager, read once per container.
async fn slack(aws: &aws_config::SdkConfig) -> Result<SlackClient> {
    slack_from_secret(Arc::new(slack_token_source(aws)?)).await
}

fn slack_token_source(aws: &aws_config::SdkConfig) -> Result<SlackTokenSource> {
    let secret = required(SLACK_TOKEN_SECRET_ARN)?;
    Ok(SlackTokenSource::new(
        aws_sdk_secretsmanager::Client::new(aws),
        secret,
    ))
}

/// A Slack client whose token comes from `source` (cached for the container's lifetime) and is
/// read from the secret again once when Slack refuses it: a rotated token works without a cold
/// start.
pub async fn slack_from_secret(source: Arc<SlackTokenSource>) -> Result<SlackClient> {
    let token = source.token().await?;
    let refresh: TokenRefresh = Arc::new(move || {
        let source = source.clone();
        Box::pin(async move {
            source.forget().await;
            source
                .token()
                .await
                .map(|token| SlackToken::new(token.expose_secret()))
                .map_err(|e| e.to_string())
        })
    });
    Ok(SlackClient::new(
        SlackToken::new(token.expose_secret()),
        SlackClientConfig::from_env(),
    )?
    .with_token_refresh(refresh))
}

async fn outbox(aws: &aws_config::SdkConfig, owner: &str) -> Result<Outbox> {
    Ok(Outbox::Slack {
        ledger: DeliveryLedger::new(
            aws_sdk_dynamodb::Client::new(aws),
            required(DELIVERIES_TABLE)?,
        ),
        slack: slack(aws).await?,
        owner: owner.to_owned(),
    })
}

pub async fn reporter(app_name: &str) -> Result<Reporter> {
    let aws = load_aws_config(app_name).await;
    let member_roles = optional(MEMBER_ROLE_NAME)
        .map(|role| MemberRoles::new(aws_sdk_sts::Client::new(&aws), aws.clone(), role, "report"));
    Ok(Reporter {
        files: RunFiles::s3(aws_sdk_s3::Client::new(&aws), required(BUCKET)?),
        explorer: CostExplorer::from_sdk_config(&aws, RetryPolicy::default()),
        outbox: outbox(&aws, app_name).await?,
        member_roles,
    })
}

pub async fn summarizer(app_name: &str) -> Result<Summarizer> {
    let aws = load_aws_config(app_name).await;
    Ok(Summarizer {
        files: RunFiles::s3(aws_sdk_s3::Client::new(&aws), required(BUCKET)?),
        outbox: outbox(&aws, app_name).await?,
        operators_channel: optional(OPERATORS_CHANNEL).map(ChannelId),
    })
}
