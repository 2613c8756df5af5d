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

impl fmt::Display for OrgUnitId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A Slack channel ID (`C…`, `G…` for private channels, `D…` for direct messages).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ChannelId(pub String);

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

/// How a tag clause matches, mapped onto Cost Explorer's `MatchOptions`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum TagMatch {
    /// The tag equals one of the values (OR). `MatchOptions` omitted (EQUALS).
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
    /// `false` mutes the account without deleting its row. Default true.
    pub enabled: bool,
    /// The rows that contributed, most specific first.
    pub sources: Vec<RowTarget>,
}
