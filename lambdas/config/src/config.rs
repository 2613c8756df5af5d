//! A loaded configuration: the valid rows, the problems with the others, and how one
//! account's settings are resolved from them.

use std::collections::{BTreeSet, HashMap};
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::columns::{is_comment_header, Column};
use crate::model::{
    AccountId, AccountSettings, AlertThresholds, CurrencyCode, OrgSettings, OrgUnitId, RowTarget,
};
use crate::problem::{Consequence, Problem};
use crate::rows::{check_row, ConfigRow};
use crate::table::{Cell, CellKind, Format, Layout, Table, TableRow};

/// The valid rows of a configuration, in file order. At most one row per account, per OU,
/// and one Default row.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Config {
    pub rows: Vec<ConfigRow>,
}

/// What [`load`] returns: every valid row, and every problem with the others.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Loaded {
    pub config: Config,
    /// Ordered by row; row 0 (the file) first. Each is located ([`Problem::location`]).
    pub problems: Vec<Problem>,
    /// Non-blank data rows read from the file.
    pub rows_read: usize,
    /// Non-empty rows above the header, skipped as notes (a title, a few lines of text).
    #[serde(default)]
    pub note_rows: Vec<usize>,
}

impl Loaded {
    /// No problem at all: every row was used as written.
    pub fn is_valid(&self) -> bool {
        self.problems.is_empty()
    }
    /// Row numbers left out because of their problems, for the run summary.
    pub fn skipped_rows(&self) -> Vec<usize> {
        let rows: BTreeSet<usize> = self
            .problems
            .iter()
            .filter(|p| p.consequence == Consequence::RowSkipped)
            .map(|p| p.row)
            .collect();
        rows.into_iter().collect()
    }
}

/// Reads and validates a configuration file. Never fails and never panics: a bad row is
/// reported and left out, the good rows are used.
pub fn load(bytes: &[u8], format: Format) -> Loaded {
    validate(&Table::read(bytes, format))
}

/// [`load`] with the format detected from the content ([`Format::detect`]).
pub fn load_detected(bytes: &[u8]) -> Loaded {
    load(bytes, Format::detect(bytes))
}

fn unknown_column(name: &str) -> (String, String) {
    let message = format!("{name:?} is not a configuration column; its values are ignored");
    let fix = match Column::closest(name) {
        Some(column) => format!(
            "did you mean {}? Rename it, or start its header with # to keep it as a note",
            column.name()
        ),
        None => "rename it to a column of the configuration reference, or start its header with # to keep it as a note".to_owned(),
    };
    (message, fix)
}

/// Checks every row of a table read by [`Table::read`].
pub fn validate(table: &Table) -> Loaded {
    let mut problems = table.problems.clone();
    let columns: Vec<Option<Column>> = table
        .columns
        .iter()
        .map(|name| Column::from_header(name))
        .collect();

    for (index, name) in table.columns.iter().enumerate() {
        if columns[index].is_some() || is_comment_header(name) {
            continue;
        }
        let (message, fix) = unknown_column(name);
        match table.source {
            // One header, one problem; in JSON every object names its own fields.
            Format::Csv => problems.push(Problem::new(
                table.layout.header_row,
                Some(name),
                None,
                message,
                fix,
                Consequence::ValueIgnored,
            )),
            Format::Json => {
                for row in &table.rows {
                    let Some(cell) = row.cells.get(index) else {
                        continue;
                    };
                    if cell.kind != CellKind::Absent {
                        problems.push(Problem::new(
                            row.number,
                            Some(name),
                            Some(&cell.text),
                            message.clone(),
                            fix.clone(),
                            Consequence::ValueIgnored,
                        ));
                    }
                }
            }
        }
    }

    let mut first_row_of: HashMap<RowTarget, usize> = HashMap::new();
    let mut rows: Vec<ConfigRow> = Vec::new();
    for row in &table.rows {
        // Rows with only notes (comment or unknown columns) are not configuration.
        let blank = columns
            .iter()
            .zip(&row.cells)
            .all(|(column, cell)| column.is_none() || cell.is_blank());
        if blank {
            continue;
        }
        let outcome = check_row(&columns, row);
        problems.extend(outcome.problems);
        if let Some(target) = outcome.target {
            if let Some(first) = first_row_of.get(&target) {
                problems.push(duplicate_problem(
                    row_noun(table.source),
                    row.number,
                    *first,
                    &target,
                ));
                continue;
            }
            first_row_of.insert(target, row.number);
        }
        rows.extend(outcome.row);
    }

    check_channels_can_be_inherited(
        row_noun(table.source),
        &mut rows,
        &mut problems,
        &first_row_of,
    );
    problems.sort_by_key(|p| p.row);
    for problem in &mut problems {
        problem.location = Some(Box::new(table.locate(problem)));
    }
    Loaded {
        config: Config { rows },
        problems,
        rows_read: table.rows.len(),
        note_rows: table.layout.note_rows.clone(),
    }
}

