//! The cells of a sheet as a grid of text, and the same grid as the configuration's CSV: the
//! sheet goes through exactly the reader and validation a downloaded CSV goes through.

use orgpulse_config::{SheetOrigin, Table};
use serde::Deserialize;
use serde_json::Value;

/// The text of the cells read, row by row, as people see them in the sheet (formatted values).
/// Merged cells carry their value in every cell of the merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetValues {
    pub spreadsheet_id: String,
    /// The A1 range Google answered for (e.g. `Accounts!A1:Z1000`).
    pub range: String,
    /// The tab's title.
    pub tab: String,
    /// The tab's `sheetId` (`spreadsheets.get`), the `gid` that links open the tab with.
    pub sheet_id: i64,
    pub rows: Vec<Vec<String>>,
}

impl SheetValues {
    /// The grid as CSV (UTF-8, comma-separated, every row as wide as the widest), which is
    /// what "File > Download > CSV" gives for the same cells.
    pub fn to_csv(&self) -> Vec<u8> {
        let width = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let mut writer = csv::WriterBuilder::new()
            .terminator(csv::Terminator::Any(b'\n'))
            .flexible(true)
            .from_writer(Vec::new());
        for row in &self.rows {
            let padded = row
                .iter()
                .map(String::as_str)
                .chain(std::iter::repeat_n("", width - row.len()));
            // Writing into a Vec cannot fail; the Result exists for other writers.
            writer
                .write_record(padded)
                .expect("writing CSV into memory");
        }
        writer.into_inner().expect("writing CSV into memory")
    }

    /// The rows as the configuration reader sees them: the same [`Table`] a CSV download of
    /// the sheet gives, so rows and problems are the same whichever way it is read; rows and
    /// columns are numbered as the sheet shows them (a range starting at B3 starts at row 3,
    /// column B), and problems are located at the tab's cells.
    pub fn to_table(&self) -> Table {
        let (_, first_row, first_column) = range_start(&self.range);
        Table::read_sheet_csv(
            &self.to_csv(),
            first_row,
            first_column,
            SheetOrigin {
                spreadsheet_id: self.spreadsheet_id.clone(),
                tab: self.tab.clone(),
                sheet_id: self.sheet_id,
            },
        )
    }
}

