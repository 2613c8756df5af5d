//! Rows as typed by people, before any meaning is given to them: a table of text cells read
//! from JSON or CSV and written back to either. `convert` works on this level, so nothing a
//! person typed is lost, not even values that do not validate or columns orgpulse does not know.

use std::fmt;
use std::str::FromStr;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::columns::{Column, ColumnKind};
use crate::problem::{column_letter, Consequence, Location, Place, Problem};

/// A configuration file larger than this is refused: a few hundred rows are a few dozen KiB,
/// so anything this big is the wrong file, and reading it would only cost memory.
pub const MAX_FILE_BYTES: usize = 4 * 1024 * 1024;
/// A cell longer than this (in UTF-8 bytes) makes its row invalid.
pub const MAX_CELL_BYTES: usize = 4 * 1024;
/// The header is looked for in this many rows from the top: a title and a few lines of notes
/// above it are common in shared sheets; further down, the rows are data.
pub const MAX_HEADER_ROW: usize = 10;

/// The two file formats of a configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// An array of objects, as in the seed.
    Json,
    /// A header row with the same names, then one row per line (UTF-8, with or without BOM).
    Csv,
}

impl Format {
    /// JSON when the first thing in the file (after a BOM and whitespace) is `[` or `{`;
    /// CSV otherwise.
    pub fn detect(bytes: &[u8]) -> Format {
        let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
        match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[' | b'{') => Format::Json,
            _ => Format::Csv,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Csv => "csv",
        }
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "json" => Ok(Self::Json),
            "csv" => Ok(Self::Csv),
            _ => Err(format!("{s:?} is not a configuration format (json or csv)")),
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// Where a cell's text came from; validation uses it to explain JSON type mistakes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CellKind {
    /// A CSV cell or a JSON string.
    Text,
    /// The JSON object had no such field (the text is empty).
    Absent,
    JsonNumber,
    JsonBool,
    JsonNull,
    /// A JSON array; the text lists its items separated by `, `.
    JsonArray,
    /// A JSON object; the text is `Key=Value; …` when its values are plain, its JSON otherwise.
    JsonObject,
}

/// One cell: text as typed (line breaks normalised to `\n`) and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cell {
    pub text: String,
    pub kind: CellKind,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            kind: CellKind::Text,
        }
    }
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// One data row. `cells` line up with [`Table::columns`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TableRow {
    /// The row as the source shows it (see [`Problem::row`]): in CSV and sheets the row number a
    /// spreadsheet shows (the header, rows above it and empty rows count), in JSON the element.
    pub number: usize,
    pub cells: Vec<Cell>,
}

/// Rows as read from a file. Blank rows are left out (their numbers are not reused).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Table {
    /// The format the table was read from.
    pub source: Format,
    /// Column names: known columns in their canonical spelling (`AccountId`), others as typed.
    pub columns: Vec<String>,
    pub rows: Vec<TableRow>,
    /// Problems found while reading (encoding, syntax, duplicate or headerless columns).
    pub problems: Vec<Problem>,
    /// Where rows and columns are in the source, to locate problems as it shows them.
    #[serde(default)]
    pub layout: Layout,
}

/// Where a table's rows and columns are in a CSV file or a sheet.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Layout {
    /// The row of the header, as a spreadsheet numbers it (0: JSON, or no header).
    pub header_row: usize,
    /// The spreadsheet column (0-based) of each of [`Table::columns`] (CSV and sheets).
    pub column_positions: Vec<usize>,
    /// Non-empty rows above the header, skipped as notes (a title, a few lines of text).
    pub note_rows: Vec<usize>,
    /// Set when the rows were read from a Google Sheet.
    pub sheet: Option<SheetOrigin>,
}

/// The Google Sheet tab a table was read from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SheetOrigin {
    pub spreadsheet_id: String,
    /// The tab's title.
    pub tab: String,
    /// The tab's `sheetId` (the `gid` in its URL).
    pub sheet_id: i64,
}

impl Table {
    fn empty(source: Format, problems: Vec<Problem>) -> Self {
        Self {
            source,
            columns: Vec::new(),
            rows: Vec::new(),
            problems,
            layout: Layout::default(),
        }
    }

