//! Reading one cell's text into a typed value, with a message and a fix when that fails.
//!
//! IDs, codes, numbers and names are NFKC-normalised first (full-width `０１２` → `012`,
//! `ＪＰＹ` → `JPY`, ideographic spaces → spaces) and trimmed. Free text (`Description`) and
//! tag keys and values are kept as typed.

use std::collections::BTreeMap;
use std::str::FromStr;

use chrono::Weekday;
use rust_decimal::Decimal;
use unicode_normalization::UnicodeNormalization;

use crate::cost_tags::CostTagsError;
use crate::currency;
use crate::model::{
    AccountId, ChannelId, CostMetric, CurrencyCode, Granularity, OrgUnitId, TagFilter,
};
use crate::table::split_list;

/// Why one value could not be read. `value` names the offending part when it is not the whole
/// cell (one channel of several).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FieldError {
    pub value: Option<String>,
    pub message: String,
    pub fix: String,
}

fn error(message: impl Into<String>, fix: impl Into<String>) -> FieldError {
    FieldError {
        value: None,
        message: message.into(),
        fix: fix.into(),
    }
}

fn item_error(item: &str, message: impl Into<String>, fix: impl Into<String>) -> FieldError {
    FieldError {
        value: Some(item.to_owned()),
        message: message.into(),
        fix: fix.into(),
    }
}

/// How a cell clears a value inherited from an OU or Default row (`CostTags`, alert thresholds).
pub const CLEAR: &str = "-";

pub(crate) fn is_clear(text: &str) -> bool {
    let text = normalized(text);
    text == CLEAR || text.eq_ignore_ascii_case("none")
}

/// NFKC and trimmed: what IDs, codes and numbers are compared as.
pub(crate) fn normalized(text: &str) -> String {
    text.nfkc().collect::<String>().trim().to_owned()
}

const TEXT_COLUMN_FIX: &str =
    "format the AccountId column as plain text (Google Sheets: Format > Number > Plain text; Excel: Format Cells > Text) and type the 12-digit IDs again";

/// `1.23457E+11`, `1.2e11`: what a spreadsheet exports after it took an ID for a number.
fn is_scientific_notation(text: &str) -> bool {
    let Some((mantissa, exponent)) = text.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix(['+', '-']).unwrap_or(exponent);
    let mantissa_ok = !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().filter(|c| *c == '.').count() <= 1;
    mantissa_ok && !exponent.is_empty() && exponent.chars().all(|c| c.is_ascii_digit())
}

/// An account ID. `from_json_number` is set when a JSON file wrote it without quotes.
pub(crate) fn account_id(raw: &str, from_json_number: bool) -> Result<AccountId, FieldError> {
    let text = normalized(raw);
    if from_json_number {
        let fix = if text.len() == 12 && text.chars().all(|c| c.is_ascii_digit()) {
            format!("write it in quotes: \"{text}\"")
        } else if text.len() < 12 && text.chars().all(|c| c.is_ascii_digit()) {
            format!("write the 12-digit ID in quotes, with its leading zeros (probably \"{text:0>12}\")")
        } else {
            "write the 12-digit ID in quotes, copied from the AWS console".to_owned()
        };
        return Err(error(
            "AccountId is a JSON number; account IDs are text, because numbers lose leading zeros",
            fix,
        ));
    }
    // Spreadsheets keep a leading apostrophe to mark text; the console shows 1234-5678-9012.
    let unquoted = text.strip_prefix('\'').unwrap_or(&text);
    let compact: String = unquoted
        .chars()
        .filter(|c| !matches!(c, '-' | ' '))
        .collect();
    let digits_only = !compact.is_empty() && compact.chars().all(|c| c.is_ascii_digit());
    if digits_only && compact.len() == 12 {
        return AccountId::parse(&compact).map_err(|e| error(e, TEXT_COLUMN_FIX));
    }
    if is_scientific_notation(unquoted) {
        return Err(error(
            "the spreadsheet turned the account ID into a number in scientific notation, which lost digits",
            TEXT_COLUMN_FIX,
        ));
    }
    if let Some(integer) = unquoted.strip_suffix(".0") {
        if !integer.is_empty() && integer.chars().all(|c| c.is_ascii_digit()) {
            return Err(error(
                "the spreadsheet turned the account ID into a decimal number",
                TEXT_COLUMN_FIX,
            ));
        }
    }
    if digits_only && compact.len() < 12 {
        return Err(error(
            format!(
                "has {} digit{}, not 12: the spreadsheet probably dropped leading zeros",
                compact.len(),
                if compact.len() == 1 { "" } else { "s" }
            ),
            format!("{TEXT_COLUMN_FIX}, with the leading zeros (probably {compact:0>12})"),
        ));
    }
    if digits_only {
        return Err(error(
            format!(
                "has {} digits; AWS account IDs have exactly 12",
                compact.len()
            ),
            "copy the ID from the AWS console (account menu, top right) or from AWS Organizations",
        ));
    }
    if unquoted.starts_with("ou-") || unquoted.starts_with("r-") {
        return Err(error(
            "is an organizational unit ID, not an account ID",
            "move it to the OrganizationalUnitId column and leave AccountId empty",
        ));
    }
    if let Some(id) = account_in_arn(unquoted) {
        return Err(error(
            "is an ARN, not an account ID",
            format!("write only the account ID: {id}"),
        ));
    }
    Err(error(
        "is not an AWS account ID (12 digits)",
        "copy the ID from the AWS console (account menu, top right) or from AWS Organizations",
    ))
}

