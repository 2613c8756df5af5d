//! Currency-aware formatting. Reports keep full precision; rounding happens here, once, with
//! the currency's ISO 4217 minor units (JPY 0 decimals, USD 2, KWD 3), half away from zero.

use orgpulse_config::CurrencyCode;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::report::AppliedRate;

/// Decimal places of the currency's minor unit (ISO 4217, from the configuration crate's
/// table); 2 for codes not listed.
pub fn minor_units(currency: &CurrencyCode) -> u32 {
    currency.minor_units().into()
}

/// The symbol written before amounts; other currencies are written with their code.
pub fn currency_symbol(currency: &CurrencyCode) -> Option<&'static str> {
    match currency.as_str() {
        "USD" => Some("$"),
        "JPY" => Some("¥"),
        "EUR" => Some("€"),
        _ => None,
    }
}

/// `amount` rounded to the currency's minor unit, half away from zero.
pub fn round_money(amount: Decimal, currency: &CurrencyCode) -> Decimal {
    amount.round_dp_with_strategy(
        minor_units(currency),
        RoundingStrategy::MidpointAwayFromZero,
    )
}

/// `$1,234.50`, `-¥1,235`, `€0.00`, `KWD 1,234.568`, `-KWD 0.500`.
pub fn format_money(amount: Decimal, currency: &CurrencyCode) -> String {
    let rounded = round_money(amount, currency);
    let sign = if rounded.is_sign_negative() && !rounded.is_zero() {
        "-"
    } else {
        ""
    };
    format!("{sign}{}", unsigned_money(rounded, currency))
}

/// A change: always signed (`+$12.00`, `-¥300`), zero unsigned (`$0.00`).
pub fn format_money_change(amount: Decimal, currency: &CurrencyCode) -> String {
    let rounded = round_money(amount, currency);
    let sign = if rounded.is_zero() {
        ""
    } else if rounded.is_sign_negative() {
        "-"
    } else {
        "+"
    };
    format!("{sign}{}", unsigned_money(rounded, currency))
}

/// A percentage with one decimal, signed: `+12.3%`, `-4.0%`, `0.0%`.
pub fn format_percent(percent: Decimal) -> String {
    let rounded = percent.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    let sign = if rounded.is_zero() {
        ""
    } else if rounded.is_sign_negative() {
        "-"
    } else {
        "+"
    };
    format!(
        "{sign}{}%",
        group_thousands(&format!("{:.1}", rounded.abs()))
    )
}

/// `1 USD = 151.20 JPY (ECB reference rate, 2024-03-15)`: at least 2 and at most 4 decimals.
pub fn format_rate(rate: &AppliedRate) -> String {
    format!(
        "1 USD = {} {} ({}, {})",
        format_rate_value(rate.per_usd),
        rate.currency,
        rate.source,
        rate.date
    )
}

/// A rate with at least 2 and at most 4 decimals: `151.20`, `0.9183`, `148.872`.
pub fn format_rate_value(per_usd: Decimal) -> String {
    let rounded = per_usd
        .round_dp_with_strategy(4, RoundingStrategy::MidpointAwayFromZero)
        .normalize();
    let decimals = rounded.scale().max(2) as usize;
    group_thousands(&format!("{rounded:.decimals$}"))
}

fn unsigned_money(rounded: Decimal, currency: &CurrencyCode) -> String {
    let decimals = minor_units(currency) as usize;
    let digits = group_thousands(&format!("{:.decimals$}", rounded.abs()));
    match currency_symbol(currency) {
        Some(symbol) => format!("{symbol}{digits}"),
        None => format!("{currency} {digits}"),
    }
}

