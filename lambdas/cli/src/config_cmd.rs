//! `orgpulse config validate|convert`: check a configuration file, or convert it between JSON
//! and CSV without losing anything.

use std::fs;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use clap::{Args, Subcommand, ValueEnum};
use orgpulse_config::{
    validate, Consequence, Format, Loaded, Problem, RowTarget, Table, MAX_FILE_BYTES,
};
use serde::Serialize;

use crate::exit::Status;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check every row and print one line per problem (exit 0: valid, 1: problems, 2: usage
    /// or I/O error).
    Validate(ValidateArgs),
    /// Convert between JSON and CSV, keeping every row and column (exit 1 when the input has
    /// problems: the output is still written, unless the input could not be read at all).
    Convert(ConvertArgs),
    /// Copy a Google Sheet's rows into a file, as the plan function reads them (exit 1 when
    /// they have problems: the file is still written; 2 when the sheet cannot be read).
    Pull(crate::sheet_cmd::PullArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The configuration file, JSON or CSV (detected from the content); `-` reads stdin.
    #[arg(required_unless_present = "sheet", conflicts_with = "sheet")]
    pub file: Option<String>,
    #[command(flatten)]
    pub sheet: crate::sheet_cmd::SheetArgs,
    /// `text`: one line per problem, starting with where it is (`'Tab'!C7` in a Google Sheet,
    /// `row 7, column C` in a CSV file, `element 7` in JSON); `json`: a report for machines,
    /// each problem's location as fields (sheet, tab, row, column letter, A1, link).
    #[arg(long, value_enum, default_value_t = ReportFormat::Text)]
    pub format: ReportFormat,
}

#[derive(Debug, Args)]
pub struct ConvertArgs {
    /// The configuration file, JSON or CSV (detected from the content); `-` reads stdin.
    pub input: String,
    /// The format to write.
    #[arg(long, value_enum)]
    pub to: FileFormat,
    /// Where to write; stdout when left out.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FileFormat {
    Csv,
    Json,
}

impl From<FileFormat> for Format {
    fn from(format: FileFormat) -> Format {
        match format {
            FileFormat::Csv => Format::Csv,
            FileFormat::Json => Format::Json,
        }
    }
}

pub fn run(command: ConfigCommand) -> Status {
    match command {
        ConfigCommand::Validate(args) => run_validate(&args),
        ConfigCommand::Convert(args) => run_convert(&args),
        ConfigCommand::Pull(args) => crate::sheet_cmd::run_pull(&args),
    }
}

/// Reads a file or stdin (`-`), at most one byte more than a configuration may have, so an
/// enormous input is refused by the size check instead of filling memory.
fn read_input(name: &str) -> io::Result<Vec<u8>> {
    let limit = MAX_FILE_BYTES as u64 + 1;
    let mut bytes = Vec::new();
    if name == "-" {
        io::stdin().lock().take(limit).read_to_end(&mut bytes)?;
    } else {
        fs::File::open(name)?.take(limit).read_to_end(&mut bytes)?;
    }
    Ok(bytes)
}

fn display_name(name: &str) -> &str {
    if name == "-" {
        "stdin"
    } else {
        name
    }
}

fn io_failure(what: &str, name: &str, error: &io::Error) -> Status {
    eprintln!("orgpulse: cannot {what} {}: {error}", display_name(name));
    Status::Usage
}

/// Writes to stdout; a closed pipe (`| head`) is not an error worth reporting.
fn write_stdout(bytes: &[u8]) -> io::Result<()> {
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

fn problem_lines(problems: &[Problem]) -> String {
    problems.iter().map(|p| format!("{p}\n")).collect()
}

/// `file.csv: 17 rows read, 4 used (3 accounts, 0 OUs, Default row), 14 problems`.
fn summary(name: &str, format: Format, loaded: &Loaded) -> String {
    let rows = &loaded.config.rows;
    let accounts = rows
        .iter()
        .filter(|r| matches!(r.target, RowTarget::Account(_)))
        .count();
    let org_units = rows
        .iter()
        .filter(|r| matches!(r.target, RowTarget::OrganizationalUnit(_)))
        .count();
    let default = if loaded.config.default_row().is_some() {
        "a Default row"
    } else {
        "no Default row"
    };
    let verdict = match loaded.problems.len() {
        0 => "valid".to_owned(),
        n => count(n, "problem"),
    };
    format!(
        "{} ({format}): {} read, {} used ({}, {}, {default}); {verdict}{}",
        display_name(name),
        count(loaded.rows_read, "row"),
        loaded.config.rows.len(),
        count(accounts, "account"),
        count(org_units, "OU"),
        notes(&loaded.note_rows),
    )
}

/// `; row 1 above the header skipped as notes`: a title or notes above the header are not
/// problems, but people should see which rows were not read.
fn notes(rows: &[usize]) -> String {
    let list: Vec<String> = rows.iter().map(ToString::to_string).collect();
    match list.len() {
        0 => String::new(),
        1 => format!("; row {} above the header skipped as notes", list[0]),
        _ => format!(
            "; rows {} above the header skipped as notes",
            list.join(", ")
        ),
    }
}

fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

#[derive(Serialize)]
struct JsonReport<'a> {
    file: &'a str,
    format: Format,
    valid: bool,
    rows_read: usize,
    rows_used: usize,
    /// Rows (or JSON elements) left out because of their problems, as the source numbers them.
    skipped_rows: Vec<usize>,
    /// Non-empty rows above the header, read as notes (a title), not as configuration.
    note_rows: &'a [usize],
    problems: &'a [Problem],
}

fn run_validate(args: &ValidateArgs) -> Status {
    // A Google Sheet (--sheet) goes through the same reader as a CSV file.
    let (file, table) = match crate::sheet_cmd::read(&args.sheet) {
        Some(Ok(sheet)) => sheet,
        Some(Err(status)) => return status,
        None => {
            let file = args.file.clone().unwrap_or_else(|| "-".to_owned());
            let bytes = match read_input(&file) {
                Ok(bytes) => bytes,
                Err(e) => return io_failure("read", &file, &e),
            };
            let table = Table::read(&bytes, Format::detect(&bytes));
            (file, table)
        }
    };
    let format = table.source;
    let loaded = validate(&table);
    let status = if loaded.is_valid() {
        Status::Ok
    } else {
        Status::Problems
    };
    let output = match args.format {
        ReportFormat::Text => {
            // Problems on stdout (one line each, for grep); the summary for people on stderr.
            eprintln!("{}", summary(&file, format, &loaded));
            problem_lines(&loaded.problems)
        }
        ReportFormat::Json => {
            let report = JsonReport {
                file: display_name(&file),
                format,
                valid: loaded.is_valid(),
                rows_read: loaded.rows_read,
                rows_used: loaded.config.rows.len(),
                skipped_rows: loaded.skipped_rows(),
                note_rows: &loaded.note_rows,
                problems: &loaded.problems,
            };
            let mut json = serde_json::to_string_pretty(&report)
                .expect("the report holds only strings and numbers");
            json.push('\n');
            json
        }
    };
    match write_stdout(output.as_bytes()) {
        Ok(()) => status,
        Err(e) => io_failure("write", "-", &e),
    }
}

fn run_convert(args: &ConvertArgs) -> Status {
    let bytes = match read_input(&args.input) {
        Ok(bytes) => bytes,
        Err(e) => return io_failure("read", &args.input, &e),
    };
    let format = Format::detect(&bytes);
    let table = Table::read(&bytes, format);
    let loaded = validate(&table);
    eprint!("{}", problem_lines(&loaded.problems));
    eprintln!("{}", summary(&args.input, format, &loaded));

    let unreadable = loaded
        .problems
        .iter()
        .any(|p| p.consequence == Consequence::NothingLoaded);
    if unreadable {
        eprintln!("orgpulse: nothing written: the input could not be read");
        return Status::Problems;
    }
    let converted = table.write(args.to.into());
    let written = match &args.output {
        Some(path) => write_file(path, &converted),
        None => write_stdout(&converted),
    };
    if let Err(e) = written {
        let name = args
            .output
            .as_deref()
            .map_or("-".into(), Path::to_string_lossy);
        return io_failure("write", &name, &e);
    }
    if loaded.is_valid() {
        Status::Ok
    } else {
        Status::Problems
    }
}

/// Writes next to the target and renames, so a failed write never leaves half a file where
/// a good configuration was.
fn write_file(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let file_name = path.file_name().ok_or_else(|| {
        io::Error::new(io::ErrorKind::InvalidInput, "the output path names no file")
    })?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(".orgpulse-tmp");
    let temporary = path.with_file_name(temporary_name);
    fs::write(&temporary, bytes)?;
    fs::rename(&temporary, path).inspect_err(|_| {
        let _ = fs::remove_file(&temporary);
    })
}
