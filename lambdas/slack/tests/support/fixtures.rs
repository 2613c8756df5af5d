//! Cost reports covering the cases a channel can see. Figures are consistent with each other
//! (totals are the sum of their lines) so the snapshots read like real messages.

use chrono::NaiveDate;
use orgpulse_config::{
    AccountId, CostMetric, CurrencyCode, Granularity, TagClause, TagFilter, TagMatch,
};
use orgpulse_cost::{
    AlertReason, AppliedRate, Change, CostReport, DailyPoint, MonthToDate, OtherServices, Period,
    Projection, ProjectionMethod, ServiceLine,
};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("fixture date")
}

/// The cost engine's own `change` (percent against the reference's size), rounded so
/// snapshots stay short.
pub fn change(current: Decimal, reference: Decimal) -> Change {
    let change = orgpulse_cost::compute::change(current, reference);
    Change {
        percent: change.percent.map(|p| p.round_dp(4)),
        ..change
    }
}

fn service(name: &str, amount: Decimal, before: Decimal) -> ServiceLine {
    ServiceLine {
        name: name.into(),
        amount,
        change: change(amount, before),
    }
}

const CONSOLE_URL: &str = "https://us-east-1.console.aws.amazon.com/costmanagement/home#/cost-explorer?chartStyle=STACK&costAggregate=unBlendedCost&endDate=2024-05-14&filter=%5B%7B%22dimension%22%3A%7B%22id%22%3A%22LinkedAccount%22%7D%2C%22values%22%3A%5B%7B%22value%22%3A%22123456789012%22%7D%5D%7D%5D&granularity=Daily&groupBy=%5B%22Service%22%5D&startDate=2024-05-14";

/// A typical daily report in USD: five services, other, estimated, month to date.
pub fn daily_usd() -> CostReport {
    let services = vec![
        service(
            "Amazon Elastic Compute Cloud - Compute",
            dec!(812.304),
            dec!(772.2),
        ),
        service(
            "Amazon Relational Database Service",
            dec!(240.5),
            dec!(240.5),
        ),
        service("Amazon Simple Storage Service", dec!(96.12), dec!(101.33)),
        service("AWS Lambda", dec!(31.0071), dec!(12.4)),
        service("Amazon CloudWatch", dec!(18.75), dec!(17.9)),
    ];
    let other = OtherServices {
        count: 12,
        amount: dec!(35.88),
        change: change(dec!(35.88), dec!(37.1)),
    };
    let total = dec!(1234.5611);
    CostReport {
        account_id: AccountId::parse("123456789012").unwrap(),
        account_name: Some("payments-prod".into()),
        description: "Payments platform (production)".into(),
        kind: Granularity::Daily,
        metric: CostMetric::UnblendedCost,
        currency: CurrencyCode::usd(),
        rate: None,
        period: Period {
            start: date("2024-05-14"),
            end: date("2024-05-15"),
        },
        total,
        change: change(total, dec!(1181.43)),
        change_vs_7day_average: Some(change(total, dec!(1244.5671))),
        month_to_date: Some(MonthToDate {
            period: Period {
                start: date("2024-05-01"),
                end: date("2024-05-15"),
            },
            amount: dec!(16803.22),
            change: change(dec!(16803.22), dec!(16120.04)),
            projection: Projection {
                amount: dec!(37950.1),
                method: ProjectionMethod::RunRate,
            },
        }),
        services,
        other: Some(other),
        credits: Decimal::ZERO,
        estimated: true,
        alerts: vec![],
        tag_filter: TagFilter::default(),
        no_data: false,
        trend: (1..=14)
            .map(|d| DailyPoint {
                date: NaiveDate::from_ymd_opt(2024, 5, d).unwrap(),
                amount: dec!(1200) + Decimal::from(d),
                estimated: d >= 13,
            })
            .collect(),
        console_url: CONSOLE_URL.into(),
    }
}

