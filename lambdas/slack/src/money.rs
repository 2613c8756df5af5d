//! Money and percent display for the renderers. One narrow facade so the renderers do not care
//! where currency rules live.

use orgpulse_config::CurrencyCode;
use rust_decimal::{Decimal, RoundingStrategy};

/// `1234.5` USD -> `$1,234.50`; `-1234.5` JPY -> `-¥1,235`.
pub fn amount(value: Decimal, currency: &CurrencyCode) -> String {
    local::format(value, currency)
}

/// Like [`amount`] but always signed: `+$12.30`, `-$12.30`, `$0.00` for zero.
pub fn signed(value: Decimal, currency: &CurrencyCode) -> String {
    let text = amount(value, currency);
    if value_rounds_positive(value, currency) {
        format!("+{text}")
    } else {
        text
    }
}

fn value_rounds_positive(value: Decimal, currency: &CurrencyCode) -> bool {
    local::round(value, currency) > Decimal::ZERO
}

/// A percent figure (already x100) with one decimal and a sign: `+11.1%`, `-0.8%`, `0.0%`.
pub fn percent(value: Decimal) -> String {
    let rounded = value.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
    // `-0.04` rounds to `-0.0`, which would read as a decrease.
    let rounded = if rounded.is_zero() {
        Decimal::ZERO
    } else {
        rounded
    };
    let text = format!("{rounded:.1}%");
    if rounded > Decimal::ZERO {
        format!("+{text}")
    } else {
        text
    }
}

mod local {
    use super::*;

    /// ISO 4217 minor units for the currencies people are likely to configure; two otherwise.
    fn minor_units(currency: &CurrencyCode) -> u32 {
        match currency.as_str() {
            "JPY" | "KRW" | "VND" | "CLP" | "ISK" | "HUF" | "TWD" | "UGX" | "PYG" => 0,
            "BHD" | "KWD" | "OMR" | "JOD" | "TND" => 3,
            _ => 2,
        }
    }

    fn symbol(currency: &CurrencyCode) -> Option<&'static str> {
        Some(match currency.as_str() {
            "USD" => "$",
            "JPY" => "¥",
            "EUR" => "€",
            "GBP" => "£",
            "KRW" => "₩",
            "INR" => "₹",
            _ => return None,
        })
    }

    pub(super) fn round(value: Decimal, currency: &CurrencyCode) -> Decimal {
        value.round_dp_with_strategy(
            minor_units(currency),
            RoundingStrategy::MidpointAwayFromZero,
        )
    }

    pub(super) fn format(value: Decimal, currency: &CurrencyCode) -> String {
        let decimals = minor_units(currency);
        let rounded = round(value, currency);
        let negative = rounded < Decimal::ZERO;
        let digits = format!("{:.*}", decimals as usize, rounded.abs());
        let (whole, fraction) = match digits.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (digits.as_str(), None),
        };
        let mut grouped = String::new();
        for (i, c) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                grouped.push(',');
            }
            grouped.push(c);
        }
        if let Some(fraction) = fraction {
            grouped.push('.');
            grouped.push_str(fraction);
        }
        let sign = if negative { "-" } else { "" };
        match symbol(currency) {
            Some(symbol) => format!("{sign}{symbol}{grouped}"),
            None => format!("{sign}{grouped} {currency}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn c(code: &str) -> CurrencyCode {
        CurrencyCode(code.into())
    }

    #[test]
    fn formats_by_currency() {
        assert_eq!(amount(dec!(1234.5), &c("USD")), "$1,234.50");
        assert_eq!(amount(dec!(1234567.5), &c("JPY")), "¥1,234,568");
        assert_eq!(amount(dec!(-0.004), &c("USD")), "$0.00");
        assert_eq!(amount(dec!(-12.345), &c("EUR")), "-€12.35");
        assert_eq!(amount(dec!(999), &c("CHF")), "999.00 CHF");
    }

    #[test]
    fn signs() {
        assert_eq!(signed(dec!(12.3), &c("USD")), "+$12.30");
        assert_eq!(signed(dec!(-12.3), &c("USD")), "-$12.30");
        assert_eq!(signed(dec!(0.001), &c("USD")), "$0.00");
        assert_eq!(percent(dec!(11.14)), "+11.1%");
        assert_eq!(percent(dec!(-0.04)), "0.0%");
        assert_eq!(percent(dec!(-0.85)), "-0.9%");
    }
}
