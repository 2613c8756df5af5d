//! The Slack-like HTML preview of rendered messages: a snapshot of the page for a Japanese and
//! a hostile report, escaping, and every fixture rendering without a render error.

#[path = "support/fixtures.rs"]
mod fixtures;

use orgpulse_config::ChannelId;
use orgpulse_cost::CostReport;
use orgpulse_slack::html::{render_page_with_report, RENDER_ERROR_CLASS};
use orgpulse_slack::{render_page, render_report};
use serde_json::Value;

const CHANNEL: &str = "C0123456789";

fn message(report: &CostReport) -> Value {
    let key = format!("{}/DAILY/2024-05-14/{CHANNEL}", report.account_id);
    serde_json::to_value(render_report(report, &ChannelId(CHANNEL.into()), &key)).unwrap()
}

/// The hostile fixture, with a script tag in the places people type into.
fn hostile() -> CostReport {
    let mut report = fixtures::hostile_description();
    report.description = format!(
        "<script>alert('description')</script> {}",
        report.description
    );
    report.services[0].name =
        "<script>alert('service')</script> & <img src=x onerror=alert(1)>".into();
    report
}

fn page() -> String {
    render_page(
        "orgpulse preview — 2024-05-14",
        &[(
            CHANNEL.into(),
            vec![
                message(&fixtures::japanese_description()),
                message(&hostile()),
            ],
        )],
    )
}

#[test]
fn snapshot_of_a_japanese_and_a_hostile_report() {
    insta::with_settings!({prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("html_page", page());
    });
}

#[test]
fn hostile_text_stays_escaped() {
    let html = page();
    // The page itself has no script; nothing from a message becomes markup.
    assert!(!html.contains("<script"), "raw <script> on the page");
    assert!(
        !html.contains("<img src=x"),
        "raw <img> from a service name"
    );
    assert!(html.contains("&lt;script&gt;alert(&#39;description&#39;)&lt;/script&gt;"));
    // Escaped mrkdwn links and mentions are shown as text: no link, no mention.
    assert!(
        !html.contains("href=\"https://evil.example"),
        "a link from configuration"
    );
    assert!(!html.contains("<span class=\"mention\">@channel</span>"));
    assert!(html.contains("&lt;!channel&gt; pay now"));
}

#[test]
fn japanese_text_is_on_the_page_as_is() {
    let html = page();
    assert!(html.contains("<meta charset=\"utf-8\">"));
    assert!(html.contains("決済基盤チーム（本番環境）— 請求書と照合済み 🚀"));
    assert!(html.contains("プロジェクト = 決済 or ポイント"));
}

#[test]
fn every_fixture_renders_without_a_render_error() {
    let messages: Vec<Value> = fixtures::all().iter().map(|(_, r)| message(r)).collect();
    let count = messages.len();
    let page = render_page_with_report("all fixtures", &[(CHANNEL.into(), messages)]);
    assert_eq!(page.render_errors, 0);
    assert!(!page
        .html
        .contains(&format!("class=\"{RENDER_ERROR_CLASS}\"")));
    assert_eq!(page.messages, count);
    for index in 0..count {
        let attribute = format!("data-channel=\"{CHANNEL}\" data-message-index=\"{index}\"");
        assert!(page.html.contains(&attribute), "{attribute}");
    }
}
