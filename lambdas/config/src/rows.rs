//! One validated row, and the checks that turn a table row into one.

use std::collections::BTreeMap;

use chrono::Weekday;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::columns::Column;
use crate::model::{ChannelId, CostMetric, CurrencyCode, Granularity, RowTarget, TagFilter};
use crate::problem::{Consequence, Problem};
use crate::table::{Cell, CellKind, TableRow, MAX_CELL_BYTES};
use crate::values::{self, FieldError, CLEAR};

/// A valid row. `None` means the cell was empty: the value is inherited (account row > nearest
/// OU row > Default row > built-in default).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfigRow {
    /// The row as the source shows it (see [`Problem::row`]): the spreadsheet row, or the
    /// element of a JSON array.
    pub row: usize,
    pub target: RowTarget,
    /// Not inherited: it describes this row's account or OU.
    pub description: Option<String>,
    pub channel_ids: Option<Vec<ChannelId>>,
    pub currency: Option<CurrencyCode>,
    pub granularities: Option<Vec<Granularity>>,
    /// `Some(empty filter)` when the cell says `-`: no tag filter, whatever is inherited.
    pub cost_tags: Option<TagFilter>,
    pub metric: Option<CostMetric>,
    pub top_services: Option<usize>,
    /// `Some(None)` when the cell says `-`: no percentage threshold, whatever is inherited.
    pub alert_increase_percent: Option<Option<Decimal>>,
    /// `Some(None)` when the cell says `-`: no amount threshold, whatever is inherited.
    pub alert_increase_amount: Option<Option<Decimal>>,
    pub weekly_report_day: Option<Weekday>,
    pub monthly_report_day: Option<u8>,
    pub forecast: Option<bool>,
    /// The AWS Budgets section in the account's report.
    pub budgets: Option<bool>,
    pub enabled: Option<bool>,
    /// Default row only.
    pub time_zone: Option<chrono_tz::Tz>,
    /// Default row only.
    pub exchange_rates: Option<BTreeMap<CurrencyCode, Decimal>>,
}

impl ConfigRow {
    /// A row that targets `target` and sets nothing.
    pub fn new(row: usize, target: RowTarget) -> Self {
        Self {
            row,
            target,
            description: None,
            channel_ids: None,
            currency: None,
            granularities: None,
            cost_tags: None,
            metric: None,
            top_services: None,
            alert_increase_percent: None,
            alert_increase_amount: None,
            weekly_report_day: None,
            monthly_report_day: None,
            forecast: None,
            budgets: None,
            enabled: None,
            time_zone: None,
            exchange_rates: None,
        }
    }