/// How messages name another row: a spreadsheet row, or an element of a JSON array.
fn row_noun(source: Format) -> &'static str {
    match source {
        Format::Csv => "row",
        Format::Json => "element",
    }
}

fn duplicate_problem(noun: &str, row: usize, first: usize, target: &RowTarget) -> Problem {
    let (field, value) = match target {
        RowTarget::Account(id) => (Column::AccountId, id.to_string()),
        RowTarget::OrganizationalUnit(id) => (Column::OrganizationalUnitId, id.to_string()),
        RowTarget::Default => (Column::Default, "TRUE".to_owned()),
    };
    let (message, fix) = match target {
        RowTarget::Default => (
            format!("there is more than one Default row ({noun}s {first} and {row})"),
            format!("keep one Default row: merge {noun} {row} into {noun} {first} and delete it"),
        ),
        _ => (
            format!("{target} already has a row ({noun} {first}); each account or OU has one row"),
            format!("merge {noun} {row} into {noun} {first} and delete it"),
        ),
    };
    Problem::new(
        row,
        Some(field.name()),
        Some(&value),
        message,
        fix,
        Consequence::RowSkipped,
    )
}

/// An account row without channels needs a row to inherit them from. Only the Default row
/// and OU rows can give them; whether an OU row covers the account is known at run time.
fn check_channels_can_be_inherited(
    noun: &str,
    rows: &mut Vec<ConfigRow>,
    problems: &mut Vec<Problem>,
    first_row_of: &HashMap<RowTarget, usize>,
) {
    let default_row = rows.iter().find(|r| r.target == RowTarget::Default);
    let default_has_channels = default_row.is_some_and(|r| r.channel_ids.is_some());
    let ou_has_channels = rows
        .iter()
        .any(|r| matches!(r.target, RowTarget::OrganizationalUnit(_)) && r.channel_ids.is_some());
    if default_has_channels || ou_has_channels {
        return;
    }
    let why = match (default_row, first_row_of.get(&RowTarget::Default)) {
        (Some(row), _) => format!("the Default row ({noun} {}) has none either", row.row),
        (None, Some(number)) => {
            format!("the Default row ({noun} {number}) was skipped because of its own problems")
        }
        (None, None) => "there is no Default row to inherit channels from".to_owned(),
    };
    rows.retain(|row| {
        let needs_channels = matches!(row.target, RowTarget::Account(_))
            && row.channel_ids.is_none()
            && row.enabled != Some(false);
        if needs_channels {
            problems.push(Problem::new(
                row.row,
                Some(Column::ChannelIds.name()),
                Some(""),
                format!("ChannelIds is empty and {why}, so this account's reports would go nowhere"),
                "fill in the Slack channel IDs (C…) of this account, or give the Default row ChannelIds",
                Consequence::RowSkipped,
            ));
        }
        !needs_channels
    });
}