    /// Reads rows from `bytes`. Never fails: what cannot be read becomes a [`Problem`].
    pub fn read(bytes: &[u8], format: Format) -> Table {
        let text = match decode(bytes) {
            Ok(text) => text,
            Err(problem) => return Table::empty(format, vec![*problem]),
        };
        match format {
            Format::Json => read_json(text),
            Format::Csv => read_csv(text, 0, 0),
        }
    }

    /// Reads the CSV of a sheet's cells that start at 0-based `first_row` and `first_column` of
    /// `sheet` (a range like `'Tab'!B3:F`), so rows and columns are numbered as the sheet
    /// shows them.
    pub fn read_sheet_csv(
        bytes: &[u8],
        first_row: usize,
        first_column: usize,
        sheet: SheetOrigin,
    ) -> Table {
        let mut table = match decode(bytes) {
            Ok(text) => read_csv(text, first_row, first_column),
            Err(problem) => Table::empty(Format::Csv, vec![*problem]),
        };
        table.layout.sheet = Some(sheet);
        table
    }

    /// Where the source shows `problem`: the cell, the row or element, or the file.
    pub fn locate(&self, problem: &Problem) -> Location {
        let place = match (&self.layout.sheet, self.source) {
            (Some(sheet), _) => Place::Sheet {
                spreadsheet_id: &sheet.spreadsheet_id,
                tab: &sheet.tab,
                sheet_id: sheet.sheet_id,
            },
            (None, Format::Json) => Place::Json,
            (None, Format::Csv) => Place::Csv,
        };
        // The column a problem names: the one it says, else the one its field heads. A field
        // listing several columns ("AccountId, Default") is about the row, not one cell.
        let column = problem.column.or_else(|| {
            let field = problem.field.as_deref()?;
            let index = self.column_index(field)?;
            self.layout.column_positions.get(index).copied()
        });
        Location::new(place, problem.row, column, problem.field.as_deref())
    }

    /// Index of a column by its (canonical) name.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c == name)
    }

    /// Writes the rows in `format`. JSON is an array of objects with every column in every
    /// object, lists as arrays, `TRUE`/`FALSE` as booleans and plain integers as numbers; CSV
    /// starts with a UTF-8 BOM (so Excel reads Japanese text correctly) and the header row.
    pub fn write(&self, format: Format) -> Vec<u8> {
        match format {
            Format::Json => write_json(self).into_bytes(),
            Format::Csv => write_csv(self),
        }
    }
}

/// The text of a file, or why it cannot be read (boxed: it is the rare path).
fn decode(bytes: &[u8]) -> Result<&str, Box<Problem>> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(Box::new(Problem::new(
            0,
            None,
            None,
            format!(
                "the file has {} bytes; orgpulse reads configurations of at most {} MiB",
                bytes.len(),
                MAX_FILE_BYTES / 1024 / 1024
            ),
            "a configuration has one row per account or OU and is a few KiB: check that this is the right file",
            Consequence::NothingLoaded,
        )));
    }
    if bytes.starts_with(b"\xFF\xFE") || bytes.starts_with(b"\xFE\xFF") {
        return Err(Box::new(Problem::new(
            0,
            None,
            None,
            "the file is UTF-16 text (Excel's \"Unicode text\")",
            "save it as \"CSV UTF-8\" in Excel, or download it from Google Sheets as CSV",
            Consequence::NothingLoaded,
        )));
    }
    let bytes = bytes.strip_prefix(UTF8_BOM).unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        Box::new(Problem::new(
            0,
            None,
            None,
            format!("the file is not UTF-8 text (first bad byte on line {line})"),
            "Excel on Japanese Windows saves \"CSV\" as Shift_JIS: choose \"CSV UTF-8\" instead, or download the sheet from Google Sheets as CSV",
            Consequence::NothingLoaded,
        ))
    })
}

