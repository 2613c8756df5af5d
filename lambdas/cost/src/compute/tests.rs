use super::*;
use crate::data::{Bucket, Forecast};
use crate::periods::FetchPlan;
use chrono::{Datelike, Weekday};
use orgpulse_config::{AlertThresholds, TagClause};
use pretty_assertions::assert_eq;
use rust_decimal_macros::dec;

const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
const S3: &str = "Amazon Simple Storage Service";
const RDS: &str = "Amazon Relational Database Service";
const LAMBDA: &str = "AWS Lambda";
const CLOUDWATCH: &str = "AmazonCloudWatch";
const SUPPORT: &str = "AWS Support (Business)";

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}
fn p(start: &str, end: &str) -> Period {
    Period::new(d(start), d(end))
}
fn account() -> AccountId {
    AccountId::parse("012345678901").unwrap()
}

fn settings() -> AccountSettings {
    AccountSettings {
        account_id: account(),
        description: "hogehoge service staging env".into(),
        channel_ids: vec![],
        currency: CurrencyCode::usd(),
        granularities: Granularity::ALL.to_vec(),
        cost_tags: TagFilter::default(),
        metric: CostMetric::UnblendedCost,
        top_services: 3,
        thresholds: AlertThresholds::default(),
        weekly_report_day: Weekday::Mon,
        monthly_report_day: 1,
        forecast: false,
        budgets: true,
        enabled: true,
        sources: vec![],
    }
}

/// Data as the organization-wide queries fetch it for the reports of `kinds` on
/// `report_date`: `daily` gives each day's (service, USD) amounts; MONTHLY buckets and
/// totals-only ranges are summed from it.
fn data_for(
    kinds: &[Granularity],
    report_date: NaiveDate,
    daily: impl Fn(NaiveDate) -> Vec<(&'static str, Decimal)>,
) -> AccountCostData {
    data_with(
        FetchPlan::for_reports(kinds.iter().copied(), report_date),
        daily,
    )
}

fn data_with(
    plan: FetchPlan,
    daily: impl Fn(NaiveDate) -> Vec<(&'static str, Decimal)>,
) -> AccountCostData {
    let mut data = AccountCostData::empty(account(), plan);
    let metric = CostMetric::UnblendedCost;
    let month = |day: NaiveDate| Bucket::Month(crate::periods::first_of_month(day));
    for day in plan.service_days.iter().flat_map(|r| r.iter_days()) {
        for (service, amount) in daily(day) {
            data.add(metric, service, Bucket::Day(day), amount);
        }
    }
    for day in plan.service_months.iter().flat_map(|r| r.iter_days()) {
        for (service, amount) in daily(day) {
            data.add(metric, service, month(day), amount);
        }
    }
    for day in plan.total_days.iter().flat_map(|r| r.iter_days()) {
        data.add_total(
            metric,
            Bucket::Day(day),
            daily(day).iter().map(|(_, a)| *a).sum(),
        );
    }
    for day in plan.total_months.iter().flat_map(|r| r.iter_days()) {
        data.add_total(metric, month(day), daily(day).iter().map(|(_, a)| *a).sum());
    }
    data
}

/// A steady account: EC2 10/day, S3 2/day, Lambda 0.5/day, CloudWatch 0.25/day; the reported
/// day (March 14) EC2 runs at 15.
fn steady(day: NaiveDate) -> Vec<(&'static str, Decimal)> {
    let ec2 = if day == d("2024-03-14") {
        dec!(15)
    } else {
        dec!(10)
    };
    vec![
        (EC2, ec2),
        (S3, dec!(2)),
        (LAMBDA, dec!(0.5)),
        (CLOUDWATCH, dec!(0.25)),
    ]
}

#[test]
fn change_is_relative_to_the_reference_magnitude() {
    assert_eq!(
        change(dec!(120), dec!(100)),
        Change {
            reference: dec!(100),
            amount: dec!(20),
            percent: Some(dec!(20)),
        }
    );
    assert_eq!(change(dec!(5), dec!(0)).percent, None);
    assert_eq!(change(dec!(0), dec!(0)).percent, None);
    // Credits shrinking: from -100 to -50 is +50 (less credit), not -50 %.
    assert_eq!(change(dec!(-50), dec!(-100)).percent, Some(dec!(50)));
    assert_eq!(change(dec!(50), dec!(100)).percent, Some(dec!(-50)));
}

#[test]
fn daily_report() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, steady);
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );

    assert_eq!(report.period, p("2024-03-14", "2024-03-15"));
    assert_eq!(report.total, dec!(17.75));
    assert_eq!(report.change.reference, dec!(12.75));
    assert_eq!(report.change.amount, dec!(5));
    assert_eq!(report.change.percent.unwrap().round_dp(4), dec!(39.2157));
    let vs_average = report.change_vs_7day_average.unwrap();
    assert_eq!(vs_average.reference, dec!(12.75));
    assert_eq!(vs_average.amount, dec!(5));

    let mtd = report.month_to_date.unwrap();
    assert_eq!(mtd.period, p("2024-03-01", "2024-03-15"));
    assert_eq!(mtd.amount, dec!(12.75) * dec!(14) + dec!(5));
    assert_eq!(mtd.change.reference, dec!(12.75) * dec!(14));
    // Run rate: the 7 days through yesterday (one of them at 17.75) for the 17 days left.
    assert_eq!(mtd.projection.method, ProjectionMethod::RunRate);
    let rate = (dec!(12.75) * dec!(6) + dec!(17.75)) / dec!(7);
    assert_eq!(mtd.projection.amount, mtd.amount + rate * dec!(17));

    let names: Vec<&str> = report.services.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, [EC2, S3, LAMBDA]);
    assert_eq!(report.services[0].amount, dec!(15));
    assert_eq!(report.services[0].change.amount, dec!(5));
    assert_eq!(report.services[0].change.percent, Some(dec!(50)));
    assert_eq!(report.services[1].change.percent, Some(dec!(0)));
    let other = report.other.unwrap();
    assert_eq!(other.count, 1);
    assert_eq!(other.amount, dec!(0.25));
    assert_eq!(report.credits, dec!(0));
    assert!(!report.no_data);
    assert!(!report.estimated);
    assert!(report.alerts.is_empty());
    assert_eq!(report.rate, None);
    assert_eq!(report.currency, CurrencyCode::usd());

    assert_eq!(report.trend.len(), 30);
    assert_eq!(report.trend.first().unwrap().date, d("2024-02-14"));
    assert_eq!(report.trend.last().unwrap().date, d("2024-03-14"));
    assert_eq!(report.trend.last().unwrap().amount, dec!(17.75));
}

