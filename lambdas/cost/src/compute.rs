//! Report arithmetic: from one account's USD cost data to a [`CostReport`] in the account's
//! currency. Decimal throughout and unrounded; rounding belongs to formatting (`money`).

use std::cmp::Ordering;

use chrono::NaiveDate;
use orgpulse_config::{
    AccountId, AccountSettings, CostMetric, CurrencyCode, Granularity, OrgSettings, TagFilter,
    TagMatch,
};
use rust_decimal::Decimal;

use crate::data::AccountCostData;
use crate::periods::{MonthToDatePeriods, ReportPeriods, AVERAGE_DAYS};
use crate::report::{
    AlertReason, AppliedRate, Change, CostReport, DailyPoint, MonthToDate, OtherServices, Period,
    Projection, ProjectionMethod, ServiceLine,
};

/// The source named in an [`AppliedRate`] that comes from the `Default` row's fixed rates.
pub const CONFIGURATION_RATE_SOURCE: &str = "configuration";

/// Computes one account's report of `kind`, run on `report_date` (in the organization's time
/// zone), from `data` (which must cover `FetchPlan::for_reports([kind], report_date)`).
///
/// `rate` converts USD into `settings.currency`. When it is `None` for a non-USD currency,
/// the `Default` row's fixed rate is used; when there is none either, the report stays in USD
/// (its `currency` says so) rather than showing dollars as yen.
pub fn build_report(
    settings: &AccountSettings,
    org: &OrgSettings,
    kind: Granularity,
    report_date: NaiveDate,
    data: &AccountCostData,
    rate: Option<AppliedRate>,
    account_name: Option<String>,
) -> CostReport {
    let rate = applicable_rate(settings, org, report_date, rate);
    let converted = rate.as_ref().map(|r| r.currency.clone());
    match report_in(
        settings,
        kind,
        report_date,
        data,
        rate,
        account_name.clone(),
    ) {
        Ok(report) => report,
        Err(Overflow) => {
            // Converting overflowed a decimal (a rate or an amount far outside any real
            // bill): this account's report is shown in USD rather than failing the run.
            tracing::warn!(
                account = %settings.account_id,
                currency = ?converted,
                "converting the report overflowed; it is shown in USD"
            );
            report_in(settings, kind, report_date, data, None, account_name)
                .expect("USD amounts are not multiplied")
        }
    }
}

/// A conversion overflowed a decimal.
#[derive(Debug)]
struct Overflow;

fn report_in(
    settings: &AccountSettings,
    kind: Granularity,
    report_date: NaiveDate,
    data: &AccountCostData,
    rate: Option<AppliedRate>,
    account_name: Option<String>,
) -> Result<CostReport, Overflow> {
    let periods = ReportPeriods::new(kind, report_date);
    let per_usd = rate.as_ref().map_or(Decimal::ONE, |r| r.per_usd);
    let currency = rate
        .as_ref()
        .map_or_else(CurrencyCode::usd, |r| r.currency.clone());
    let metric = settings.metric;
    let console_url = console_url(&settings.account_id, &periods, metric, &settings.cost_tags);

    if !data.no_data && !data.coverage.covers_report(&periods) {
        tracing::warn!(
            account = %settings.account_id,
            kind = kind.as_str(),
            %report_date,
            coverage = ?data.coverage,
            "cost data does not cover every period of the report; missing days count as zero"
        );
    }

    let mut report = CostReport {
        account_id: settings.account_id.clone(),
        account_name,
        description: settings.description.clone(),
        kind,
        metric,
        currency,
        rate,
        period: periods.current,
        total: Decimal::ZERO,
        change: change(Decimal::ZERO, Decimal::ZERO),
        change_vs_7day_average: None,
        month_to_date: None,
        services: Vec::new(),
        other: None,
        credits: Decimal::ZERO,
        estimated: false,
        alerts: Vec::new(),
        tag_filter: settings.cost_tags.clone(),
        no_data: data.no_data,
        trend: Vec::new(),
        console_url,
    };
    if data.no_data {
        return Ok(report);
    }

    let overflowed = std::cell::Cell::new(false);
    let convert = |usd: Decimal| {
        usd.checked_mul(per_usd).unwrap_or_else(|| {
            overflowed.set(true);
            Decimal::ZERO
        })
    };
    let total_of = |period: &Period| convert(data.total(metric, period));

    let current = data.service_totals(metric, &periods.current);
    let previous = data.service_totals(metric, &periods.previous);
    report.total = convert(current.values().copied().sum());
    report.change = change(report.total, convert(previous.values().copied().sum()));

    report.change_vs_7day_average = periods
        .seven_days_before
        .map(|seven| change(report.total, total_of(&seven) / Decimal::from(AVERAGE_DAYS)));

    report.month_to_date = periods
        .month_to_date
        .map(|mtd| month_to_date(data, metric, &mtd, report_date, &convert));

    let mut lines: Vec<ServiceLine> = current
        .keys()
        .chain(previous.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|name| {
            let amount = convert(current.get(name).copied().unwrap_or_default());
            let reference = convert(previous.get(name).copied().unwrap_or_default());
            ServiceLine {
                name: (*name).to_owned(),
                amount,
                change: change(amount, reference),
            }
        })
        .filter(|line| !(line.amount.is_zero() && line.change.reference.is_zero()))
        .collect();
    lines.sort_by(by_size);
    report.credits = lines
        .iter()
        .map(|l| l.amount)
        .filter(|a| a.is_sign_negative())
        .sum();
    if lines.len() > settings.top_services {
        let rest = lines.split_off(settings.top_services);
        let amount = rest.iter().map(|l| l.amount).sum();
        let reference = rest.iter().map(|l| l.change.reference).sum();
        report.other = Some(OtherServices {
            count: rest.len(),
            amount,
            change: change(amount, reference),
        });
    }
    report.services = lines;

    report.estimated = data.is_estimated(&periods.current);
    report.alerts = alerts(settings, &report.change);
    report.trend = data
        .daily_totals(metric, &periods.trend)
        .into_iter()
        .map(|(date, amount)| DailyPoint {
            date,
            amount: convert(amount),
            estimated: data.estimated_days.contains(&date),
        })
        .collect();
    if overflowed.get() {
        return Err(Overflow);
    }
    normalize(&mut report);
    Ok(report)
}

