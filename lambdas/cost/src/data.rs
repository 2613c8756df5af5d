//! Cost data as Cost Explorer returned it (USD, per service and day or month), before any
//! report arithmetic.
//!
//! [`OrgCostData`] is the result of the organization-wide query: written once to S3 by the plan
//! step and read by every report of the fan-out, so its serialized form is compact (service
//! names stored once, days as offsets, zero amounts left out). [`AccountCostData`] is one
//! account's slice of it, or the result of a tag-filtered per-account query; reports are
//! computed from it.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{Datelike, Days, Months, NaiveDate};
use orgpulse_config::{AccountId, CostMetric};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::periods::{first_of_month, FetchPlan};
use crate::report::Period;

/// Which Cost Explorer time bucket an amount belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// A `DAILY` result for this day.
    Day(NaiveDate),
    /// A `MONTHLY` result; the date is the month's 1st.
    Month(NaiveDate),
}

/// One service's amounts. Days and months with no cost are absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct ServiceCosts {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub daily: BTreeMap<NaiveDate, Decimal>,
    /// Keyed by the month's 1st.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub monthly: BTreeMap<NaiveDate, Decimal>,
}

/// The services' amounts of one metric.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricCosts {
    pub metric: CostMetric,
    pub services: BTreeMap<String, ServiceCosts>,
}

/// Cost Explorer's forecast of the rest of a month (`GetCostForecast`, mean value), USD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forecast {
    /// `[report date, 1st of next month)`.
    pub period: Period,
    pub mean: Decimal,
}

/// One account's costs in USD, by metric and service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountCostData {
    pub account_id: AccountId,
    /// The ranges that were fetched; days inside them without an entry cost nothing.
    pub coverage: FetchPlan,
    /// Cost Explorer answered `DataUnavailableException` (e.g. a brand-new account).
    #[serde(default)]
    pub no_data: bool,
    /// Days whose figures Cost Explorer still marks `Estimated`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub estimated_days: BTreeSet<NaiveDate>,
    /// Months (their 1st) whose MONTHLY figures are still `Estimated`.
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    pub estimated_months: BTreeSet<NaiveDate>,
    /// One entry per metric fetched.
    pub costs: Vec<MetricCosts>,
    /// Set by the caller when the row asked for `GetCostForecast`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forecast: Option<Forecast>,
}

impl AccountCostData {
    /// No costs at all in `coverage` (an account that spent nothing).
    pub fn empty(account_id: AccountId, coverage: FetchPlan) -> Self {
        Self {
            account_id,
            coverage,
            no_data: false,
            estimated_days: BTreeSet::new(),
            estimated_months: BTreeSet::new(),
            costs: Vec::new(),
            forecast: None,
        }
    }

    /// Cost Explorer has no data for this account yet.
    pub fn no_data_yet(account_id: AccountId, coverage: FetchPlan) -> Self {
        Self {
            no_data: true,
            ..Self::empty(account_id, coverage)
        }
    }

    /// Adds `amount` to a service's bucket (amounts of the same bucket accumulate).
    pub fn add(&mut self, metric: CostMetric, service: &str, bucket: Bucket, amount: Decimal) {
        if amount.is_zero() {
            return;
        }
        let index = match self.costs.iter().position(|m| m.metric == metric) {
            Some(index) => index,
            None => {
                self.costs.push(MetricCosts {
                    metric,
                    services: BTreeMap::new(),
                });
                self.costs.len() - 1
            }
        };
        let costs = self.costs[index]
            .services
            .entry(service.to_owned())
            .or_default();
        let slot = match bucket {
            Bucket::Day(day) => costs.daily.entry(day).or_default(),
            Bucket::Month(first) => costs.monthly.entry(first).or_default(),
        };
        *slot += amount;
    }

    pub fn mark_estimated(&mut self, bucket: Bucket) {
        match bucket {
            Bucket::Day(day) => self.estimated_days.insert(day),
            Bucket::Month(first) => self.estimated_months.insert(first),
        };
    }

