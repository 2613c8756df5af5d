//! What is wrong with a configuration file, said so the person who typed it can fix it.

use std::fmt;

use serde::{Deserialize, Serialize};

/// One thing wrong with the configuration.
///
/// `row` counts rows as the source shows them: in a CSV file or a Google Sheet, the row number a
/// spreadsheet shows (the header is a row, usually row 1; empty rows count); in JSON, the
/// element of the array, from 1. Row 0 means the file as a whole.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Problem {
    pub row: usize,
    /// The column (CSV) or field (JSON), when the problem is about one.
    pub field: Option<String>,
    /// The spreadsheet column (0-based) when it is not the one `field` names (a second column
    /// with the same header, a value under no header). Only [`crate::validate`] reads it: it
    /// becomes the location's column letter.
    #[serde(skip)]
    pub column: Option<usize>,
    /// The offending value as typed (shortened when very long).
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
    /// What to do about it.
    pub fix: String,
    pub consequence: Consequence,
    /// Where the source shows the problem: the cell, row or element, as structured fields and
    /// as the text messages start with. Set by [`crate::validate`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<Box<Location>>,
}

/// Where a problem is, the way the source shows it.
///
/// - Google Sheet: the tab and the A1 cell (`'アカウント設定'!C7`), or the tab and the row when
///   the problem is about the whole row; `url` opens the sheet at that cell.
/// - CSV: the spreadsheet row (the header is row 1) and the column letter (`row 7, column C`).
/// - JSON: the element of the array, from 1 (`element 3`), and the field.
///
/// Every field is present in `--format json` (null when it does not apply), so other tools
/// can point at the cell too.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Location {
    /// The spreadsheet ID (Google Sheet only).
    pub sheet: Option<String>,
    /// The tab's title (Google Sheet only).
    pub tab: Option<String>,
    /// The tab's `sheetId`, the `gid` of its URL (Google Sheet only).
    pub sheet_id: Option<i64>,
    /// The row a spreadsheet shows (CSV, Google Sheet).
    pub row: Option<usize>,
    /// The element of the array, from 1 (JSON).
    pub element: Option<usize>,
    /// The column letter (CSV, Google Sheet), when the problem is about one cell.
    pub column: Option<String>,
    /// The column's header (CSV, Google Sheet) or the object's field (JSON).
    pub field: Option<String>,
    /// The cell in A1 notation: `'Tab'!C7` in a Google Sheet, `C7` in a CSV file; a whole row
    /// is `'Tab'!7:7` or `7:7`.
    pub a1: Option<String>,
    /// The Google Sheet opened at that cell (or row).
    pub url: Option<String>,
    /// How messages name the place: `'Tab'!C7`, `row 7, column C`, `element 3`, `the file`.
    pub text: String,
}

/// What [`Location::new`] needs to know about the source.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Place<'a> {
    /// A JSON file: rows are elements of the array.
    Json,
    /// A CSV file: rows and columns as a spreadsheet shows them.
    Csv,
    /// A tab of a Google Sheet.
    Sheet {
        spreadsheet_id: &'a str,
        tab: &'a str,
        sheet_id: i64,
    },
}