    /// The cell text of `column`, in the canonical spelling (parses back to the same value).
    pub fn cell_text(&self, column: Column) -> String {
        fn list<T: ToString>(items: &Option<Vec<T>>) -> String {
            items.as_ref().map_or(String::new(), |items| {
                items
                    .iter()
                    .map(T::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            })
        }
        fn threshold(value: &Option<Option<Decimal>>) -> String {
            match value {
                None => String::new(),
                Some(None) => CLEAR.to_owned(),
                Some(Some(d)) => d.to_string(),
            }
        }
        fn flag(value: Option<bool>) -> String {
            value.map_or(String::new(), |b| {
                if b { "TRUE" } else { "FALSE" }.to_owned()
            })
        }
        fn text<T: ToString>(value: &Option<T>) -> String {
            value.as_ref().map_or(String::new(), T::to_string)
        }
        match column {
            Column::AccountId => match &self.target {
                RowTarget::Account(id) => id.to_string(),
                _ => String::new(),
            },
            Column::OrganizationalUnitId => match &self.target {
                RowTarget::OrganizationalUnit(id) => id.to_string(),
                _ => String::new(),
            },
            Column::Default => flag((self.target == RowTarget::Default).then_some(true)),
            Column::Description => text(&self.description),
            Column::ChannelIds => list(&self.channel_ids),
            Column::Currency => text(&self.currency),
            Column::Granularity => list(&self.granularities),
            Column::CostTags => match &self.cost_tags {
                None => String::new(),
                Some(filter) if filter.is_empty() => CLEAR.to_owned(),
                Some(filter) => filter.to_string(),
            },
            Column::Metric => text(&self.metric),
            Column::TopServices => text(&self.top_services),
            Column::AlertIncreasePercent => threshold(&self.alert_increase_percent),
            Column::AlertIncreaseAmount => threshold(&self.alert_increase_amount),
            Column::WeeklyReportDay => self
                .weekly_report_day
                .map_or(String::new(), |d| weekday_name(d).to_owned()),
            Column::MonthlyReportDay => text(&self.monthly_report_day),
            Column::Forecast => flag(self.forecast),
            Column::Budgets => flag(self.budgets),
            Column::Enabled => flag(self.enabled),
            Column::TimeZone => self
                .time_zone
                .map_or(String::new(), |tz| tz.name().to_owned()),
            Column::ExchangeRates => self.exchange_rates.as_ref().map_or(String::new(), |rates| {
                rates
                    .iter()
                    .map(|(code, rate)| format!("{code}={rate}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            }),
        }
    }
}

fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// What checking one table row found.
pub(crate) struct RowOutcome {
    /// The row's target when it could be read, even if other cells were wrong, so duplicates
    /// are found among invalid rows too.
    pub target: Option<RowTarget>,
    pub row: Option<ConfigRow>,
    pub problems: Vec<Problem>,
}

/// Checks one row. `columns` maps each table column to the known column it is, if any.
pub(crate) fn check_row(columns: &[Option<Column>], row: &TableRow) -> RowOutcome {
    let mut checker = RowChecker {
        number: row.number,
        problems: Vec::new(),
    };
    let mut cells: BTreeMap<Column, &Cell> = BTreeMap::new();
    for (column, cell) in columns.iter().zip(&row.cells) {
        let Some(column) = *column else { continue };
        if cell.is_blank() {
            continue;
        }
        if checker.cell_shape_ok(column, cell) {
            cells.insert(column, cell);
        }
    }

    let target = checker.target(&cells);
    let mut parsed = ConfigRow::new(row.number, target.clone().unwrap_or(RowTarget::Default));
    let text = |column: Column| cells.get(&column).map(|cell| cell.text.as_str());

    if let Some(raw) = text(Column::Description) {
        parsed.description = Some(raw.trim().to_owned());
    }
    if let Some(raw) = text(Column::ChannelIds) {
        parsed.channel_ids = checker.list(Column::ChannelIds, raw, values::channel_ids(raw));
    }
    if let Some(raw) = text(Column::Currency) {
        parsed.currency = checker.one(Column::Currency, raw, values::currency_code(raw));
    }
    if let Some(raw) = text(Column::Granularity) {
        parsed.granularities = checker.list(Column::Granularity, raw, values::granularities(raw));
    }
    if let Some(raw) = text(Column::CostTags) {
        match values::cost_tags(raw) {
            Ok(filter) => parsed.cost_tags = filter,
            Err(e) => checker.report(
                Column::CostTags,
                raw,
                FieldError {
                    value: None,
                    message: e.message,
                    fix: e.fix,
                },
            ),
        }
    }
    if let Some(raw) = text(Column::Metric) {
        parsed.metric = checker.one(Column::Metric, raw, values::metric(raw));
    }
    if let Some(raw) = text(Column::TopServices) {
        parsed.top_services = checker.one(Column::TopServices, raw, values::top_services(raw));
    }
    if let Some(raw) = text(Column::AlertIncreasePercent) {
        parsed.alert_increase_percent =
            checker.one(Column::AlertIncreasePercent, raw, values::percent(raw));
    }
    if let Some(raw) = text(Column::AlertIncreaseAmount) {
        parsed.alert_increase_amount =
            checker.one(Column::AlertIncreaseAmount, raw, values::amount(raw));
    }
    if let Some(raw) = text(Column::WeeklyReportDay) {
        parsed.weekly_report_day = checker.one(Column::WeeklyReportDay, raw, values::weekday(raw));
    }
    if let Some(raw) = text(Column::MonthlyReportDay) {
        parsed.monthly_report_day =
            checker.one(Column::MonthlyReportDay, raw, values::month_day(raw));
    }
    if let Some(raw) = text(Column::Forecast) {
        parsed.forecast = checker.one(Column::Forecast, raw, values::boolean(raw));
    }
    if let Some(raw) = text(Column::Budgets) {
        parsed.budgets = checker.one(Column::Budgets, raw, values::boolean(raw));
    }
    if let Some(raw) = text(Column::Enabled) {
        parsed.enabled = checker.one(Column::Enabled, raw, values::boolean(raw));
    }
    let is_default = target == Some(RowTarget::Default);
    for column in [Column::TimeZone, Column::ExchangeRates] {
        if let (Some(raw), Some(target)) = (text(column), &target) {
            if !is_default {
                checker.report(
                    column,
                    raw,
                    FieldError {
                        value: None,
                        message: format!(
                            "{} is organization-wide and only the Default row may set it, but this row is for {target}",
                            column.name()
                        ),
                        fix: "move the value to the Default row (Default = TRUE) and clear it here"
                            .to_owned(),
                    },
                );
            }
        }
    }
    if is_default {
        if let Some(raw) = text(Column::TimeZone) {
            parsed.time_zone = checker.one(Column::TimeZone, raw, values::time_zone(raw));
        }
        if let Some(raw) = text(Column::ExchangeRates) {
            parsed.exchange_rates =
                checker.list(Column::ExchangeRates, raw, values::exchange_rates(raw));
        }
    }

    let row = (target.is_some() && checker.problems.is_empty()).then_some(parsed);
    RowOutcome {
        target,
        row,
        problems: checker.problems,
    }
}

struct RowChecker {
    number: usize,
    problems: Vec<Problem>,
}

impl RowChecker {
    fn report(&mut self, column: Column, raw: &str, error: FieldError) {
        let value = error.value.as_deref().unwrap_or(raw);
        self.problems.push(Problem::new(
            self.number,
            Some(column.name()),
            Some(value),
            error.message,
            error.fix,
            Consequence::RowSkipped,
        ));
    }

    fn one<T>(&mut self, column: Column, raw: &str, result: Result<T, FieldError>) -> Option<T> {
        result.map_err(|e| self.report(column, raw, e)).ok()
    }

    /// A list cell: `None` when every item was wrong or it had no items (then inherited).
    fn list<T, C: IntoIterator<Item = T> + FromIterator<T>>(
        &mut self,
        column: Column,
        raw: &str,
        result: Result<C, Vec<FieldError>>,
    ) -> Option<C> {
        match result {
            Ok(items) => {
                let items: Vec<T> = items.into_iter().collect();
                (!items.is_empty()).then(|| items.into_iter().collect())
            }
            Err(errors) => {
                for e in errors {
                    self.report(column, raw, e);
                }
                None
            }
        }
    }

    /// Size and JSON type checks every cell passes before its value is read.
    fn cell_shape_ok(&mut self, column: Column, cell: &Cell) -> bool {
        let error = if cell.text.len() > MAX_CELL_BYTES {
            Some(FieldError {
                value: None,
                message: format!(
                    "the cell has {} bytes; cells may have at most {} KiB",
                    cell.text.len(),
                    MAX_CELL_BYTES / 1024
                ),
                fix: "shorten it; a description of a line or two is plenty".to_owned(),
            })
        } else if cell.kind == CellKind::JsonObject && column != Column::ExchangeRates {
            Some(FieldError {
                value: None,
                message: format!("{} is a JSON object", column.name()),
                fix: "write a string (or, for ChannelIds and Granularity, an array of strings)"
                    .to_owned(),
            })
        } else if cell.kind == CellKind::JsonArray && column.kind() != crate::ColumnKind::List {
            Some(FieldError {
                value: None,
                message: format!("{} is a JSON array but takes one value", column.name()),
                fix: "write a single string".to_owned(),
            })
        } else if cell.kind == CellKind::JsonNumber && column == Column::OrganizationalUnitId {
            Some(FieldError {
                value: None,
                message: "OrganizationalUnitId is a JSON number".to_owned(),
                fix: "write the OU ID as a string: \"ou-xxxx-xxxxxxxx\"".to_owned(),
            })
        } else {
            None
        };
        match error {
            Some(e) => {
                self.report(column, &cell.text, e);
                false
            }
            None => true,
        }
    }

    /// Exactly one of AccountId, OrganizationalUnitId or Default = TRUE.
    fn target(&mut self, cells: &BTreeMap<Column, &Cell>) -> Option<RowTarget> {
        let mut targets = Vec::new();
        let mut unreadable = false;
        if let Some(cell) = cells.get(&Column::AccountId) {
            match values::account_id(&cell.text, cell.kind == CellKind::JsonNumber) {
                Ok(id) => targets.push((Column::AccountId, RowTarget::Account(id))),
                Err(e) => {
                    unreadable = true;
                    self.report(Column::AccountId, &cell.text, e);
                }
            }
        }
        if let Some(cell) = cells.get(&Column::OrganizationalUnitId) {
            match values::org_unit_id(&cell.text) {
                Ok(id) => targets.push((
                    Column::OrganizationalUnitId,
                    RowTarget::OrganizationalUnit(id),
                )),
                Err(e) => {
                    unreadable = true;
                    self.report(Column::OrganizationalUnitId, &cell.text, e);
                }
            }
        }
        if let Some(cell) = cells.get(&Column::Default) {
            match values::boolean(&cell.text) {
                Ok(true) => targets.push((Column::Default, RowTarget::Default)),
                Ok(false) => {}
                Err(e) => {
                    unreadable = true;
                    self.report(Column::Default, &cell.text, e);
                }
            }
        }
        match targets.len() {
            1 => targets.pop().map(|(_, target)| target),
            0 if unreadable => None,
            0 => {
                self.problems.push(Problem::new(
                    self.number,
                    None,
                    None,
                    "the row does not say what it is for",
                    "fill in AccountId (one account), or OrganizationalUnitId (every account below the OU), or set Default to TRUE (every account)",
                    Consequence::RowSkipped,
                ));
                None
            }
            _ => {
                let names: Vec<&str> = targets.iter().map(|(c, _)| c.name()).collect();
                self.problems.push(Problem::new(
                    self.number,
                    Some(&names.join(", ")),
                    None,
                    format!(
                        "the row is for {} at once; a row is for exactly one of them",
                        names.join(" and ")
                    ),
                    "split it into one row per target (AccountId, OrganizationalUnitId or Default)",
                    Consequence::RowSkipped,
                ));
                None
            }
        }
    }
}