fn account_in_arn(text: &str) -> Option<&str> {
    let mut parts = text.strip_prefix("arn:")?.split(':');
    let account = parts.nth(3)?;
    (account.len() == 12 && account.chars().all(|c| c.is_ascii_digit())).then_some(account)
}

pub(crate) fn org_unit_id(raw: &str) -> Result<OrgUnitId, FieldError> {
    let text = normalized(raw).to_lowercase();
    if let Ok(id) = OrgUnitId::parse(&text) {
        return Ok(id);
    }
    // An OU ARN ends in /ou-…; a root ARN in /r-….
    if text.starts_with("arn:") {
        if let Some(id) = text
            .rsplit('/')
            .next()
            .and_then(|t| OrgUnitId::parse(t).ok())
        {
            return Err(error(
                "is an ARN, not an organizational unit ID",
                format!("write only the ID: {id}"),
            ));
        }
    }
    let fix = "copy the ID (ou-xxxx-xxxxxxxx, or r-xxxx for the root) from AWS Organizations > AWS accounts, where it is shown under the OU's name";
    if text.starts_with("ou-") || text.starts_with("r-") {
        Err(error("is not a complete organizational unit ID", fix))
    } else {
        Err(error(
            "is not an organizational unit ID; OUs are named by ID, not by name, because names can change",
            fix,
        ))
    }
}

pub(crate) fn boolean(raw: &str) -> Result<bool, FieldError> {
    match normalized(raw).to_lowercase().as_str() {
        "true" | "yes" | "y" | "1" | "on" => Ok(true),
        "false" | "no" | "n" | "0" | "off" => Ok(false),
        _ => Err(error(
            "is not TRUE or FALSE",
            "write TRUE or FALSE (a checkbox column exports these)",
        )),
    }
}

const CHANNEL_ID_FIX: &str = "in Slack, open the channel and click its name at the top: the Channel ID (C…) is at the bottom of the About tab";

