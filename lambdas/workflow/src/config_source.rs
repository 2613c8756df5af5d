//! Where the configuration comes from (an S3 object, a Google Sheet, bytes the CLI read), and
//! what a run uses when it is broken: the last good configuration.
//!
//! Every row version that validates is kept in `state/config-last-good.json` (the bucket is
//! versioned, so each accepted version of the file stays retrievable). Then, on every load:
//! - the source cannot be read (sheet unreachable or not shared, key rejected, object missing),
//!   or nothing in it is usable (header row gone, every row broken, sheet emptied): the run uses
//!   the whole last good configuration and the summary says so and why;
//! - a row that used to be valid is broken now: its account/OU keeps the row's last good
//!   version for this run, and the summary names the row, what is wrong and whom to tell;
//! - a row that is gone from the source: the summary says so once (its reports stop).
//!
//! Nothing silently disappears. A row that never validated has no last good version: it is
//! left out and reported as before.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use orgpulse_config::{
    validate, Cell, Column, Config, ConfigRow, Consequence, Format, Loaded, Location, Problem,
    RowTarget, Table, TableRow,
};
use orgpulse_pipeline::error::AwsOperation;
use orgpulse_pipeline::organizations::OrgListing;
use orgpulse_sheets::{
    parse_spreadsheet_id, ServiceAccountKey, SheetsClient, SheetsClientConfig, SheetsError,
};
use serde::{Deserialize, Serialize};

use crate::env::{CONFIG_KEY, DEFAULT_CONFIG_KEY};
use crate::error::{Error, Result};
use crate::files::RunFiles;

/// The accepted version of every row, for the runs after a broken edit.
pub const LAST_GOOD_KEY: &str = "state/config-last-good.json";

/// The spreadsheet ID (or URL) of a sheet configuration; when set, it is the source.
pub const CONFIG_SHEET_ID: &str = "ORGPULSE_CONFIG_SHEET_ID";
/// A tab's title, a named range or an A1 range; empty reads the whole first tab.
pub const CONFIG_SHEET_RANGE: &str = "ORGPULSE_CONFIG_SHEET_RANGE";
/// The Secrets Manager secret holding the service account's JSON key.
pub const GOOGLE_CREDENTIALS_SECRET_ARN: &str = "ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN";

const GET_SECRET_VALUE: AwsOperation = AwsOperation::new("secretsmanager", "GetSecretValue");

/// Where the configuration comes from.
#[derive(Debug, Clone)]
pub enum ConfigSource {
    /// An object in the run bucket (`ORGPULSE_CONFIG_KEY`).
    Object { key: String },
    /// A Google Sheet (`ORGPULSE_CONFIG_SHEET_ID`).
    Sheet(Box<SheetSource>),
    /// Bytes already read (the CLI's `--config FILE`), with a name for messages.
    Bytes { name: String, bytes: Vec<u8> },
}

#[derive(Debug, Clone)]
pub struct SheetSource {
    pub spreadsheet_id: String,
    /// `None`: the whole first tab.
    pub range: Option<String>,
    pub credentials: GoogleCredentials,
    pub client: SheetsClientConfig,
}

/// The service account key a sheet is read with.
#[derive(Debug, Clone)]
pub enum GoogleCredentials {
    /// The key's JSON in Secrets Manager, read on every load so a rotated key is used at once.
    Secret {
        secretsmanager: aws_sdk_secretsmanager::Client,
        secret_id: String,
    },
    /// A key already read (the CLI's `GOOGLE_APPLICATION_CREDENTIALS` file).
    Key(ServiceAccountKey),
}

