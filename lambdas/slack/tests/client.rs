//! The Slack client against a scripted local Slack: success, 429 + Retry-After, permanent and
//! retryable `ok:false`, timeouts, lost answers found in the channel history, limits.

#[path = "support/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;
#[path = "support/stub.rs"]
mod stub;

use std::time::{Duration, Instant, SystemTime};

use orgpulse_config::ChannelId;
use orgpulse_slack::client::{Posted, SLACK_API_URL_ENV};
use orgpulse_slack::{
    render_report, PostMessage, SlackClient, SlackClientConfig, SlackError, SlackErrorCode,
    SlackToken,
};
use serde_json::json;
use stub::{SlackStub, StubResponse};

const TOKEN: &str = "xoxb-test-token-never-shown";
const POST: &str = "chat.postMessage";
const HISTORY: &str = "conversations.history";
const KEY: &str = "123456789012/DAILY/2024-05-14/C0123456789";

fn client(stub: &SlackStub) -> SlackClient {
    SlackClient::new(
        SlackToken::new(TOKEN),
        SlackClientConfig {
            base_url: stub.base_url.clone(),
            request_timeout: Duration::from_millis(300),
            max_attempts: 4,
            backoff_base: Duration::from_millis(5),
            backoff_max: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(5),
            ratelimit_patience: Duration::from_secs(5),
            max_history_pages: 3,
            ..SlackClientConfig::default()
        },
    )
    .unwrap()
}

fn ratelimited(retry_after: &str) -> StubResponse {
    StubResponse::slack_error("ratelimited")
        .header("Retry-After", retry_after)
        .with_status(429)
}

fn message() -> PostMessage {
    render_report(
        &fixtures::daily_usd(),
        &ChannelId("C0123456789".into()),
        KEY,
    )
}

fn posted_ok(ts: &str) -> StubResponse {
    StubResponse::ok(json!({"ok": true, "channel": "C0123456789", "ts": ts, "message": {}}))
}

fn history(messages: serde_json::Value, next_cursor: &str) -> StubResponse {
    StubResponse::ok(json!({
        "ok": true, "messages": messages, "has_more": !next_cursor.is_empty(),
        "response_metadata": {"next_cursor": next_cursor}
    }))
}

const BOT_ID: &str = "B0ORGPULSE";
const APP_ID: &str = "A0ORGPULSE";

fn our_message(ts: &str, key: &str) -> serde_json::Value {
    json!({"type": "message", "ts": ts, "text": "…", "bot_id": BOT_ID, "app_id": APP_ID,
           "metadata": {"event_type": "orgpulse_report", "event_payload": {"delivery_key": key}}})
}

fn assert_token_hidden(error: &SlackError) {
    assert!(!error.to_string().contains(TOKEN), "{error}");
    assert!(!format!("{error:?}").contains(TOKEN), "{error:?}");
}

#[tokio::test]
async fn posts_the_message_with_the_bot_token() {
    let stub = SlackStub::start().await;
    stub.script(POST, vec![posted_ok("1715700000.000100")]);
    let message = message();

    let posted = client(&stub).post_message(&message).await.unwrap();

    assert_eq!(
        posted,
        Posted {
            channel: "C0123456789".into(),
            ts: "1715700000.000100".into(),
            found_earlier: false
        }
    );
    let requests = stub.requests(POST);
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.http_method, "POST");
    assert_eq!(request.target, "/api/chat.postMessage");
    assert_eq!(
        request.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
    assert_eq!(
        request.header("content-type"),
        Some("application/json; charset=utf-8")
    );
    assert_eq!(request.json(), serde_json::to_value(&message).unwrap());
}

#[tokio::test]
async fn waits_for_retry_after_on_429() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![
            StubResponse::slack_error("ratelimited")
                .header("Retry-After", "1")
                .with_status(429),
            posted_ok("1.000200"),
        ],
    );
    let started = Instant::now();
    let posted = client(&stub).post_message(&message()).await.unwrap();
    assert_eq!(posted.ts, "1.000200");
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After honoured"
    );
    assert_eq!(stub.requests(POST).len(), 2);
    // Nothing was posted by the limited call: no history check needed.
    assert_eq!(stub.requests(HISTORY).len(), 0);
}

