//! Sessions in member accounts through the read-only role the StackSet deploys there.
//!
//! Calls: `sts:AssumeRole` on `arn:<partition>:iam::<account>:role/<role name>`.
//!
//! STS answers `AccessDenied` alike when the role does not exist, when its trust policy does
//! not name the caller, and when the caller may not assume it: nothing distinguishes them, so
//! [`MemberRoleStatus::Denied`] names every cause. The one case known for certain is the
//! management account, which service-managed StackSets never deploy to:
//! [`MemberRoleStatus::Missing`]. Throttling, timeouts and other failures are errors (retry),
//! not a status of the account.

use std::time::{Duration, SystemTime};

use aws_config::SdkConfig;
use aws_credential_types::provider::SharedCredentialsProvider;
use aws_credential_types::Credentials;
use chrono::{DateTime, Utc};
use orgpulse_config::AccountId;

use crate::error::{AwsOperation, Error, Result};

const ASSUME_ROLE: AwsOperation = AwsOperation::new("sts", "AssumeRole");

/// STS's minimum session: member-account calls happen within one Lambda invocation.
pub const SESSION_DURATION: Duration = Duration::from_secs(900);

/// A session in one member account.
#[derive(Debug, Clone)]
pub struct MemberSession {
    pub account: AccountId,
    pub role_arn: String,
    pub expires_at: DateTime<Utc>,
    /// The hub's configuration with the session's credentials: build any client from it.
    pub config: SdkConfig,
}

/// Whether the member role can be used in an account.
#[derive(Debug, Clone)]
pub enum MemberRoleStatus {
    Available(Box<MemberSession>),
    /// The role is not there (the management account: StackSets skip it).
    Missing {
        reason: String,
    },
    /// STS refused: role missing, trust policy not matching, or the hub may not assume it.
    Denied {
        reason: String,
    },
}

impl MemberRoleStatus {
    /// `available`, `missing` or `denied`: for the summary.
    pub fn label(&self) -> &'static str {
        match self {
            MemberRoleStatus::Available(_) => "available",
            MemberRoleStatus::Missing { .. } => "missing",
            MemberRoleStatus::Denied { .. } => "denied",
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            MemberRoleStatus::Available(_) => None,
            MemberRoleStatus::Missing { reason } | MemberRoleStatus::Denied { reason } => {
                Some(reason)
            }
        }
    }
}

/// Assumes the member read-only role.
#[derive(Debug, Clone)]
pub struct MemberRoles {
    sts: aws_sdk_sts::Client,
    base: SdkConfig,
    role_name: String,
    session_name: String,
    management_account: Option<AccountId>,
}

impl MemberRoles {
    /// `base` is the hub's configuration (timeouts, retries, region, endpoints) the member
    /// sessions inherit; `function_name` (e.g. `report`) names the sessions `orgpulse-<fn>` so
    /// member accounts' CloudTrail shows which function acted.
    pub fn new(
        sts: aws_sdk_sts::Client,
        base: SdkConfig,
        role_name: impl Into<String>,
        function_name: &str,
    ) -> Self {
        Self {
            sts,
            base,
            role_name: role_name.into(),
            session_name: session_name(function_name),
            management_account: None,
        }
    }

    /// Tells apart the management account, where the role is missing by design.
    pub fn with_management_account(mut self, account: AccountId) -> Self {
        self.management_account = Some(account);
        self
    }

    pub fn role_arn(&self, account: &AccountId) -> String {
        let partition = partition(self.base.region().map(|r| r.as_ref()).unwrap_or(""));
        format!("arn:{partition}:iam::{account}:role/{}", self.role_name)
    }

    pub fn session_name(&self) -> &str {
        &self.session_name
    }

    /// Assumes the role in `account`.
    pub async fn assume(&self, account: &AccountId) -> Result<MemberRoleStatus> {
        let role_arn = self.role_arn(account);
        let output = match self
            .sts
            .assume_role()
            .role_arn(&role_arn)
            .role_session_name(&self.session_name)
            .duration_seconds(SESSION_DURATION.as_secs() as i32)
            .send()
            .await
        {
            Ok(output) => output,
            Err(err) => return self.refused(account, &role_arn, err),
        };
        let Some(credentials) = output.credentials() else {
            return Err(Error::Service {
                operation: ASSUME_ROLE,
                code: None,
                message: format!("no credentials in the answer for {role_arn}"),
            });
        };
        let expiration = SystemTime::try_from(*credentials.expiration())
            .unwrap_or_else(|_| orgpulse_config::clock::system_now() + SESSION_DURATION);
        let config = self
            .base
            .to_builder()
            .credentials_provider(SharedCredentialsProvider::new(Credentials::new(
                credentials.access_key_id(),
                credentials.secret_access_key(),
                Some(credentials.session_token().to_owned()),
                Some(expiration),
                "orgpulse-member-role",
            )))
            .build();
        Ok(MemberRoleStatus::Available(Box::new(MemberSession {
            account: account.clone(),
            role_arn,
            expires_at: DateTime::<Utc>::from(expiration),
            config,
        })))
    }

    fn refused(
        &self,
        account: &AccountId,
        role_arn: &str,
        err: aws_sdk_sts::error::SdkError<aws_sdk_sts::operation::assume_role::AssumeRoleError>,
    ) -> Result<MemberRoleStatus> {
        use aws_smithy_types::error::metadata::ProvideErrorMetadata;
        match err.code() {
            Some("AccessDenied") if self.management_account.as_ref() == Some(account) => {
                Ok(MemberRoleStatus::Missing {
                    reason: format!(
                        "{account} is the management account, where service-managed StackSets \
                         never deploy the member role; create {role_arn} there by hand if it \
                         should be reported on like the members"
                    ),
                })
            }
            Some("AccessDenied") => Ok(MemberRoleStatus::Denied {
                reason: format!(
                    "STS refused to assume {role_arn}: the role is missing (check the member-role \
                     StackSet's instance for {account}: missing, failed or outdated), or its \
                     trust policy does not name this function's role, or this function's \
                     policy does not allow sts:AssumeRole on it"
                ),
            }),
            Some("RegionDisabledException") => Err(Error::InvalidConfig {
                what: "STS in the hub's region".into(),
                problem: "it is not activated for the account".into(),
                fix: "activate the region's STS endpoint in IAM account settings, or deploy the \
                      hub in a region where it is active"
                    .into(),
            }),
            _ => Err(Error::from_sdk(ASSUME_ROLE, err)),
        }
    }
}

/// `orgpulse-<fn>`, limited to what STS accepts (`[\w+=,.@-]`, at most 64 characters).
fn session_name(function_name: &str) -> String {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c);
    let mut name: String = format!("orgpulse-{function_name}")
        .chars()
        .map(|c| if allowed(c) { c } else { '-' })
        .collect();
    name.truncate(64);
    name
}

/// The ARN partition of a region.
fn partition(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "aws-cn"
    } else if region.starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_names_are_what_sts_accepts() {
        assert_eq!(session_name("report"), "orgpulse-report");
        assert_eq!(session_name("my fn/1"), "orgpulse-my-fn-1");
        assert_eq!(session_name(&"x".repeat(100)).len(), 64);
    }

    #[test]
    fn role_arns_use_the_region_partition() {
        assert_eq!(partition("ap-northeast-1"), "aws");
        assert_eq!(partition("cn-north-1"), "aws-cn");
        assert_eq!(partition("us-gov-west-1"), "aws-us-gov");
    }
}