/// Drops trailing zeros (`2660.22800` -> `2660.228`) so the JSON shared with the renderer and
/// written to S3 is tidy; values are unchanged.
fn normalize(report: &mut CostReport) {
    fn change(c: &mut Change) {
        c.reference = c.reference.normalize();
        c.amount = c.amount.normalize();
        c.percent = c.percent.map(|p| p.normalize());
    }
    report.total = report.total.normalize();
    change(&mut report.change);
    if let Some(c) = report.change_vs_7day_average.as_mut() {
        change(c);
    }
    if let Some(mtd) = report.month_to_date.as_mut() {
        mtd.amount = mtd.amount.normalize();
        change(&mut mtd.change);
        mtd.projection.amount = mtd.projection.amount.normalize();
    }
    for line in &mut report.services {
        line.amount = line.amount.normalize();
        change(&mut line.change);
    }
    if let Some(other) = report.other.as_mut() {
        other.amount = other.amount.normalize();
        change(&mut other.change);
    }
    report.credits = report.credits.normalize();
    for alert in &mut report.alerts {
        match alert {
            AlertReason::IncreasePercent { actual, .. }
            | AlertReason::IncreaseAmount { actual, .. } => {
                *actual = actual.normalize();
            }
        }
    }
    for point in &mut report.trend {
        point.amount = point.amount.normalize();
    }
}

/// `current` against `reference`. The percent is relative to the reference's magnitude, so its
/// sign always follows the amount's (credits shrinking from -100 to -50 is +50 %).
pub fn change(current: Decimal, reference: Decimal) -> Change {
    let amount = current - reference;
    Change {
        reference,
        amount,
        // None when it overflows (a tiny reference): the change is then shown without one.
        percent: amount
            .checked_div(reference.abs())
            .and_then(|p| p.checked_mul(Decimal::ONE_HUNDRED)),
    }
}

/// Largest magnitude first, so a large credit is listed as its own line; then by last
/// period's magnitude (a service that just stopped still shows), then by name.
fn by_size(a: &ServiceLine, b: &ServiceLine) -> Ordering {
    b.amount
        .abs()
        .cmp(&a.amount.abs())
        .then_with(|| b.change.reference.abs().cmp(&a.change.reference.abs()))
        .then_with(|| a.name.cmp(&b.name))
}

fn month_to_date(
    data: &AccountCostData,
    metric: CostMetric,
    mtd: &MonthToDatePeriods,
    report_date: NaiveDate,
    convert: &dyn Fn(Decimal) -> Decimal,
) -> MonthToDate {
    let so_far = data.total(metric, &mtd.so_far);
    let last_month = data.total(metric, &mtd.same_point_last_month);
    let remaining = mtd.remaining();
    let projection = if mtd.is_complete() {
        Projection {
            amount: so_far,
            method: ProjectionMethod::RunRate,
        }
    } else if let Some(forecast) = data
        .forecast
        .as_ref()
        .filter(|f| f.period.start == report_date && f.period.end == remaining.end)
    {
        Projection {
            amount: so_far + forecast.mean,
            method: ProjectionMethod::CostExplorerForecast,
        }
    } else {
        // The actual month so far plus the recent daily average for each remaining day:
        // monthly fees booked on the 1st (support, RI and Savings Plans fees, tax) are counted
        // once instead of being extrapolated as if they recurred daily.
        let daily_rate =
            data.total(metric, &mtd.run_rate_window) / Decimal::from(mtd.run_rate_window.days());
        Projection {
            amount: so_far + daily_rate * Decimal::from(remaining.days()),
            method: ProjectionMethod::RunRate,
        }
    };
    MonthToDate {
        period: mtd.so_far,
        amount: convert(so_far),
        change: change(convert(so_far), convert(last_month)),
        projection: Projection {
            amount: convert(projection.amount),
            method: projection.method,
        },
    }
}

