//! Money and percent display for the renderers: a narrow facade over the cost engine's
//! currency rules (`orgpulse_cost::money`), so both renderers format every figure the same way
//! and the currency rules live in one place.

use orgpulse_config::CurrencyCode;
use orgpulse_cost::money;
use rust_decimal::Decimal;

/// `1234.5` USD -> `$1,234.50`; `-1234.5` JPY -> `-¥1,235` (no decimals for JPY).
pub fn amount(value: Decimal, currency: &CurrencyCode) -> String {
    money::format_money(value, currency)
}

/// Always signed: `+$12.30`, `-$12.30`; `$0.00` for what rounds to zero.
pub fn signed(value: Decimal, currency: &CurrencyCode) -> String {
    money::format_money_change(value, currency)
}

/// A percent figure (already x100), one decimal, signed: `+11.1%`, `-0.8%`, `0.0%`.
pub fn percent(value: Decimal) -> String {
    money::format_percent(value)
}

/// An exchange rate with 2 to 4 decimals: `151.20`, `0.9183`.
pub fn rate(per_usd: Decimal) -> String {
    money::format_rate_value(per_usd)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn currency_rules_come_from_the_cost_engine() {
        let jpy = CurrencyCode("JPY".into());
        assert_eq!(amount(dec!(1234567.5), &jpy), "¥1,234,568");
        assert_eq!(signed(dec!(-12.3), &CurrencyCode::usd()), "-$12.30");
        assert_eq!(signed(dec!(0.001), &CurrencyCode::usd()), "$0.00");
        assert_eq!(percent(dec!(-0.04)), "0.0%");
        assert_eq!(rate(dec!(151.2)), "151.20");
    }
}