/// `1234567.89` -> `1,234,567.89` (input unsigned).
fn group_thousands(plain: &str) -> String {
    let (integer, fraction) = match plain.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (plain, None),
    };
    let mut grouped = String::with_capacity(plain.len() + integer.len() / 3);
    for (i, digit) in integer.chars().enumerate() {
        if i > 0 && (integer.len() - i) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    if let Some(fraction) = fraction {
        grouped.push('.');
        grouped.push_str(fraction);
    }
    grouped
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn c(code: &str) -> CurrencyCode {
        CurrencyCode(code.into())
    }

    #[test]
    fn minor_units_follow_iso_4217() {
        assert_eq!(minor_units(&c("JPY")), 0);
        assert_eq!(minor_units(&c("KRW")), 0);
        assert_eq!(minor_units(&c("USD")), 2);
        assert_eq!(minor_units(&c("EUR")), 2);
        assert_eq!(minor_units(&c("KWD")), 3);
        assert_eq!(minor_units(&c("BHD")), 3);
        assert_eq!(minor_units(&c("XYZ")), 2);
    }

    #[test]
    fn formats_money_by_currency() {
        assert_eq!(format_money(dec!(1234.5), &c("USD")), "$1,234.50");
        assert_eq!(format_money(dec!(1234567.891), &c("USD")), "$1,234,567.89");
        assert_eq!(format_money(dec!(0), &c("USD")), "$0.00");
        assert_eq!(format_money(dec!(999.995), &c("USD")), "$1,000.00");
        assert_eq!(format_money(dec!(123456.5), &c("JPY")), "¥123,457");
        assert_eq!(format_money(dec!(12.4), &c("JPY")), "¥12");
        assert_eq!(format_money(dec!(1234.5678), &c("EUR")), "€1,234.57");
        assert_eq!(format_money(dec!(1234.5675), &c("KWD")), "KWD 1,234.568");
        assert_eq!(format_money(dec!(12.5), &c("GBP")), "GBP 12.50");
        assert_eq!(format_money(dec!(100), &c("CHF")), "CHF 100.00");
    }

    #[test]
    fn negative_amounts_and_negative_zero() {
        assert_eq!(format_money(dec!(-1234.5), &c("USD")), "-$1,234.50");
        assert_eq!(format_money(dec!(-0.5), &c("JPY")), "-¥1");
        assert_eq!(format_money(dec!(-0.4), &c("JPY")), "¥0");
        assert_eq!(format_money(dec!(-0.001), &c("USD")), "$0.00");
        assert_eq!(format_money(dec!(-0.5), &c("KWD")), "-KWD 0.500");
    }

    #[test]
    fn changes_are_signed() {
        assert_eq!(format_money_change(dec!(12), &c("USD")), "+$12.00");
        assert_eq!(format_money_change(dec!(-3.1), &c("USD")), "-$3.10");
        assert_eq!(format_money_change(dec!(0.001), &c("USD")), "$0.00");
        assert_eq!(format_money_change(dec!(-1500.4), &c("JPY")), "-¥1,500");
    }

    #[test]
    fn percentages() {
        assert_eq!(format_percent(dec!(12.345)), "+12.3%");
        assert_eq!(format_percent(dec!(12.35)), "+12.4%");
        assert_eq!(format_percent(dec!(-4)), "-4.0%");
        assert_eq!(format_percent(dec!(0.04)), "0.0%");
        assert_eq!(format_percent(dec!(-0.04)), "0.0%");
        assert_eq!(format_percent(dec!(12345.6)), "+12,345.6%");
        assert_eq!(
            format_percent(dec!(33.333333333333333333333333333)),
            "+33.3%"
        );
    }

    #[test]
    fn rates() {
        assert_eq!(format_rate_value(dec!(151.2)), "151.20");
        assert_eq!(format_rate_value(dec!(0.918273)), "0.9183");
        assert_eq!(format_rate_value(dec!(148.871954)), "148.872");
        assert_eq!(format_rate_value(dec!(1300)), "1,300.00");
        let rate = AppliedRate {
            currency: c("JPY"),
            per_usd: dec!(151.2),
            date: "2024-03-15".parse().unwrap(),
            source: "ECB reference rate".into(),
            warning: None,
        };
        assert_eq!(
            format_rate(&rate),
            "1 USD = 151.20 JPY (ECB reference rate, 2024-03-15)"
        );
    }
}