impl Location {
    /// `row` 0 is the whole file (or tab); `column` is the 0-based spreadsheet column.
    pub(crate) fn new(
        place: Place<'_>,
        row: usize,
        column: Option<usize>,
        field: Option<&str>,
    ) -> Self {
        let field = field.map(str::to_owned);
        let mut location = Location {
            sheet: None,
            tab: None,
            sheet_id: None,
            row: None,
            element: None,
            column: None,
            field,
            a1: None,
            url: None,
            text: String::new(),
        };
        let row = (row > 0).then_some(row);
        match place {
            Place::Json => {
                location.element = row;
                location.text = match row {
                    Some(n) => format!("element {n}"),
                    None => "the file".to_owned(),
                };
            }
            Place::Csv => {
                location.row = row;
                location.column = row.and(column).map(column_letter);
                location.a1 = row.map(|n| match &location.column {
                    Some(letter) => format!("{letter}{n}"),
                    None => format!("{n}:{n}"),
                });
                location.text = match (row, &location.column) {
                    (Some(n), Some(letter)) => format!("row {n}, column {letter}"),
                    (Some(n), None) => format!("row {n}"),
                    (None, _) => "the file".to_owned(),
                };
            }
            Place::Sheet {
                spreadsheet_id,
                tab,
                sheet_id,
            } => {
                location.sheet = Some(spreadsheet_id.to_owned());
                location.tab = Some(tab.to_owned());
                location.sheet_id = Some(sheet_id);
                location.row = row;
                location.column = row.and(column).map(column_letter);
                let quoted = quoted_title(tab);
                let range = row.map(|n| match &location.column {
                    Some(letter) => format!("{letter}{n}"),
                    None => format!("{n}:{n}"),
                });
                location.text = match (row, &location.column) {
                    (Some(_), Some(_)) => format!("{quoted}!{}", range.as_deref().unwrap_or("")),
                    (Some(n), None) => format!("{quoted} row {n}"),
                    (None, _) => quoted.clone(),
                };
                location.a1 = range.as_ref().map(|r| format!("{quoted}!{r}"));
                // Google Sheets opens `#gid=<sheetId>&range=<A1>` at that cell, in that tab.
                let mut url = format!(
                    "https://docs.google.com/spreadsheets/d/{spreadsheet_id}/edit#gid={sheet_id}"
                );
                if let Some(range) = &range {
                    url.push_str("&range=");
                    url.push_str(range);
                }
                location.url = Some(url);
            }
        }
        location
    }
}

impl Location {
    /// The row (or element) alone, as messages name it: `'Tab' row 7`, `row 7`, `element 3`,
    /// `the file`.
    pub fn row_text(&self) -> String {
        match (&self.tab, self.row, self.element) {
            (Some(tab), Some(row), _) => format!("{} row {row}", quoted_title(tab)),
            (None, Some(row), _) => format!("row {row}"),
            (_, None, Some(element)) => format!("element {element}"),
            (Some(tab), None, None) => quoted_title(tab),
            (None, None, None) => "the file".to_owned(),
        }
    }
}

/// Spreadsheet column letters (0 → A, 26 → AA), as people see them above the sheet.
pub(crate) fn column_letter(position: usize) -> String {
    let mut n = position + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// A tab's title as A1 notation writes it: always quoted, quotes doubled (`'Bob''s tab'`).
pub fn quoted_title(title: &str) -> String {
    format!("'{}'", title.replace('\'', "''"))
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
            column: None,
            value: value.map(shorten),
            message: message.into(),
            fix: fix.into(),
            consequence,
            location: None,
        }
    }

    /// The problem is in spreadsheet column `position` (0-based), whatever `field` says.
    pub(crate) fn in_column(mut self, position: usize) -> Self {
        self.column = Some(position);
        self
    }

    /// Where the problem is, as the messages say it: the location's text, or `row N` for a
    /// problem not located yet.
    pub fn place(&self) -> String {
        match &self.location {
            Some(location) => location.text.clone(),
            None => format!("row {}", self.row),
        }
    }

    /// The line without its place: `ChannelIds = "#general": <what is wrong>. Fix: <what to
    /// do> (row skipped)`; [`Display`](fmt::Display) puts the place in front.
    pub fn details(&self) -> String {
        let mut text = String::new();
        if let Some(field) = &self.field {
            text.push_str(&one_line(field));
        }
        if let Some(value) = &self.value {
            if !text.is_empty() {
                text.push(' ');
            }
            text.push_str(&format!("= {value:?}"));
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&format!(
            "{}. Fix: {} ({})",
            one_line(self.message.trim_end_matches('.')),
            one_line(self.fix.trim_end_matches('.')),
            self.consequence.as_str()
        ));
        text
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
    /// One line, the place first: `'Accounts'!C7, ChannelIds = "#general": <what is wrong>.
    /// Fix: <what to do> (row skipped)` (a CSV file says `row 7, column C, …`, JSON
    /// `element 6, …`). Values are quoted with escapes, so newlines inside cells never break
    /// the line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let separator = match (&self.field, &self.value) {
            (Some(_), _) => ", ",
            (None, Some(_)) => " ",
            (None, None) => ": ",
        };
        write!(
            f,
            "{}{separator}{}",
            one_line(&self.place()),
            self.details()
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