#[test]
fn organization_data_and_an_own_query_give_the_same_report() {
    // Totals-only ranges (organization) and everything by service (own query) must agree.
    let busy = |day: NaiveDate| {
        let mut amounts = steady(day);
        if day.day() == 1 {
            amounts.push((SUPPORT, dec!(100)));
        }
        if day.weekday() == Weekday::Sat {
            amounts.push((RDS, dec!(-7.5)));
        }
        amounts
    };
    for date in [
        "2024-03-15",
        "2024-03-01",
        "2024-03-04",
        "2024-01-01",
        "2024-02-29",
        "2023-03-31",
    ] {
        let date = d(date);
        for kind in Granularity::ALL {
            let plan = FetchPlan::for_reports([kind], date);
            let organization = data_with(plan, busy);
            let own_query = data_with(plan.by_service(), busy);
            let from = |data: &AccountCostData| {
                build_report(
                    &settings(),
                    &OrgSettings::default(),
                    kind,
                    date,
                    data,
                    None,
                    None,
                )
            };
            assert_eq!(from(&organization), from(&own_query), "{kind:?} on {date}");
            assert!(plan.covers_report(&ReportPeriods::new(kind, date)));
        }
    }
}

#[test]
fn the_service_list_ends_with_other_only_when_there_are_more() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, steady);
    let mut exact = settings();
    exact.top_services = 4;
    let report = build_report(
        &exact,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.services.len(), 4);
    assert_eq!(report.other, None);

    let mut none = settings();
    none.top_services = 0;
    let report = build_report(
        &none,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert!(report.services.is_empty());
    let other = report.other.unwrap();
    assert_eq!(other.count, 4);
    assert_eq!(other.amount, report.total);
    assert_eq!(other.change, report.change);
}

