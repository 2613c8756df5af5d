//! `orgpulse config validate --sheet ID` and `orgpulse config pull --sheet ID -o FILE`: the
//! configuration read from the Google Sheet the plan function reads, with the same code and the
//! same service account key (a key file, or the deployment's secret).

use std::path::{Path, PathBuf};

use clap::Args;
use orgpulse_config::{validate, Consequence, Format, Table};
use orgpulse_sheets::{parse_spreadsheet_id, ServiceAccountKey, SheetsClientConfig};
use orgpulse_workflow::config_source::{ConfigSource, GoogleCredentials, SheetSource};
use orgpulse_workflow::files::RunFiles;

use crate::config_cmd::FileFormat;
use crate::exit::{report, Failure, Status};
use crate::session;

/// The key file Google's own tools use.
pub const CREDENTIALS_FILE_ENV: &str = "GOOGLE_APPLICATION_CREDENTIALS";

/// Where `validate` reads from when it is not a file.
#[derive(Debug, Clone, Args)]
pub struct SheetArgs {
    /// Read the configuration from this Google Sheet (its ID, or its URL) instead of a file,
    /// with the key in GOOGLE_APPLICATION_CREDENTIALS or --credentials-secret.
    #[arg(long, value_name = "ID")]
    pub sheet: Option<String>,
    /// With --sheet: a tab's title, a named range or an A1 range (default: the whole first tab).
    #[arg(long, value_name = "RANGE", requires = "sheet")]
    pub range: Option<String>,
    /// With --sheet: the Secrets Manager secret (ARN or name) holding the service account's
    /// JSON key, as deployed (default: the key file GOOGLE_APPLICATION_CREDENTIALS names).
    #[arg(long, value_name = "ARN", requires = "sheet")]
    pub credentials_secret: Option<String>,
}

#[derive(Debug, Args)]
pub struct PullArgs {
    /// The Google Sheet (its ID, or its URL).
    #[arg(long, value_name = "ID")]
    pub sheet: String,
    /// A tab's title, a named range or an A1 range (default: the whole first tab).
    #[arg(long, value_name = "RANGE")]
    pub range: Option<String>,
    /// The Secrets Manager secret (ARN or name) holding the service account's JSON key
    /// (default: the key file GOOGLE_APPLICATION_CREDENTIALS names).
    #[arg(long, value_name = "ARN")]
    pub credentials_secret: Option<String>,
    /// Where to write the rows.
    #[arg(short, long, value_name = "FILE")]
    pub output: PathBuf,
    /// The file's format (default: JSON for a .json file, CSV otherwise).
    #[arg(long, value_enum)]
    pub to: Option<FileFormat>,
}

/// The sheet's rows as the plan function reads them, and the name messages give it. `None`
/// when `args` names no sheet.
pub fn read(args: &SheetArgs) -> Option<Result<(String, Table), Status>> {
    let Some(sheet) = args.sheet.as_deref() else {
        // clap drops `requires = "sheet"` when a FILE (which conflicts with --sheet) is given.
        if args.range.is_some() || args.credentials_secret.is_some() {
            return Some(Err(report(Err(Failure::usage(
                "--range and --credentials-secret go with --sheet, not with a FILE",
            )))));
        }
        return None;
    };
    let result = on_runtime(read_sheet(
        sheet,
        args.range.as_deref(),
        args.credentials_secret.as_deref(),
    ));
    Some(result.map_err(|failure| report(Err(failure))))
}

/// `config pull`: the sheet's rows into a file, every row and column kept as typed (exit 1
/// when the rows have problems: the file is still written, unless nothing could be read).
pub fn run_pull(args: &PullArgs) -> Status {
    report(on_runtime(async {
        let (name, table) = read_sheet(
            &args.sheet,
            args.range.as_deref(),
            args.credentials_secret.as_deref(),
        )
        .await?;
        pull(args, &name, &table)
    }))
}