/// Line breaks inside cells become `\n`, whatever system typed them (`\r\n`, or `\r` alone).
fn normalize_newlines(text: &str) -> String {
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Canonical spelling for known columns; other headers trimmed, as typed.
fn canonical_header(header: &str) -> String {
    match Column::from_header(header) {
        Some(column) => column.name().to_owned(),
        None => header.trim().to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// JSON

/// One element of the top-level array.
enum JsonRow {
    /// Fields in the order written (serde_json's own map would sort them).
    Object(Vec<(String, Value)>),
    /// Anything else, named for the message ("a string", "an array", …).
    NotAnObject(&'static str),
}

impl<'de> Deserialize<'de> for JsonRow {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct RowVisitor;
        impl<'de> Visitor<'de> for RowVisitor {
            type Value = JsonRow;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a row object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonRow, A::Error> {
                let mut fields = Vec::new();
                while let Some(entry) = map.next_entry::<String, Value>()? {
                    fields.push(entry);
                }
                Ok(JsonRow::Object(fields))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonRow, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(JsonRow::NotAnObject("an array"))
            }
            fn visit_str<E>(self, _: &str) -> Result<JsonRow, E> {
                Ok(JsonRow::NotAnObject("a string"))
            }
            fn visit_bool<E>(self, _: bool) -> Result<JsonRow, E> {
                Ok(JsonRow::NotAnObject("a boolean"))
            }
            fn visit_i64<E>(self, _: i64) -> Result<JsonRow, E> {
                Ok(JsonRow::NotAnObject("a number"))
            }
            fn visit_u64<E>(self, _: u64) -> Result<JsonRow, E> {
                Ok(JsonRow::NotAnObject("a number"))
            }
            fn visit_f64<E>(self, _: f64) -> Result<JsonRow, E> {
                Ok(JsonRow::NotAnObject("a number"))
            }
            fn visit_unit<E>(self) -> Result<JsonRow, E> {
                Ok(JsonRow::NotAnObject("null"))
            }
        }
        deserializer.deserialize_any(RowVisitor)
    }
}

/// Reads the top-level array into `rows` as it goes, so that after a syntax error we know
/// which row it is in.
struct RowsSeed<'a> {
    rows: &'a mut Vec<JsonRow>,
}

impl<'de> DeserializeSeed<'de> for RowsSeed<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for RowsSeed<'_> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of rows")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        while let Some(row) = seq.next_element::<JsonRow>()? {
            self.rows.push(row);
        }
        Ok(())
    }
}

fn json_syntax_problem(rows_read: usize, text: &str, error: &serde_json::Error) -> Problem {
    let top_level_object = text.trim_start().starts_with('{');
    if top_level_object && rows_read == 0 && error.classify() == serde_json::error::Category::Data {
        return Problem::new(
            0,
            None,
            None,
            "the file is one JSON object; a configuration is an array of row objects",
            "wrap the rows in [ and ]: [ {\"AccountId\": \"…\", …}, {…} ]",
            Consequence::NothingLoaded,
        );
    }
    let trailing = error.to_string().contains("trailing characters");
    let row = if trailing { 0 } else { rows_read + 1 };
    Problem::new(
        row,
        None,
        None,
        format!("JSON syntax error: {error}"),
        if trailing {
            "remove what follows the closing ] of the array"
        } else {
            "look for a missing comma or quote, or a trailing comma, at that line; a JSON-aware editor marks it"
        },
        Consequence::NothingLoaded,
    )
}

fn read_json(text: &str) -> Table {
    let mut parsed = Vec::new();
    let mut deserializer = serde_json::Deserializer::from_str(text);
    let result = RowsSeed { rows: &mut parsed }
        .deserialize(&mut deserializer)
        .and_then(|()| deserializer.end());
    if let Err(error) = result {
        return Table::empty(
            Format::Json,
            vec![json_syntax_problem(parsed.len(), text, &error)],
        );
    }

    let mut problems = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    let mut objects: Vec<(usize, Vec<(String, Value)>)> = Vec::new();
    for (index, row) in parsed.into_iter().enumerate() {
        let number = index + 1;
        match row {
            JsonRow::Object(fields) => {
                let mut seen: Vec<String> = Vec::new();
                let mut kept = Vec::new();
                for (key, value) in fields {
                    let name = canonical_header(&key);
                    if seen.contains(&name) {
                        problems.push(Problem::new(
                            number,
                            Some(&name),
                            Some(&cell_from_json(&value).text),
                            format!("{name} appears twice in this object; the first value is used"),
                            format!("keep one {name} field and delete the other"),
                            Consequence::ValueIgnored,
                        ));
                        continue;
                    }
                    if !columns.contains(&name) {
                        columns.push(name.clone());
                    }
                    seen.push(name.clone());
                    kept.push((name, value));
                }
                objects.push((number, kept));
            }
            JsonRow::NotAnObject(kind) => problems.push(Problem::new(
                number,
                None,
                None,
                format!("this element of the array is {kind}, not a row object"),
                "write each row as an object: {\"AccountId\": \"…\", \"ChannelIds\": [\"C…\"], …}",
                Consequence::RowSkipped,
            )),
        }
    }

    let rows = objects
        .into_iter()
        .map(|(number, fields)| {
            let cells = columns
                .iter()
                .map(|column| {
                    fields
                        .iter()
                        .find(|(name, _)| name == column)
                        .map(|(_, value)| cell_from_json(value))
                        .unwrap_or(Cell {
                            text: String::new(),
                            kind: CellKind::Absent,
                        })
                })
                .collect();
            TableRow { number, cells }
        })
        .filter(|row| !row.cells.iter().all(Cell::is_blank))
        .collect();
    Table {
        source: Format::Json,
        columns,
        rows,
        problems,
        layout: Layout::default(),
    }
}

fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => normalize_newlines(s),
        Value::Bool(true) => "TRUE".into(),
        Value::Bool(false) => "FALSE".into(),
        Value::Null => String::new(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => value.to_string(),
    }
}

fn cell_from_json(value: &Value) -> Cell {
    let (text, kind) = match value {
        Value::String(s) => (normalize_newlines(s), CellKind::Text),
        Value::Number(n) => (n.to_string(), CellKind::JsonNumber),
        Value::Bool(_) => (scalar_text(value), CellKind::JsonBool),
        Value::Null => (String::new(), CellKind::JsonNull),
        Value::Array(items) => (
            items
                .iter()
                .filter(|v| !v.is_null())
                .map(scalar_text)
                .collect::<Vec<_>>()
                .join(", "),
            CellKind::JsonArray,
        ),
        Value::Object(map) => {
            let plain = map
                .values()
                .all(|v| matches!(v, Value::String(_) | Value::Number(_)));
            let text = if plain {
                map.iter()
                    .map(|(k, v)| format!("{k}={}", scalar_text(v)))
                    .collect::<Vec<_>>()
                    .join("; ")
            } else {
                value.to_string()
            };
            (text, CellKind::JsonObject)
        }
    };
    Cell { text, kind }
}

/// Items of a list cell (`ChannelIds`, `Granularity`): separated by commas, semicolons,
/// whitespace or new lines, including their full-width and Japanese forms (`，` `；` `、`).
pub fn split_list(text: &str) -> Vec<&str> {
    text.split(|c: char| matches!(c, ',' | ';' | '，' | '；' | '、') || c.is_whitespace())
        .filter(|item| !item.is_empty())
        .collect()
}