#[test]
fn a_service_that_stopped_is_listed_with_its_drop() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, |day| {
        let mut amounts = vec![(S3, dec!(2))];
        if day < d("2024-03-14") {
            amounts.push((RDS, dec!(30)));
        }
        amounts
    });
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.services[0].name, S3);
    assert_eq!(report.services[1].name, RDS);
    assert_eq!(report.services[1].amount, dec!(0));
    assert_eq!(report.services[1].change.amount, dec!(-30));
    assert_eq!(report.services[1].change.percent, Some(dec!(-100)));
    assert_eq!(report.change.amount, dec!(-30));
}

#[test]
fn credits_larger_than_usage() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, |day| {
        let mut amounts = vec![(EC2, dec!(10)), (S3, dec!(1))];
        if day == d("2024-03-14") {
            // A credit applied to EC2 (net negative) and a refund on S3.
            amounts = vec![(EC2, dec!(-40)), (S3, dec!(-1)), (LAMBDA, dec!(0.5))];
        }
        amounts
    });
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.total, dec!(-40.5));
    assert_eq!(report.credits, dec!(-41));
    assert_eq!(
        report.services[0].name, EC2,
        "a large credit is listed first"
    );
    assert_eq!(report.services[0].amount, dec!(-40));
    assert_eq!(report.change.amount, dec!(-51.5));
    assert!(report.alerts.is_empty());
}

#[test]
fn zero_cost_account() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, |_| vec![]);
    let mut with_thresholds = settings();
    with_thresholds.thresholds = AlertThresholds {
        increase_percent: Some(dec!(10)),
        increase_amount: Some(dec!(1)),
    };
    let report = build_report(
        &with_thresholds,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.total, dec!(0));
    assert_eq!(report.change.percent, None);
    assert!(report.services.is_empty());
    assert_eq!(report.other, None);
    assert!(report.alerts.is_empty());
    assert!(!report.no_data);
    assert_eq!(report.trend.len(), 30);
    assert!(report.trend.iter().all(|point| point.amount.is_zero()));
    assert_eq!(report.month_to_date.unwrap().projection.amount, dec!(0));
}

#[test]
fn no_data_yet() {
    let date = d("2024-03-15");
    let plan = FetchPlan::for_reports([Granularity::Daily], date);
    let data = AccountCostData::no_data_yet(account(), plan);
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert!(report.no_data);
    assert_eq!(report.total, dec!(0));
    assert!(report.services.is_empty());
    assert!(report.trend.is_empty());
    assert_eq!(report.month_to_date, None);
    assert!(report.console_url.contains("012345678901"));
}

#[test]
fn alerts_on_percent_and_amount_increases_only() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, steady);
    // +5 USD, +39.2 %.
    let mut s = settings();
    s.thresholds = AlertThresholds {
        increase_percent: Some(dec!(20)),
        increase_amount: Some(dec!(5)),
    };
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.alerts.len(), 2);
    assert!(
        matches!(report.alerts[0], AlertReason::IncreasePercent { threshold, .. } if threshold == dec!(20))
    );
    assert_eq!(
        report.alerts[1],
        AlertReason::IncreaseAmount {
            threshold: dec!(5),
            actual: dec!(5)
        }
    );

    s.thresholds = AlertThresholds {
        increase_percent: Some(dec!(40)),
        increase_amount: Some(dec!(5.01)),
    };
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert!(report.alerts.is_empty());

    // A decrease never alerts, however large.
    let falling = data_for(&[Granularity::Daily], date, |day| {
        vec![(
            EC2,
            if day == d("2024-03-14") {
                dec!(1)
            } else {
                dec!(100)
            },
        )]
    });
    s.thresholds = AlertThresholds {
        increase_percent: Some(dec!(1)),
        increase_amount: Some(dec!(1)),
    };
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &falling,
        None,
        None,
    );
    assert!(report.alerts.is_empty());
}

