//! Slack's limits for one `chat.postMessage`, checked on the JSON Slack would receive.
//!
//! Used by the tests on every rendered message and by the client before every send, so an
//! oversized message is caught here, with the exact place, instead of coming back from Slack
//! as an opaque `invalid_blocks` / `msg_too_long`. Works on JSON so it checks any message
//! (reports, the operators' summary) exactly as serialised.
//!
//! Lengths are characters (Unicode scalar values), as Slack documents them.

use std::fmt;

use serde_json::Value;

use crate::mrkdwn::char_len;

/// At most 50 blocks per message.
pub const MAX_BLOCKS: usize = 50;
/// Header block text (plain_text only).
pub const MAX_HEADER_TEXT_CHARS: usize = 150;
/// Section block `text`.
pub const MAX_SECTION_TEXT_CHARS: usize = 3000;
/// Section block `fields`: count and each field's text.
pub const MAX_SECTION_FIELDS: usize = 10;
pub const MAX_SECTION_FIELD_CHARS: usize = 2000;
/// Context block elements.
pub const MAX_CONTEXT_ELEMENTS: usize = 10;
/// Any text object not covered by a tighter limit.
pub const MAX_TEXT_OBJECT_CHARS: usize = 3000;
/// Actions block elements; a button's label, URL and value.
pub const MAX_ACTIONS_ELEMENTS: usize = 25;
pub const MAX_BUTTON_TEXT_CHARS: usize = 75;
pub const MAX_URL_CHARS: usize = 3000;
pub const MAX_BUTTON_VALUE_CHARS: usize = 2000;
/// Image block / element.
pub const MAX_IMAGE_ALT_TEXT_CHARS: usize = 2000;
pub const MAX_IMAGE_TITLE_CHARS: usize = 2000;
/// `block_id` and `action_id`.
pub const MAX_ID_CHARS: usize = 255;
/// The top-level `text` (notification fallback); Slack truncates beyond it.
pub const MAX_FALLBACK_TEXT_CHARS: usize = 40_000;
/// Undocumented: Slack answers `msg_blocks_too_long` around 13,000 characters of blocks.
/// Measured here as the characters of the `blocks` array's compact JSON, which is never less
/// than the text it carries, so staying under it is safe whatever Slack counts exactly.
pub const MAX_BLOCKS_JSON_CHARS: usize = 13_000;

/// One broken limit, with the JSON path of the offending value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// e.g. `blocks[3].fields[2].text`.
    pub path: String,
    /// What is limited, e.g. "section text characters".
    pub rule: &'static str,
    pub actual: usize,
    /// The allowed maximum (or minimum, for "must not be empty" rules: 1).
    pub limit: usize,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} is {}, Slack allows {}",
            self.path,
            self.rule,
            self.actual,
            if self.rule.starts_with("empty") {
                "no empty text".to_string()
            } else {
                format!("at most {}", self.limit)
            }
        )
    }
}

/// Every limit a message breaks.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct LimitViolations(pub Vec<Violation>);

impl fmt::Display for LimitViolations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message breaks {} Slack limit(s): ", self.0.len())?;
        for (i, v) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str("; ")?;
            }
            write!(f, "{v}")?;
        }
        Ok(())
    }
}

/// Checks a message body (anything that serialises to the `chat.postMessage` JSON).
pub fn check<T: serde::Serialize>(message: &T) -> Result<(), LimitViolations> {
    // Our message types always serialise; anything else is reported rather than panicking.
    let json = serde_json::to_value(message).map_err(|_| {
        LimitViolations(vec![Violation {
            path: "$".into(),
            rule: "message that does not serialise to JSON",
            actual: 1,
            limit: 0,
        }])
    })?;
    check_json(&json)
}

/// Checks the JSON body of a `chat.postMessage`.
pub fn check_json(message: &Value) -> Result<(), LimitViolations> {
    let mut checker = Checker::default();
    checker.message(message);
    if checker.violations.is_empty() {
        Ok(())
    } else {
        Err(LimitViolations(checker.violations))
    }
}

#[derive(Default)]
struct Checker {
    violations: Vec<Violation>,
}

impl Checker {
    fn at_most(&mut self, path: &str, rule: &'static str, actual: usize, limit: usize) {
        if actual > limit {
            self.violations.push(Violation {
                path: path.to_string(),
                rule,
                actual,
                limit,
            });
        }
    }

    fn not_empty(&mut self, path: &str, actual: usize) {
        if actual == 0 {
            self.violations.push(Violation {
                path: path.to_string(),
                rule: "empty text length",
                actual,
                limit: 1,
            });
        }
    }

    fn unsupported(&mut self, path: &str, rule: &'static str) {
        self.violations.push(Violation {
            path: path.to_string(),
            rule,
            actual: 1,
            limit: 0,
        });
    }