fn json_value_for(column: &str, text: &str) -> Value {
    let kind = Column::from_header(column).map_or(ColumnKind::Text, Column::kind);
    match kind {
        ColumnKind::List => Value::Array(
            split_list(text)
                .into_iter()
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        ),
        ColumnKind::Bool if text.eq_ignore_ascii_case("true") => Value::Bool(true),
        ColumnKind::Bool if text.eq_ignore_ascii_case("false") => Value::Bool(false),
        // Only when the number prints back as the same text, so "007" stays "007".
        ColumnKind::Integer => match text.parse::<u64>() {
            Ok(n) if n.to_string() == text => Value::from(n),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

/// Pretty JSON in the seed's layout (two-space indent, one array item per line), with the
/// fields in the table's column order.
fn write_json(table: &Table) -> String {
    if table.rows.is_empty() {
        return "[]\n".into();
    }
    let mut out = String::from("[\n");
    for (i, row) in table.rows.iter().enumerate() {
        out.push_str("  {\n");
        for (j, (column, cell)) in table.columns.iter().zip(&row.cells).enumerate() {
            let value = json_value_for(column, &cell.text);
            let value_text = serde_json::to_string_pretty(&value)
                .expect("a serde_json::Value always serializes")
                .replace('\n', "\n    ");
            out.push_str("    ");
            out.push_str(&Value::String(column.clone()).to_string());
            out.push_str(": ");
            out.push_str(&value_text);
            out.push_str(if j + 1 < table.columns.len() {
                ",\n"
            } else {
                "\n"
            });
        }
        out.push_str(if i + 1 < table.rows.len() {
            "  },\n"
        } else {
            "  }\n"
        });
    }
    out.push_str("]\n");
    out
}

// ---------------------------------------------------------------------------------------------
// CSV

/// Comma, unless the header row has none and uses tabs (a sheet copied as text) or semicolons
/// (spreadsheets in locales with a decimal comma).
fn detect_delimiter(text: &str) -> u8 {
    let header = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if header.contains(',') {
        b','
    } else if header.contains('\t') {
        b'\t'
    } else if header.contains(';') {
        b';'
    } else {
        b','
    }
}

/// Reads CSV whose first line is 0-based spreadsheet row `first_row` and whose first field is
/// column `first_column` (both 0 for a file), numbering rows and columns as a spreadsheet does.
fn read_csv(text: &str, first_row: usize, first_column: usize) -> Table {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(detect_delimiter(text))
        .from_reader(text.as_bytes());

    // Each record with the row number a spreadsheet shows for it: the reader skips empty
    // lines, a spreadsheet shows them as empty rows, and people count those.
    let mut records: Vec<(usize, Vec<String>)> = Vec::new();
    let mut next_line = 0usize;
    for result in reader.byte_records() {
        match result {
            Ok(record) => {
                let start = record.position().map_or(0, |p| p.byte());
                let start = usize::try_from(start).unwrap_or(usize::MAX);
                let line = next_line + empty_lines_at(text.as_bytes(), start);
                records.push((
                    first_row + line + 1,
                    record
                        .iter()
                        .map(|field| normalize_newlines(&String::from_utf8_lossy(field)))
                        .collect(),
                ));
                next_line = line + 1;
            }
            Err(error) => {
                // The text is valid UTF-8 and records may have any length, so the reader has
                // nothing left to refuse; answered anyway rather than trusted.
                let problem = Problem::new(
                    0,
                    None,
                    None,
                    format!("CSV could not be read: {error}"),
                    "export the sheet again as CSV",
                    Consequence::NothingLoaded,
                );
                return Table::empty(Format::Csv, vec![problem]);
            }
        }
    }

    let non_empty = |(_, r): &&(usize, Vec<String>)| r.iter().any(|c| !c.trim().is_empty());
    // The header is the first row naming a known column, within the first rows (a title or
    // notes may sit above it); when none does, the first non-empty row, whose unknown names
    // are then reported.
    let named_header = records
        .iter()
        .take_while(|(number, _)| *number <= first_row + MAX_HEADER_ROW)
        .position(|(_, r)| r.iter().any(|c| Column::from_header(c).is_some()));
    let Some(header_index) = named_header.or_else(|| records.iter().position(|r| non_empty(&r)))
    else {
        return Table::empty(Format::Csv, Vec::new());
    };
    let note_rows: Vec<usize> = records[..header_index]
        .iter()
        .filter(non_empty)
        .map(|(number, _)| *number)
        .collect();
    let (header_row, header) = &records[header_index];
    let header_row = *header_row;
    let mut problems = Vec::new();

    // For each field position: the column it feeds, or None (no header / duplicate header).
    let mut columns: Vec<String> = Vec::new();
    let mut column_positions: Vec<usize> = Vec::new();
    let mut position_column: Vec<Option<usize>> = Vec::new();
    for (position, raw) in header.iter().enumerate() {
        let name = canonical_header(raw);
        if name.is_empty() {
            position_column.push(None);
        } else if let Some(first) = columns.iter().position(|c| *c == name) {
            problems.push(
                Problem::new(
                    header_row,
                    Some(&name),
                    None,
                    format!(
                        "the header has {name} twice (columns {} and {}); the second column is ignored",
                        column_letter(first_column + column_positions[first]),
                        column_letter(first_column + position)
                    ),
                    "merge the two columns into one and delete the other",
                    Consequence::ValueIgnored,
                )
                .in_column(first_column + position),
            );
            position_column.push(None);
        } else {
            position_column.push(Some(columns.len()));
            columns.push(name);
            column_positions.push(position);
        }
    }

    let mut rows = Vec::new();
    for (number, record) in records.iter().skip(header_index + 1) {
        let number = *number;
        let mut cells = vec![Cell::text(""); columns.len()];
        for (position, text) in record.iter().enumerate() {
            match position_column.get(position).copied().flatten() {
                Some(column) => cells[column] = Cell::text(text.clone()),
                None if text.trim().is_empty() => {}
                None => problems.push(
                    Problem::new(
                        number,
                        None,
                        Some(text),
                        format!(
                            "column {} has a value but no usable header",
                            column_letter(first_column + position)
                        ),
                        "give the column a header from the configuration reference, or delete the value",
                        Consequence::ValueIgnored,
                    )
                    .in_column(first_column + position),
                ),
            }
        }
        if !cells.iter().all(Cell::is_blank) {
            rows.push(TableRow { number, cells });
        }
    }
    Table {
        source: Format::Csv,
        columns,
        rows,
        problems,
        layout: Layout {
            header_row,
            column_positions: column_positions
                .into_iter()
                .map(|p| first_column + p)
                .collect(),
            note_rows,
            sheet: None,
        },
    }
}

/// How many empty lines the CSV reader skipped from `from` on, where it began reading the
/// next record. It starts reading right after the `\r` of a `\r\n` ending the previous record,
/// so a `\n` there still belongs to that record.
fn empty_lines_at(text: &[u8], from: usize) -> usize {
    let mut i = from;
    if i > 0 && text.get(i) == Some(&b'\n') && text[i - 1] == b'\r' {
        i += 1;
    }
    let mut empty = 0;
    while let Some(&byte @ (b'\r' | b'\n')) = text.get(i) {
        // `\r\n` is one line break, counted at its `\n`; a lone `\r` is one too.
        if byte == b'\n' || text.get(i + 1) != Some(&b'\n') {
            empty += 1;
        }
        i += 1;
    }
    empty
}

fn write_csv(table: &Table) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(UTF8_BOM.to_vec());
    // Writing into a Vec cannot fail; the Results only exist for other writers.
    writer
        .write_record(&table.columns)
        .expect("writing CSV into memory");
    for row in &table.rows {
        writer
            .write_record(row.cells.iter().map(|c| c.text.as_str()))
            .expect("writing CSV into memory");
    }
    writer.into_inner().expect("writing CSV into memory")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn texts(table: &Table) -> Vec<Vec<String>> {
        table
            .rows
            .iter()
            .map(|r| r.cells.iter().map(|c| c.text.clone()).collect())
            .collect()
    }

    #[test]
    fn detects_format_after_bom_and_whitespace() {
        assert_eq!(Format::detect(b"\xEF\xBB\xBF  \n[ ]"), Format::Json);
        assert_eq!(Format::detect(b"{}"), Format::Json);
        assert_eq!(Format::detect(b"AccountId,ChannelIds\n"), Format::Csv);
        assert_eq!(Format::detect(b""), Format::Csv);
    }

    #[test]
    fn json_keeps_field_order_and_marks_types() {
        let table = Table::read(
            br#"[{"Description": "x", "AccountId": 123, "ChannelIds": ["C1", "C2"], "Forecast": true, "X": null}]"#,
            Format::Json,
        );
        assert_eq!(
            table.columns,
            ["Description", "AccountId", "ChannelIds", "Forecast", "X"]
        );
        let kinds: Vec<CellKind> = table.rows[0].cells.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            [
                CellKind::Text,
                CellKind::JsonNumber,
                CellKind::JsonArray,
                CellKind::JsonBool,
                CellKind::JsonNull
            ]
        );
        assert_eq!(texts(&table), [["x", "123", "C1, C2", "TRUE", ""]]);
    }

    #[test]
    fn json_rows_missing_a_field_get_absent_cells() {
        let table = Table::read(
            br#"[{"AccountId": "1"}, {"Default": true, "TimeZone": "Asia/Tokyo"}]"#,
            Format::Json,
        );
        assert_eq!(table.columns, ["AccountId", "Default", "TimeZone"]);
        assert_eq!(table.rows[0].cells[1].kind, CellKind::Absent);
        assert_eq!(table.rows[1].cells[0].kind, CellKind::Absent);
    }

    #[test]
    fn json_syntax_error_names_the_row_it_is_in() {
        let table = Table::read(
            b"[\n{\"AccountId\": \"1\"},\n{\"AccountId\": \"2\",}\n]",
            Format::Json,
        );
        assert_eq!(table.problems.len(), 1);
        assert_eq!(table.problems[0].row, 2);
        assert!(
            table.problems[0].message.contains("line 3"),
            "{}",
            table.problems[0]
        );
        assert_eq!(table.problems[0].consequence, Consequence::NothingLoaded);
    }

    #[test]
    fn json_object_at_top_level_is_explained() {
        let table = Table::read(br#"{"AccountId": "1"}"#, Format::Json);
        assert!(table.problems[0].fix.contains("wrap the rows in ["));
    }

    #[test]
    fn json_elements_that_are_not_objects_skip_only_themselves() {
        let table = Table::read(
            br#"[{"AccountId": "1"}, "oops", {"AccountId": "2"}]"#,
            Format::Json,
        );
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[1].number, 3);
        assert_eq!(table.problems[0].row, 2);
        assert_eq!(table.problems[0].consequence, Consequence::RowSkipped);
    }

    #[test]
    fn json_duplicate_keys_keep_the_first() {
        let table = Table::read(
            br#"[{"AccountId": "111111111111", "accountid": "222222222222"}]"#,
            Format::Json,
        );
        assert_eq!(texts(&table), [["111111111111"]]);
        assert_eq!(table.problems[0].field.as_deref(), Some("AccountId"));
    }

    #[test]
    fn csv_with_bom_quotes_newlines_japanese_and_trailing_emptiness() {
        let csv = "\u{FEFF}AccountId,Description,ChannelIds,,\r\n\
                   012345678901,\"日本語, カンマ\r\n改行\",\"C1\nC2\",,\r\n\
                   ,,,,\r\n\
                   ,,,,\r\n";
        let table = Table::read(csv.as_bytes(), Format::Csv);
        assert_eq!(table.columns, ["AccountId", "Description", "ChannelIds"]);
        assert_eq!(
            texts(&table),
            [["012345678901", "日本語, カンマ\n改行", "C1\nC2"]]
        );
        assert!(table.problems.is_empty(), "{:?}", table.problems);
    }

    #[test]
    fn csv_rows_are_numbered_as_a_spreadsheet_shows_them() {
        // The header is row 1; blank rows count.
        let table = Table::read(b"AccountId\n1\n,\n\"\"\n4\n", Format::Csv);
        let numbers: Vec<usize> = table.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [2, 5]);
        assert_eq!(table.layout.header_row, 1);
        // Empty lines too, and line breaks inside quoted cells are not rows.
        let table = Table::read(
            b"\r\nAccountId,Description\r\n\r\n2,\"a\r\nb\nc\"\r\n\n\n5,x\n",
            Format::Csv,
        );
        let numbers: Vec<usize> = table.rows.iter().map(|r| r.number).collect();
        assert_eq!(numbers, [4, 7]);
        assert_eq!(table.layout.header_row, 2);
        assert!(table.layout.note_rows.is_empty());
    }

    #[test]
    fn the_header_is_found_below_a_title_and_notes() {
        let csv = "アカウント設定,,\nEdit only your team's rows,,\n\
                   #Note,AccountId,ChannelIds\n\
                   ,012345678901,C0CHANNEL1\n";
        let table = Table::read(csv.as_bytes(), Format::Csv);
        assert_eq!(table.columns, ["#Note", "AccountId", "ChannelIds"]);
        assert_eq!(table.layout.header_row, 3);
        assert_eq!(table.layout.note_rows, [1, 2]);
        assert_eq!(table.rows[0].number, 4);
        assert_eq!(texts(&table), [["", "012345678901", "C0CHANNEL1"]]);
    }

    #[test]
    fn without_a_known_column_the_first_row_is_the_header() {
        let table = Table::read(b"Acount,Chanels\n1,C1\n", Format::Csv);
        assert_eq!(table.columns, ["Acount", "Chanels"]);
        assert_eq!(table.layout.header_row, 1);
        assert_eq!(table.rows[0].number, 2);
        // A known name further down than the first rows is data, not a header.
        let mut csv = "Title\n".to_owned();
        csv.push_str(&"x\n".repeat(MAX_HEADER_ROW));
        csv.push_str("AccountId\n");
        let table = Table::read(csv.as_bytes(), Format::Csv);
        assert_eq!(table.columns, ["Title"]);
    }

    #[test]
    fn sheet_ranges_number_rows_and_columns_from_where_they_start() {
        // Cells read from 'Tab'!C5: the header is C5:D5.
        let origin = SheetOrigin {
            spreadsheet_id: "sheet-id".into(),
            tab: "Tab".into(),
            sheet_id: 7,
        };
        let table = Table::read_sheet_csv(b"AccountId,Currency\n1,JPN\n", 4, 2, origin);
        assert_eq!(table.layout.header_row, 5);
        assert_eq!(table.layout.column_positions, [2, 3]);
        assert_eq!(table.rows[0].number, 6);
        let problem = Problem::new(6, Some("Currency"), None, "m", "f", Consequence::RowSkipped);
        let location = table.locate(&problem);
        assert_eq!(location.a1.as_deref(), Some("'Tab'!D6"));
        assert_eq!(
            location.url.as_deref(),
            Some("https://docs.google.com/spreadsheets/d/sheet-id/edit#gid=7&range=D6")
        );
    }

    #[test]
    fn csv_values_without_header_and_duplicate_headers_are_reported() {
        let table = Table::read(
            b"AccountId,ChannelIds,,channel_ids\n1,C1,stray,C2\n",
            Format::Csv,
        );
        assert_eq!(table.columns, ["AccountId", "ChannelIds"]);
        let lines: Vec<String> = table
            .problems
            .iter()
            .map(|p| {
                let mut p = p.clone();
                p.location = Some(Box::new(table.locate(&p)));
                p.to_string()
            })
            .collect();
        assert_eq!(lines.len(), 3, "{lines:#?}");
        assert!(lines[0].starts_with(
            "row 1, column D, ChannelIds: the header has ChannelIds twice (columns B and D)"
        ));
        assert!(lines[1]
            .starts_with("row 2, column C = \"stray\": column C has a value but no usable header"));
        assert!(lines[2].starts_with("row 2, column D = \"C2\": column D"));
    }

    #[test]
    fn csv_tab_and_semicolon_delimiters() {
        let tab = Table::read(b"AccountId\tCurrency\n1\tJPY\n", Format::Csv);
        assert_eq!(texts(&tab), [["1", "JPY"]]);
        let semi = Table::read(b"AccountId;Currency\n1;JPY\n", Format::Csv);
        assert_eq!(texts(&semi), [["1", "JPY"]]);
    }

    #[test]
    fn encodings_and_sizes_refused_with_a_reason() {
        let shift_jis = b"AccountId,Description\n1,\x93\xfa\x96\x7b\n";
        let table = Table::read(shift_jis, Format::Csv);
        assert!(table.problems[0].message.contains("line 2"));
        assert!(table.problems[0].fix.contains("CSV UTF-8"));
        let utf16 = Table::read(b"\xFF\xFEA\x00", Format::Csv);
        assert!(utf16.problems[0].message.contains("UTF-16"));
        let big = vec![b' '; MAX_FILE_BYTES + 1];
        let table = Table::read(&big, Format::Json);
        assert_eq!(table.problems[0].consequence, Consequence::NothingLoaded);
        assert!(table.problems[0].message.contains("at most 4 MiB"));
    }

    #[test]
    fn writes_json_in_the_seed_layout() {
        let table = Table {
            source: Format::Csv,
            columns: vec![
                "AccountId".into(),
                "ChannelIds".into(),
                "TopServices".into(),
                "Forecast".into(),
                "Note".into(),
            ],
            rows: vec![TableRow {
                number: 1,
                cells: vec![
                    Cell::text("012345678901"),
                    Cell::text("C1\nC2"),
                    Cell::text("007"),
                    Cell::text("true"),
                    Cell::text(""),
                ],
            }],
            problems: vec![],
            layout: Layout::default(),
        };
        let json = String::from_utf8(table.write(Format::Json)).unwrap();
        assert_eq!(
            json,
            r#"[
  {
    "AccountId": "012345678901",
    "ChannelIds": [
      "C1",
      "C2"
    ],
    "TopServices": "007",
    "Forecast": true,
    "Note": ""
  }
]
"#
        );
    }

    #[test]
    fn column_letters_like_a_spreadsheet() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