#[test]
fn jpy_report_is_converted_and_thresholds_are_in_yen() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, steady);
    let mut s = settings();
    s.currency = CurrencyCode("JPY".into());
    // +5 USD = +750 JPY.
    s.thresholds.increase_amount = Some(dec!(700));
    let rate = AppliedRate {
        currency: CurrencyCode("JPY".into()),
        per_usd: dec!(150),
        date: d("2024-03-14"),
        source: "ECB reference rate".into(),
        warning: None,
    };
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        Some(rate.clone()),
        None,
    );
    assert_eq!(report.currency.as_str(), "JPY");
    assert_eq!(report.rate, Some(rate));
    assert_eq!(report.total, dec!(2662.50));
    assert_eq!(report.change.amount, dec!(750));
    assert_eq!(report.services[0].amount, dec!(2250));
    assert_eq!(report.trend.last().unwrap().amount, dec!(2662.50));
    assert_eq!(
        report.month_to_date.as_ref().unwrap().amount,
        (dec!(12.75) * dec!(14) + dec!(5)) * dec!(150)
    );
    assert_eq!(
        report.alerts,
        [AlertReason::IncreaseAmount {
            threshold: dec!(700),
            actual: dec!(750)
        }]
    );
}

#[test]
fn the_configured_rate_is_used_when_none_is_passed() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, steady);
    let mut s = settings();
    s.currency = CurrencyCode("JPY".into());
    let mut org = OrgSettings::default();
    org.exchange_rates
        .insert(CurrencyCode("JPY".into()), dec!(151.2));
    let report = build_report(&s, &org, Granularity::Daily, date, &data, None, None);
    let rate = report.rate.unwrap();
    assert_eq!(rate.per_usd, dec!(151.2));
    assert_eq!(rate.source, CONFIGURATION_RATE_SOURCE);
    assert_eq!(rate.date, date);
    assert_eq!(report.total, dec!(17.75) * dec!(151.2));

    // No rate anywhere: the report stays in USD and says so.
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.currency, CurrencyCode::usd());
    assert_eq!(report.rate, None);
    assert_eq!(report.total, dec!(17.75));

    // A USD account ignores a rate passed by mistake.
    let usd_rate = AppliedRate {
        currency: CurrencyCode("JPY".into()),
        per_usd: dec!(150),
        date,
        source: "x".into(),
        warning: None,
    };
    let report = build_report(
        &settings(),
        &org,
        Granularity::Daily,
        date,
        &data,
        Some(usd_rate),
        None,
    );
    assert_eq!(report.rate, None);
    assert_eq!(report.total, dec!(17.75));
}

#[test]
fn forecast_replaces_the_run_rate_when_it_covers_the_rest_of_the_month() {
    let date = d("2024-03-15");
    let mut data = data_for(&[Granularity::Daily], date, steady);
    data.forecast = Some(Forecast {
        period: p("2024-03-15", "2024-04-01"),
        mean: dec!(300),
    });
    let mut s = settings();
    s.forecast = true;
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    let mtd = report.month_to_date.unwrap();
    assert_eq!(
        mtd.projection.method,
        ProjectionMethod::CostExplorerForecast
    );
    assert_eq!(mtd.projection.amount, mtd.amount + dec!(300));

    // A forecast for other dates (e.g. yesterday's) is not used.
    data.forecast = Some(Forecast {
        period: p("2024-03-14", "2024-04-01"),
        mean: dec!(300),
    });
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(
        report.month_to_date.unwrap().projection.method,
        ProjectionMethod::RunRate
    );
}

#[test]
fn daily_report_of_the_1st_shows_the_closed_month() {
    let date = d("2024-03-01");
    // February 2024 (29 days) at 10/day, January at 20/day; a support fee on February 1.
    let data = data_for(&[Granularity::Daily], date, |day| {
        let mut amounts = vec![(EC2, if day.month() == 1 { dec!(20) } else { dec!(10) })];
        if day == d("2024-02-01") {
            amounts.push((SUPPORT, dec!(100)));
        }
        amounts
    });
    assert!(
        data.coverage.total_months.is_some(),
        "January comes as a MONTHLY bucket"
    );
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.period, p("2024-02-29", "2024-03-01"));
    let mtd = report.month_to_date.unwrap();
    assert_eq!(mtd.period, p("2024-02-01", "2024-03-01"));
    assert_eq!(mtd.amount, dec!(390));
    assert_eq!(mtd.change.reference, dec!(620));
    assert_eq!(
        mtd.projection.amount,
        dec!(390),
        "a complete month projects to itself"
    );
}

