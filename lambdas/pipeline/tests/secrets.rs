//! The Slack token source against mocked Secrets Manager answers.

use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueOutput;
use aws_sdk_secretsmanager::Client;
use aws_smithy_mocks::{mock, mock_client, Rule, RuleMode};
use orgpulse_pipeline::secrets::SlackTokenSource;

const ARN: &str = "arn:aws:secretsmanager:ap-northeast-1:123456789012:secret:orgpulse/slack-AbCdEf";

fn secret(value: &'static str) -> Rule {
    mock!(Client::get_secret_value)
        .match_requests(|req| req.secret_id() == Some(ARN))
        .then_output(move || {
            GetSecretValueOutput::builder()
                .arn(ARN)
                .secret_string(value)
                .build()
        })
}

fn source(rules: &[Rule]) -> SlackTokenSource {
    SlackTokenSource::new(
        mock_client!(aws_sdk_secretsmanager, RuleMode::MatchAny, rules),
        ARN,
    )
}

#[tokio::test]
async fn the_token_is_read_once_and_cached() {
    let rules = [secret(r#"{"bot_token": "xoxb-1-2-abc"}"#)];
    let source = source(&rules);
    for _ in 0..3 {
        assert_eq!(
            source.token().await.unwrap().expose_secret(),
            "xoxb-1-2-abc"
        );
    }
    assert_eq!(rules[0].num_calls(), 1);
}

#[tokio::test]
async fn forgetting_reads_the_secret_again() {
    let rules = [secret("xoxb-plain")];
    let source = source(&rules);
    source.token().await.unwrap();
    source.forget().await;
    assert_eq!(source.token().await.unwrap().expose_secret(), "xoxb-plain");
    assert_eq!(rules[0].num_calls(), 2);
}

#[tokio::test]
async fn concurrent_first_calls_fetch_once() {
    let rules = [secret("xoxb-plain")];
    let source = source(&rules);
    let (a, b, c) = tokio::join!(source.token(), source.token(), source.token());
    for token in [a, b, c] {
        assert_eq!(token.unwrap().expose_secret(), "xoxb-plain");
    }
    assert_eq!(rules[0].num_calls(), 1);
}

#[tokio::test]
async fn a_wrong_shape_names_the_secret_and_the_fix_but_not_the_value() {
    let rules = [secret(r#"{"webhook": "xoxb-do-not-print"}"#)];
    let error = source(&rules).token().await.unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    let text = error.to_string();
    assert!(text.contains(ARN), "{text}");
    assert!(text.contains("bot_token"), "{text}");
    assert!(!text.contains("do-not-print"), "{text}");
}

#[tokio::test]
async fn a_binary_secret_is_rejected() {
    let rules = [mock!(Client::get_secret_value).then_output(|| {
        GetSecretValueOutput::builder()
            .secret_binary(aws_smithy_types::Blob::new(b"xoxb".to_vec()))
            .build()
    })];
    let error = source(&rules).token().await.unwrap_err();
    assert!(error.to_string().contains("binary"), "{error}");
}

#[tokio::test]
async fn a_missing_secret_says_how_to_create_it() {
    let rules = [mock!(Client::get_secret_value).sequence().http_status(
        400,
        Some(r#"{"__type":"ResourceNotFoundException","Message":"Secrets Manager can't find the specified secret."}"#.into()),
    ).build()];
    let error = source(&rules).token().await.unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    let text = error.to_string();
    assert!(
        text.contains(ARN) && text.contains("put-secret-value"),
        "{text}"
    );
}

#[tokio::test]
async fn access_denied_names_the_permission() {
    let rules = [mock!(Client::get_secret_value)
        .sequence()
        .http_status(
            400,
            Some(r#"{"__type":"AccessDeniedException","Message":"User is not authorized"}"#.into()),
        )
        .build()];
    let error = source(&rules).token().await.unwrap_err();
    assert_eq!(error.error_type(), "InvalidConfig");
    assert!(
        error.to_string().contains("secretsmanager:GetSecretValue"),
        "{error}"
    );
}
