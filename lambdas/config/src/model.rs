//! Typed values of a validated configuration. Every other crate speaks these types;
//! raw rows (strings typed by people) never leave this crate.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// A 12-digit AWS account ID, kept as text: leading zeros are significant.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AccountId(String);

impl AccountId {
    pub fn parse(s: &str) -> Result<Self, String> {
        if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a 12-digit AWS account ID"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl TryFrom<String> for AccountId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}
impl From<AccountId> for String {
    fn from(a: AccountId) -> String {
        a.0
    }
}
impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An organizational unit (`ou-xxxx-yyyyyyyy`) or the organization root (`r-xxxx`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct OrgUnitId(pub String);

impl OrgUnitId {
    /// Accepts exactly the IDs AWS Organizations issues: `ou-` + 4–32 lower-case letters or
    /// digits (the root's ID part) + `-` + 8–32 more, or a root `r-` + 4–32.
    pub fn parse(s: &str) -> Result<Self, String> {
        fn id_part(part: &str, min: usize) -> bool {
            (min..=32).contains(&part.len())
                && part
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        }
        let valid = if let Some(rest) = s.strip_prefix("ou-") {
            matches!(rest.split_once('-'), Some((root, unit)) if id_part(root, 4) && id_part(unit, 8))
        } else if let Some(root) = s.strip_prefix("r-") {
            id_part(root, 4)
        } else {
            false
        };
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "{s:?} is not an organizational unit ID (ou-xxxx-xxxxxxxx) or root ID (r-xxxx)"
            ))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    /// The organization root (`r-…`) rather than an OU below it.
    pub fn is_root(&self) -> bool {
        self.0.starts_with("r-")
    }
}

impl fmt::Display for OrgUnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Slack channel ID (`C…`, `G…` for private channels, `D…` for direct messages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub String);

impl ChannelId {
    /// Slack conversation IDs: `C`, `G` or `D` followed by at least 8 upper-case letters or
    /// digits. Names (`#general`) are refused: channels get renamed, IDs stay.
    pub fn parse(s: &str) -> Result<Self, String> {
        let valid = s.len() >= 9
            && s.len() <= 24
            && matches!(s.as_bytes()[0], b'C' | b'G' | b'D')
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit());
        if valid {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not a Slack channel ID (C…, G… or D…)"))
        }
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An ISO 4217 currency code, upper case (`USD`, `JPY`, `EUR`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct CurrencyCode(pub String);

impl CurrencyCode {
    pub fn usd() -> Self {
        Self("USD".into())
    }
    /// Accepts the active ISO 4217 codes of [`crate::currency::ISO_4217`], upper case.
    pub fn parse(s: &str) -> Result<Self, String> {
        if crate::currency::minor_units(s).is_some() {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!("{s:?} is not an ISO 4217 currency code"))
        }
    }
    /// Decimal places of the currency (`JPY` 0, `USD` 2, `KWD` 3); 2 when the code is unknown.
    pub fn minor_units(&self) -> u8 {
        crate::currency::minor_units(&self.0).unwrap_or(2)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}
impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// How often a report is sent; the seed's `Granularity` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Granularity {
    Daily,
    Weekly,
    Monthly,
}

impl Granularity {
    pub const ALL: [Granularity; 3] = [Self::Daily, Self::Weekly, Self::Monthly];
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Daily => "DAILY",
            Self::Weekly => "WEEKLY",
            Self::Monthly => "MONTHLY",
        }
    }
}

impl std::str::FromStr for Granularity {
    type Err = String;
    /// Case-insensitive: `daily`, `Daily` and `DAILY` are the same.
    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?} is not DAILY, WEEKLY or MONTHLY"))
    }
}

impl fmt::Display for Granularity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Cost Explorer metric a report sums. Names are Cost Explorer's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CostMetric {
    /// What the account was charged; matches the invoice. The default.
    #[default]
    UnblendedCost,
    /// Averaged across the consolidated billing family; the seed's choice.
    BlendedCost,
    AmortizedCost,
    NetUnblendedCost,
    NetAmortizedCost,
}

impl CostMetric {
    pub const ALL: [CostMetric; 5] = [
        Self::UnblendedCost,
        Self::BlendedCost,
        Self::AmortizedCost,
        Self::NetUnblendedCost,
        Self::NetAmortizedCost,
    ];
    /// The name `GetCostAndUsage` takes in `Metrics`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::UnblendedCost => "UnblendedCost",
            Self::BlendedCost => "BlendedCost",
            Self::AmortizedCost => "AmortizedCost",
            Self::NetUnblendedCost => "NetUnblendedCost",
            Self::NetAmortizedCost => "NetAmortizedCost",
        }
    }
    /// The UPPER_SNAKE name `GetCostForecast` takes.
    pub fn forecast_name(self) -> &'static str {
        match self {
            Self::UnblendedCost => "UNBLENDED_COST",
            Self::BlendedCost => "BLENDED_COST",
            Self::AmortizedCost => "AMORTIZED_COST",
            Self::NetUnblendedCost => "NET_UNBLENDED_COST",
            Self::NetAmortizedCost => "NET_AMORTIZED_COST",
        }
    }
}

impl std::str::FromStr for CostMetric {
    type Err = String;
    /// Case-insensitive; accepts both spellings Cost Explorer uses (`UnblendedCost`,
    /// `UNBLENDED_COST`).
    fn from_str(s: &str) -> Result<Self, String> {
        let wanted: String = s.chars().filter(|c| *c != '_').collect();
        Self::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| format!("{s:?} is not a Cost Explorer cost metric"))
    }
}