#[test]
fn run_rate_counts_monthly_fees_once() {
    let date = d("2024-03-11");
    let data = data_for(&[Granularity::Daily], date, |day| {
        let mut amounts = vec![(EC2, dec!(10))];
        if day == d("2024-03-01") {
            amounts.push((SUPPORT, dec!(100)));
        }
        amounts
    });
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    let mtd = report.month_to_date.unwrap();
    assert_eq!(mtd.amount, dec!(200));
    // 200 so far + 10/day for March 11..31 (21 days); not (200 / 10) * 31.
    assert_eq!(mtd.projection.amount, dec!(410));
}

#[test]
fn weekly_report() {
    let date = d("2024-03-18");
    let data = data_for(&[Granularity::Weekly], date, |day| {
        let ec2 = if day >= d("2024-03-11") {
            dec!(12)
        } else {
            dec!(10)
        };
        vec![(EC2, ec2), (S3, dec!(1))]
    });
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Weekly,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.period, p("2024-03-11", "2024-03-18"));
    assert_eq!(report.total, dec!(91));
    assert_eq!(report.change.reference, dec!(77));
    assert_eq!(report.change_vs_7day_average, None);
    assert_eq!(report.month_to_date, None);
    assert_eq!(report.trend.len(), 30);
    assert!(report.console_url.contains("startDate=2024-03-04"));
    assert!(report.console_url.contains("endDate=2024-03-17"));
}

#[test]
fn monthly_report_uses_monthly_buckets() {
    let date = d("2024-03-05");
    let data = data_for(&[Granularity::Monthly], date, |day| {
        vec![
            (EC2, if day.month() == 1 { dec!(20) } else { dec!(10) }),
            (S3, dec!(1)),
        ]
    });
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Monthly,
        date,
        &data,
        None,
        None,
    );
    assert_eq!(report.period, p("2024-02-01", "2024-03-01"));
    assert_eq!(report.total, dec!(319));
    assert_eq!(report.change.reference, dec!(651));
    assert_eq!(report.services[0].change.reference, dec!(620));
    assert_eq!(report.month_to_date, None);
    assert!(report.console_url.contains("granularity=Monthly"));
    assert!(report.console_url.contains("startDate=2024-01-01"));
    assert!(report.console_url.contains("endDate=2024-02-29"));
}

#[test]
fn estimated_marks_come_from_the_reported_period() {
    let date = d("2024-03-15");
    let mut data = data_for(&[Granularity::Daily], date, steady);
    data.mark_estimated(Bucket::Day(d("2024-03-13")));
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert!(!report.estimated);
    assert!(report.trend.iter().any(|point| point.estimated));
    data.mark_estimated(Bucket::Day(d("2024-03-14")));
    let report = build_report(
        &settings(),
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        None,
        None,
    );
    assert!(report.estimated);
    assert!(report.trend.last().unwrap().estimated);
}