#[tokio::test]
async fn a_retry_after_beyond_the_cap_is_handed_back() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![StubResponse::slack_error("ratelimited")
            .header("Retry-After", "120")
            .with_status(429)],
    );
    let error = client(&stub).post_message(&message()).await.unwrap_err();
    assert!(
        matches!(error, SlackError::RateLimited { retry_after, .. } if retry_after == Duration::from_secs(120)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(
        stub.requests(POST).len(),
        1,
        "no sleeping through two minutes"
    );
}

#[tokio::test]
async fn rate_limited_answers_wait_in_line_without_using_up_attempts() {
    // A busy shared channel: more rate-limited answers in a row than `max_attempts` (4).
    let stub = SlackStub::start().await;
    let mut script: Vec<StubResponse> = (0..7).map(|_| ratelimited("0")).collect();
    script.push(posted_ok("1.000300"));
    stub.script(POST, script);

    let posted = client(&stub).post_message(&message()).await.unwrap();

    assert_eq!(posted.ts, "1.000300");
    assert_eq!(stub.requests(POST).len(), 8);
    assert_eq!(stub.requests(HISTORY).len(), 0);
}

#[tokio::test]
async fn rate_limited_answers_and_errors_are_budgeted_apart() {
    // Errors still stop at max_attempts however many rate limits came in between.
    let stub = SlackStub::start().await;
    let mut script = Vec::new();
    for _ in 0..4 {
        script.push(ratelimited("0"));
        script.push(StubResponse::slack_error("service_unavailable").with_status(503));
    }
    stub.script(POST, script);

    let error = client(&stub).post_message(&message()).await.unwrap_err();

    assert!(
        matches!(error, SlackError::Server { attempts: 8, .. }),
        "four failures, the fourth on the eighth request: {error:?}"
    );
}

#[tokio::test]
async fn a_call_stops_waiting_when_its_patience_is_spent() {
    let stub = SlackStub::start().await;
    stub.script(POST, (0..10).map(|_| ratelimited("1")).collect());
    let client = SlackClient::new(
        SlackToken::new(TOKEN),
        SlackClientConfig {
            base_url: stub.base_url.clone(),
            // Room for one wait of 1 s plus its random share (0 to 1 s); two waits need more
            // unless both shares are 0 ms (odds of about one in a million).
            ratelimit_patience: Duration::from_secs(2),
            ..SlackClientConfig::default()
        },
    )
    .unwrap();
    let started = Instant::now();

    let error = client.post_message(&message()).await.unwrap_err();

    assert!(
        matches!(error, SlackError::StillRateLimited { waited, .. }
            if waited >= Duration::from_secs(1) && waited <= Duration::from_secs(2)),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(error.code(), "ratelimited");
    assert!(error
        .to_string()
        .contains("one message per second per channel"));
    assert_eq!(stub.requests(POST).len(), 2, "one wait, then handed back");
    assert!(started.elapsed() < Duration::from_secs(4));
}

#[tokio::test]
async fn no_wait_runs_past_the_callers_deadline() {
    // A Lambda with half a second left: a wait of at least Retry-After's 1 s would outlive it.
    let stub = SlackStub::start().await;
    stub.script(POST, vec![ratelimited("1"), posted_ok("1.000400")]);
    let deadline = std::time::SystemTime::now() + Duration::from_millis(500);
    let started = Instant::now();

    let error = client(&stub)
        .post_message_before(&message(), Some(deadline))
        .await
        .unwrap_err();

    assert!(
        matches!(error, SlackError::StillRateLimited { waited, .. } if waited.is_zero()),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(stub.requests(POST).len(), 1);
    assert!(started.elapsed() < Duration::from_millis(500));
}

#[tokio::test]
async fn permanent_errors_are_reported_once_with_the_fix() {
    for (code, hint) in [
        ("channel_not_found", "check the channel ID"),
        ("not_in_channel", "/invite @orgpulse"),
        ("invalid_auth", "Bot User OAuth Token"),
        ("token_revoked", "reinstall the app"),
        ("is_archived", "unarchive"),
    ] {
        let stub = SlackStub::start().await;
        stub.script(POST, vec![StubResponse::slack_error(code)]);
        let error = client(&stub).post_message(&message()).await.unwrap_err();
        assert!(
            matches!(&error, SlackError::Api { code: c, .. } if c.as_str() == code),
            "{error:?}"
        );
        assert!(!error.is_retryable(), "{code}");
        assert_eq!(error.code(), code);
        assert!(error.to_string().contains(hint), "{code}: {error}");
        assert_eq!(stub.requests(POST).len(), 1, "{code} is not retried");
        assert_token_hidden(&error);
    }
}

#[tokio::test]
async fn missing_scope_names_the_scope() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![StubResponse::ok(
            json!({"ok": false, "error": "missing_scope", "needed": "chat:write", "provided": "users:read"}),
        )],
    );
    let error = client(&stub).post_message(&message()).await.unwrap_err();
    assert_eq!(
        error.to_string(),
        "Slack chat.postMessage failed with `missing_scope` (needed scope: chat:write; the token \
         has: users:read): the app lacks a scope: add chat:write, channels:history and \
         groups:history (delivery checks), channels:read and groups:read (channel membership) \
         under OAuth & Permissions, then reinstall the app"
    );
}

#[tokio::test]
async fn transient_slack_errors_are_retried() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![
            StubResponse::slack_error("service_unavailable"),
            StubResponse::slack_error("request_timeout"),
            posted_ok("1.000300"),
        ],
    );
    let posted = client(&stub).post_message(&message()).await.unwrap();
    assert_eq!(posted.ts, "1.000300");
    assert_eq!(stub.requests(POST).len(), 3);
    assert_eq!(stub.requests(HISTORY).len(), 0, "these never post anything");
}

