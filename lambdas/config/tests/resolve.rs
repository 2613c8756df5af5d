//! Precedence: account row > nearest OU row > … > root row > Default row > built-in defaults.

use chrono::Weekday;
use orgpulse_config::{
    load, AccountId, AccountSettings, ChannelId, CostMetric, CurrencyCode, Format, Granularity,
    OrgUnitId, RowTarget, TagFilter, Unresolved,
};
use pretty_assertions::assert_eq;
use rust_decimal_macros::dec;

const ROWS: &str = r#"[
  {"Default": true, "ChannelIds": ["C0DEFAULT1"], "Currency": "USD", "Granularity": ["DAILY"],
   "CostTags": "Environment=production", "AlertIncreasePercent": "20", "TopServices": 8,
   "TimeZone": "Asia/Tokyo", "ExchangeRates": "JPY=151.20"},
  {"OrganizationalUnitId": "r-ab12", "Currency": "EUR", "Metric": "AmortizedCost", "MonthlyReportDay": 2},
  {"OrganizationalUnitId": "ou-ab12-parent01", "Description": "事業部", "Currency": "JPY",
   "Granularity": "WEEKLY", "WeeklyReportDay": "Fri", "AlertIncreaseAmount": "30000"},
  {"OrganizationalUnitId": "ou-ab12-child001", "ChannelIds": "C0CHILD001, C0CHILD002", "Forecast": "TRUE"},
  {"AccountId": "012345678901", "Description": "本番", "CostTags": "-", "AlertIncreasePercent": "-",
   "Enabled": false, "Budgets": "FALSE"}
]"#;

fn account(id: &str) -> AccountId {
    AccountId::parse(id).unwrap()
}
fn ou(id: &str) -> OrgUnitId {
    OrgUnitId(id.into())
}
fn path() -> Vec<OrgUnitId> {
    vec![ou("ou-ab12-child001"), ou("ou-ab12-parent01"), ou("r-ab12")]
}
fn config() -> orgpulse_config::Config {
    let loaded = load(ROWS.as_bytes(), Format::Json);
    assert_eq!(loaded.problems, []);
    loaded.config
}

#[test]
fn every_field_comes_from_the_most_specific_row_that_sets_it() {
    let settings = config().resolve(&account("012345678901"), &path()).unwrap();
    assert_eq!(
        settings,
        AccountSettings {
            account_id: account("012345678901"),
            description: "本番".into(),
            channel_ids: vec![
                ChannelId("C0CHILD001".into()),
                ChannelId("C0CHILD002".into())
            ],
            currency: CurrencyCode("JPY".into()),
            granularities: vec![Granularity::Weekly],
            cost_tags: TagFilter::default(),
            metric: CostMetric::AmortizedCost,
            top_services: 8,
            thresholds: orgpulse_config::AlertThresholds {
                increase_percent: None,
                increase_amount: Some(dec!(30000)),
            },
            weekly_report_day: Weekday::Fri,
            monthly_report_day: 2,
            forecast: true,
            budgets: false,
            enabled: false,
            sources: vec![
                RowTarget::Account(account("012345678901")),
                RowTarget::OrganizationalUnit(ou("ou-ab12-child001")),
                RowTarget::OrganizationalUnit(ou("ou-ab12-parent01")),
                RowTarget::OrganizationalUnit(ou("r-ab12")),
                RowTarget::Default,
            ],
        }
    );
}

#[test]
fn an_account_without_a_row_takes_its_ous_and_the_default() {
    let settings = config().resolve(&account("999999999999"), &path()).unwrap();
    // The OU's description is not the account's.
    assert_eq!(settings.description, "");
    assert_eq!(
        settings.cost_tags,
        TagFilter::parse("Environment=production").unwrap()
    );
    assert_eq!(settings.thresholds.increase_percent, Some(dec!(20)));
    assert!(settings.enabled);
}

#[test]
fn an_account_outside_the_ous_gets_the_default_and_built_in_defaults() {
    let settings = config().resolve(&account("999999999999"), &[]).unwrap();
    assert_eq!(settings.channel_ids, [ChannelId("C0DEFAULT1".into())]);
    assert_eq!(settings.currency, CurrencyCode::usd());
    assert_eq!(settings.metric, CostMetric::UnblendedCost);
    assert_eq!(settings.weekly_report_day, Weekday::Mon);
    assert_eq!(settings.monthly_report_day, 1);
    assert!(!settings.forecast);
    assert!(settings.budgets);
    assert_eq!(settings.sources, [RowTarget::Default]);
}

#[test]
fn built_in_defaults_when_rows_leave_fields_empty() {
    let loaded = load(
        br#"[{"AccountId": "012345678901", "ChannelIds": ["C0CHANNEL1"]}]"#,
        Format::Json,
    );
    let settings = loaded
        .config
        .resolve(&account("012345678901"), &[])
        .unwrap();
    assert_eq!(
        settings.currency.as_str(),
        AccountSettings::DEFAULT_CURRENCY
    );
    assert_eq!(settings.granularities, [Granularity::Daily]);
    assert_eq!(settings.top_services, 5);
    assert_eq!(settings.thresholds, Default::default());
    assert!(settings.enabled);
    let org = loaded.config.org_settings();
    assert_eq!(org.time_zone, chrono_tz::UTC);
    assert!(org.exchange_rates.is_empty());
}

#[test]
fn no_settings_without_an_applicable_row_or_channels() {
    let loaded = load(
        br#"[{"AccountId": "012345678901", "ChannelIds": ["C0CHANNEL1"]},
             {"OrganizationalUnitId": "ou-ab12-nochan01", "Currency": "JPY"},
             {"OrganizationalUnitId": "ou-ab12-chan0001", "ChannelIds": "C0CHANNEL2"}]"#,
        Format::Json,
    );
    assert_eq!(loaded.problems, []);
    let config = loaded.config;
    assert_eq!(
        config.try_resolve(&account("111111111111"), &[]),
        Err(Unresolved::NoRowApplies)
    );
    let no_channels = config
        .try_resolve(&account("111111111111"), &[ou("ou-ab12-nochan01")])
        .unwrap_err();
    assert_eq!(
        no_channels.to_string(),
        "no channel to send to: none of the rows that apply (OU ou-ab12-nochan01) has ChannelIds"
    );
    assert!(config
        .resolve(&account("111111111111"), &[ou("ou-ab12-chan0001")])
        .is_some());
}

#[test]
fn org_settings_come_from_the_default_row() {
    let org = config().org_settings();
    assert_eq!(org.time_zone, chrono_tz::Asia::Tokyo);
    assert_eq!(
        org.exchange_rates[&CurrencyCode("JPY".into())],
        dec!(151.20)
    );
}

#[test]
fn budgets_is_on_by_default_inherited_and_checked_like_any_flag() {
    let rows = r#"[
      {"Default": true, "ChannelIds": ["C0DEFAULT1"]},
      {"OrganizationalUnitId": "ou-ab12-child001", "Budgets": "no"},
      {"AccountId": "012345678901", "Budgets": "sometimes"}
    ]"#;
    let loaded = load(rows.as_bytes(), Format::Json);
    let [problem] = loaded.problems.as_slice() else {
        panic!("one problem expected: {:?}", loaded.problems)
    };
    assert_eq!(problem.field.as_deref(), Some("Budgets"));
    assert_eq!(problem.value.as_deref(), Some("sometimes"));
    let config = loaded.config;
    assert!(
        !config
            .resolve(&account("999999999999"), &path())
            .unwrap()
            .budgets
    );
    assert!(
        config
            .resolve(&account("999999999999"), &[])
            .unwrap()
            .budgets
    );
}
