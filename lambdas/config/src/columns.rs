//! The columns (CSV) and fields (JSON) a configuration row may have.

use unicode_normalization::UnicodeNormalization;

/// One known column. The seed's six come first in the seed's order; the rest are extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    AccountId,
    OrganizationalUnitId,
    Default,
    Description,
    ChannelIds,
    Currency,
    Granularity,
    CostTags,
    Metric,
    TopServices,
    AlertIncreasePercent,
    AlertIncreaseAmount,
    WeeklyReportDay,
    MonthlyReportDay,
    Forecast,
    Budgets,
    Enabled,
    TimeZone,
    ExchangeRates,
}

/// How a column's cell is written in JSON (CSV cells are always text).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// A JSON string.
    Text,
    /// A JSON array of strings; in CSV one cell, items separated by `,` `;` spaces or newlines.
    List,
    /// A JSON boolean when the cell says `TRUE`/`FALSE`; any other text stays a string.
    Bool,
    /// A JSON number when the cell is a plain integer; any other text stays a string.
    Integer,
}

impl Column {
    /// Canonical order, used when writing rows.
    pub const ALL: [Column; 19] = [
        Self::AccountId,
        Self::OrganizationalUnitId,
        Self::Default,
        Self::Description,
        Self::ChannelIds,
        Self::Currency,
        Self::Granularity,
        Self::CostTags,
        Self::Metric,
        Self::TopServices,
        Self::AlertIncreasePercent,
        Self::AlertIncreaseAmount,
        Self::WeeklyReportDay,
        Self::MonthlyReportDay,
        Self::Forecast,
        Self::Budgets,
        Self::Enabled,
        Self::TimeZone,
        Self::ExchangeRates,
    ];

    /// The PascalCase name, as in the seed.
    pub fn name(self) -> &'static str {
        match self {
            Self::AccountId => "AccountId",
            Self::OrganizationalUnitId => "OrganizationalUnitId",
            Self::Default => "Default",
            Self::Description => "Description",
            Self::ChannelIds => "ChannelIds",
            Self::Currency => "Currency",
            Self::Granularity => "Granularity",
            Self::CostTags => "CostTags",
            Self::Metric => "Metric",
            Self::TopServices => "TopServices",
            Self::AlertIncreasePercent => "AlertIncreasePercent",
            Self::AlertIncreaseAmount => "AlertIncreaseAmount",
            Self::WeeklyReportDay => "WeeklyReportDay",
            Self::MonthlyReportDay => "MonthlyReportDay",
            Self::Forecast => "Forecast",
            Self::Budgets => "Budgets",
            Self::Enabled => "Enabled",
            Self::TimeZone => "TimeZone",
            Self::ExchangeRates => "ExchangeRates",
        }
    }

    pub fn kind(self) -> ColumnKind {
        match self {
            Self::ChannelIds | Self::Granularity => ColumnKind::List,
            Self::Default | Self::Forecast | Self::Budgets | Self::Enabled => ColumnKind::Bool,
            Self::TopServices | Self::MonthlyReportDay => ColumnKind::Integer,
            _ => ColumnKind::Text,
        }
    }

    /// Only the `Default` row may set these: they are organization-wide.
    pub fn is_organization_wide(self) -> bool {
        matches!(self, Self::TimeZone | Self::ExchangeRates)
    }

    /// Finds a column by a header as people type it: case, spaces, `_` and `-` do not matter,
    /// and full-width letters count as their ASCII forms (`Account ID`, `account_id`,
    /// `ＡｃｃｏｕｎｔＩｄ` all mean `AccountId`).
    pub fn from_header(header: &str) -> Option<Column> {
        let wanted = header_key(header);
        Self::ALL
            .into_iter()
            .find(|c| c.name().to_ascii_lowercase() == wanted)
    }

    /// The known column a mistyped header most probably meant, if any is close enough.
    pub fn closest(header: &str) -> Option<Column> {
        let wanted = header_key(header);
        if wanted.is_empty() {
            return None;
        }
        Self::ALL
            .into_iter()
            .map(|c| {
                let name = c.name().to_ascii_lowercase();
                // Parts of a name ("Channel" for "ChannelIds", "Tags" for "CostTags") are common.
                let contains =
                    wanted.len() >= 4 && (name.contains(&wanted) || wanted.contains(&name));
                let similarity = strsim::jaro_winkler(&wanted, &name);
                let score = if contains {
                    similarity.max(0.9)
                } else {
                    similarity
                };
                (c, score)
            })
            .filter(|(_, score)| *score >= 0.8)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(c, _)| c)
    }
}

/// A header written with `#` first is a comment column: kept by `convert`, ignored otherwise,
/// so teams can keep notes next to their rows.
pub fn is_comment_header(header: &str) -> bool {
    header.trim_start().starts_with('#')
}

fn header_key(header: &str) -> String {
    header
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_match_leniently() {
        assert_eq!(Column::from_header("AccountId"), Some(Column::AccountId));
        assert_eq!(Column::from_header(" account_id "), Some(Column::AccountId));
        assert_eq!(Column::from_header("Account ID"), Some(Column::AccountId));
        assert_eq!(
            Column::from_header("ＡｃｃｏｕｎｔＩｄ"),
            Some(Column::AccountId)
        );
        assert_eq!(Column::from_header("Channel IDs"), Some(Column::ChannelIds));
        assert_eq!(Column::from_header("Chanels"), None);
    }

    #[test]
    fn closest_names_for_typos() {
        assert_eq!(Column::closest("Chanels"), Some(Column::ChannelIds));
        assert_eq!(Column::closest("ChannelId"), Some(Column::ChannelIds));
        assert_eq!(Column::closest("Granularities"), Some(Column::Granularity));
        assert_eq!(Column::closest("Curency"), Some(Column::Currency));
        assert_eq!(Column::closest("Timezone "), Some(Column::TimeZone));
        assert_eq!(Column::closest("Tags"), Some(Column::CostTags));
        assert_eq!(Column::closest("Channel"), Some(Column::ChannelIds));
        assert_eq!(Column::closest("zzzz"), None);
    }
}