#[test]
fn console_url_has_the_account_dates_and_tags_encoded() {
    let mut s = settings();
    s.cost_tags = TagFilter {
        clauses: vec![
            TagClause {
                key: "Environment".into(),
                matches: TagMatch::Equals(vec!["prod|eu".into()]),
            },
            TagClause {
                key: "Team".into(),
                matches: TagMatch::Absent,
            },
        ],
    };
    let periods = ReportPeriods::new(Granularity::Daily, d("2024-03-15"));
    let url = console_url(
        &s.account_id,
        &periods,
        CostMetric::NetAmortizedCost,
        &s.cost_tags,
    );
    assert!(url.starts_with(
        "https://us-east-1.console.aws.amazon.com/costmanagement/home#/cost-explorer?"
    ));
    assert!(url.contains("startDate=2024-03-07"), "{url}");
    assert!(url.contains("endDate=2024-03-14"), "{url}");
    assert!(url.contains("costAggregate=netAmortizedCost"));
    assert!(url.contains("granularity=Daily"));
    assert!(
        !url.contains('|') && !url.contains('>') && !url.contains(' '),
        "{url}"
    );
    let filter = url
        .split("&filter=")
        .nth(1)
        .unwrap()
        .split('&')
        .next()
        .unwrap();
    let decoded = percent_decode(filter);
    let json: serde_json::Value = serde_json::from_str(&decoded).unwrap();
    assert_eq!(json[0]["dimension"]["id"], "LinkedAccount");
    assert_eq!(json[0]["values"][0]["value"], "012345678901");
    assert_eq!(json[1]["dimension"]["id"], "TagKey");
    assert_eq!(json[1]["growableValue"]["value"], "Environment");
    assert_eq!(json[1]["values"][0]["value"], "prod|eu");
    assert_eq!(json.as_array().unwrap().len(), 2);
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

mod snapshots {
    use super::*;

    fn jpy_alert() -> CostReport {
        let date = d("2024-03-15");
        let data = data_for(&[Granularity::Daily], date, steady);
        let mut s = settings();
        s.currency = CurrencyCode("JPY".into());
        s.description = "決済サービス 本番環境".into();
        s.thresholds.increase_percent = Some(dec!(20));
        let rate = AppliedRate {
            currency: CurrencyCode("JPY".into()),
            per_usd: dec!(149.872),
            date: d("2024-03-14"),
            source: "ECB reference rate".into(),
            warning: None,
        };
        build_report(
            &s,
            &OrgSettings::default(),
            Granularity::Daily,
            date,
            &data,
            Some(rate),
            Some("payments-prod".into()),
        )
    }

    #[test]
    fn daily_jpy_with_alert() {
        insta::assert_json_snapshot!(jpy_alert());
    }

    #[test]
    fn monthly_usd_with_credits() {
        let date = d("2024-03-01");
        let data = data_for(&[Granularity::Monthly], date, |day| {
            let mut amounts = vec![(EC2, dec!(10.123456)), (S3, dec!(0.5))];
            if day == d("2024-02-15") {
                amounts.push((RDS, dec!(-25)));
            }
            amounts
        });
        let mut s = settings();
        s.top_services = 2;
        let report = build_report(
            &s,
            &OrgSettings::default(),
            Granularity::Monthly,
            date,
            &data,
            None,
            None,
        );
        insta::assert_json_snapshot!(report);
    }

    #[test]
    fn new_account_without_data() {
        let date = d("2024-03-18");
        let plan = FetchPlan::for_reports([Granularity::Weekly], date);
        let data = AccountCostData::no_data_yet(account(), plan);
        let report = build_report(
            &settings(),
            &OrgSettings::default(),
            Granularity::Weekly,
            date,
            &data,
            None,
            None,
        );
        insta::assert_json_snapshot!(report);
    }
}

#[test]
fn a_conversion_that_overflows_shows_the_report_in_usd_instead_of_panicking() {
    let date = d("2024-03-15");
    // Amounts no real bill has, times the largest rate accepted: more than a decimal holds.
    let data = data_for(&[Granularity::Daily], date, |_| {
        vec![(EC2, dec!(10_000_000_000_000_000_000_000))]
    });
    let mut s = settings();
    s.currency = CurrencyCode("JPY".into());
    let rate = AppliedRate {
        currency: CurrencyCode("JPY".into()),
        per_usd: orgpulse_config::MAX_RATE_PER_USD,
        date: d("2024-03-14"),
        source: "ECB reference rate".into(),
        warning: None,
    };
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        Some(rate),
        None,
    );
    assert_eq!(report.currency.as_str(), "USD");
    assert_eq!(report.rate, None);
    assert_eq!(report.total, dec!(10_000_000_000_000_000_000_000));
}

#[test]
fn a_rate_outside_the_sane_range_is_not_applied() {
    let date = d("2024-03-15");
    let data = data_for(&[Granularity::Daily], date, steady);
    let mut s = settings();
    s.currency = CurrencyCode("JPY".into());
    let fed_in = AppliedRate {
        currency: CurrencyCode("JPY".into()),
        per_usd: dec!(1_000_000_000_000),
        date: d("2024-03-14"),
        source: "ECB reference rate".into(),
        warning: None,
    };
    let report = build_report(
        &s,
        &OrgSettings::default(),
        Granularity::Daily,
        date,
        &data,
        Some(fed_in),
        None,
    );
    assert_eq!(report.currency.as_str(), "USD");
    assert_eq!(report.total, dec!(17.75));
}

#[test]
fn a_change_against_a_tiny_reference_has_no_percent_instead_of_panicking() {
    let change = change(
        dec!(79_228_162_514_264_337_593_543),
        dec!(0.0000000000000000000000001),
    );
    assert_eq!(change.percent, None);
}