/// One cell of a `values.get` answer as text: strings as they are, numbers as written, booleans
/// as the sheet shows them.
pub(crate) fn cell_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Number(number) => number.to_string(),
        Value::Bool(true) => "TRUE".to_owned(),
        Value::Bool(false) => "FALSE".to_owned(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// `spreadsheets.get` with `fields=sheets(properties(sheetId,title,index,sheetType),merges)`.
#[derive(Debug, Deserialize)]
pub(crate) struct SpreadsheetMeta {
    #[serde(default)]
    pub sheets: Vec<SheetMeta>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SheetMeta {
    pub properties: SheetProperties,
    #[serde(default)]
    pub merges: Vec<GridRange>,
}

/// Google leaves out fields whose value is 0 (the first sheet's ID and index, row 0, …).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct SheetProperties {
    /// The tab's ID, the `gid` in its URL; links to a cell need it.
    #[serde(default)]
    pub sheet_id: i64,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub index: i64,
    #[serde(default)]
    pub sheet_type: Option<String>,
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct GridRange {
    #[serde(default)]
    pub start_row_index: usize,
    #[serde(default)]
    pub end_row_index: usize,
    #[serde(default)]
    pub start_column_index: usize,
    #[serde(default)]
    pub end_column_index: usize,
}

impl SpreadsheetMeta {
    /// The first tab (lowest index) that holds cells; charts and data-source sheets do not.
    pub fn first_grid_sheet(&self) -> Option<&SheetMeta> {
        self.sheets
            .iter()
            .filter(|s| {
                s.properties
                    .sheet_type
                    .as_deref()
                    .is_none_or(|t| t == "GRID")
            })
            .min_by_key(|s| s.properties.index)
    }

    pub fn sheet_titled(&self, title: &str) -> Option<&SheetMeta> {
        self.sheets.iter().find(|s| s.properties.title == title)
    }
}

/// `values.get`'s answer.
#[derive(Debug, Deserialize)]
pub(crate) struct ValueRange {
    #[serde(default)]
    pub range: String,
    #[serde(default)]
    pub values: Vec<Vec<Value>>,
}

pub(crate) use orgpulse_config::quoted_title;

/// Where an A1 range starts: the tab's title (when named) and the 0-based row and column of
/// its top-left cell (`'My tab'!B3:F` → `("My tab", 2, 1)`).
pub(crate) fn range_start(range: &str) -> (Option<String>, usize, usize) {
    let (title, cells) = split_title(range);
    let cells = cells.split(':').next().unwrap_or_default();
    let letters: String = cells
        .chars()
        .take_while(char::is_ascii_alphabetic)
        .collect();
    let digits: String = cells[letters.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let column = letters
        .chars()
        .fold(0usize, |n, c| {
            n.saturating_mul(26)
                .saturating_add(usize::from(c.to_ascii_uppercase() as u8 - b'A' + 1))
        })
        .saturating_sub(1);
    let row = digits.parse::<usize>().map_or(0, |n| n.saturating_sub(1));
    (title, row, column)
}

fn split_title(range: &str) -> (Option<String>, &str) {
    if let Some(rest) = range.strip_prefix('\'') {
        let mut title = String::new();
        let mut chars = rest.char_indices().peekable();
        while let Some((i, c)) = chars.next() {
            if c == '\'' {
                if chars.peek().map(|(_, next)| *next) == Some('\'') {
                    title.push('\'');
                    chars.next();
                    continue;
                }
                let after = &rest[i + 1..];
                return (Some(title), after.strip_prefix('!').unwrap_or(after));
            }
            title.push(c);
        }
        return (Some(title), "");
    }
    match range.split_once('!') {
        Some((title, cells)) => (Some(title.to_owned()), cells),
        None => (None, range),
    }
}

/// A merge whose copies would exceed the expansion budget: the values read plus every copy
/// a merge adds may not exceed [`orgpulse_config::MAX_FILE_BYTES`] (what orgpulse reads of a
/// configuration at all). Checked before copying, from the area and the value's length, so a
/// merge of B1:Z40000 holding 1,000 characters (about 1 GB of copies) is refused up front
/// instead of exhausting the plan function's memory — which would also stop it before the
/// last-good fallback could run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MergeTooLarge {
    /// The merge, as rows and columns of the sheet (1-based, inclusive).
    pub area: String,
    /// Bytes the expansion would reach.
    pub bytes: usize,
}

/// The grid of a `values.get` answer with each merged area's value copied into every cell of
/// the area: a value merged across three rows belongs to the three rows, as people see it.
/// Rows are not added below the data (a merge reaching into empty rows does not make rows).
pub(crate) fn grid_with_merges(
    values: &[Vec<Value>],
    start_row: usize,
    start_column: usize,
    merges: &[GridRange],
) -> Result<Vec<Vec<String>>, MergeTooLarge> {
    let mut grid: Vec<Vec<String>> = values
        .iter()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    let mut bytes: usize = grid.iter().flatten().map(String::len).sum();
    for merge in merges {
        let (Some(top), Some(left)) = (
            merge.start_row_index.checked_sub(start_row),
            merge.start_column_index.checked_sub(start_column),
        ) else {
            // Its value lies outside the cells read.
            continue;
        };
        let Some(value) = grid.get(top).and_then(|row| row.get(left)).cloned() else {
            continue;
        };
        if value.is_empty() {
            continue;
        }
        let bottom = (merge.end_row_index.saturating_sub(start_row)).min(grid.len());
        let right = merge.end_column_index.saturating_sub(start_column);
        // At most this many copies (an upper bound: cells that already hold text keep it).
        let area = bottom
            .saturating_sub(top)
            .saturating_mul(right.saturating_sub(left));
        bytes = bytes.saturating_add(area.saturating_mul(value.len()));
        if bytes > orgpulse_config::MAX_FILE_BYTES {
            return Err(MergeTooLarge {
                area: format!(
                    "rows {}-{}, columns {}-{}",
                    merge.start_row_index + 1,
                    merge.end_row_index,
                    merge.start_column_index + 1,
                    merge.end_column_index
                ),
                bytes,
            });
        }
        for row in grid.iter_mut().take(bottom).skip(top) {
            if row.len() < right {
                row.resize(right, String::new());
            }
            for cell in row.iter_mut().take(right).skip(left) {
                if cell.is_empty() {
                    cell.clone_from(&value);
                }
            }
        }
    }
    Ok(grid)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn range_starts() {
        assert_eq!(
            range_start("Sheet1!A1:Z1000"),
            (Some("Sheet1".into()), 0, 0)
        );
        assert_eq!(
            range_start("'It''s ok!'!B3:F"),
            (Some("It's ok!".into()), 2, 1)
        );
        assert_eq!(range_start("'設定'!AA10"), (Some("設定".into()), 9, 26));
        assert_eq!(range_start("A:Z"), (None, 0, 0));
        assert_eq!(range_start("Accounts!5:9"), (Some("Accounts".into()), 4, 0));
    }

    #[test]
    fn quoted_titles_round_trip() {
        let quoted = quoted_title("Bob's tab");
        assert_eq!(quoted, "'Bob''s tab'");
        assert_eq!(
            range_start(&format!("{quoted}!C2")),
            (Some("Bob's tab".into()), 1, 2)
        );
    }

    #[test]
    fn cells_as_text() {
        let row = [
            json!("012345678901"),
            json!(123456789012u64),
            json!(1.5),
            json!(true),
            json!(null),
        ];
        let texts: Vec<String> = row.iter().map(cell_text).collect();
        assert_eq!(texts, ["012345678901", "123456789012", "1.5", "TRUE", ""]);
    }

    #[test]
    fn merged_values_fill_their_area_within_the_data() {
        let values = vec![
            vec![json!("AccountId"), json!("ChannelIds")],
            vec![json!("111111111111"), json!("C0SHARED01")],
            vec![json!("222222222222")],
            vec![json!("333333333333"), json!("")],
        ];
        // ChannelIds merged over data rows 1–3 and on into empty rows below.
        let merges = [GridRange {
            start_row_index: 1,
            end_row_index: 10,
            start_column_index: 1,
            end_column_index: 2,
        }];
        let grid = grid_with_merges(&values, 0, 0, &merges).unwrap();
        assert_eq!(grid.len(), 4);
        for row in &grid[1..] {
            assert_eq!(row[1], "C0SHARED01");
        }
    }

    #[test]
    fn a_merge_whose_copies_exceed_the_budget_is_refused_before_copying() {
        // B1:Z40000 holding 1,000 characters: about 1 GB of copies.
        let mut values = vec![vec![json!("AccountId"), json!("x".repeat(1_000))]];
        values.extend((1..40_000).map(|i| vec![json!(format!("{i:012}"))]));
        let merges = [GridRange {
            start_row_index: 0,
            end_row_index: 40_000,
            start_column_index: 1,
            end_column_index: 26,
        }];
        let too_large = grid_with_merges(&values, 0, 0, &merges).unwrap_err();
        assert_eq!(too_large.area, "rows 1-40000, columns 2-26");
        assert!(too_large.bytes > 900_000_000, "{too_large:?}");
        // A merge within the budget still expands.
        let merges = [GridRange {
            end_row_index: 100,
            end_column_index: 3,
            ..merges[0]
        }];
        let grid = grid_with_merges(&values, 0, 0, &merges).unwrap();
        assert_eq!(grid[99][2].len(), 1_000);
    }

    #[test]
    fn merges_are_placed_relative_to_the_range_read() {
        // The range starts at C5; a merge at D6:D7 is grid cell (1, 1) down to (2, 1).
        let values = vec![
            vec![json!("h1"), json!("h2")],
            vec![json!("a"), json!("x")],
            vec![json!("b")],
        ];
        let merges = [
            GridRange {
                start_row_index: 5,
                end_row_index: 7,
                start_column_index: 3,
                end_column_index: 4,
            },
            // Starts above the range: its value was not read, nothing is filled.
            GridRange {
                start_row_index: 0,
                end_row_index: 7,
                start_column_index: 2,
                end_column_index: 3,
            },
        ];
        let grid = grid_with_merges(&values, 4, 2, &merges).unwrap();
        assert_eq!(grid[2], ["b", "x"]);
    }

    #[test]
    fn csv_rows_are_padded_and_read_like_a_download() {
        let values = SheetValues {
            spreadsheet_id: "id".into(),
            range: "Sheet1!A1:C4".into(),
            tab: "Sheet1".into(),
            sheet_id: 0,
            rows: vec![
                vec![
                    "AccountId".into(),
                    "Description".into(),
                    "ChannelIds".into(),
                ],
                vec![],
                vec![
                    "012345678901".into(),
                    "説明, \"引用\"\n改行".into(),
                    "C0000000001".into(),
                ],
            ],
        };
        let csv = String::from_utf8(values.to_csv()).unwrap();
        assert_eq!(
            csv,
            "AccountId,Description,ChannelIds\n,,\n012345678901,\"説明, \"\"引用\"\"\n改行\",C0000000001\n"
        );
        let table = values.to_table();
        assert_eq!(table.rows.len(), 1);
        // The empty sheet row keeps its place, as in a downloaded CSV: the data is on row 3.
        assert_eq!(table.rows[0].number, 3);
        assert_eq!(table.rows[0].cells[1].text, "説明, \"引用\"\n改行");
    }
}
