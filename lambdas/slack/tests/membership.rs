//! Which channels the app is in (`users.conversations`), who it is (`auth.test` and its
//! `x-oauth-scopes` header), and a rotated token picked up without a restart.

#[path = "support/stub.rs"]
#[allow(dead_code)]
mod stub;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use orgpulse_slack::{SlackClient, SlackClientConfig, SlackError, SlackErrorCode, SlackToken};
use serde_json::json;
use stub::{SlackStub, StubResponse};

const OLD: &str = "xoxb-old-token";
const NEW: &str = "xoxb-rotated-token";

fn client(stub: &SlackStub, token: &str) -> SlackClient {
    SlackClient::new(
        SlackToken::new(token),
        SlackClientConfig {
            base_url: stub.base_url.clone(),
            request_timeout: Duration::from_millis(500),
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            ..SlackClientConfig::default()
        },
    )
    .unwrap()
}

/// A refresh that hands out `token` and counts how often it was asked.
fn refresh_to(token: &'static str, calls: Arc<AtomicUsize>) -> orgpulse_slack::TokenRefresh {
    Arc::new(move || {
        calls.fetch_add(1, Ordering::SeqCst);
        Box::pin(async move { Ok(SlackToken::new(token)) })
    })
}

fn page(ids: &[&str], next_cursor: &str) -> StubResponse {
    let channels: Vec<_> = ids
        .iter()
        .map(|id| json!({"id": id, "is_member": true}))
        .collect();
    StubResponse::ok(json!({"ok": true, "channels": channels,
                            "response_metadata": {"next_cursor": next_cursor}}))
}

#[tokio::test]
async fn member_channels_reads_every_page_and_nothing_more() {
    let stub = SlackStub::start().await;
    stub.script(
        "users.conversations",
        vec![page(&["C1", "C2"], "dXNlcjpVMDYx"), page(&["G3"], "")],
    );
    let members = client(&stub, OLD)
        .member_channels(&["public_channel", "private_channel"])
        .await
        .unwrap();
    assert_eq!(members.into_iter().collect::<Vec<_>>(), ["C1", "C2", "G3"]);
    let requests = stub.requests("users.conversations");
    assert_eq!(requests.len(), 2, "one request per page");
    assert!(requests[0]
        .target
        .contains("types=public_channel%2Cprivate_channel"));
    assert!(requests[0].target.contains("limit=999"));
    assert!(!requests[0].target.contains("cursor="));
    assert!(requests[1].target.contains("cursor=dXNlcjpVMDYx"));
    assert_eq!(
        requests[0].header("authorization"),
        Some("Bearer xoxb-old-token")
    );
}

#[tokio::test]
async fn member_channels_says_which_scope_is_missing() {
    let stub = SlackStub::start().await;
    stub.script(
        "users.conversations",
        vec![StubResponse::ok(
            json!({"ok": false, "error": "missing_scope",
            "needed": "groups:read", "provided": "chat:write,channels:read"}),
        )],
    );
    let error = client(&stub, OLD)
        .member_channels(&["public_channel", "private_channel"])
        .await
        .unwrap_err();
    assert!(matches!(
        &error,
        SlackError::Api {
            code: SlackErrorCode::MissingScope,
            ..
        }
    ));
    let text = error.to_string();
    assert!(text.contains("needed scope: groups:read"), "{text}");
    assert!(
        text.contains("the token has: chat:write,channels:read"),
        "{text}"
    );
    assert_eq!(stub.requests("users.conversations").len(), 1, "not retried");
}

#[tokio::test]
async fn auth_test_reads_the_scopes_header() {
    let stub = SlackStub::start().await;
    stub.script(
        "auth.test",
        vec![
            StubResponse::ok(json!({"ok": true, "team": "Acme", "team_id": "T1",
            "user": "orgpulse", "user_id": "U1", "bot_id": "B1"}))
            .header("x-oauth-scopes", "chat:write,channels:history, groups:read"),
        ],
    );
    let info = client(&stub, OLD).auth_test().await.unwrap();
    assert_eq!(info.user, "orgpulse");
    assert_eq!(info.bot_id.as_deref(), Some("B1"));
    assert_eq!(
        info.scopes.unwrap(),
        ["chat:write", "channels:history", "groups:read"]
    );
}

#[tokio::test]
async fn a_rotated_token_is_read_again_once_and_used() {
    let stub = SlackStub::start().await;
    stub.script(
        "users.conversations",
        vec![
            StubResponse::slack_error("invalid_auth"),
            page(&["C1"], ""),
            page(&["C2"], ""),
        ],
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(&stub, OLD).with_token_refresh(refresh_to(NEW, calls.clone()));
    let members = client.member_channels(&["public_channel"]).await.unwrap();
    assert!(members.contains("C1"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    // The new token stays: the next call needs no refresh.
    let members = client.member_channels(&["public_channel"]).await.unwrap();
    assert!(members.contains("C2"));
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    let auth: Vec<_> = stub
        .requests("users.conversations")
        .iter()
        .map(|r| r.header("authorization").unwrap().to_owned())
        .collect();
    assert_eq!(
        auth,
        [
            "Bearer xoxb-old-token",
            "Bearer xoxb-rotated-token",
            "Bearer xoxb-rotated-token"
        ]
    );
}

#[tokio::test]
async fn an_unchanged_secret_fails_at_once_without_a_second_request() {
    let stub = SlackStub::start().await;
    stub.script(
        "users.conversations",
        vec![StubResponse::slack_error("invalid_auth")],
    );
    let calls = Arc::new(AtomicUsize::new(0));
    let client = client(&stub, OLD).with_token_refresh(refresh_to(OLD, calls.clone()));
    let error = client
        .member_channels(&["public_channel"])
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_auth");
    assert_eq!(calls.load(Ordering::SeqCst), 1, "the secret is read once");
    assert_eq!(stub.requests("users.conversations").len(), 1);
}

#[tokio::test]
async fn without_a_refresh_invalid_auth_is_final() {
    let stub = SlackStub::start().await;
    stub.script("auth.test", vec![StubResponse::slack_error("invalid_auth")]);
    let error = client(&stub, OLD).auth_test().await.unwrap_err();
    assert_eq!(error.code(), "invalid_auth");
    assert_eq!(stub.requests("auth.test").len(), 1);
}