#[tokio::test]
async fn internal_error_checks_the_history_before_posting_again() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![
            StubResponse::slack_error("internal_error"),
            posted_ok("1.000400"),
        ],
    );
    stub.script(
        HISTORY,
        vec![history(json!([our_message("0.9", "another-key")]), "")],
    );
    let posted = client(&stub).post_message(&message()).await.unwrap();
    assert_eq!(posted.ts, "1.000400");
    assert!(!posted.found_earlier);
    assert_eq!(stub.requests(POST).len(), 2);
    let check = &stub.requests(HISTORY)[0];
    assert_eq!(check.http_method, "GET");
    assert!(
        check.target.contains("channel=C0123456789"),
        "{}",
        check.target
    );
    assert!(
        check.target.contains("include_all_metadata=true"),
        "{}",
        check.target
    );
    assert!(check.target.contains("oldest="), "{}", check.target);
    assert_eq!(
        check.header("authorization"),
        Some(&*format!("Bearer {TOKEN}"))
    );
}

#[tokio::test]
async fn a_lost_answer_is_found_in_the_history_instead_of_posting_twice() {
    let stub = SlackStub::start().await;
    // Slack got the message but the answer never arrived in time.
    stub.script(
        POST,
        vec![posted_ok("1.000500").delayed(Duration::from_secs(2))],
    );
    stub.script(
        HISTORY,
        vec![history(json!([our_message("1.000500", KEY)]), "")],
    );
    let posted = client(&stub).post_message(&message()).await.unwrap();
    assert_eq!(
        posted,
        Posted {
            channel: "C0123456789".into(),
            ts: "1.000500".into(),
            found_earlier: true
        }
    );
    assert_eq!(stub.requests(POST).len(), 1);
}