/// The value of the most specific row that sets it; marks that row as a source.
fn first<T>(
    rows: &[&ConfigRow],
    used: &mut BTreeSet<usize>,
    get: impl Fn(&ConfigRow) -> Option<T>,
) -> Option<T> {
    rows.iter().enumerate().find_map(|(i, row)| {
        let value = get(row)?;
        used.insert(i);
        Some(value)
    })
}

/// Why no settings could be resolved for an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unresolved {
    /// No account row, no row for any of its OUs, and no Default row.
    NoRowApplies,
    /// Rows apply, but none of them gives ChannelIds.
    NoChannels { sources: Vec<RowTarget> },
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NoRowApplies => f.write_str(
                "no configuration row applies: the account has no row, none of its OUs has one, and there is no Default row",
            ),
            Self::NoChannels { sources } => {
                let names: Vec<String> = sources.iter().map(ToString::to_string).collect();
                write!(
                    f,
                    "no channel to send to: none of the rows that apply ({}) has ChannelIds",
                    names.join(", ")
                )
            }
        }
    }
}

impl std::error::Error for Unresolved {}

impl Config {
    pub fn default_row(&self) -> Option<&ConfigRow> {
        self.rows.iter().find(|r| r.target == RowTarget::Default)
    }

    pub fn account_row(&self, account: &AccountId) -> Option<&ConfigRow> {
        self.rows
            .iter()
            .find(|r| matches!(&r.target, RowTarget::Account(id) if id == account))
    }

    pub fn org_unit_row(&self, org_unit: &OrgUnitId) -> Option<&ConfigRow> {
        self.rows
            .iter()
            .find(|r| matches!(&r.target, RowTarget::OrganizationalUnit(id) if id == org_unit))
    }

    /// The account IDs that have a row of their own, in file order.
    pub fn accounts(&self) -> impl Iterator<Item = &AccountId> {
        self.rows.iter().filter_map(|r| match &r.target {
            RowTarget::Account(id) => Some(id),
            _ => None,
        })
    }

    /// The rows that apply to an account, most specific first: its own row, the rows of its
    /// OUs from the nearest up to the root (`ou_path` is nearest first, root last), Default.
    pub fn applicable_rows(&self, account: &AccountId, ou_path: &[OrgUnitId]) -> Vec<&ConfigRow> {
        self.account_row(account)
            .into_iter()
            .chain(ou_path.iter().filter_map(|ou| self.org_unit_row(ou)))
            .chain(self.default_row())
            .collect()
    }

    /// An account's settings, field by field: account row > nearest OU row > … > root row >
    /// Default row > built-in default. `None` when no row applies or no row gives channels;
    /// [`Config::try_resolve`] says which.
    pub fn resolve(&self, account: &AccountId, ou_path: &[OrgUnitId]) -> Option<AccountSettings> {
        self.try_resolve(account, ou_path).ok()
    }