fn env_value(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

impl ConfigSource {
    /// The source the hub module configured: the sheet when `ORGPULSE_CONFIG_SHEET_ID` is set
    /// (with `ORGPULSE_GOOGLE_CREDENTIALS_SECRET_ARN`, and `ORGPULSE_CONFIG_SHEET_RANGE` when
    /// not the whole first tab), else the object `ORGPULSE_CONFIG_KEY`.
    pub fn from_env(aws: &aws_config::SdkConfig) -> Result<Self> {
        let Some(sheet) = env_value(CONFIG_SHEET_ID) else {
            return Ok(Self::Object {
                key: env_value(CONFIG_KEY).unwrap_or_else(|| DEFAULT_CONFIG_KEY.to_owned()),
            });
        };
        let spreadsheet_id =
            parse_spreadsheet_id(&sheet).map_err(|problem| Error::Environment {
                name: CONFIG_SHEET_ID,
                problem,
            })?;
        let secret_id =
            env_value(GOOGLE_CREDENTIALS_SECRET_ARN).ok_or_else(|| Error::Environment {
                name: GOOGLE_CREDENTIALS_SECRET_ARN,
                problem: format!(
                    "is not set, but {CONFIG_SHEET_ID} is: the sheet is read with the service \
                     account key stored in that secret"
                ),
            })?;
        Ok(Self::Sheet(Box::new(SheetSource {
            spreadsheet_id,
            range: env_value(CONFIG_SHEET_RANGE),
            credentials: GoogleCredentials::Secret {
                secretsmanager: aws_sdk_secretsmanager::Client::new(aws),
                secret_id,
            },
            client: SheetsClientConfig::from_env(),
        })))
    }

    /// How messages name the source.
    pub fn name(&self, files: &RunFiles) -> String {
        match self {
            Self::Object { key } => format!("s3://{}/{key}", files.bucket()),
            Self::Sheet(sheet) => match &sheet.range {
                Some(range) => format!("Google Sheet {} ({range})", sheet.spreadsheet_id),
                None => format!("Google Sheet {}", sheet.spreadsheet_id),
            },
            Self::Bytes { name, .. } => name.clone(),
        }
    }

    /// The rows as typed, from wherever they are.
    pub async fn read_table(&self, files: &RunFiles) -> Result<Table> {
        self.read(files).await.map_err(Error::from)
    }

    async fn read(&self, files: &RunFiles) -> Result<Table, ReadFailure> {
        match self {
            Self::Object { key } => {
                let bytes = files.get_bytes(key).await?.ok_or_else(|| Error::Config {
                    problem: format!("s3://{}/{key} does not exist", files.bucket()),
                    fix: "upload the configuration (JSON or CSV) to that key, e.g. with the hub \
                          module's config_file variable"
                        .into(),
                })?;
                Ok(Table::read(&bytes, Format::detect(&bytes)))
            }
            Self::Bytes { bytes, .. } => Ok(Table::read(bytes, Format::detect(bytes))),
            Self::Sheet(sheet) => sheet.read_table().await,
        }
    }

    /// The configuration for this run: the source's valid rows, with the last good version of
    /// every row that broke, or the whole last good configuration when the source is unusable.
    /// Records the rows accepted now as the new last good versions.
    pub async fn load(&self, files: &RunFiles) -> Result<LoadedConfig> {
        let source = self.name(files);
        let mut notes = Vec::new();
        let last_good = match files.get_json::<LastGood>(LAST_GOOD_KEY).await {
            Ok(found) => found,
            Err(Error::CorruptFile { problem, .. }) => {
                notes.push(ConfigNote::LastGoodUnreadable { problem });
                None
            }
            Err(err) => return Err(err),
        };

        let table = match self.read(files).await {
            Ok(table) => table,
            Err(failure) => {
                return match last_good.filter(|lg| !lg.rows.is_empty()) {
                    Some(last_good) => {
                        let reason = failure.reason();
                        tracing::warn!(%reason, "configuration source unusable; using the last good configuration");
                        Ok(LoadedConfig::from_last_good(
                            source, last_good, reason, notes,
                        ))
                    }
                    None => Err(failure.into()),
                }
            }
        };
        let loaded = validate(&table);

        let last_good_rows = last_good.as_ref().map_or(0, |lg| lg.rows.len());
        if loaded.config.rows.is_empty() && (!loaded.problems.is_empty() || last_good_rows > 0) {
            let reason = unusable_reason(&loaded);
            return match last_good.filter(|lg| !lg.rows.is_empty()) {
                Some(last_good) => {
                    let mut fallback =
                        LoadedConfig::from_last_good(source, last_good, reason, notes);
                    // The problems say what to correct in the source.
                    fallback.loaded.problems = loaded.problems;
                    fallback.loaded.rows_read = loaded.rows_read;
                    Ok(fallback)
                }
                None => Err(Error::Config {
                    problem: format!("no row of {source} is usable ({reason})"),
                    fix: "run `orgpulse config validate` on it and correct it".into(),
                }),
            };
        }

        let now = orgpulse_config::clock::now();
        let merged = merge(&table, loaded, last_good.as_ref(), &source, now, &mut notes);
        if last_good.as_ref() != Some(&merged.last_good) {
            files.put_json(LAST_GOOD_KEY, &merged.last_good).await?;
        }
        Ok(LoadedConfig {
            loaded: merged.loaded,
            source,
            notes,
        })
    }
}

/// Why a source could not be read: Google's own error (its message is the clearest reason) or
/// the workflow's.
enum ReadFailure {
    Sheets(SheetsError),
    Other(Error),
}

impl ReadFailure {
    fn reason(&self) -> String {
        match self {
            Self::Sheets(err) => err.to_string(),
            Self::Other(err) => err.to_string(),
        }
    }
}

impl From<Error> for ReadFailure {
    fn from(err: Error) -> Self {
        Self::Other(err)
    }
}

impl From<SheetsError> for ReadFailure {
    fn from(err: SheetsError) -> Self {
        Self::Sheets(err)
    }
}

impl From<ReadFailure> for Error {
    fn from(failure: ReadFailure) -> Self {
        match failure {
            ReadFailure::Sheets(err) => sheets_error(err),
            ReadFailure::Other(err) => err,
        }
    }
}

impl SheetSource {
    async fn read_table(&self) -> Result<Table, ReadFailure> {
        let key = match &self.credentials {
            GoogleCredentials::Key(key) => key.clone(),
            GoogleCredentials::Secret {
                secretsmanager,
                secret_id,
            } => read_secret_key(secretsmanager, secret_id).await?,
        };
        let client = SheetsClient::new(key, self.client.clone())?;
        let values = client
            .read(&self.spreadsheet_id, self.range.as_deref())
            .await?;
        Ok(values.to_table())
    }
}

/// The service account key from its secret. Problems never quote the secret's value.
pub async fn read_key(
    secretsmanager: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<ServiceAccountKey> {
    read_secret_key(secretsmanager, secret_id)
        .await
        .map_err(Error::from)
}

async fn read_secret_key(
    secretsmanager: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<ServiceAccountKey, ReadFailure> {
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
    let output = secretsmanager
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|err| match err.as_service_error() {
            Some(GetSecretValueError::ResourceNotFoundException(_)) => Error::Config {
                problem: format!(
                    "the Google credentials secret {secret_id} does not exist or has no value"
                ),
                fix: format!(
                    "store the service account's JSON key in it: aws secretsmanager \
                     put-secret-value --secret-id {secret_id} --secret-string file://key.json"
                ),
            },
            _ => match orgpulse_pipeline::Error::from_sdk(GET_SECRET_VALUE, err) {
                orgpulse_pipeline::Error::AccessDenied {
                    operation, message, ..
                } => orgpulse_pipeline::Error::AccessDenied {
                    operation,
                    message: format!("secret {secret_id}: {message}"),
                    fix: "allow secretsmanager:GetSecretValue on this secret for the plan \
                          function's role (the hub module does when \
                          google_credentials_secret_arn is set), and kms:Decrypt on its key if \
                          it is customer-managed"
                        .into(),
                }
                .into(),
                other => other.into(),
            },
        })?;
    let Some(text) = output.secret_string() else {
        return Err(Error::Config {
            problem: format!("the Google credentials secret {secret_id} has a binary value"),
            fix: "store the JSON key file as the secret's string value".into(),
        }
        .into());
    };
    Ok(ServiceAccountKey::from_json(text)?)
}

/// A Google failure as the workflow's error: transient ones keep the step retryable, the
/// others are configuration problems with Google's fix.
fn sheets_error(err: SheetsError) -> Error {
    if err.is_retryable() {
        return Error::Sheets(err);
    }
    let message = err.to_string();
    let (problem, fix) = match message.split_once(". Fix: ") {
        Some((problem, fix)) => (problem.to_owned(), fix.to_owned()),
        None => (message, "see the message".to_owned()),
    };
    Error::Config { problem, fix }
}

fn unusable_reason(loaded: &Loaded) -> String {
    match loaded.problems.first() {
        Some(first) => format!(
            "{} problem{}, first: {first}",
            loaded.problems.len(),
            if loaded.problems.len() == 1 { "" } else { "s" }
        ),
        None => "it has no rows; to stop every report on purpose, keep a Default row with \
                 Enabled = FALSE instead of deleting the rows"
            .to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Last known good

/// `state/config-last-good.json`: the accepted version of every row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LastGood {
    /// The source the rows were last read from.
    pub source: String,
    pub rows: Vec<AcceptedRow>,
}

/// One row's accepted version.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AcceptedRow {
    pub row: ConfigRow,
    /// When this version was first read and found valid.
    pub accepted_at: DateTime<Utc>,
}

impl LastGood {
    fn find(&self, target: &RowTarget) -> Option<&AcceptedRow> {
        self.rows.iter().find(|r| r.row.target == *target)
    }

    /// When the configuration last changed.
    fn changed_at(&self) -> Option<DateTime<Utc>> {
        self.rows.iter().map(|r| r.accepted_at).max()
    }
}

/// What the summary is told about where this run's configuration came from.
#[derive(Debug, Clone, PartialEq)]
pub enum ConfigNote {
    /// The source could not be read or nothing in it was usable: the last good configuration
    /// was used instead.
    SourceUnusable {
        reason: String,
        rows: usize,
        changed_at: Option<DateTime<Utc>>,
    },
    /// A row that used to be valid is broken; its last good version was used.
    RowKept {
        row: usize,
        target: RowTarget,
        /// The Description of the broken row, or else of its last good version.
        description: Option<String>,
        problems: Vec<Problem>,
        accepted_at: DateTime<Utc>,
    },
    /// A row that is no longer in the source: its reports stop.
    RowRemoved {
        target: RowTarget,
        description: Option<String>,
        last_row: usize,
    },
    /// The last good file could not be read; it is rewritten from this run's rows.
    LastGoodUnreadable { problem: String },
}

/// The configuration for one run and what the summary should say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadedConfig {
    /// The rows used (the source's valid rows plus kept last good versions) and every problem
    /// found in the source.
    pub loaded: Loaded,
    /// How the source is named in messages.
    pub source: String,
    pub notes: Vec<ConfigNote>,
}

impl LoadedConfig {
    fn from_last_good(
        source: String,
        last_good: LastGood,
        reason: String,
        mut notes: Vec<ConfigNote>,
    ) -> Self {
        notes.push(ConfigNote::SourceUnusable {
            reason,
            rows: last_good.rows.len(),
            changed_at: last_good.changed_at(),
        });
        let rows: Vec<ConfigRow> = last_good.rows.into_iter().map(|r| r.row).collect();
        Self {
            loaded: Loaded {
                rows_read: rows.len(),
                config: Config { rows },
                problems: Vec::new(),
                note_rows: Vec::new(),
            },
            source,
            notes,
        }
    }

    /// Whether this run uses anything but the source as it is now.
    pub fn used_last_good(&self) -> bool {
        self.notes.iter().any(|n| {
            matches!(
                n,
                ConfigNote::SourceUnusable { .. } | ConfigNote::RowKept { .. }
            )
        })
    }

    /// How the summary names the configuration used.
    pub fn source_label(&self) -> String {
        match self.notes.iter().find_map(|n| match n {
            ConfigNote::SourceUnusable { changed_at, .. } => Some(changed_at),
            _ => None,
        }) {
            Some(changed_at) => format!(
                "{} (unusable: last good configuration{} used)",
                self.source,
                changed_at
                    .map(|at| format!(" of {}", at.format("%Y-%m-%d %H:%M UTC")))
                    .unwrap_or_default()
            ),
            None => self.source.clone(),
        }
    }

    /// One line per note for the summary's warnings, naming whom to tell with the account
    /// and OU names the organization gives.
    pub fn warnings(&self, listing: &OrgListing) -> Vec<String> {
        self.notes
            .iter()
            .map(|note| match note {
                ConfigNote::SourceUnusable {
                    reason,
                    rows,
                    changed_at,
                } => format!(
                    "Configuration: {} could not be used, so this run used the last good \
                     configuration ({rows} rows{}). Why: {reason}",
                    self.source,
                    changed_at
                        .map(|at| format!(", last changed {}", at.format("%Y-%m-%d %H:%M UTC")))
                        .unwrap_or_default()
                ),
                ConfigNote::RowKept {
                    row,
                    target,
                    description,
                    problems,
                    accepted_at,
                } => {
                    // Who to tell comes before the details: Slack shortens long lines.
                    let wrong: Vec<String> = problems.iter().map(problem_text).collect();
                    // The row as the source shows it: `'Tab' row 7` in a Google Sheet.
                    let place = problems
                        .iter()
                        .find_map(|p| p.location.as_deref())
                        .map_or_else(|| format!("row {row}"), Location::row_text);
                    format!(
                        "Configuration {place} ({}) is invalid, so {target} kept its last \
                         good row (accepted {}) for this run. Tell {} to fix {place} of {}. \
                         Wrong: {}",
                        row_label(target, description.as_deref(), listing),
                        accepted_at.format("%Y-%m-%d"),
                        whom_to_tell(target, description.as_deref(), listing),
                        self.source,
                        wrong.join("; "),
                    )
                }
                ConfigNote::RowRemoved {
                    target,
                    description,
                    last_row,
                } => format!(
                    "Configuration: the row for {} (row {last_row} before) is no longer in {}, \
                     so its reports stop. If that was not intended, restore the row",
                    row_label(target, description.as_deref(), listing),
                    self.source
                ),
                ConfigNote::LastGoodUnreadable { problem } => format!(
                    "Configuration: the last good configuration ({LAST_GOOD_KEY}) could not \
                     be read ({problem}); it was rewritten from this run's valid rows"
                ),
            })
            .collect()
    }
}

/// `Currency = "JPN": "JPN" is not …. Fix: …`, without the row (the warning names it).
fn problem_text(problem: &Problem) -> String {
    let mut text = String::new();
    if let Some(field) = &problem.field {
        text.push_str(field);
    }
    if let Some(value) = &problem.value {
        text.push_str(&format!(" = {value:?}"));
    }
    if !text.is_empty() {
        text.push_str(": ");
    }
    text.push_str(problem.message.trim_end_matches('.'));
    text.push_str(". Fix: ");
    text.push_str(problem.fix.trim_end_matches('.'));
    text
}

fn ou_name(target: &orgpulse_config::OrgUnitId, listing: &OrgListing) -> Option<String> {
    listing
        .accounts
        .iter()
        .flat_map(|a| &a.ou_path)
        .find(|ou| ou.id == *target)
        .map(|ou| ou.name.clone())
}

/// `account 012345678901 "Payments" (payments-prd in Workloads / Root)`.
fn row_label(target: &RowTarget, description: Option<&str>, listing: &OrgListing) -> String {
    let mut label = target.to_string();
    if let Some(description) = description.filter(|d| !d.is_empty()) {
        label.push_str(&format!(" {description:?}"));
    }
    match target {
        RowTarget::Account(id) => {
            if let Some(account) = listing.accounts.iter().find(|a| a.id == *id) {
                let ous: Vec<&str> = account.ou_path.iter().map(|ou| ou.name.as_str()).collect();
                label.push_str(&format!(" ({} in {})", account.name, ous.join(" / ")));
            }
        }
        RowTarget::OrganizationalUnit(ou) => {
            if let Some(name) = ou_name(ou, listing) {
                label.push_str(&format!(" ({name})"));
            }
        }
        RowTarget::Default => {}
    }
    label
}

/// Who owns a row: its Description says which team or service; the account's OU or the OU
/// itself says where; the Default row belongs to the central team.
fn whom_to_tell(target: &RowTarget, description: Option<&str>, listing: &OrgListing) -> String {
    let description = description.filter(|d| !d.is_empty());
    match target {
        RowTarget::Default => {
            "the central cloud team (the Default row applies to every account)".to_owned()
        }
        RowTarget::Account(id) => {
            let ou = listing
                .accounts
                .iter()
                .find(|a| a.id == *id)
                .and_then(|a| a.ou_path.first())
                .map(|ou| format!("OU {}", ou.name));
            match (description, ou) {
                (Some(d), Some(ou)) => format!("the owners of {d:?} ({ou})"),
                (Some(d), None) => format!("the owners of {d:?}"),
                (None, Some(ou)) => format!("the owners of account {id} ({ou})"),
                (None, None) => format!("the owners of account {id}"),
            }
        }
        RowTarget::OrganizationalUnit(ou) => {
            let name = ou_name(ou, listing).unwrap_or_else(|| ou.to_string());
            match description {
                Some(d) => format!("the owners of {d:?} (OU {name})"),
                None => format!("the owners of OU {name}"),
            }
        }
    }
}

struct Merged {
    loaded: Loaded,
    last_good: LastGood,
}

/// The source's valid rows, plus the last good version of each row that broke; the new last
/// good file (accepted rows updated, kept rows unchanged, removed rows dropped).
fn merge(
    table: &Table,
    mut loaded: Loaded,
    previous: Option<&LastGood>,
    source: &str,
    now: DateTime<Utc>,
    notes: &mut Vec<ConfigNote>,
) -> Merged {
    let empty = LastGood::default();
    let previous = previous.unwrap_or(&empty);
    let mut accepted: Vec<AcceptedRow> = loaded
        .config
        .rows
        .iter()
        .map(|row| {
            let accepted_at = match previous.find(&row.target) {
                Some(before) if same_settings(&before.row, row) => before.accepted_at,
                _ => now,
            };
            AcceptedRow {
                row: row.clone(),
                accepted_at,
            }
        })
        .collect();

    // Rows with problems that left them out, by row number, and the target each names.
    let mut skipped: Vec<usize> = loaded.skipped_rows();
    skipped.retain(|n| *n > 0);
    let targets = row_targets(table);
    let is_valid_now = |target: &RowTarget| loaded.config.rows.iter().any(|r| r.target == *target);
    let named_now: Vec<&RowTarget> = targets.values().collect();

    let mut kept: Vec<(usize, AcceptedRow)> = Vec::new();
    for number in skipped {
        let before = match targets.get(&number) {
            Some(target) if !is_valid_now(target) => previous.find(target),
            Some(_) => None,
            // The row's target itself is unreadable: the row at the same place before, if its
            // target is named nowhere now.
            None => previous.rows.iter().find(|r| {
                r.row.row == number
                    && !is_valid_now(&r.row.target)
                    && !named_now.contains(&&r.row.target)
            }),
        };
        let Some(before) = before else { continue };
        if kept.iter().any(|(_, k)| k.row.target == before.row.target) {
            continue;
        }
        kept.push((number, before.clone()));
    }

    for (number, before) in &kept {
        let problems: Vec<Problem> = loaded
            .problems
            .iter()
            .filter(|p| p.row == *number && p.consequence == Consequence::RowSkipped)
            .cloned()
            .collect();
        let description = cell(table, *number, Column::Description)
            .filter(|d| !d.trim().is_empty())
            .map(|d| d.trim().to_owned())
            .or_else(|| before.row.description.clone());
        notes.push(ConfigNote::RowKept {
            row: *number,
            target: before.row.target.clone(),
            description,
            problems,
            accepted_at: before.accepted_at,
        });
        // The problem list says what happened to the row: not skipped, but replaced.
        for problem in loaded.problems.iter_mut() {
            if problem.row == *number && problem.consequence == Consequence::RowSkipped {
                problem.consequence = Consequence::LastGoodKept;
            }
        }
        let mut row = before.row.clone();
        row.row = *number;
        loaded.config.rows.push(row);
        accepted.push(before.clone());
    }

    for before in &previous.rows {
        if !accepted.iter().any(|a| a.row.target == before.row.target) {
            notes.push(ConfigNote::RowRemoved {
                target: before.row.target.clone(),
                description: before.row.description.clone(),
                last_row: before.row.row,
            });
        }
    }

    Merged {
        loaded,
        last_good: LastGood {
            source: source.to_owned(),
            rows: accepted,
        },
    }
}

/// The same settings, wherever the row sits in the sheet.
fn same_settings(a: &ConfigRow, b: &ConfigRow) -> bool {
    let mut a = a.clone();
    a.row = b.row;
    a == *b
}

/// The text of one cell of a data row, by column.
fn cell(table: &Table, number: usize, column: Column) -> Option<String> {
    let index = table.column_index(column.name())?;
    let row = table.rows.iter().find(|r| r.number == number)?;
    row.cells.get(index).map(|c| c.text.clone())
}

/// Which account, OU or Default each data row is for, read by the validator itself from the
/// row's AccountId, OrganizationalUnitId and Default cells alone: a row whose other cells are
/// wrong still names its target. (Every row gets a placeholder channel so that validation's
/// "no channel to inherit" rule cannot drop it; only the targets are used.)
fn row_targets(table: &Table) -> HashMap<usize, RowTarget> {
    const PLACEHOLDER_CHANNEL: &str = "C0000000000";
    let target_columns: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, name)| {
            matches!(
                Column::from_header(name),
                Some(Column::AccountId | Column::OrganizationalUnitId | Column::Default)
            )
        })
        .map(|(index, _)| index)
        .collect();
    let mut columns: Vec<String> = target_columns
        .iter()
        .map(|i| table.columns[*i].clone())
        .collect();
    columns.push(Column::ChannelIds.name().to_owned());
    let projected = Table {
        source: table.source,
        columns,
        rows: table
            .rows
            .iter()
            .map(|row| TableRow {
                number: row.number,
                cells: target_columns
                    .iter()
                    .map(|i| row.cells.get(*i).cloned().unwrap_or_else(|| Cell::text("")))
                    .chain([Cell::text(PLACEHOLDER_CHANNEL)])
                    .collect(),
            })
            .collect(),
        problems: Vec::new(),
        layout: Default::default(),
    };
    validate(&projected)
        .config
        .rows
        .into_iter()
        .map(|row| (row.row, row.target))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use orgpulse_config::{AccountId, OrgUnitId};
    use orgpulse_pipeline::organizations::{OrgAccount, OrgUnit, OrganizationIdentity};
    use pretty_assertions::assert_eq;

    const A: &str = "111111111111";
    const B: &str = "222222222222";
    const OU: &str = "ou-ab12-cdef3456";

    fn csv(text: &str) -> ConfigSource {
        ConfigSource::Bytes {
            name: "sheet.csv".into(),
            bytes: text.as_bytes().to_vec(),
        }
    }

    const GOOD: &str = "AccountId,OrganizationalUnitId,Default,Description,ChannelIds,Currency\n\
                        ,,TRUE,everyone,C0DEFAULT01,USD\n\
                        111111111111,,,Payments team,C0PAYMENTS1,JPY\n\
                        222222222222,,,Search team,C0SEARCH001,EUR\n\
                        ,ou-ab12-cdef3456,,Data platform,C0DATA0001,\n";

    fn listing() -> OrgListing {
        let root = OrgUnit {
            id: OrgUnitId::parse("r-ab12").unwrap(),
            name: "Root".into(),
        };
        let account = |id: &str, name: &str, ou: &str| OrgAccount {
            id: AccountId::parse(id).unwrap(),
            name: name.into(),
            email: format!("{name}@example.com"),
            status: "ACTIVE".into(),
            ou_path: vec![
                OrgUnit {
                    id: OrgUnitId::parse(OU).unwrap(),
                    name: ou.into(),
                },
                root.clone(),
            ],
            tags: Default::default(),
        };
        OrgListing {
            organization: OrganizationIdentity {
                id: "o-abcdefghij".into(),
                management_account_id: AccountId::parse("123456789012").unwrap(),
                management_account_email: "root@example.com".into(),
            },
            accounts: vec![
                account(A, "payments-prd", "Workloads"),
                account(B, "search-prd", "Workloads"),
            ],
            skipped: vec![],
        }
    }

    fn account(id: &str) -> RowTarget {
        RowTarget::Account(AccountId::parse(id).unwrap())
    }

    fn currency_of(loaded: &LoadedConfig, id: &str) -> String {
        let account = AccountId::parse(id).unwrap();
        loaded
            .loaded
            .config
            .account_row(&account)
            .and_then(|r| r.currency.clone())
            .map(|c| c.to_string())
            .unwrap_or_default()
    }

    async fn stored(files: &RunFiles) -> LastGood {
        files.get_json(LAST_GOOD_KEY).await.unwrap().unwrap()
    }

    #[tokio::test]
    async fn every_valid_row_is_recorded_and_an_edit_is_a_new_version() {
        let files = RunFiles::memory();
        let first = csv(GOOD).load(&files).await.unwrap();
        assert!(first.notes.is_empty(), "{:?}", first.notes);
        let recorded = stored(&files).await;
        assert_eq!(recorded.rows.len(), 4);
        let accepted_before = recorded.find(&account(B)).unwrap().accepted_at;

        let edited = GOOD.replace(
            "Payments team,C0PAYMENTS1,JPY",
            "Payments team,C0PAYMENTS1,GBP",
        );
        let second = csv(&edited).load(&files).await.unwrap();
        assert_eq!(currency_of(&second, A), "GBP");
        assert!(second.notes.is_empty());
        let recorded = stored(&files).await;
        assert_eq!(
            recorded
                .find(&account(A))
                .unwrap()
                .row
                .currency
                .as_ref()
                .unwrap()
                .to_string(),
            "GBP"
        );
        // The row that did not change keeps the time it was first accepted.
        assert_eq!(
            recorded.find(&account(B)).unwrap().accepted_at,
            accepted_before
        );
    }

    #[tokio::test]
    async fn a_row_that_breaks_keeps_its_last_good_version_and_says_whom_to_tell() {
        let files = RunFiles::memory();
        csv(GOOD).load(&files).await.unwrap();
        let broken = GOOD.replace(
            "Payments team,C0PAYMENTS1,JPY",
            "Payments team,#payments,JPN",
        );

        let loaded = csv(&broken).load(&files).await.unwrap();

        assert_eq!(currency_of(&loaded, A), "JPY", "the last good row is used");
        assert_eq!(currency_of(&loaded, B), "EUR");
        assert!(loaded.used_last_good());
        // The problems of the source are all still reported, as replaced rather than skipped.
        let row_2: Vec<&Problem> = loaded
            .loaded
            .problems
            .iter()
            .filter(|p| p.row == 3)
            .collect();
        assert!(row_2.iter().any(|p| p.field.as_deref() == Some("Currency")));
        assert!(
            row_2
                .iter()
                .all(|p| p.consequence == Consequence::LastGoodKept),
            "{row_2:#?}"
        );
        assert!(row_2[0]
            .to_string()
            .ends_with("(its last good version used)"));
        let warnings = loaded.warnings(&listing());
        assert_eq!(warnings.len(), 1, "{warnings:#?}");
        let warning = &warnings[0];
        for expected in [
            "Configuration row 3 (account 111111111111 \"Payments team\" (payments-prd in Workloads / Root)) is invalid",
            "kept its last good row (accepted ",
            "ChannelIds = \"#payments\"",
            "Currency = \"JPN\"",
            "Tell the owners of \"Payments team\" (OU Workloads) to fix row 3 of sheet.csv",
        ] {
            assert!(warning.contains(expected), "{expected}\n{warning}");
        }
        // The last good version stays what it was.
        let recorded = stored(&files).await;
        assert_eq!(
            recorded
                .find(&account(A))
                .unwrap()
                .row
                .currency
                .as_ref()
                .unwrap()
                .to_string(),
            "JPY"
        );

        // Fixed in the sheet: used as it is, no warning.
        let fixed = GOOD.replace(
            "Payments team,C0PAYMENTS1,JPY",
            "Payments team,C0PAYMENTS1,CHF",
        );
        let loaded = csv(&fixed).load(&files).await.unwrap();
        assert_eq!(currency_of(&loaded, A), "CHF");
        assert!(loaded.warnings(&listing()).is_empty());
    }

    #[tokio::test]
    async fn a_broken_ou_or_default_row_is_kept_too() {
        let files = RunFiles::memory();
        csv(GOOD).load(&files).await.unwrap();
        let broken = GOOD
            .replace(
                ",,TRUE,everyone,C0DEFAULT01,USD",
                ",,TRUE,everyone,C0DEFAULT01,DOLLARS",
            )
            .replace("Data platform,C0DATA0001,", "Data platform,data-channel,");
        let loaded = csv(&broken).load(&files).await.unwrap();
        let config = &loaded.loaded.config;
        assert!(config.default_row().is_some());
        assert!(config
            .org_unit_row(&OrgUnitId::parse(OU).unwrap())
            .is_some());
        let warnings = loaded.warnings(&listing()).join("\n");
        assert!(
            warnings.contains("Tell the central cloud team"),
            "{warnings}"
        );
        assert!(
            warnings.contains("Tell the owners of \"Data platform\" (OU Workloads)"),
            "{warnings}"
        );
    }

    #[tokio::test]
    async fn a_row_whose_account_id_broke_is_matched_by_its_place() {
        let files = RunFiles::memory();
        csv(GOOD).load(&files).await.unwrap();
        // A leading zero dropped? No: a typo that makes the ID unreadable.
        let broken = GOOD.replace("111111111111,,,Payments", "11111111111x,,,Payments");
        let loaded = csv(&broken).load(&files).await.unwrap();
        assert_eq!(currency_of(&loaded, A), "JPY");
        let warnings = loaded.warnings(&listing()).join("\n");
        assert!(warnings.contains("row 3"), "{warnings}");
        assert!(
            warnings.contains("AccountId = \"11111111111x\""),
            "{warnings}"
        );
    }

    #[tokio::test]
    async fn a_new_broken_row_without_history_is_only_reported() {
        let files = RunFiles::memory();
        csv(GOOD).load(&files).await.unwrap();
        let with_new = format!("{GOOD}333333333333,,,New team,C0NEW00001,YEN\n");
        let loaded = csv(&with_new).load(&files).await.unwrap();
        assert!(loaded.notes.is_empty(), "{:?}", loaded.notes);
        assert!(loaded
            .loaded
            .problems
            .iter()
            .any(|p| p.row == 6 && p.consequence == Consequence::RowSkipped));
        assert_eq!(loaded.loaded.config.rows.len(), 4);
    }

    #[tokio::test]
    async fn a_removed_row_is_said_once() {
        let files = RunFiles::memory();
        csv(GOOD).load(&files).await.unwrap();
        let without_b = GOOD.replace("222222222222,,,Search team,C0SEARCH001,EUR\n", "");
        let loaded = csv(&without_b).load(&files).await.unwrap();
        assert!(loaded
            .loaded
            .config
            .account_row(&AccountId::parse(B).unwrap())
            .is_none());
        let warnings = loaded.warnings(&listing());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].contains("the row for account 222222222222 \"Search team\" (search-prd in Workloads / Root) (row 4 before) is no longer in sheet.csv"),
            "{}",
            warnings[0]
        );
        let again = csv(&without_b).load(&files).await.unwrap();
        assert!(again.notes.is_empty());
    }

    #[tokio::test]
    async fn an_unreadable_source_runs_on_the_last_good_configuration() {
        let files = RunFiles::memory();
        // No last good yet: the error is the source's.
        let missing = ConfigSource::Object {
            key: "config/orgpulse.json".into(),
        };
        let err = missing.load(&files).await.unwrap_err();
        assert!(err.to_string().contains("does not exist"), "{err}");

        csv(GOOD).load(&files).await.unwrap();
        let loaded = missing.load(&files).await.unwrap();
        assert_eq!(loaded.loaded.config.rows.len(), 4);
        assert_eq!(currency_of(&loaded, A), "JPY");
        let warnings = loaded.warnings(&listing());
        assert_eq!(warnings.len(), 1);
        assert!(
            warnings[0].starts_with("Configuration: s3:///config/orgpulse.json could not be used, so this run used the last good configuration (4 rows, last changed "),
            "{}",
            warnings[0]
        );
        assert!(warnings[0].contains(
            "Why: the configuration could not be used: s3:///config/orgpulse.json does not exist"
        ));
        assert!(loaded
            .source_label()
            .contains("(unusable: last good configuration of "));
    }

    #[tokio::test]
    async fn a_source_with_nothing_usable_runs_on_the_last_good_configuration() {
        let files = RunFiles::memory();
        csv(GOOD).load(&files).await.unwrap();
        // The header row was deleted: every row is now a header or nonsense.
        let headless: String = GOOD.lines().skip(1).map(|l| format!("{l}\n")).collect();
        let loaded = csv(&headless).load(&files).await.unwrap();
        assert_eq!(loaded.loaded.config.rows.len(), 4);
        assert!(!loaded.loaded.problems.is_empty());
        // The sheet emptied by accident.
        let loaded = csv("AccountId,ChannelIds\n").load(&files).await.unwrap();
        assert_eq!(loaded.loaded.config.rows.len(), 4);
        assert!(loaded.warnings(&listing())[0].contains("it has no rows"));
        // The last good file is not touched by either.
        assert_eq!(stored(&files).await.rows.len(), 4);
    }

    #[tokio::test]
    async fn nothing_usable_and_no_history_is_an_error() {
        let files = RunFiles::memory();
        let err = csv("AccountId,ChannelIds\nnot-an-id,C0000000001\n")
            .load(&files)
            .await
            .unwrap_err();
        assert!(
            err.to_string().contains("no row of sheet.csv is usable"),
            "{err}"
        );
        assert_eq!(err.error_type(), "InvalidConfig");
    }

    #[tokio::test]
    async fn an_unreadable_last_good_file_is_rewritten() {
        let files = RunFiles::memory();
        if let RunFiles::Memory(map) = &files {
            map.lock()
                .unwrap()
                .insert(LAST_GOOD_KEY.to_owned(), b"{not json".to_vec());
        }
        let loaded = csv(GOOD).load(&files).await.unwrap();
        assert!(matches!(
            loaded.notes[..],
            [ConfigNote::LastGoodUnreadable { .. }]
        ));
        assert_eq!(stored(&files).await.rows.len(), 4);
    }

    #[test]
    fn row_targets_are_read_from_the_target_cells_alone() {
        let table = Table::read(
            b"AccountId,Default,Currency\n111111111111,,NOPE\n,TRUE,\n0111111111111,,\n",
            Format::Csv,
        );
        let targets = row_targets(&table);
        // Rows as the spreadsheet numbers them: the header is row 1.
        assert_eq!(targets.get(&2), Some(&account(A)));
        assert_eq!(targets.get(&3), Some(&RowTarget::Default));
        assert_eq!(targets.get(&4), None);
    }

    #[test]
    fn google_failures_keep_their_fix_and_their_retryability() {
        let transient = sheets_error(SheetsError::Server {
            what: "Google Sheets values.get",
            status: 503,
            attempts: 4,
        });
        assert_eq!(transient.error_type(), "Retryable");
        assert!(
            transient
                .to_string()
                .starts_with("Google Sheets values.get"),
            "says Google failed, not AWS: {transient}"
        );
        let permanent = sheets_error(SheetsError::NotFound {
            spreadsheet_id: "x".into(),
            message: "Requested entity was not found.".into(),
        });
        assert_eq!(permanent.error_type(), "InvalidConfig");
        let text = permanent.to_string();
        assert_eq!(text.matches("Fix:").count(), 1, "{text}");
        assert!(text.contains("between /d/ and /edit"), "{text}");
    }
}