#[tokio::test]
async fn a_timeout_that_cannot_be_checked_is_reported_as_ambiguous() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![posted_ok("1.000600").delayed(Duration::from_secs(2))],
    );
    stub.script(
        HISTORY,
        vec![StubResponse::ok(
            json!({"ok": false, "error": "missing_scope", "needed": "channels:history"}),
        )],
    );
    let error = client(&stub).post_message(&message()).await.unwrap_err();
    assert!(matches!(error, SlackError::Ambiguous { .. }), "{error:?}");
    assert_eq!(error.code(), "delivery_unknown");
    let text = error.to_string();
    assert!(text.contains("no answer within 300ms"), "{text}");
    assert!(text.contains("needed scope: channels:history"), "{text}");
    assert_eq!(stub.requests(POST).len(), 1, "never re-sent blindly");
    assert_token_hidden(&error);
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        (0..4)
            .map(|_| StubResponse::json(503, json!({"ok": false})))
            .collect(),
    );
    stub.script(HISTORY, (0..4).map(|_| history(json!([]), "")).collect());
    let error = client(&stub).post_message(&message()).await.unwrap_err();
    assert!(
        matches!(
            error,
            SlackError::Server {
                status: 503,
                attempts: 4,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
    assert_eq!(stub.requests(POST).len(), 4);
    assert_eq!(
        stub.requests(HISTORY).len(),
        4,
        "each unclear attempt was checked"
    );
}

#[tokio::test]
async fn a_message_over_slack_limits_is_never_sent() {
    let stub = SlackStub::start().await;
    let mut message = message();
    let blocks = message.content.blocks.as_mut().unwrap();
    let divider = blocks
        .iter()
        .find(|b| matches!(b, slack_morphism::prelude::SlackBlock::Divider(_)))
        .unwrap()
        .clone();
    blocks.extend(std::iter::repeat_n(divider, 50));
    let error = client(&stub).post_message(&message).await.unwrap_err();
    assert!(matches!(error, SlackError::Limits(_)), "{error:?}");
    assert!(error.to_string().contains("number of blocks"), "{error}");
    assert!(!error.is_retryable());
    assert!(stub.requests(POST).is_empty());
}

#[tokio::test]
async fn the_history_check_reads_every_page_up_to_the_bound() {
    let stub = SlackStub::start().await;
    stub.script(
        HISTORY,
        vec![
            history(
                json!([
                    {"ts": "3.2", "text": "no metadata"},
                    {"ts": "3.1", "metadata": {"event_type": "another_app", "event_payload": {"delivery_key": KEY}}}
                ]),
                "page2",
            ),
            history(json!([our_message("2.0", KEY)]), ""),
        ],
    );
    let client = client(&stub);
    let since = SystemTime::now() - Duration::from_secs(600);
    let found = client
        .find_delivery("C0123456789", KEY, since)
        .await
        .unwrap();
    assert_eq!(found.as_deref(), Some("2.0"));
    let requests = stub.requests(HISTORY);
    assert_eq!(requests.len(), 2);
    assert!(
        requests[1].target.contains("cursor=page2"),
        "{}",
        requests[1].target
    );

    // Longer than the bound: an earlier delivery cannot be ruled out.
    stub.script(
        HISTORY,
        (0..3)
            .map(|i| history(json!([]), &format!("c{i}")))
            .collect(),
    );
    let error = client
        .find_delivery("C0123456789", KEY, since)
        .await
        .unwrap_err();
    assert!(
        matches!(error, SlackError::HistoryTooLong { pages: 3 }),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_unreachable_slack_is_a_network_error() {
    // Bind and drop a listener: nothing listens on that port any more.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = SlackClient::new(
        SlackToken::new(TOKEN),
        SlackClientConfig {
            base_url: format!("http://127.0.0.1:{port}/api"),
            backoff_base: Duration::from_millis(1),
            backoff_max: Duration::from_millis(5),
            ..SlackClientConfig::default()
        },
    )
    .unwrap();
    let error = client.post_message(&message()).await.unwrap_err();
    assert!(
        matches!(error, SlackError::Network { attempts: 4, .. }),
        "refused connections never reached Slack, so they are retried: {error:?}"
    );
    assert!(error.is_retryable());
    assert_token_hidden(&error);
}

#[test]
fn the_base_url_comes_from_slack_api_url() {
    assert_eq!(
        SlackClientConfig::default().base_url,
        "https://slack.com/api"
    );
    // The only test in this binary that touches the environment.
    let local = orgpulse_config::endpoint::LOCAL_ENDPOINTS_ENV;
    std::env::set_var(SLACK_API_URL_ENV, "http://127.0.0.1:9999/api");
    // A deployed function (no switch): the bot token must not go to another host.
    std::env::remove_var(local);
    assert_eq!(
        SlackClientConfig::from_env().base_url,
        "https://slack.com/api"
    );
    std::env::set_var(SLACK_API_URL_ENV, "https://slack.com/api/");
    assert_eq!(
        SlackClientConfig::from_env().base_url,
        "https://slack.com/api/"
    );
    // Tests and the CLI pointing at a local double.
    std::env::set_var(SLACK_API_URL_ENV, "http://127.0.0.1:9999/api");
    std::env::set_var(local, "1");
    assert_eq!(
        SlackClientConfig::from_env().base_url,
        "http://127.0.0.1:9999/api"
    );
    std::env::remove_var(local);
    std::env::remove_var(SLACK_API_URL_ENV);
    assert_eq!(
        SlackErrorCode::parse("not_in_channel").fix_hint(),
        "invite the app to the channel with /invite @orgpulse"
    );
}

#[tokio::test]
async fn a_forged_history_match_from_another_app_does_not_suppress_the_delivery() {
    let stub = SlackStub::start().await;
    stub.script(
        POST,
        vec![
            StubResponse::slack_error("internal_error"),
            posted_ok("1.000700"),
        ],
    );
    // Another app in the channel posted a message with our event type and delivery key.
    let mut forged = our_message("1.000600", KEY);
    forged["bot_id"] = json!("B0OTHERAPP");
    forged["app_id"] = json!("A0OTHERAPP");
    let mut same_bot_other_app = our_message("1.000650", KEY);
    same_bot_other_app["app_id"] = json!("A0OTHERAPP");
    stub.script(
        HISTORY,
        vec![history(json!([forged, same_bot_other_app]), "")],
    );
    let posted = client(&stub).post_message(&message()).await.unwrap();
    assert_eq!(posted.ts, "1.000700");
    assert!(!posted.found_earlier);
    assert_eq!(stub.requests(POST).len(), 2);
    assert_eq!(stub.requests("auth.test").len(), 1);
}

#[tokio::test]
async fn the_bot_identity_is_asked_once_per_client() {
    let stub = SlackStub::start().await;
    stub.script(HISTORY, (0..3).map(|_| history(json!([]), "")).collect());
    let client = client(&stub);
    let since = SystemTime::now();
    for _ in 0..3 {
        assert_eq!(
            client
                .find_delivery("C0123456789", KEY, since)
                .await
                .unwrap(),
            None
        );
    }
    assert_eq!(stub.requests("auth.test").len(), 1);
    assert_eq!(client.identity().await.unwrap().bot_id, BOT_ID);
}

#[tokio::test]
async fn an_oversized_answer_is_refused_not_buffered() {
    let stub = SlackStub::start().await;
    let huge = "x".repeat(64 * 1024);
    stub.script(
        HISTORY,
        vec![StubResponse::ok(
            json!({"ok": true, "messages": [], "padding": huge}),
        )],
    );
    let client = SlackClient::new(
        SlackToken::new(TOKEN),
        SlackClientConfig {
            base_url: stub.base_url.clone(),
            max_response_bytes: 16 * 1024,
            ..SlackClientConfig::default()
        },
    )
    .unwrap();
    let error = client
        .find_delivery("C0123456789", KEY, SystemTime::now())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, SlackError::InvalidResponse { detail, .. } if detail.contains("longer than 16384 bytes")),
        "{error}"
    );
    assert_eq!(stub.requests(HISTORY).len(), 1, "not retried");
}