    fn message(&mut self, message: &Value) {
        if let Some(text) = message.get("text").and_then(Value::as_str) {
            self.at_most(
                "text",
                "fallback text characters",
                char_len(text),
                MAX_FALLBACK_TEXT_CHARS,
            );
        }
        let Some(blocks) = message.get("blocks") else {
            return;
        };
        let Some(blocks) = blocks.as_array() else {
            self.unsupported("blocks", "blocks that are not an array");
            return;
        };
        self.at_most("blocks", "number of blocks", blocks.len(), MAX_BLOCKS);
        let json_chars = char_len(&Value::Array(blocks.clone()).to_string());
        self.at_most(
            "blocks",
            "characters of all blocks (JSON)",
            json_chars,
            MAX_BLOCKS_JSON_CHARS,
        );
        for (i, block) in blocks.iter().enumerate() {
            self.block(&format!("blocks[{i}]"), block);
        }
    }

    fn block(&mut self, path: &str, block: &Value) {
        if let Some(id) = block.get("block_id").and_then(Value::as_str) {
            self.at_most(
                &format!("{path}.block_id"),
                "block_id characters",
                char_len(id),
                MAX_ID_CHARS,
            );
        }
        match block.get("type").and_then(Value::as_str) {
            Some("header") => self.header(path, block),
            Some("section") => self.section(path, block),
            Some("context") => self.context(path, block),
            Some("actions") => self.actions(path, block),
            Some("image") => self.image(path, block),
            Some("divider") => {}
            _ => self.unsupported(path, "block type this checker does not know"),
        }
    }

    fn header(&mut self, path: &str, block: &Value) {
        let text_path = format!("{path}.text");
        match block.get("text") {
            Some(text) if text.get("type").and_then(Value::as_str) == Some("plain_text") => self
                .text_object(
                    &text_path,
                    text,
                    "header text characters",
                    MAX_HEADER_TEXT_CHARS,
                ),
            _ => self.unsupported(&text_path, "header text that is not plain_text"),
        }
    }

    fn section(&mut self, path: &str, block: &Value) {
        let text = block.get("text");
        let fields = block.get("fields").and_then(Value::as_array);
        if text.is_none() && fields.is_none() {
            self.unsupported(path, "section without text or fields");
        }
        if let Some(text) = text {
            self.text_object(
                &format!("{path}.text"),
                text,
                "section text characters",
                MAX_SECTION_TEXT_CHARS,
            );
        }
        if let Some(fields) = fields {
            self.at_most(
                &format!("{path}.fields"),
                "number of section fields",
                fields.len(),
                MAX_SECTION_FIELDS,
            );
            for (i, field) in fields.iter().enumerate() {
                self.text_object(
                    &format!("{path}.fields[{i}]"),
                    field,
                    "section field characters",
                    MAX_SECTION_FIELD_CHARS,
                );
            }
        }
        if let Some(accessory) = block.get("accessory") {
            self.element(&format!("{path}.accessory"), accessory);
        }
    }

    fn context(&mut self, path: &str, block: &Value) {
        let elements_path = format!("{path}.elements");
        let Some(elements) = block.get("elements").and_then(Value::as_array) else {
            self.unsupported(&elements_path, "context without elements");
            return;
        };
        self.not_empty(&elements_path, elements.len());
        self.at_most(
            &elements_path,
            "number of context elements",
            elements.len(),
            MAX_CONTEXT_ELEMENTS,
        );
        for (i, element) in elements.iter().enumerate() {
            let element_path = format!("{elements_path}[{i}]");
            match element.get("type").and_then(Value::as_str) {
                Some("plain_text" | "mrkdwn") => self.text_object(
                    &element_path,
                    element,
                    "context text characters",
                    MAX_TEXT_OBJECT_CHARS,
                ),
                Some("image") => self.image_element(&element_path, element),
                _ => self.unsupported(&element_path, "context element type"),
            }
        }
    }

    fn actions(&mut self, path: &str, block: &Value) {
        let elements_path = format!("{path}.elements");
        let Some(elements) = block.get("elements").and_then(Value::as_array) else {
            self.unsupported(&elements_path, "actions without elements");
            return;
        };
        self.not_empty(&elements_path, elements.len());
        self.at_most(
            &elements_path,
            "number of actions elements",
            elements.len(),
            MAX_ACTIONS_ELEMENTS,
        );
        for (i, element) in elements.iter().enumerate() {
            self.element(&format!("{elements_path}[{i}]"), element);
        }
    }

    fn element(&mut self, path: &str, element: &Value) {
        match element.get("type").and_then(Value::as_str) {
            Some("button") => {
                match element.get("text") {
                    Some(text) => self.text_object(
                        &format!("{path}.text"),
                        text,
                        "button text characters",
                        MAX_BUTTON_TEXT_CHARS,
                    ),
                    None => self.unsupported(path, "button without text"),
                }
                self.string_at_most(path, element, "url", "url characters", MAX_URL_CHARS);
                self.string_at_most(
                    path,
                    element,
                    "value",
                    "button value characters",
                    MAX_BUTTON_VALUE_CHARS,
                );
                self.string_at_most(
                    path,
                    element,
                    "action_id",
                    "action_id characters",
                    MAX_ID_CHARS,
                );
            }
            Some("image") => self.image_element(path, element),
            _ => self.unsupported(path, "element type this checker does not know"),
        }
    }

