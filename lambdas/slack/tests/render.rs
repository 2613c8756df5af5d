//! Rendered messages: snapshots of the exact `chat.postMessage` body (and the terminal text)
//! for every fixture, Slack's limits, escaping, and Japanese text.

#[path = "support/fixtures.rs"]
mod fixtures;

use orgpulse_config::ChannelId;
use orgpulse_cost::CostReport;
use orgpulse_slack::{
    check_limits, delivery_key, delivery_key_of, render_report, render_text, PostMessage,
};
use serde_json::Value;

fn render(report: &CostReport) -> PostMessage {
    render_report(
        report,
        &ChannelId("C0123456789".into()),
        "123456789012/DAILY/2024-05-14/C0123456789",
    )
}

fn json(report: &CostReport) -> Value {
    serde_json::to_value(render(report)).unwrap()
}

/// Every text object of the message: (type, text).
fn text_objects(value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let (Some(Value::String(kind)), Some(Value::String(text))) =
                (map.get("type"), map.get("text"))
            {
                out.push((kind.clone(), text.clone()));
            }
            map.values().for_each(|v| text_objects(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| text_objects(v, out)),
        _ => {}
    }
}

#[test]
fn snapshots_of_every_fixture() {
    for (name, report) in fixtures::all() {
        let message = render(&report);
        insta::with_settings!({sort_maps => true, prepend_module_to_snapshot => false}, {
            insta::assert_json_snapshot!(name, message);
            insta::assert_snapshot!(format!("{name}_text"), render_text(&report));
        });
    }
}

#[test]
fn every_fixture_fits_slack_limits() {
    for (name, report) in fixtures::all() {
        let message = render(&report);
        if let Err(violations) = check_limits(&message) {
            panic!("{name}: {violations}");
        }
    }
}

#[test]
fn every_mrkdwn_text_is_verbatim_and_the_fallback_exists() {
    for (name, report) in fixtures::all() {
        let message = json(&report);
        assert!(
            message["text"].as_str().is_some_and(|t| !t.is_empty()),
            "{name}: fallback text"
        );
        let mut stack = vec![&message["blocks"]];
        while let Some(value) = stack.pop() {
            match value {
                Value::Object(map) => {
                    if map.get("type") == Some(&Value::String("mrkdwn".into())) {
                        assert_eq!(map.get("verbatim"), Some(&Value::Bool(true)), "{name}");
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }
}

#[test]
fn a_hostile_description_pings_and_links_nobody() {
    let message = json(&fixtures::hostile_description());
    let mut texts = vec![(
        "mrkdwn".to_string(),
        message["text"].as_str().unwrap().to_string(),
    )];
    text_objects(&message["blocks"], &mut texts);
    for (kind, text) in &texts {
        if kind == "mrkdwn" {
            // The only markup left is our own Cost Explorer link.
            let without_our_link = text.replace(
                &text[text
                    .find("<https://us-east-1.console")
                    .unwrap_or(text.len())..],
                "",
            );
            assert!(!without_our_link.contains('<'), "unescaped '<' in {text:?}");
            assert!(!without_our_link.contains('>'), "unescaped '>' in {text:?}");
        }
    }
    let body = serde_json::to_string(&message).unwrap();
    for mention in [
        "<!channel>",
        "<@U123>",
        "<!here>",
        "<!subteam",
        "<!everyone>",
        "<https://evil",
    ] {
        let mrkdwn_hits: Vec<_> = texts
            .iter()
            .filter(|(kind, text)| kind == "mrkdwn" && text.contains(mention))
            .collect();
        assert!(
            mrkdwn_hits.is_empty(),
            "{mention} in mrkdwn: {mrkdwn_hits:?}"
        );
    }
    assert!(
        body.contains("&lt;!channel&gt; pay now"),
        "escaped in the fallback"
    );
    assert!(
        !body.contains('\u{1b}'),
        "no terminal escape characters reach Slack"
    );
    // Mentions are not parsed in plain_text: the header shows the description as typed.
    let header = message["blocks"][0]["text"].clone();
    assert_eq!(header["type"], "plain_text");
    assert!(header["text"]
        .as_str()
        .unwrap()
        .starts_with("<!channel> pay now <@U123> & "));
    // Nor in the terminal.
    assert!(!render_text(&fixtures::hostile_description()).contains('\u{1b}'));
}

#[test]
fn japanese_renders_whole_and_is_cut_only_between_characters() {
    let message = json(&fixtures::japanese_description());
    let header = message["blocks"][0]["text"]["text"].as_str().unwrap();
    assert_eq!(
        header,
        "決済基盤チーム（本番環境）— 請求書と照合済み 🚀 · Daily cost · 2024-05-14 (Tue)"
    );
    let body = serde_json::to_string(&message).unwrap();
    assert!(body.contains("プロジェクト = 決済 or ポイント"));
    assert!(body.contains("¥192,740"), "JPY has no decimals: {body}");

    let long = json(&fixtures::long_japanese_description());
    let header = long["blocks"][0]["text"]["text"].as_str().unwrap();
    assert_eq!(header.chars().count(), 150);
    assert!(header.contains("長い説明文長い…"), "{header}");
    // The full description follows in the context line under the header.
    let context = long["blocks"][1]["elements"][1]["text"].as_str().unwrap();
    assert_eq!(context.chars().count(), 400);
}

#[test]
fn two_hundred_services_degrade_to_what_fits() {
    let report = fixtures::two_hundred_services();
    let message = json(&report);
    let body = serde_json::to_string(&message).unwrap();
    let shown = body.matches("AWS Marketplace product").count();
    assert!(shown > 20 && shown < 200, "listed {shown}");
    let more = format!("…and {} more services", 200 - shown);
    assert!(body.contains(&more), "missing {more:?}");
    assert!(
        render_text(&report).contains(&more),
        "text lists the same services"
    );
}

#[test]
fn metadata_identifies_the_delivery() {
    let report = fixtures::daily_usd();
    let message = render(&report);
    assert_eq!(
        delivery_key(&report, &ChannelId("C0123456789".into())),
        "123456789012/DAILY/2024-05-14/C0123456789"
    );
    assert_eq!(
        delivery_key_of(&message),
        Some("123456789012/DAILY/2024-05-14/C0123456789")
    );
    let value = json(&report);
    assert_eq!(value["metadata"]["event_type"], "orgpulse_report");
    let payload = &value["metadata"]["event_payload"];
    assert_eq!(payload["account_id"], "123456789012");
    assert_eq!(payload["kind"], "DAILY");
    assert_eq!(payload["period_start"], "2024-05-14");
    assert_eq!(payload["period_end"], "2024-05-15");
    assert_eq!(value["channel"], "C0123456789");
    assert_eq!(value["unfurl_links"], false);
}

#[test]
fn the_most_important_number_comes_first() {
    let message = json(&fixtures::daily_usd());
    let headline = message["blocks"][2]["text"]["text"].as_str().unwrap();
    assert!(headline.starts_with("*$1,234.56*"), "{headline}");
    assert_eq!(
        message["text"],
        "Payments platform (production) · Daily cost · 2024-05-14 (Tue): $1,234.56, ▲ +4.5% vs \
         the day before (Estimated)"
    );
}