    /// Each service's total over `period`. Month segments inside the daily coverage are
    /// summed day by day; whole months outside it come from the MONTHLY figures. Parts of the
    /// period outside the coverage count as zero: check `coverage.covers(period)` first.
    pub fn service_totals(&self, metric: CostMetric, period: &Period) -> BTreeMap<&str, Decimal> {
        let segments = self.resolve(period);
        let mut totals = BTreeMap::new();
        for (service, costs) in self.services(metric).into_iter().flatten() {
            let total: Decimal = segments
                .iter()
                .map(|segment| match segment {
                    Segment::Days(days) => costs
                        .daily
                        .range(days.start..days.end)
                        .map(|(_, a)| *a)
                        .sum(),
                    Segment::Month(first) => costs.monthly.get(first).copied().unwrap_or_default(),
                    Segment::Missing => Decimal::ZERO,
                })
                .sum();
            totals.insert(service.as_str(), total);
        }
        totals
    }

    /// The total of all services over `period` (see [`Self::service_totals`]).
    pub fn total(&self, metric: CostMetric, period: &Period) -> Decimal {
        self.service_totals(metric, period).values().copied().sum()
    }

    /// Daily totals of all services for each day of `period` inside the daily coverage.
    pub fn daily_totals(&self, metric: CostMetric, period: &Period) -> Vec<(NaiveDate, Decimal)> {
        let Some(daily) = self.coverage.daily else {
            return Vec::new();
        };
        let services = self.services(metric);
        period
            .iter_days()
            .filter(|day| daily.contains(*day))
            .map(|day| {
                let total = services
                    .into_iter()
                    .flatten()
                    .filter_map(|(_, costs)| costs.daily.get(&day))
                    .copied()
                    .sum();
                (day, total)
            })
            .collect()
    }

    /// Each service's amounts for `metric`, if it was fetched.
    pub fn services(&self, metric: CostMetric) -> Option<&BTreeMap<String, ServiceCosts>> {
        self.costs
            .iter()
            .find(|m| m.metric == metric)
            .map(|m| &m.services)
    }

    /// Any figure of `period` is still provisional.
    pub fn is_estimated(&self, period: &Period) -> bool {
        self.resolve(period).iter().any(|segment| match segment {
            Segment::Days(days) => self
                .estimated_days
                .range(days.start..days.end)
                .next()
                .is_some(),
            Segment::Month(first) => self.estimated_months.contains(first),
            Segment::Missing => false,
        })
    }

    fn resolve(&self, period: &Period) -> Vec<Segment> {
        period
            .month_segments()
            .into_iter()
            .map(|segment| {
                if self.coverage.daily.is_some_and(|d| d.covers(&segment)) {
                    Segment::Days(segment)
                } else if segment.is_whole_month()
                    && self.coverage.monthly.is_some_and(|m| m.covers(&segment))
                {
                    Segment::Month(segment.start)
                } else {
                    Segment::Missing
                }
            })
            .collect()
    }
}

enum Segment {
    Days(Period),
    Month(NaiveDate),
    Missing,
}

/// Every account's costs from the organization-wide query, in USD.
///
/// Serialized compactly: service names once, each account a list of
/// `[metric index, service index, [[day offset, amount], …], [[month offset, amount], …]]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgCostData {
    coverage: FetchPlan,
    #[serde(default)]
    no_data: bool,
    metrics: Vec<CostMetric>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    estimated_days: BTreeSet<NaiveDate>,
    #[serde(default, skip_serializing_if = "BTreeSet::is_empty")]
    estimated_months: BTreeSet<NaiveDate>,
    services: Vec<String>,
    accounts: BTreeMap<AccountId, Vec<CompactSeries>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct CompactSeries(u8, u32, Vec<(u16, Decimal)>, Vec<(u8, Decimal)>);

impl OrgCostData {
    /// Packs per-account data (all fetched over `coverage` with `metrics`) into the shared
    /// form. Estimated marks are organization-wide in Cost Explorer (per time bucket), so the
    /// union of the accounts' marks is kept once.
    pub fn from_accounts(
        coverage: FetchPlan,
        metrics: Vec<CostMetric>,
        accounts: impl IntoIterator<Item = AccountCostData>,
    ) -> Self {
        let mut data = Self {
            coverage,
            no_data: false,
            metrics,
            estimated_days: BTreeSet::new(),
            estimated_months: BTreeSet::new(),
            services: Vec::new(),
            accounts: BTreeMap::new(),
        };
        let mut service_index: HashMap<String, u32> = HashMap::new();
        for account in accounts {
            data.estimated_days.extend(&account.estimated_days);
            data.estimated_months.extend(&account.estimated_months);
            let mut series = Vec::new();
            for MetricCosts { metric, services } in &account.costs {
                let metric_index = match data.metrics.iter().position(|m| m == metric) {
                    Some(index) => index,
                    None => {
                        data.metrics.push(*metric);
                        data.metrics.len() - 1
                    }
                };
                for (service, costs) in services {
                    let next = data.services.len() as u32;
                    let index = *service_index.entry(service.clone()).or_insert_with(|| {
                        data.services.push(service.clone());
                        next
                    });
                    let daily = costs
                        .daily
                        .iter()
                        .filter_map(|(day, amount)| Some((data.day_offset(*day)?, *amount)))
                        .collect();
                    let monthly = costs
                        .monthly
                        .iter()
                        .filter_map(|(first, amount)| Some((data.month_offset(*first)?, *amount)))
                        .collect();
                    series.push(CompactSeries(metric_index as u8, index, daily, monthly));
                }
            }
            data.accounts.insert(account.account_id, series);
        }
        data
    }

