//! Whatever people type into the sheet and whatever AWS names its services, the message stays
//! within Slack's limits and pings nobody.

#[path = "support/fixtures.rs"]
#[allow(dead_code)]
mod fixtures;

use orgpulse_config::{ChannelId, TagClause, TagFilter, TagMatch};
use orgpulse_slack::{check_limits, render_report, render_text};
use proptest::prelude::*;
use rust_decimal::Decimal;

fn mrkdwn_texts(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(map) => {
            if map.get("type").and_then(|t| t.as_str()) == Some("mrkdwn") {
                if let Some(text) = map.get("text").and_then(|t| t.as_str()) {
                    out.push(text.to_string());
                }
            }
            map.values().for_each(|v| mrkdwn_texts(v, out));
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| mrkdwn_texts(v, out)),
        _ => {}
    }
}

/// Free text of up to `parts` pieces.
fn text(parts: usize) -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        // Mention and markup fragments, Japanese, combining marks, emoji sequences.
        proptest::collection::vec(
            prop_oneof![
                Just("<!channel>".to_string()),
                Just("<@U123>".to_string()),
                Just("&".to_string()),
                Just("<".to_string()),
                Just(">".to_string()),
                Just("決済基盤".to_string()),
                Just("か\u{3099}".to_string()),
                Just("👨\u{200D}👩\u{200D}👧".to_string()),
                Just("\n".to_string()),
                "[a-z ]{0,20}",
            ],
            0..parts,
        )
        .prop_map(|parts| parts.concat()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn any_text_stays_within_limits_and_pings_nobody(
        description in text(400),
        account_name in proptest::option::of(text(100)),
        // Long names are shortened anyway; many of them are what stresses the layout.
        service_names in proptest::collection::vec(text(30), 0..260),
        tag_value in text(400),
        cents in proptest::collection::vec(-1_000_000_000i64..10_000_000_000, 0..260),
    ) {
        let mut report = fixtures::daily_usd();
        report.description = description;
        report.account_name = account_name;
        report.tag_filter = TagFilter {
            clauses: vec![TagClause { key: tag_value.clone(), matches: TagMatch::Equals(vec![tag_value]) }],
        };
        report.services = service_names
            .into_iter()
            .zip(cents.into_iter().chain(std::iter::repeat(123)))
            .map(|(name, cents)| {
                let amount = Decimal::new(cents, 2);
                orgpulse_cost::ServiceLine { name, amount, change: fixtures::change(amount, Decimal::ONE) }
            })
            .collect();
        let message = render_report(&report, &ChannelId("C0123456789".into()), "key");
        if let Err(violations) = check_limits(&message) {
            return Err(TestCaseError::fail(violations.to_string()));
        }
        let value = serde_json::to_value(&message).unwrap();
        let mut texts = vec![value["text"].as_str().unwrap().to_string()];
        mrkdwn_texts(&value["blocks"], &mut texts);
        for text in texts {
            let ours = text.find("<https://us-east-1.console").map_or(text.as_str(), |i| &text[..i]);
            prop_assert!(!ours.contains('<'), "unescaped < in {:?}", text);
        }
        let terminal = render_text(&report);
        prop_assert!(!terminal.chars().any(|c| c.is_control() && c != '\n'));
    }
}