    fn image(&mut self, path: &str, block: &Value) {
        self.image_element(path, block);
        if let Some(title) = block.get("title") {
            self.text_object(
                &format!("{path}.title"),
                title,
                "image title characters",
                MAX_IMAGE_TITLE_CHARS,
            );
        }
    }

    fn image_element(&mut self, path: &str, image: &Value) {
        self.string_at_most(path, image, "image_url", "url characters", MAX_URL_CHARS);
        match image.get("alt_text").and_then(Value::as_str) {
            Some(alt) => {
                let alt_path = format!("{path}.alt_text");
                self.not_empty(&alt_path, char_len(alt));
                self.at_most(
                    &alt_path,
                    "image alt_text characters",
                    char_len(alt),
                    MAX_IMAGE_ALT_TEXT_CHARS,
                );
            }
            None => self.unsupported(path, "image without alt_text"),
        }
    }

    fn string_at_most(
        &mut self,
        path: &str,
        object: &Value,
        key: &str,
        rule: &'static str,
        limit: usize,
    ) {
        if let Some(value) = object.get(key).and_then(Value::as_str) {
            self.at_most(&format!("{path}.{key}"), rule, char_len(value), limit);
        }
    }

    fn text_object(&mut self, path: &str, text: &Value, rule: &'static str, limit: usize) {
        match text.get("text").and_then(Value::as_str) {
            Some(content) => {
                let length = char_len(content);
                self.not_empty(path, length);
                self.at_most(path, rule, length, limit);
            }
            None => self.unsupported(path, "text object without text"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn message_with(blocks: Value) -> Value {
        json!({"channel": "C1", "text": "fallback", "blocks": blocks})
    }

    #[test]
    fn a_small_valid_message_passes() {
        let message = message_with(json!([
            {"type": "header", "text": {"type": "plain_text", "text": "Cost"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "*$1*"},
             "fields": [{"type": "mrkdwn", "text": "a"}]},
            {"type": "divider"},
            {"type": "context", "elements": [{"type": "plain_text", "text": "x"}]},
            {"type": "actions", "elements": [{"type": "button",
              "text": {"type": "plain_text", "text": "Open"}, "url": "https://x.example"}]}
        ]));
        assert_eq!(check_json(&message), Ok(()));
    }

    #[test]
    fn reports_each_broken_limit_with_its_path() {
        let fields: Vec<Value> = (0..11)
            .map(|_| json!({"type": "mrkdwn", "text": "f"}))
            .collect();
        let message = message_with(json!([
            {"type": "header", "text": {"type": "plain_text", "text": "é".repeat(151)}},
            {"type": "header", "text": {"type": "mrkdwn", "text": "x"}},
            {"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(3001)}},
            {"type": "section", "fields": fields},
            {"type": "section", "text": {"type": "mrkdwn", "text": ""}},
            {"type": "context", "elements": (0..11).map(|_| json!({"type": "mrkdwn", "text": "c"})).collect::<Vec<_>>()},
            {"type": "rich_text", "elements": []}
        ]));
        let violations = check_json(&message).unwrap_err().0;
        let paths: Vec<(&str, &str)> = violations
            .iter()
            .map(|v| (v.path.as_str(), v.rule))
            .collect();
        assert_eq!(
            paths,
            vec![
                ("blocks[0].text", "header text characters"),
                ("blocks[1].text", "header text that is not plain_text"),
                ("blocks[2].text", "section text characters"),
                ("blocks[3].fields", "number of section fields"),
                ("blocks[4].text", "empty text length"),
                ("blocks[5].elements", "number of context elements"),
                ("blocks[6]", "block type this checker does not know"),
            ]
        );
        // Characters, not bytes: 150 two-byte characters pass.
        let ok = message_with(json!([
            {"type": "header", "text": {"type": "plain_text", "text": "é".repeat(150)}}
        ]));
        assert_eq!(check_json(&ok), Ok(()));
    }

    #[test]
    fn whole_message_limits() {
        let many: Vec<Value> = (0..51).map(|_| json!({"type": "divider"})).collect();
        let violations = check_json(&message_with(Value::Array(many))).unwrap_err().0;
        assert_eq!(violations[0].rule, "number of blocks");

        let long_sections: Vec<Value> = (0..5)
            .map(|_| json!({"type": "section", "text": {"type": "mrkdwn", "text": "x".repeat(2900)}}))
            .collect();
        let violations = check_json(&message_with(Value::Array(long_sections)))
            .unwrap_err()
            .0;
        assert_eq!(violations.len(), 1);
        assert_eq!(violations[0].rule, "characters of all blocks (JSON)");

        let long_text = json!({"channel": "C1", "text": "x".repeat(40_001)});
        let violations = check_json(&long_text).unwrap_err().0;
        assert_eq!(violations[0].path, "text");
        let message = LimitViolations(violations).to_string();
        assert!(
            message.contains("text: fallback text characters is 40001, Slack allows at most 40000"),
            "{message}"
        );
    }
}