    /// The organization has no Cost Explorer data yet (`DataUnavailableException`).
    pub fn no_data_yet(coverage: FetchPlan, metrics: Vec<CostMetric>) -> Self {
        Self {
            no_data: true,
            ..Self::from_accounts(coverage, metrics, [])
        }
    }

    pub fn coverage(&self) -> FetchPlan {
        self.coverage
    }
    pub fn metrics(&self) -> &[CostMetric] {
        &self.metrics
    }
    pub fn is_no_data(&self) -> bool {
        self.no_data
    }
    /// Accounts with any cost in the coverage.
    pub fn account_ids(&self) -> impl Iterator<Item = &AccountId> {
        self.accounts.keys()
    }

    /// One account's slice. An account without rows spent nothing in the coverage (or is
    /// not in the organization): its data is empty, not "no data".
    pub fn for_account(&self, account_id: &AccountId) -> AccountCostData {
        let mut account = AccountCostData::empty(account_id.clone(), self.coverage);
        account.no_data = self.no_data;
        account.estimated_days = self.estimated_days.clone();
        account.estimated_months = self.estimated_months.clone();
        for CompactSeries(metric, service, daily, monthly) in
            self.accounts.get(account_id).into_iter().flatten()
        {
            let (Some(metric), Some(service)) = (
                self.metrics.get(*metric as usize),
                self.services.get(*service as usize),
            ) else {
                continue;
            };
            for (offset, amount) in daily {
                if let Some(day) = self.day_at(*offset) {
                    account.add(*metric, service, Bucket::Day(day), *amount);
                }
            }
            for (offset, amount) in monthly {
                if let Some(first) = self.month_at(*offset) {
                    account.add(*metric, service, Bucket::Month(first), *amount);
                }
            }
        }
        account
    }