/// Nothing was spent, nothing changed.
pub fn zero_account() -> CostReport {
    let mut report = daily_usd();
    report.account_name = Some("sandbox-empty".into());
    report.description = "Sandbox (unused)".into();
    report.total = Decimal::ZERO;
    report.change = change(Decimal::ZERO, Decimal::ZERO);
    report.change_vs_7day_average = Some(change(Decimal::ZERO, Decimal::ZERO));
    report.month_to_date = Some(MonthToDate {
        period: Period {
            start: date("2024-05-01"),
            end: date("2024-05-15"),
        },
        amount: Decimal::ZERO,
        change: change(Decimal::ZERO, Decimal::ZERO),
        projection: Projection {
            amount: Decimal::ZERO,
            method: ProjectionMethod::RunRate,
        },
    });
    report.services = vec![];
    report.other = None;
    report.estimated = false;
    report
        .trend
        .iter_mut()
        .for_each(|p| p.amount = Decimal::ZERO);
    report
}

/// A row asking for 200 top services: far more than a message can list.
pub fn two_hundred_services() -> CostReport {
    let mut report = daily_usd();
    report.description = "Data platform (shared)".into();
    report.services = (0..200)
        .map(|i| {
            let amount = Decimal::from(2000 - i * 9) / dec!(7);
            service(
                &format!(
                    "AWS Marketplace product {:03} - Analytics Suite Enterprise",
                    i + 1
                ),
                amount,
                amount - Decimal::from(i % 7) + dec!(3),
            )
        })
        .collect();
    report.other = None;
    report.total = report.services.iter().map(|s| s.amount).sum();
    report.change = change(report.total, report.total - dec!(120.5));
    report
}

/// A new account: Cost Explorer has nothing yet.
pub fn new_account_no_data() -> CostReport {
    let mut report = zero_account();
    report.account_id = AccountId::parse("000123456789").unwrap();
    report.account_name = Some("team-x-dev".into());
    report.description = String::new();
    report.no_data = true;
    report.month_to_date = None;
    report.change_vs_7day_average = None;
    report.trend = vec![];
    report
}

/// Credits and refunds larger than usage: the total is negative.
pub fn credits_larger_than_usage() -> CostReport {
    let mut report = daily_usd();
    report.description = "Startup programme account".into();
    report.services = vec![
        service(
            "Amazon Elastic Compute Cloud - Compute",
            dec!(42.1),
            dec!(40.0),
        ),
        service("Amazon Simple Storage Service", dec!(7.9), dec!(7.5)),
    ];
    report.other = Some(OtherServices {
        count: 3,
        amount: dec!(1.25),
        change: change(dec!(1.25), dec!(1.3)),
    });
    report.credits = dec!(-120);
    report.total = dec!(42.1) + dec!(7.9) + dec!(1.25) + report.credits;
    report.change = change(report.total, dec!(-68.8));
    report.change_vs_7day_average = Some(change(report.total, dec!(-70.11)));
    if let Some(mtd) = report.month_to_date.as_mut() {
        mtd.amount = dec!(-948.4);
        mtd.change = change(mtd.amount, dec!(-1012.9));
        mtd.projection.amount = dec!(-2100.55);
    }
    report.estimated = false;
    report
}

/// Converted to yen with the ECB reference rate: no decimals.
pub fn jpy_account() -> CostReport {
    let rate = dec!(156.12);
    let mut report = daily_usd();
    report.description = "Retail EC (JPY)".into();
    report.currency = CurrencyCode("JPY".into());
    report.rate = Some(AppliedRate {
        currency: CurrencyCode("JPY".into()),
        per_usd: rate,
        date: date("2024-05-13"),
        source: "ECB reference rate".into(),
        warning: None,
    });
    let convert = |c: &mut Change| {
        c.reference *= rate;
        c.amount *= rate;
    };
    report.total *= rate;
    convert(&mut report.change);
    if let Some(c) = report.change_vs_7day_average.as_mut() {
        convert(c);
    }
    if let Some(mtd) = report.month_to_date.as_mut() {
        mtd.amount *= rate;
        convert(&mut mtd.change);
        mtd.projection.amount *= rate;
    }
    for s in &mut report.services {
        s.amount *= rate;
        convert(&mut s.change);
    }
    if let Some(o) = report.other.as_mut() {
        o.amount *= rate;
        convert(&mut o.change);
    }
    report
}