fn pull(args: &PullArgs, name: &str, table: &Table) -> Result<Status, Failure> {
    let loaded = validate(table);
    for problem in &loaded.problems {
        eprintln!("{problem}");
    }
    if loaded
        .problems
        .iter()
        .any(|p| p.consequence == Consequence::NothingLoaded)
    {
        return Err(Failure {
            status: Status::Problems,
            message: format!("nothing written: {name} could not be read as a configuration"),
        });
    }
    let format: Format = args
        .to
        .map(Format::from)
        .unwrap_or_else(|| format_for(&args.output));
    write_file(&args.output, &table.write(format)).map_err(|error| {
        Failure::usage(format!("cannot write {}: {error}", args.output.display()))
    })?;
    eprintln!(
        "{name}: {} rows written to {} ({format}), {} valid; {}",
        table.rows.len(),
        args.output.display(),
        loaded.config.rows.len(),
        match loaded.problems.len() {
            0 => "no problem".to_owned(),
            1 => "1 problem".to_owned(),
            n => format!("{n} problems"),
        }
    );
    Ok(if loaded.is_valid() {
        Status::Ok
    } else {
        Status::Problems
    })
}

fn format_for(path: &Path) -> Format {
    match path.extension().and_then(|e| e.to_str()) {
        Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
        _ => Format::Csv,
    }
}

/// Writes next to the target and renames, so a failed write never leaves half a file.
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let file_name = path.file_name().ok_or_else(|| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "the output path names no file",
        )
    })?;
    let mut temporary_name = std::ffi::OsString::from(".");
    temporary_name.push(file_name);
    temporary_name.push(".orgpulse-tmp");
    let temporary = path.with_file_name(temporary_name);
    std::fs::write(&temporary, bytes)?;
    std::fs::rename(&temporary, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

async fn read_sheet(
    sheet: &str,
    range: Option<&str>,
    credentials_secret: Option<&str>,
) -> Result<(String, Table), Failure> {
    let spreadsheet_id = parse_spreadsheet_id(sheet).map_err(Failure::usage)?;
    let credentials = match credentials_secret {
        Some(secret_id) => {
            let aws = session::aws_session().await?;
            GoogleCredentials::Secret {
                secretsmanager: aws_sdk_secretsmanager::Client::new(&aws),
                secret_id: secret_id.to_owned(),
            }
        }
        None => GoogleCredentials::Key(key_from_file()?),
    };
    let source = ConfigSource::Sheet(Box::new(SheetSource {
        spreadsheet_id,
        range: range.map(str::to_owned),
        credentials,
        client: SheetsClientConfig::from_env(),
    }));
    let files = RunFiles::memory();
    let table = source
        .read_table(&files)
        .await
        .map_err(|error| Failure::usage(error.to_string()))?;
    Ok((source.name(&files), table))
}

fn key_from_file() -> Result<ServiceAccountKey, Failure> {
    let Some(path) = std::env::var_os(CREDENTIALS_FILE_ENV).filter(|p| !p.is_empty()) else {
        return Err(Failure::usage(format!(
            "no service account key: set {CREDENTIALS_FILE_ENV} to the key's JSON file, or \
             pass --credentials-secret <ARN> to use the deployment's secret"
        )));
    };
    let path = PathBuf::from(path);
    let text = std::fs::read_to_string(&path).map_err(|error| {
        Failure::usage(format!(
            "cannot read {CREDENTIALS_FILE_ENV} ({}): {error}",
            path.display()
        ))
    })?;
    ServiceAccountKey::from_json(&text).map_err(|error| {
        Failure::usage(format!(
            "{CREDENTIALS_FILE_ENV} ({}): {error}",
            path.display()
        ))
    })
}

fn on_runtime<T>(
    work: impl std::future::Future<Output = Result<T, Failure>>,
) -> Result<T, Failure> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| Failure::usage(format!("cannot start the async runtime: {error}")))?;
    runtime.block_on(work)
}