    fn day_offset(&self, day: NaiveDate) -> Option<u16> {
        let daily = self.coverage.daily.filter(|d| d.contains(day))?;
        u16::try_from((day - daily.start).num_days()).ok()
    }
    fn day_at(&self, offset: u16) -> Option<NaiveDate> {
        let daily = self.coverage.daily?;
        daily
            .start
            .checked_add_days(Days::new(offset.into()))
            .filter(|d| daily.contains(*d))
    }
    fn month_offset(&self, first: NaiveDate) -> Option<u8> {
        let monthly = self.coverage.monthly.filter(|m| m.contains(first))?;
        let months = (first.year() - monthly.start.year()) * 12 + first.month() as i32
            - monthly.start.month() as i32;
        u8::try_from(months).ok()
    }
    fn month_at(&self, offset: u8) -> Option<NaiveDate> {
        let monthly = self.coverage.monthly?;
        first_of_month(monthly.start)
            .checked_add_months(Months::new(offset.into()))
            .filter(|d| monthly.contains(*d))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn p(start: &str, end: &str) -> Period {
        Period::new(d(start), d(end))
    }
    fn id(s: &str) -> AccountId {
        AccountId::parse(s).unwrap()
    }
    const EC2: &str = "Amazon Elastic Compute Cloud - Compute";
    const S3: &str = "Amazon Simple Storage Service";

    fn coverage() -> FetchPlan {
        FetchPlan {
            daily: Some(p("2024-01-31", "2024-03-05")),
            monthly: Some(p("2024-01-01", "2024-02-01")),
        }
    }

    fn sample() -> AccountCostData {
        let mut a = AccountCostData::empty(id("012345678901"), coverage());
        let m = CostMetric::UnblendedCost;
        a.add(m, EC2, Bucket::Month(d("2024-01-01")), dec!(310));
        a.add(m, EC2, Bucket::Day(d("2024-01-31")), dec!(10));
        for day in p("2024-02-01", "2024-03-05").iter_days() {
            a.add(m, EC2, Bucket::Day(day), dec!(12.5));
        }
        a.add(m, S3, Bucket::Day(d("2024-03-04")), dec!(1.25));
        a.add(m, S3, Bucket::Day(d("2024-03-04")), dec!(0.75));
        a.add(m, S3, Bucket::Day(d("2024-03-03")), dec!(-3));
        a.add(m, S3, Bucket::Day(d("2024-03-02")), Decimal::ZERO);
        a.add(
            CostMetric::BlendedCost,
            EC2,
            Bucket::Day(d("2024-03-04")),
            dec!(99),
        );
        a.mark_estimated(Bucket::Day(d("2024-03-04")));
        a
    }

    #[test]
    fn sums_by_day_and_month() {
        let a = sample();
        let m = CostMetric::UnblendedCost;
        let yesterday = a.service_totals(m, &p("2024-03-04", "2024-03-05"));
        assert_eq!(yesterday[EC2], dec!(12.5));
        assert_eq!(yesterday[S3], dec!(2.00));
        // January comes from the MONTHLY bucket even though Jan 31 is also in the daily range.
        assert_eq!(a.total(m, &p("2024-01-01", "2024-02-01")), dec!(310));
        // February is inside the daily range: 29 days.
        assert_eq!(a.total(m, &p("2024-02-01", "2024-03-01")), dec!(362.5));
        // January + February + March 1..4: months and days combined.
        assert_eq!(
            a.service_totals(m, &p("2024-01-01", "2024-03-05"))[EC2],
            dec!(310) + dec!(362.5) + dec!(50)
        );
        // Credits stay negative.
        assert_eq!(
            a.service_totals(m, &p("2024-03-03", "2024-03-04"))[S3],
            dec!(-3)
        );
        // Another metric is kept apart.
        assert_eq!(
            a.total(CostMetric::BlendedCost, &p("2024-03-04", "2024-03-05")),
            dec!(99)
        );
        assert!(a
            .total(CostMetric::AmortizedCost, &p("2024-03-04", "2024-03-05"))
            .is_zero());
    }

    #[test]
    fn daily_totals_and_estimated() {
        let a = sample();
        let m = CostMetric::UnblendedCost;
        let days = a.daily_totals(m, &p("2024-03-02", "2024-03-06"));
        assert_eq!(
            days,
            vec![
                (d("2024-03-02"), dec!(12.5)),
                (d("2024-03-03"), dec!(9.5)),
                (d("2024-03-04"), dec!(14.5)),
            ]
        );
        assert!(a.is_estimated(&p("2024-03-04", "2024-03-05")));
        assert!(a.is_estimated(&p("2024-02-01", "2024-03-05")));
        assert!(!a.is_estimated(&p("2024-03-03", "2024-03-04")));
    }

    #[test]
    fn org_data_round_trips_through_its_compact_form() {
        let first = sample();
        let mut second = AccountCostData::empty(id("210987654321"), coverage());
        second.add(
            CostMetric::UnblendedCost,
            S3,
            Bucket::Day(d("2024-02-10")),
            dec!(0.0000001234),
        );
        let org = OrgCostData::from_accounts(
            coverage(),
            vec![CostMetric::UnblendedCost, CostMetric::BlendedCost],
            [first.clone(), second.clone()],
        );
        let json = serde_json::to_string(&org).unwrap();
        let back: OrgCostData = serde_json::from_str(&json).unwrap();
        assert_eq!(back, org);
        assert_eq!(back.for_account(&first.account_id), first);
        let mut second_expected = second;
        second_expected.estimated_days = first.estimated_days.clone();
        assert_eq!(
            back.for_account(&second_expected.account_id),
            second_expected
        );
        // Service names are stored once.
        assert_eq!(json.matches(S3).count(), 1);
        assert!(json.contains("[10,\"0.0000001234\"]"), "{json}");
    }

    #[test]
    fn an_account_without_rows_spent_nothing() {
        let org = OrgCostData::from_accounts(coverage(), vec![CostMetric::UnblendedCost], []);
        let slice = org.for_account(&id("111111111111"));
        assert!(!slice.no_data);
        assert!(slice.costs.is_empty());
        assert_eq!(slice.coverage, coverage());

        let none_yet = OrgCostData::no_data_yet(coverage(), vec![CostMetric::UnblendedCost]);
        assert!(none_yet.for_account(&id("111111111111")).no_data);
    }
}