pub(crate) fn channel_ids(raw: &str) -> Result<Vec<ChannelId>, Vec<FieldError>> {
    let text = normalized(raw);
    let mut ids: Vec<ChannelId> = Vec::new();
    let mut errors = Vec::new();
    for item in split_list(&text) {
        match channel_id(item) {
            Ok(id) if !ids.contains(&id) => ids.push(id),
            Ok(_) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(errors)
    }
}

fn channel_id(item: &str) -> Result<ChannelId, FieldError> {
    if let Ok(id) = ChannelId::parse(item) {
        return Ok(id);
    }
    if let Some(name) = item.strip_prefix('#') {
        return Err(item_error(
            item,
            format!("is the channel's name; Slack needs its ID, which stays the same when #{name} is renamed"),
            CHANNEL_ID_FIX,
        ));
    }
    if item.starts_with('@') {
        return Err(item_error(
            item,
            "is a person, not a channel",
            format!("reports go to channels: {CHANNEL_ID_FIX}"),
        ));
    }
    if let Some((_, id)) = item.split_once("/archives/") {
        let id = id.split(['/', '?']).next().unwrap_or("");
        if ChannelId::parse(id).is_ok() {
            return Err(item_error(
                item,
                "is a link to the channel, not its ID",
                format!("write only the ID: {id}"),
            ));
        }
    }
    let upper = item.to_uppercase();
    if matches!(item.chars().next(), Some('U' | 'W'))
        && ChannelId::parse(&format!("D{}", &upper[1..])).is_ok()
    {
        return Err(item_error(
            item,
            "is a user ID, not a channel ID",
            format!("reports go to channels: {CHANNEL_ID_FIX}"),
        ));
    }
    if item != upper && ChannelId::parse(&upper).is_ok() {
        return Err(item_error(
            item,
            "is written in lower case; Slack IDs are upper case",
            format!("write {upper}"),
        ));
    }
    Err(item_error(
        item,
        "is not a Slack channel ID (C…, G… or D… followed by letters and digits)",
        CHANNEL_ID_FIX,
    ))
}

pub(crate) fn currency_code(raw: &str) -> Result<CurrencyCode, FieldError> {
    let text = normalized(raw);
    let upper = text.to_uppercase();
    if let Ok(code) = CurrencyCode::parse(&upper) {
        return Ok(code);
    }
    if let Some(code) = currency::code_for_common_name(&text) {
        return Err(error(
            "is a currency name or symbol, not its ISO 4217 code",
            format!("write {code}"),
        ));
    }
    let closest = currency::ISO_4217
        .iter()
        .map(|(code, _)| *code)
        .filter(|code| strsim::osa_distance(code, &upper) == 1)
        .collect::<Vec<_>>();
    let fix = match closest.as_slice() {
        [] => "write a three-letter ISO 4217 code such as USD, JPY or EUR".to_owned(),
        [one] => format!("did you mean {one}? Write a three-letter ISO 4217 code"),
        many => format!(
            "write a three-letter ISO 4217 code; close ones: {}",
            many.join(", ")
        ),
    };
    Err(error("is not an ISO 4217 currency code", fix))
}

pub(crate) fn granularities(raw: &str) -> Result<Vec<Granularity>, Vec<FieldError>> {
    let text = normalized(raw);
    let mut list: Vec<Granularity> = Vec::new();
    let mut errors = Vec::new();
    for item in split_list(&text) {
        let parsed = Granularity::from_str(item).ok().or(match item {
            "日次" | "毎日" => Some(Granularity::Daily),
            "週次" | "毎週" => Some(Granularity::Weekly),
            "月次" | "毎月" => Some(Granularity::Monthly),
            _ => None,
        });
        match parsed {
            Some(g) if !list.contains(&g) => list.push(g),
            Some(_) => {}
            None => {
                let upper = item.to_uppercase();
                let suggestion = Granularity::ALL
                    .into_iter()
                    .find(|g| {
                        strsim::jaro_winkler(g.as_str(), &upper) > 0.8
                            || g.as_str().starts_with(upper.trim_end_matches('S'))
                                && upper.len() >= 3
                    })
                    .map(|g| format!("did you mean {g}? "))
                    .unwrap_or_default();
                errors.push(item_error(
                    item,
                    "is not a report granularity",
                    format!("{suggestion}use DAILY, WEEKLY and/or MONTHLY"),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(list)
    } else {
        Err(errors)
    }
}

pub(crate) fn metric(raw: &str) -> Result<CostMetric, FieldError> {
    CostMetric::from_str(&normalized(raw)).map_err(|_| {
        let names: Vec<&str> = CostMetric::ALL.iter().map(|m| m.as_str()).collect();
        error(
            "is not a Cost Explorer cost metric",
            format!(
                "use one of {} (UnblendedCost matches the invoice)",
                names.join(", ")
            ),
        )
    })
}

/// Reports list at most this many services before the "other" line: more is not readable
/// in a chat message.
pub const MAX_TOP_SERVICES: usize = 20;

pub(crate) fn top_services(raw: &str) -> Result<usize, FieldError> {
    match normalized(raw).parse::<usize>() {
        Ok(n) if n <= MAX_TOP_SERVICES => Ok(n),
        _ => Err(error(
            format!("is not a whole number from 0 to {MAX_TOP_SERVICES}"),
            "write how many services to list before \"other\" (5 is usual; 0 shows only the total)",
        )),
    }
}

pub(crate) fn month_day(raw: &str) -> Result<u8, FieldError> {
    let text = normalized(raw);
    let text = text.strip_suffix('日').unwrap_or(&text);
    match text.parse::<u8>() {
        Ok(day @ 1..=28) => Ok(day),
        Ok(29..=31) => Err(error(
            "is a day some months do not have, so those months would get no report",
            "use a day from 1 to 28 (monthly reports always cover the last full month)",
        )),
        _ => Err(error(
            "is not a day of the month from 1 to 28",
            "write a day from 1 to 28 (1 sends the report on the first of the month)",
        )),
    }
}

pub(crate) fn weekday(raw: &str) -> Result<Weekday, FieldError> {
    let text = normalized(raw).to_lowercase();
    let text = text.trim_end_matches('.');
    let japanese = text.trim_end_matches("曜日").trim_end_matches('曜');
    let day = match (text, japanese) {
        ("monday" | "mon", _) | (_, "月") => Weekday::Mon,
        ("tuesday" | "tue" | "tues", _) | (_, "火") => Weekday::Tue,
        ("wednesday" | "wed", _) | (_, "水") => Weekday::Wed,
        ("thursday" | "thu" | "thur" | "thurs", _) | (_, "木") => Weekday::Thu,
        ("friday" | "fri", _) | (_, "金") => Weekday::Fri,
        ("saturday" | "sat", _) | (_, "土") => Weekday::Sat,
        ("sunday" | "sun", _) | (_, "日") => Weekday::Sun,
        _ => {
            return Err(error(
                "is not a day of the week",
                "write Monday, Tuesday, … Sunday (or Mon, Tue, …)",
            ))
        }
    };
    Ok(day)
}

/// A non-negative decimal: `20`, `20%`, `+12.5`, `10,000` (thousands separators only).
fn non_negative_decimal(text: &str, what: &str) -> Result<Decimal, FieldError> {
    let text = text.strip_prefix('+').unwrap_or(text);
    let grouped = text.contains(',');
    if grouped {
        let integer = text.split('.').next().unwrap_or("");
        let groups: Vec<&str> = integer.split(',').collect();
        let well_grouped = groups[0].len() <= 3
            && !groups[0].is_empty()
            && groups[1..].iter().all(|g| g.len() == 3);
        if !well_grouped {
            return Err(error(
                format!("is not a {what}: ',' is only read as a thousands separator"),
                "write the number with a decimal point, e.g. 1234.5",
            ));
        }
    }
    let plain = text.replace(',', "");
    match Decimal::from_str(&plain) {
        Ok(value) if value.is_sign_negative() && !value.is_zero() => Err(error(
            format!("is negative; thresholds are increases, so a {what} is 0 or more"),
            "write the increase that should raise an alert, e.g. 20",
        )),
        Ok(value) => Ok(value),
        Err(_) => Err(error(
            format!("is not a {what}"),
            "write a plain number such as 20 or 1500.50, without a currency sign",
        )),
    }
}

/// `AlertIncreasePercent`: `None` when the cell clears an inherited threshold (`-`).
pub(crate) fn percent(raw: &str) -> Result<Option<Decimal>, FieldError> {
    if is_clear(raw) {
        return Ok(None);
    }
    let text = normalized(raw);
    let text = text.strip_suffix('%').map(str::trim_end).unwrap_or(&text);
    non_negative_decimal(text, "percentage").map(Some)
}

/// `AlertIncreaseAmount`, in the account's report currency: `None` when cleared (`-`).
pub(crate) fn amount(raw: &str) -> Result<Option<Decimal>, FieldError> {
    if is_clear(raw) {
        return Ok(None);
    }
    let text = normalized(raw);
    if text.starts_with(['$', '¥', '€', '£', '￥']) {
        return Err(error(
            "has a currency sign",
            "write only the number; the amount is in the account's Currency",
        ));
    }
    non_negative_decimal(&text, "number").map(Some)
}

/// Abbreviations people write for time zones, and the zone they usually mean.
fn zone_for_abbreviation(text: &str) -> Option<&'static str> {
    Some(match text.to_uppercase().as_str() {
        "JST" | "GMT+9" | "UTC+9" | "UTC+09:00" | "日本" | "東京" => "Asia/Tokyo",
        "KST" => "Asia/Seoul",
        "CST" | "PRC" => "Asia/Shanghai",
        "SGT" => "Asia/Singapore",
        "IST" => "Asia/Kolkata",
        "CET" | "CEST" => "Europe/Berlin",
        "BST" | "GMT" => "Europe/London",
        "EST" | "EDT" => "America/New_York",
        "PST" | "PDT" => "America/Los_Angeles",
        _ => return None,
    })
}

pub(crate) fn time_zone(raw: &str) -> Result<chrono_tz::Tz, FieldError> {
    let text = normalized(raw);
    if let Ok(tz) = chrono_tz::Tz::from_str(&text) {
        return Ok(tz);
    }
    if let Some(tz) = chrono_tz::TZ_VARIANTS
        .iter()
        .find(|tz| tz.name().eq_ignore_ascii_case(&text))
    {
        return Ok(*tz);
    }
    let suggestion = zone_for_abbreviation(&text).map(str::to_owned).or_else(|| {
        let lower = text.to_lowercase();
        chrono_tz::TZ_VARIANTS
            .iter()
            .map(|tz| {
                (
                    tz.name(),
                    strsim::jaro_winkler(&tz.name().to_lowercase(), &lower),
                )
            })
            .filter(|(_, score)| *score > 0.85)
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(name, _)| name.to_owned())
    });
    let fix = match suggestion {
        Some(name) => format!("write an IANA time zone name, probably {name}"),
        None => "write an IANA time zone name such as Asia/Tokyo or UTC".to_owned(),
    };
    Err(error("is not an IANA time zone name", fix))
}

/// `ExchangeRates`: `JPY=151.20; EUR=0.92`, units of the currency per 1 USD.
pub(crate) fn exchange_rates(
    raw: &str,
) -> Result<BTreeMap<CurrencyCode, Decimal>, Vec<FieldError>> {
    let text = normalized(raw);
    let mut rates = BTreeMap::new();
    let mut errors = Vec::new();
    let fix = "write CODE=rate pairs separated by ';', in units per 1 USD: JPY=151.20; EUR=0.92";
    for item in text
        .split([';', ',', '\n'])
        .map(str::trim)
        .filter(|i| !i.is_empty())
    {
        let Some((code, rate)) = item.split_once(['=', ':']) else {
            let hint = if item.chars().all(|c| c.is_ascii_digit()) {
                " (rates use a decimal point: 151.20, not 151,20)"
            } else {
                ""
            };
            errors.push(item_error(item, format!("has no '='{hint}"), fix));
            continue;
        };
        let code = match currency_code(code) {
            Ok(code) => code,
            Err(e) => {
                errors.push(item_error(item, format!("currency {}", e.message), e.fix));
                continue;
            }
        };
        match Decimal::from_str(rate.trim()) {
            Ok(rate) if rate > Decimal::ZERO => {
                if !crate::model::sane_rate_per_usd(rate) {
                    errors.push(item_error(
                        item,
                        format!(
                            "has a rate outside {} to {} units per 1 USD",
                            crate::model::MIN_RATE_PER_USD,
                            crate::model::MAX_RATE_PER_USD
                        ),
                        "write the rate in units of the currency per 1 USD (JPY=151.20, \
                         EUR=0.92), not per 1 unit of the currency, and check its digits",
                    ));
                } else if code == CurrencyCode::usd() && rate != Decimal::ONE {
                    errors.push(item_error(
                        item,
                        "sets USD to something else than 1",
                        "leave USD out: rates are per 1 USD",
                    ));
                } else if rates.insert(code.clone(), rate).is_some() {
                    errors.push(item_error(
                        item,
                        format!("gives {code} a second rate"),
                        "keep one rate per currency",
                    ));
                }
            }
            _ => errors.push(item_error(
                item,
                "has a rate that is not a positive number",
                fix,
            )),
        }
    }
    if errors.is_empty() {
        Ok(rates)
    } else {
        Err(errors)
    }
}

/// `CostTags`: `None` for an empty cell (inherit), an empty filter for `-` (clear).
pub(crate) fn cost_tags(raw: &str) -> Result<Option<TagFilter>, CostTagsError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    if is_clear(raw) {
        return Ok(Some(TagFilter::default()));
    }
    let filter = TagFilter::parse(raw)?;
    Ok((!filter.is_empty()).then_some(filter))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn account_ids_accept_full_width_console_and_apostrophe_forms() {
        for raw in [
            "012345678901",
            " 012345678901 ",
            "０１２３４５６７８９０１",
            "0123-4567-8901",
            "'012345678901",
        ] {
            assert_eq!(
                account_id(raw, false).unwrap().as_str(),
                "012345678901",
                "{raw}"
            );
        }
    }

    #[test]
    fn account_id_mistakes_say_what_happened() {
        let short = account_id("12345678901", false).unwrap_err();
        assert!(short.message.contains("dropped leading zeros"), "{short:?}");
        assert!(short.fix.contains("plain text"));
        assert!(short.fix.contains("012345678901"));
        let scientific = account_id("1.23457E+11", false).unwrap_err();
        assert!(scientific.message.contains("scientific notation"));
        assert!(account_id("123456789012.0", false)
            .unwrap_err()
            .message
            .contains("decimal"));
        assert!(account_id("1234567890123", false)
            .unwrap_err()
            .message
            .contains("13 digits"));
        assert!(account_id("ou-ab12-cd34ef56", false)
            .unwrap_err()
            .fix
            .contains("OrganizationalUnitId"));
        assert!(account_id("arn:aws:iam::012345678901:root", false)
            .unwrap_err()
            .fix
            .contains("012345678901"));
        assert!(account_id("prod", false)
            .unwrap_err()
            .message
            .contains("not an AWS account ID"));
        let number = account_id("123456789012", true).unwrap_err();
        assert!(number.message.contains("JSON number"));
        assert!(number.fix.contains("\"123456789012\""));
        assert!(account_id("12345678901", true)
            .unwrap_err()
            .fix
            .contains("\"012345678901\""));
    }

    #[test]
    fn org_unit_ids() {
        assert_eq!(
            org_unit_id("ou-ab12-cd34ef56").unwrap().as_str(),
            "ou-ab12-cd34ef56"
        );
        assert_eq!(
            org_unit_id(" OU-AB12-CD34EF56 ").unwrap().as_str(),
            "ou-ab12-cd34ef56"
        );
        assert!(org_unit_id("r-ab12").unwrap().is_root());
        assert!(org_unit_id("Sales")
            .unwrap_err()
            .message
            .contains("not by name"));
        assert!(org_unit_id("ou-ab12")
            .unwrap_err()
            .message
            .contains("not a complete"));
        assert!(org_unit_id(
            "arn:aws:organizations::111111111111:ou/o-abcdefghij/ou-ab12-cd34ef56"
        )
        .unwrap_err()
        .fix
        .contains("ou-ab12-cd34ef56"));
    }

    #[test]
    fn channel_lists_and_what_is_not_a_channel() {
        let ids = channel_ids("C0123ABCD, C0123ABCD;G0123ABCD\nD0123ABCD").unwrap();
        let ids: Vec<&str> = ids.iter().map(|c| c.as_str()).collect();
        assert_eq!(ids, ["C0123ABCD", "G0123ABCD", "D0123ABCD"]);
        assert_eq!(
            channel_ids("ＣＲ９６Ｑ１ＥＪＷ").unwrap()[0].as_str(),
            "CR96Q1EJW"
        );

        let errors = channel_ids("#general, C0123ABCD, @alice").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[0].message.contains("channel's name"));
        assert!(errors[0].fix.contains("About tab"));
        assert!(errors[1].message.contains("person"));
        let link = channel_ids("https://x.slack.com/archives/C0123ABCD").unwrap_err();
        assert!(link[0].fix.contains("write only the ID: C0123ABCD"));
        assert!(channel_ids("U0123ABCD").unwrap_err()[0]
            .message
            .contains("user ID"));
        assert!(channel_ids("c0123abcd").unwrap_err()[0]
            .fix
            .contains("C0123ABCD"));
        assert!(channel_ids("generalchat").is_err());
    }

    #[test]
    fn currencies() {
        assert_eq!(currency_code("jpy").unwrap().as_str(), "JPY");
        assert_eq!(currency_code("ＪＰＹ").unwrap().as_str(), "JPY");
        assert!(currency_code("JYP").unwrap_err().fix.contains("JPY"));
        assert!(currency_code("円").unwrap_err().fix.contains("write JPY"));
        assert!(currency_code("XAU").is_err());
    }

    #[test]
    fn granularity_lists() {
        assert_eq!(
            granularities("daily; WEEKLY\nMonthly, DAILY").unwrap(),
            [
                Granularity::Daily,
                Granularity::Weekly,
                Granularity::Monthly
            ]
        );
        assert_eq!(granularities("月次").unwrap(), [Granularity::Monthly]);
        let errors = granularities("DAILY, HOURLY, WEEKLEY").unwrap_err();
        assert_eq!(errors.len(), 2);
        assert!(errors[1].fix.contains("did you mean WEEKLY"));
    }

    #[test]
    fn numbers_days_and_switches() {
        assert_eq!(top_services("１０").unwrap(), 10);
        assert!(top_services("21").is_err());
        assert!(top_services("five").is_err());
        assert_eq!(month_day("28").unwrap(), 28);
        assert_eq!(month_day("15日").unwrap(), 15);
        assert!(month_day("31").unwrap_err().message.contains("some months"));
        assert!(month_day("0").is_err());
        assert_eq!(weekday("fri").unwrap(), Weekday::Fri);
        assert_eq!(weekday("MONDAY").unwrap(), Weekday::Mon);
        assert_eq!(weekday("月曜日").unwrap(), Weekday::Mon);
        assert!(weekday("someday").is_err());
        assert!(boolean("yes").unwrap());
        assert!(!boolean("FALSE").unwrap());
        assert!(boolean("maybe").is_err());
    }

    #[test]
    fn thresholds() {
        assert_eq!(percent("20").unwrap(), Some(dec!(20)));
        assert_eq!(percent("+12.5 %").unwrap(), Some(dec!(12.5)));
        assert_eq!(percent("２０％").unwrap(), Some(dec!(20)));
        assert_eq!(percent("-").unwrap(), None);
        assert!(percent("-5").unwrap_err().message.contains("negative"));
        assert_eq!(amount("10,000").unwrap(), Some(dec!(10000)));
        assert_eq!(amount("1500.50").unwrap(), Some(dec!(1500.50)));
        assert!(amount("1,5").is_err());
        assert!(amount("¥1000")
            .unwrap_err()
            .message
            .contains("currency sign"));
    }

    #[test]
    fn time_zones() {
        assert_eq!(time_zone("Asia/Tokyo").unwrap(), chrono_tz::Asia::Tokyo);
        assert_eq!(time_zone("asia/tokyo").unwrap(), chrono_tz::Asia::Tokyo);
        assert_eq!(time_zone("UTC").unwrap(), chrono_tz::UTC);
        assert!(time_zone("JST").unwrap_err().fix.contains("Asia/Tokyo"));
        assert!(time_zone("Asia/Tokio")
            .unwrap_err()
            .fix
            .contains("Asia/Tokyo"));
    }

    #[test]
    fn exchange_rate_lists() {
        let rates = exchange_rates("JPY=151.20; EUR = 0.92\nGBP:0.79").unwrap();
        assert_eq!(rates[&CurrencyCode("JPY".into())], dec!(151.20));
        assert_eq!(rates[&CurrencyCode("EUR".into())], dec!(0.92));
        assert_eq!(rates.len(), 3);
        let errors = exchange_rates("JPY=151,20; XXX=1; EUR=-1; USD=2; JPY=150").unwrap_err();
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages.len(), 5, "{messages:#?}");
        assert!(messages[0].contains("decimal point"));
        assert!(messages[1].contains("ISO 4217"));
        assert!(messages[2].contains("positive"));
        assert!(messages[3].contains("USD"));
        assert!(messages[4].contains("second rate"));
    }

    #[test]
    fn exchange_rates_outside_a_sane_range_are_refused_with_the_fix() {
        let errors = exchange_rates("JPY=99999999999999999999999; EUR=0.00000001").unwrap_err();
        assert_eq!(errors.len(), 2, "{errors:#?}");
        for error in &errors {
            assert!(
                error.message.contains("outside 0.0001 to 10000000"),
                "{error:?}"
            );
            assert!(error.fix.contains("per 1 USD (JPY=151.20"), "{error:?}");
        }
        // The currencies furthest from the dollar are within it.
        assert!(exchange_rates("KWD=0.307; IRR=42000; LBP=89500; VND=25400").is_ok());
    }

    #[test]
    fn cost_tags_cells() {
        assert_eq!(cost_tags("").unwrap(), None);
        assert_eq!(cost_tags(" ; ").unwrap(), None);
        assert_eq!(cost_tags("-").unwrap(), Some(TagFilter::default()));
        assert_eq!(cost_tags("None").unwrap(), Some(TagFilter::default()));
        assert_eq!(cost_tags("Env=prod").unwrap().unwrap().clauses.len(), 1);
        assert!(cost_tags("Env").is_err());
    }
}
