//! Shared AWS SDK configuration and the clients each step needs.
//!
//! Endpoints and credentials come only from the standard environment (`AWS_REGION`,
//! `AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_<SERVICE>`, the Lambda role), so the same code talks to
//! AWS in production and to emulators in tests.
//!
//! Client fields are named after the service (`organizations`, `s3`, `dynamodb`,
//! `secretsmanager`, `sts`) and every call is a `<receiver>.<operation>()...send()` chain: the
//! IAM consistency test derives each function's permissions from that spelling.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{AppName, BehaviorVersion, SdkConfig};

/// TCP + TLS handshake. AWS endpoints answer in milliseconds; a dead route should not eat the
/// Lambda's time budget.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);
/// One attempt of one request, from send to last byte. Every call this crate makes is small
/// (the largest is a run's items file), so a slow attempt is retried rather than waited on.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(20);
/// All attempts of one request together, backoff included.
pub const OPERATION_TIMEOUT: Duration = Duration::from_secs(90);
/// Attempts per request (first try included) for every service but Organizations.
pub const MAX_ATTEMPTS: u32 = 4;
/// Organizations throttles per account at a low, unpublished rate (`TooManyRequestsException`),
/// and listing a large organisation makes hundreds of calls: give it more attempts.
pub const ORGANIZATIONS_MAX_ATTEMPTS: u32 = 8;
/// Upper bound of one backoff sleep; the standard strategy's full jitter picks below it.
pub const MAX_BACKOFF: Duration = Duration::from_secs(10);

/// The retry policy every client uses: the SDK's standard mode (exponential backoff with full
/// jitter, throttling and transient errors retried, `x-amz-retry-after` honoured, a client-side
/// retry quota so a failing service is not hammered), bounded to `max_attempts`.
pub fn retry_config(max_attempts: u32) -> RetryConfig {
    RetryConfig::standard()
        .with_max_attempts(max_attempts)
        .with_max_backoff(MAX_BACKOFF)
}

/// Connect, per-attempt and per-operation timeouts for every client.
pub fn timeout_config() -> TimeoutConfig {
    TimeoutConfig::builder()
        .connect_timeout(CONNECT_TIMEOUT)
        .operation_attempt_timeout(ATTEMPT_TIMEOUT)
        .operation_timeout(OPERATION_TIMEOUT)
        .build()
}

/// Loads the SDK configuration once per container: region, credentials and endpoints from the
/// standard environment; our timeouts and retry policy; `app_name` in the user agent so AWS-side
/// logs (CloudTrail `userAgent`) show which function made a request.
///
/// `app_name` characters outside what the user agent allows are replaced by `-`.
pub async fn load_aws_config(app_name: &str) -> SdkConfig {
    aws_config::defaults(BehaviorVersion::latest())
        .app_name(sanitized_app_name(app_name))
        .timeout_config(timeout_config())
        .retry_config(retry_config(MAX_ATTEMPTS))
        .load()
        .await
}

fn sanitized_app_name(app_name: &str) -> AppName {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    let cleaned: String = app_name
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .collect();
    AppName::new(if cleaned.is_empty() {
        "orgpulse".to_owned()
    } else {
        cleaned
    })
    .expect("only allowed characters remain and the name is not empty")
}

/// The Organizations client: the shared configuration with more attempts for throttling.
pub fn organizations_client(config: &SdkConfig) -> aws_sdk_organizations::Client {
    let conf = aws_sdk_organizations::config::Builder::from(config)
        .retry_config(retry_config(ORGANIZATIONS_MAX_ATTEMPTS))
        .build();
    aws_sdk_organizations::Client::from_conf(conf)
}

/// The S3 client. With an endpoint override (`AWS_ENDPOINT_URL`, `AWS_ENDPOINT_URL_S3`: an
/// emulator, MinIO, a VPC interface endpoint) requests use path-style addressing, because
/// virtual-hosted names (`<bucket>.<endpoint host>`) do not resolve there; against AWS's own
/// endpoints nothing changes.
pub fn s3_client(config: &SdkConfig) -> aws_sdk_s3::Client {
    let endpoint_overridden =
        config.endpoint_url().is_some() || std::env::var_os("AWS_ENDPOINT_URL_S3").is_some();
    let conf = aws_sdk_s3::config::Builder::from(config)
        .force_path_style(endpoint_overridden)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Clients of the planning step (Cost Explorer's client lives in `orgpulse-cost`).
#[derive(Debug, Clone)]
pub struct PlanClients {
    pub organizations: aws_sdk_organizations::Client,
    pub s3: aws_sdk_s3::Client,
}

impl PlanClients {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            organizations: organizations_client(config),
            s3: s3_client(config),
        }
    }
}

/// Clients of the per-account report step (Cost Explorer's client lives in `orgpulse-cost`).
#[derive(Debug, Clone)]
pub struct ReportClients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
    pub sts: aws_sdk_sts::Client,
}

impl ReportClients {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            s3: s3_client(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            secretsmanager: aws_sdk_secretsmanager::Client::new(config),
            sts: aws_sdk_sts::Client::new(config),
        }
    }
}

/// Clients of the summary step.
#[derive(Debug, Clone)]
pub struct SummarizeClients {
    pub s3: aws_sdk_s3::Client,
    pub dynamodb: aws_sdk_dynamodb::Client,
    pub secretsmanager: aws_sdk_secretsmanager::Client,
}

impl SummarizeClients {
    pub fn new(config: &SdkConfig) -> Self {
        Self {
            s3: s3_client(config),
            dynamodb: aws_sdk_dynamodb::Client::new(config),
            secretsmanager: aws_sdk_secretsmanager::Client::new(config),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn app_name_is_made_acceptable_to_the_user_agent() {
        assert_eq!(
            sanitized_app_name("orgpulse-plan").as_ref(),
            "orgpulse-plan"
        );
        assert_eq!(
            sanitized_app_name("orgpulse plan/1").as_ref(),
            "orgpulse-plan-1"
        );
        assert_eq!(sanitized_app_name("").as_ref(), "orgpulse");
    }

    #[test]
    fn every_client_has_bounded_retries_and_timeouts() {
        let retry = retry_config(MAX_ATTEMPTS);
        assert_eq!(retry.max_attempts(), MAX_ATTEMPTS);
        assert_eq!(retry.max_backoff(), MAX_BACKOFF);
        let timeouts = timeout_config();
        assert_eq!(timeouts.connect_timeout(), Some(CONNECT_TIMEOUT));
        assert_eq!(timeouts.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
        assert_eq!(timeouts.operation_timeout(), Some(OPERATION_TIMEOUT));
    }

    #[tokio::test]
    async fn loaded_config_carries_the_policy_and_the_app_name() {
        let config = load_aws_config("orgpulse-test").await;
        assert_eq!(config.app_name().map(|n| n.as_ref()), Some("orgpulse-test"));
        assert_eq!(
            config.retry_config().map(|r| r.max_attempts()),
            Some(MAX_ATTEMPTS)
        );
        assert_eq!(
            config.timeout_config().and_then(|t| t.connect_timeout()),
            Some(CONNECT_TIMEOUT)
        );
        // Not named `organizations`: only SDK operations go through service-named receivers.
        let organizations_conf = organizations_client(&config).config().clone();
        assert_eq!(
            organizations_conf.retry_config().map(|r| r.max_attempts()),
            Some(ORGANIZATIONS_MAX_ATTEMPTS)
        );
    }
}