fn alerts(settings: &AccountSettings, change: &Change) -> Vec<AlertReason> {
    let mut alerts = Vec::new();
    if change.amount <= Decimal::ZERO {
        return alerts;
    }
    if let (Some(threshold), Some(actual)) = (settings.thresholds.increase_percent, change.percent)
    {
        if actual >= threshold {
            alerts.push(AlertReason::IncreasePercent { threshold, actual });
        }
    }
    if let Some(threshold) = settings.thresholds.increase_amount {
        if change.amount >= threshold {
            alerts.push(AlertReason::IncreaseAmount {
                threshold,
                actual: change.amount,
            });
        }
    }
    alerts
}

fn applicable_rate(
    settings: &AccountSettings,
    org: &OrgSettings,
    report_date: NaiveDate,
    rate: Option<AppliedRate>,
) -> Option<AppliedRate> {
    if settings.currency == CurrencyCode::usd() {
        return None;
    }
    rate.filter(|r| r.currency == settings.currency)
        // A rate from outside the configuration (the ECB) that is not sane is not applied.
        .filter(|r| orgpulse_config::sane_rate_per_usd(r.per_usd))
        .or_else(|| {
            org.exchange_rates
                .get(&settings.currency)
                .map(|per_usd| AppliedRate {
                    currency: settings.currency.clone(),
                    per_usd: *per_usd,
                    date: report_date,
                    source: CONFIGURATION_RATE_SOURCE.into(),
                    warning: None,
                })
        })
}

/// A Cost Explorer console link: the account (and the row's tag values), grouped by service,
/// over the reported period and the one it is compared with.
pub fn console_url(
    account: &AccountId,
    periods: &ReportPeriods,
    metric: CostMetric,
    tags: &TagFilter,
) -> String {
    let (range, granularity) = match periods.kind {
        Granularity::Daily => (
            periods
                .seven_days_before
                .unwrap_or(periods.previous)
                .hull(&periods.current),
            "Daily",
        ),
        Granularity::Weekly => (periods.previous.hull(&periods.current), "Daily"),
        Granularity::Monthly => (periods.previous.hull(&periods.current), "Monthly"),
    };
    let mut filter = vec![serde_json::json!({
        "dimension": {"id": "LinkedAccount", "displayValue": "Linked account"},
        "operator": "INCLUDES",
        "values": [{"value": account.as_str(), "displayValue": account.as_str()}],
    })];
    // The console has no documented URL form for "tag absent"; those clauses are left out of
    // the link (the report itself shows the row's filter).
    for clause in &tags.clauses {
        if let TagMatch::Equals(values) = &clause.matches {
            filter.push(serde_json::json!({
                "dimension": {"id": "TagKey", "displayValue": "Tag"},
                "operator": "INCLUDES",
                "values": values.iter().map(|v| serde_json::json!({"value": v, "displayValue": v})).collect::<Vec<_>>(),
                "growableValue": {"value": clause.key, "displayValue": clause.key},
            }));
        }
    }
    let cost_aggregate = match metric {
        CostMetric::UnblendedCost => "unBlendedCost",
        CostMetric::BlendedCost => "blendedCost",
        CostMetric::AmortizedCost => "amortizedCost",
        CostMetric::NetUnblendedCost => "netUnblendedCost",
        CostMetric::NetAmortizedCost => "netAmortizedCost",
    };
    format!(
        "https://us-east-1.console.aws.amazon.com/costmanagement/home#/cost-explorer?chartStyle=STACK\
         &costAggregate={cost_aggregate}&endDate={end}&excludeForecasting=false&filter={filter}\
         &futureRelativeRange=CUSTOM&granularity={granularity}&groupBy=%5B%22Service%22%5D\
         &historicalRelativeRange=CUSTOM&isDefault=false&reportMode=STANDARD&showOnlyUncategorized=false\
         &showOnlyUntagged=false&startDate={start}&usageAggregate=undefined&useNormalizedUnits=false",
        // The console's end date is inclusive.
        end = range.last_day(),
        start = range.start,
        filter = percent_encode(&serde_json::Value::from(filter).to_string()),
    )
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so the link survives
/// Slack's `<url|text>` syntax (`|`, `>`) and tag values with any characters.
fn percent_encode(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len() * 2);
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests;
