//! What is wrong with a configuration file, said so the person who typed it can fix it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing wrong with the configuration.
///
/// `row` counts data rows from 1 as a person reading the spreadsheet would (the header is not
/// counted; in JSON, the first element of the array is row 1). Row 0 means the file as a whole
/// or the CSV header row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub row: usize,
    /// The column (CSV) or field (JSON), when the problem is about one.
    pub field: Option<String>,
    /// The offending value as typed (shortened when very long).
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    pub consequence: Consequence,
}

/// What loading did because of the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Consequence {
    /// The row was left out; its accounts fall back to their OU row or the Default row.
    RowSkipped,
    /// Only this value (or column) was ignored; the row itself was used.
    ValueIgnored,
    /// The file could not be read at all; no row was used.
    NothingLoaded,
    /// The row was left out, and the last version of it that was valid was used instead (a
    /// run with a last good configuration: the Lambdas, not `orgpulse config validate`).
    LastGoodKept,
}

impl Consequence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RowSkipped => "row skipped",
            Self::ValueIgnored => "value ignored",
            Self::NothingLoaded => "nothing loaded",
            Self::LastGoodKept => "its last good version used",
        }
    }
}

/// Values longer than this are shortened in messages, so one problem stays one readable line.
const SHOWN_VALUE_CHARS: usize = 80;

impl Problem {
    pub fn new(
        row: usize,
        field: Option<&str>,
        value: Option<&str>,
        message: impl Into<String>,
        fix: impl Into<String>,
        consequence: Consequence,
    ) -> Self {
        Self {
            row,
            field: field.map(str::to_owned),
            value: value.map(shorten),
            message: message.into(),
            fix: fix.into(),
            consequence,
        }
    }
}

fn shorten(value: &str) -> String {
    if value.chars().count() <= SHOWN_VALUE_CHARS {
        value.to_owned()
    } else {
        let head: String = value.chars().take(SHOWN_VALUE_CHARS).collect();
        format!("{head}…")
    }
}

/// Headers, messages and fixes quote what people typed; control characters in it (a line break
/// in a header or a tag key) are escaped so that one problem stays one line.
fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    if text.chars().any(char::is_control) {
        text.chars()
            .map(|c| {
                if c.is_control() {
                    c.escape_default().to_string()
                } else {
                    c.to_string()
                }
            })
            .collect::<String>()
            .into()
    } else {
        text.into()
    }
}

impl fmt::Display for Problem {
    /// One line: `row 3, ChannelIds = "#general": <what is wrong>. Fix: <what to do> (row skipped)`.
    /// Values are quoted with escapes, so newlines inside cells never break the line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "row {}", self.row)?;
        if let Some(field) = &self.field {
            write!(f, ", {}", one_line(field))?;
        }
        if let Some(value) = &self.value {
            write!(f, " = {value:?}")?;
        }
        write!(
            f,
            ": {}. Fix: {} ({})",
            one_line(self.message.trim_end_matches('.')),
            one_line(self.fix.trim_end_matches('.')),
            self.consequence.as_str()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_is_one_line_starting_with_row() {
        let problem = Problem::new(
            3,
            Some("Description"),
            Some("two\nlines"),
            "something is off",
            "do this.",
            Consequence::RowSkipped,
        );
        let line = problem.to_string();
        assert_eq!(
            line,
            r#"row 3, Description = "two\nlines": something is off. Fix: do this (row skipped)"#
        );
        assert!(!line.contains('\n'));
    }

    #[test]
    fn line_breaks_in_field_names_are_escaped() {
        let problem = Problem::new(0, Some("a\nb"), None, "m", "f", Consequence::ValueIgnored);
        assert_eq!(
            problem.to_string(),
            r#"row 0, a\nb: m. Fix: f (value ignored)"#
        );
    }

    #[test]
    fn long_values_are_shortened() {
        let long = "x".repeat(500);
        let problem = Problem::new(1, None, Some(&long), "m", "f", Consequence::ValueIgnored);
        assert_eq!(
            problem.value.as_deref().map(|v| v.chars().count()),
            Some(81)
        );
    }
}