    /// [`Config::resolve`], with the reason when there are no settings.
    pub fn try_resolve(
        &self,
        account: &AccountId,
        ou_path: &[OrgUnitId],
    ) -> Result<AccountSettings, Unresolved> {
        let rows = self.applicable_rows(account, ou_path);
        if rows.is_empty() {
            return Err(Unresolved::NoRowApplies);
        }
        let mut used = BTreeSet::new();
        let channel_ids = first(&rows, &mut used, |r| r.channel_ids.clone());
        let currency = first(&rows, &mut used, |r| r.currency.clone());
        let granularities = first(&rows, &mut used, |r| r.granularities.clone());
        let cost_tags = first(&rows, &mut used, |r| r.cost_tags.clone());
        let metric = first(&rows, &mut used, |r| r.metric);
        let top_services = first(&rows, &mut used, |r| r.top_services);
        let increase_percent = first(&rows, &mut used, |r| r.alert_increase_percent);
        let increase_amount = first(&rows, &mut used, |r| r.alert_increase_amount);
        let weekly_report_day = first(&rows, &mut used, |r| r.weekly_report_day);
        let monthly_report_day = first(&rows, &mut used, |r| r.monthly_report_day);
        let forecast = first(&rows, &mut used, |r| r.forecast);
        let budgets = first(&rows, &mut used, |r| r.budgets);
        let enabled = first(&rows, &mut used, |r| r.enabled);

        // The description belongs to the account's own row; an OU's would mislabel it.
        let own_row = rows
            .first()
            .filter(|row| row.target == RowTarget::Account(account.clone()));
        let description = own_row.and_then(|row| row.description.clone());
        if description.is_some() {
            used.insert(0);
        }

        let Some(channel_ids) = channel_ids else {
            return Err(Unresolved::NoChannels {
                sources: rows.iter().map(|r| r.target.clone()).collect(),
            });
        };
        Ok(AccountSettings {
            account_id: account.clone(),
            description: description.unwrap_or_default(),
            channel_ids,
            currency: currency
                .unwrap_or_else(|| CurrencyCode(AccountSettings::DEFAULT_CURRENCY.to_owned())),
            granularities: granularities
                .unwrap_or_else(|| AccountSettings::DEFAULT_GRANULARITIES.to_vec()),
            cost_tags: cost_tags.unwrap_or_default(),
            metric: metric.unwrap_or(AccountSettings::DEFAULT_METRIC),
            top_services: top_services.unwrap_or(AccountSettings::DEFAULT_TOP_SERVICES),
            thresholds: AlertThresholds {
                increase_percent: increase_percent.flatten(),
                increase_amount: increase_amount.flatten(),
            },
            weekly_report_day: weekly_report_day
                .unwrap_or(AccountSettings::DEFAULT_WEEKLY_REPORT_DAY),
            monthly_report_day: monthly_report_day
                .unwrap_or(AccountSettings::DEFAULT_MONTHLY_REPORT_DAY),
            forecast: forecast.unwrap_or(AccountSettings::DEFAULT_FORECAST),
            budgets: budgets.unwrap_or(AccountSettings::DEFAULT_BUDGETS),
            enabled: enabled.unwrap_or(AccountSettings::DEFAULT_ENABLED),
            sources: used.into_iter().map(|i| rows[i].target.clone()).collect(),
        })
    }

    /// Organization-wide settings from the Default row (UTC and no fixed rates without one).
    pub fn org_settings(&self) -> OrgSettings {
        let default_row = self.default_row();
        let built_in = OrgSettings::default();
        OrgSettings {
            time_zone: default_row
                .and_then(|r| r.time_zone)
                .unwrap_or(built_in.time_zone),
            exchange_rates: default_row
                .and_then(|r| r.exchange_rates.clone())
                .unwrap_or(built_in.exchange_rates),
        }
    }

    /// The rows as a table in canonical spelling, numbered from 1: the seed's six columns and
    /// every other column some row uses. Reading it back gives the same rows.
    pub fn to_table(&self) -> Table {
        const SEED_COLUMNS: [Column; 6] = [
            Column::AccountId,
            Column::Description,
            Column::ChannelIds,
            Column::Currency,
            Column::Granularity,
            Column::CostTags,
        ];
        let columns: Vec<Column> = Column::ALL
            .into_iter()
            .filter(|c| {
                SEED_COLUMNS.contains(c) || self.rows.iter().any(|r| !r.cell_text(*c).is_empty())
            })
            .collect();
        Table {
            source: Format::Json,
            columns: columns.iter().map(|c| c.name().to_owned()).collect(),
            rows: self
                .rows
                .iter()
                .enumerate()
                .map(|(i, row)| TableRow {
                    number: i + 1,
                    cells: columns
                        .iter()
                        .map(|c| Cell::text(row.cell_text(*c)))
                        .collect(),
                })
                .collect(),
            problems: Vec::new(),
            layout: Layout::default(),
        }
    }
}