impl fmt::Display for CostMetric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a tag clause matches, mapped onto Cost Explorer's `MatchOptions`
/// (see [`crate::cost_explorer_filter`]).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TagMatch {
    /// The tag equals one of the values (OR). `MatchOptions: ["EQUALS"]`, written out although
    /// it is Cost Explorer's default, so the filter reads the same in logs and in the console.
    Equals(Vec<String>),
    /// The resource does not carry the tag at all. `MatchOptions: ["ABSENT"]`.
    Absent,
}

/// One key of a `CostTags` cell.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TagClause {
    pub key: String,
    pub matches: TagMatch,
}

/// A parsed `CostTags` cell: clauses combined with AND. Empty = no tag filter.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub struct TagFilter {
    pub clauses: Vec<TagClause>,
}

impl TagFilter {
    pub fn is_empty(&self) -> bool {
        self.clauses.is_empty()
    }
}

/// When a report counts as an alert. Either threshold crossing is enough.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AlertThresholds {
    /// Increase against the previous comparable period, in percent (e.g. `20` for +20 %).
    pub increase_percent: Option<Decimal>,
    /// Increase against the previous comparable period, in the report's currency.
    pub increase_amount: Option<Decimal>,
}

/// Which row a resolved setting came from, for messages like "inherited from OU Sales".
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RowTarget {
    Account(AccountId),
    OrganizationalUnit(OrgUnitId),
    Default,
}

/// The exchange rates orgpulse accepts, in units per 1 USD: the strongest currency (KWD, about
/// 0.3) and the weakest in use (IRR, VND, LBP: tens of thousands to about a million) fit with
/// room to spare. A rate outside is a typo (`JPY=15120000`) or a fed-in value, and would make
/// every converted figure wrong or overflow a decimal.
pub const MIN_RATE_PER_USD: Decimal = Decimal::from_parts(1, 0, 0, false, 4); // 0.0001
/// See [`MIN_RATE_PER_USD`].
pub const MAX_RATE_PER_USD: Decimal = Decimal::from_parts(10_000_000, 0, 0, false, 0);

/// Whether `per_usd` is within [`MIN_RATE_PER_USD`]..=[`MAX_RATE_PER_USD`].
pub fn sane_rate_per_usd(per_usd: Decimal) -> bool {
    (MIN_RATE_PER_USD..=MAX_RATE_PER_USD).contains(&per_usd)
}

/// Organization-wide settings, carried by the `Default` row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrgSettings {
    /// The time zone in which "today", "yesterday" and report days are computed.
    pub time_zone: chrono_tz::Tz,
    /// Fixed rates: units of the currency per 1 USD (e.g. `JPY` → `151.20`). Currencies
    /// missing here are converted with the live source (ECB reference rates).
    pub exchange_rates: std::collections::BTreeMap<CurrencyCode, Decimal>,
}

impl Default for OrgSettings {
    fn default() -> Self {
        Self {
            time_zone: chrono_tz::UTC,
            exchange_rates: Default::default(),
        }
    }
}

impl fmt::Display for RowTarget {
    /// How a person names the row: `account 012345678901`, `OU ou-ab12-cd34ef56`, `Default`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Account(id) => write!(f, "account {id}"),
            Self::OrganizationalUnit(ou) => write!(f, "OU {ou}"),
            Self::Default => f.write_str("Default"),
        }
    }
}

/// Everything one account's reports need, after precedence
/// (account row > nearest OU row > Default row > built-in defaults) was applied field by field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccountSettings {
    pub account_id: AccountId,
    /// Free text from the sheet; escape before it reaches Slack.
    pub description: String,
    pub channel_ids: Vec<ChannelId>,
    pub currency: CurrencyCode,
    pub granularities: Vec<Granularity>,
    pub cost_tags: TagFilter,
    pub metric: CostMetric,
    /// How many services the report lists before the "other" line. Default 5.
    pub top_services: usize,
    pub thresholds: AlertThresholds,
    /// The day weekly reports are sent; they cover the 7 days before it. Default Monday.
    pub weekly_report_day: chrono::Weekday,
    /// The day of month monthly reports are sent (1–28); they cover the last full month. Default 1.
    pub monthly_report_day: u8,
    /// Ask Cost Explorer's GetCostForecast (one billed request per account) for the month-end
    /// projection instead of extrapolating from data already fetched. Default false.
    pub forecast: bool,
    /// Show the AWS Budgets defined in the account (read through the member role) in its
    /// report. Default true; settings written before the field existed read as true.
    #[serde(default = "AccountSettings::default_budgets")]
    pub budgets: bool,
    /// `false` mutes the account without deleting its row. Default true.
    pub enabled: bool,
    /// The rows that contributed, most specific first.
    pub sources: Vec<RowTarget>,
}

impl AccountSettings {
    fn default_budgets() -> bool {
        Self::DEFAULT_BUDGETS
    }

    /// Built-in defaults, used when no row sets the field.
    pub const DEFAULT_CURRENCY: &'static str = "USD";
    pub const DEFAULT_GRANULARITIES: [Granularity; 1] = [Granularity::Daily];
    pub const DEFAULT_METRIC: CostMetric = CostMetric::UnblendedCost;
    pub const DEFAULT_TOP_SERVICES: usize = 5;
    pub const DEFAULT_WEEKLY_REPORT_DAY: chrono::Weekday = chrono::Weekday::Mon;
    pub const DEFAULT_MONTHLY_REPORT_DAY: u8 = 1;
    pub const DEFAULT_FORECAST: bool = false;
    pub const DEFAULT_BUDGETS: bool = true;
    pub const DEFAULT_ENABLED: bool = true;
}