/// The live rate source failed: an older rate, with a warning.
pub fn stale_rate() -> CostReport {
    let mut report = jpy_account();
    if let Some(rate) = report.rate.as_mut() {
        rate.date = date("2024-04-30");
        rate.source = "last known ECB reference rate".into();
        rate.warning = Some(
            "The ECB rate could not be fetched (HTTP 503); using the rate of 2024-04-30".into(),
        );
    }
    report
}

/// Both thresholds crossed.
pub fn alert() -> CostReport {
    let mut report = daily_usd();
    report.description = "Machine learning training".into();
    report.services[0] = service("Amazon SageMaker", dec!(2950.44), dec!(310.2));
    report.total = dec!(3372.7011);
    report.change = change(report.total, dec!(1181.43));
    report.alerts = vec![
        AlertReason::IncreasePercent {
            threshold: dec!(20),
            actual: report.change.percent.unwrap(),
        },
        AlertReason::IncreaseAmount {
            threshold: dec!(500),
            actual: report.change.amount,
        },
    ];
    report
}

/// Japanese description, account name and tag values.
pub fn japanese_description() -> CostReport {
    let mut report = jpy_account();
    report.description = "決済基盤チーム（本番環境）— 請求書と照合済み 🚀".into();
    report.account_name = Some("決済-本番".into());
    report.tag_filter = TagFilter {
        clauses: vec![
            TagClause {
                key: "プロジェクト".into(),
                matches: TagMatch::Equals(vec!["決済".into(), "ポイント".into()]),
            },
            TagClause {
                key: "env".into(),
                matches: TagMatch::Equals(vec!["prod".into()]),
            },
        ],
    };
    report
}

/// Everything a person (or an AWS name) could type to ping, link or break the layout.
pub fn hostile_description() -> CostReport {
    let mut report = daily_usd();
    report.description =
        "<!channel> pay now <@U123> & <!here> <!subteam^S0123|@oncall> <https://evil.example|click> *bold* ```code``` @channel\n\n\u{1b}[31mred"
            .into();
    report.account_name = Some("<!everyone> & co".into());
    report.services[1].name = "Marketplace <!channel> & <https://evil.example|Co>".into();
    report.tag_filter = TagFilter {
        clauses: vec![TagClause {
            key: "<@U999>".into(),
            matches: TagMatch::Equals(vec!["<!here>".into(), "a&b".into()]),
        }],
    };
    report
}

/// A description far longer than a header.
pub fn long_japanese_description() -> CostReport {
    let mut report = japanese_description();
    report.description = "長い説明文".repeat(80);
    report
}

pub fn weekly() -> CostReport {
    let mut report = daily_usd();
    report.kind = Granularity::Weekly;
    report.period = Period {
        start: date("2024-05-06"),
        end: date("2024-05-13"),
    };
    report.total = dec!(8521.3);
    report.change = change(report.total, dec!(8720.0));
    report.change_vs_7day_average = None;
    report.month_to_date = None;
    report
}

pub fn monthly() -> CostReport {
    let mut report = daily_usd();
    report.kind = Granularity::Monthly;
    report.period = Period {
        start: date("2024-04-01"),
        end: date("2024-05-01"),
    };
    report.total = dec!(36012.77);
    report.change = change(report.total, dec!(33980.12));
    report.change_vs_7day_average = None;
    report.month_to_date = None;
    report.estimated = false;
    report.metric = CostMetric::AmortizedCost;
    report
}

/// Every fixture by name, for the tests that must hold for all of them.
pub fn all() -> Vec<(&'static str, CostReport)> {
    vec![
        ("daily_usd", daily_usd()),
        ("zero_account", zero_account()),
        ("two_hundred_services", two_hundred_services()),
        ("new_account_no_data", new_account_no_data()),
        ("credits_larger_than_usage", credits_larger_than_usage()),
        ("jpy_account", jpy_account()),
        ("stale_rate", stale_rate()),
        ("alert", alert()),
        ("japanese_description", japanese_description()),
        ("hostile_description", hostile_description()),
        ("long_japanese_description", long_japanese_description()),
        ("weekly", weekly()),
        ("monthly", monthly()),
    ]
}
