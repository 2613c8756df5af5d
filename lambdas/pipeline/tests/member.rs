//! Member-role sessions against mocked STS answers.

use aws_sdk_sts::operation::assume_role::AssumeRoleOutput;
use aws_sdk_sts::types::Credentials;
use aws_sdk_sts::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use aws_smithy_types::DateTime;
use orgpulse_config::AccountId;
use orgpulse_pipeline::member::{MemberRoleStatus, MemberRoles};

const ROLE: &str = "orgpulse-member-read-only";

fn id(s: &str) -> AccountId {
    AccountId::parse(s).unwrap()
}

fn base() -> aws_config::SdkConfig {
    aws_config::SdkConfig::builder()
        .region(aws_config::Region::new("ap-northeast-1"))
        .behavior_version(aws_config::BehaviorVersion::latest())
        .build()
}

fn roles(rules: &[Rule]) -> MemberRoles {
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, rules);
    MemberRoles::new(sts, base(), ROLE, "report").with_management_account(id("000000000001"))
}

const DENIED: &str = "<ErrorResponse><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>User: arn:aws:sts::000000000001:assumed-role/orgpulse-report/x is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::012345678901:role/orgpulse-member-read-only</Message></Error><RequestId>1</RequestId></ErrorResponse>";

#[tokio::test]
async fn an_assumed_role_gives_a_config_with_the_session_credentials() {
    let rules = [mock!(Client::assume_role)
        .match_requests(|req| {
            req.role_arn() == Some("arn:aws:iam::012345678901:role/orgpulse-member-read-only")
                && req.role_session_name() == Some("orgpulse-report")
                && req.duration_seconds() == Some(900)
        })
        .then_output(|| {
            AssumeRoleOutput::builder()
                .credentials(
                    Credentials::builder()
                        .access_key_id("ASIAEXAMPLE")
                        .secret_access_key("secret")
                        .session_token("session")
                        .expiration(DateTime::from_secs(1_800_000_000))
                        .build()
                        .unwrap(),
                )
                .build()
        })];
    let status = roles(&rules).assume(&id("012345678901")).await.unwrap();
    let MemberRoleStatus::Available(session) = status else {
        panic!("expected a session, got {status:?}");
    };
    assert_eq!(session.expires_at.timestamp(), 1_800_000_000);
    assert_eq!(session.config.region().unwrap().as_ref(), "ap-northeast-1");
    use aws_credential_types::provider::ProvideCredentials;
    let credentials = session
        .config
        .credentials_provider()
        .unwrap()
        .provide_credentials()
        .await
        .unwrap();
    assert_eq!(credentials.access_key_id(), "ASIAEXAMPLE");
    assert_eq!(credentials.session_token(), Some("session"));
    assert!(
        !format!("{session:?}").contains("secret\""),
        "no secret key in Debug output"
    );
}

#[tokio::test]
async fn access_denied_in_a_member_is_denied_with_every_cause() {
    let rules = [mock!(Client::assume_role)
        .sequence()
        .http_status(403, Some(DENIED.into()))
        .build()];
    let status = roles(&rules).assume(&id("012345678901")).await.unwrap();
    assert_eq!(status.label(), "denied");
    let reason = status.reason().unwrap();
    assert!(reason.contains("StackSet"), "{reason}");
    assert!(reason.contains("trust policy"), "{reason}");
    assert_eq!(rules[0].num_calls(), 1, "access denied is not retried");
}

#[tokio::test]
async fn access_denied_in_the_management_account_is_missing_by_design() {
    let rules = [mock!(Client::assume_role)
        .sequence()
        .http_status(403, Some(DENIED.into()))
        .build()];
    let status = roles(&rules).assume(&id("000000000001")).await.unwrap();
    assert_eq!(status.label(), "missing");
    assert!(status.reason().unwrap().contains("management account"));
}

#[tokio::test(start_paused = true)]
async fn throttling_is_an_error_to_retry_not_a_status() {
    let throttled = "<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error></ErrorResponse>";
    let rules = [mock!(Client::assume_role)
        .sequence()
        .http_status(400, Some(throttled.into()))
        .repeatedly()
        .build()];
    let sts = mock_client!(aws_sdk_sts, RuleMode::MatchAny, &rules, |c| c.retry_config(
        orgpulse_pipeline::aws::retry_config(orgpulse_pipeline::aws::MAX_ATTEMPTS)
    ));
    let error = MemberRoles::new(sts, base(), ROLE, "report")
        .assume(&id("012345678901"))
        .await
        .unwrap_err();
    assert_eq!(error.error_type(), "Throttled");
    assert_eq!(
        rules[0].num_calls(),
        orgpulse_pipeline::aws::MAX_ATTEMPTS as usize
    );
}
