//! Cost data as Cost Explorer returned it (USD, per service or account total, per day or
//! month), before any report arithmetic.
//!
//! [`OrgCostData`] is the result of the organization-wide queries: written once to S3 by the
//! plan step and read by every report of the fan-out, so its serialized form is compact
//! (service names stored once, days as offsets, zero amounts left out). [`AccountCostData`] is
//! one account's slice of it, or the result of a tag-filtered per-account query; reports are
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

/// Amounts by day and by month. Days and months with no cost are absent.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Amounts {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub daily: BTreeMap<NaiveDate, Decimal>,
    /// Keyed by the month's 1st.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub monthly: BTreeMap<NaiveDate, Decimal>,
}

impl Amounts {
    fn add(&mut self, bucket: Bucket, amount: Decimal) {
        let slot = match bucket {
            Bucket::Day(day) => self.daily.entry(day).or_default(),
            Bucket::Month(first) => self.monthly.entry(first).or_default(),
        };
        *slot += amount;
    }

    fn is_empty(&self) -> bool {
        self.daily.is_empty() && self.monthly.is_empty()
    }
}

/// One metric's amounts: by service where the plan fetched services, and the account's
/// total where it fetched totals only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MetricCosts {
    pub metric: CostMetric,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, Amounts>,
    #[serde(default, skip_serializing_if = "Amounts::is_empty")]
    pub total: Amounts,
}

impl MetricCosts {
    fn new(metric: CostMetric) -> Self {
        Self {
            metric,
            services: BTreeMap::new(),
            total: Amounts::default(),
        }
    }
}

/// Cost Explorer's forecast of the rest of a month (`GetCostForecast`, mean value), USD.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Forecast {
    /// `[report date, 1st of next month)`.
    pub period: Period,
    pub mean: Decimal,
}

/// One account's costs in USD.
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
    /// One entry per metric with any cost.
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
        if !amount.is_zero() {
            self.metric_mut(metric)
                .services
                .entry(service.to_owned())
                .or_default()
                .add(bucket, amount);
        }
    }

    /// Adds `amount` to the account's total of a bucket (from a query without `SERVICE`).
    pub fn add_total(&mut self, metric: CostMetric, bucket: Bucket, amount: Decimal) {
        if !amount.is_zero() {
            self.metric_mut(metric).total.add(bucket, amount);
        }
    }

    pub fn mark_estimated(&mut self, bucket: Bucket) {
        match bucket {
            Bucket::Day(day) => self.estimated_days.insert(day),
            Bucket::Month(first) => self.estimated_months.insert(first),
        };
    }

    fn metric_mut(&mut self, metric: CostMetric) -> &mut MetricCosts {
        let index = match self.costs.iter().position(|m| m.metric == metric) {
            Some(index) => index,
            None => {
                self.costs.push(MetricCosts::new(metric));
                self.costs.len() - 1
            }
        };
        &mut self.costs[index]
    }

    /// The amounts of `metric`, if it had any cost.
    pub fn metric(&self, metric: CostMetric) -> Option<&MetricCosts> {
        self.costs.iter().find(|m| m.metric == metric)
    }

    /// Each service's total over `period`: month segments inside the per-service days are
    /// summed day by day, whole months outside them come from MONTHLY figures. Parts outside
    /// the coverage count as zero: check `coverage.covers_report` first.
    pub fn service_totals(&self, metric: CostMetric, period: &Period) -> BTreeMap<&str, Decimal> {
        let coverage = self.coverage;
        let segments = period.month_segments();
        let mut totals = BTreeMap::new();
        for (service, amounts) in self.metric(metric).into_iter().flat_map(|m| &m.services) {
            let total: Decimal = segments
                .iter()
                .map(|segment| {
                    if coverage.service_days.is_some_and(|r| r.covers(segment)) {
                        sum_days(&amounts.daily, segment)
                    } else if segment.is_whole_month()
                        && coverage.service_months.is_some_and(|r| r.covers(segment))
                    {
                        amounts
                            .monthly
                            .get(&segment.start)
                            .copied()
                            .unwrap_or_default()
                    } else {
                        Decimal::ZERO
                    }
                })
                .sum();
            totals.insert(service.as_str(), total);
        }
        totals
    }

    /// The account's total over `period`, from account totals or summed services, day by day
    /// where days were fetched, by whole month otherwise. Parts outside the coverage count as
    /// zero.
    pub fn total(&self, metric: CostMetric, period: &Period) -> Decimal {
        let Some(costs) = self.metric(metric) else {
            return Decimal::ZERO;
        };
        period
            .month_segments()
            .iter()
            .map(|segment| {
                if self.coverage.covers_days(segment) {
                    segment
                        .iter_days()
                        .map(|day| self.day_total(costs, day))
                        .sum()
                } else if segment.is_whole_month() {
                    self.month_total(costs, segment)
                } else {
                    Decimal::ZERO
                }
            })
            .sum()
    }

    /// The account's total for each day of `period` that has a daily figure.
    pub fn daily_totals(&self, metric: CostMetric, period: &Period) -> Vec<(NaiveDate, Decimal)> {
        let costs = self.metric(metric);
        period
            .iter_days()
            .filter(|day| {
                self.coverage
                    .covers_days(&Period::new(*day, day.succ_opt().unwrap_or(*day)))
            })
            .map(|day| (day, costs.map_or(Decimal::ZERO, |c| self.day_total(c, day))))
            .collect()
    }

    /// Any figure of `period` is still provisional.
    pub fn is_estimated(&self, period: &Period) -> bool {
        period.month_segments().iter().any(|segment| {
            if self.coverage.covers_days(segment) {
                self.estimated_days
                    .range(segment.start..segment.end)
                    .next()
                    .is_some()
            } else {
                self.estimated_months.contains(&segment.start)
            }
        })
    }

    fn day_total(&self, costs: &MetricCosts, day: NaiveDate) -> Decimal {
        if self.coverage.total_days.is_some_and(|r| r.contains(day)) {
            costs.total.daily.get(&day).copied().unwrap_or_default()
        } else if self.coverage.service_days.is_some_and(|r| r.contains(day)) {
            costs
                .services
                .values()
                .filter_map(|a| a.daily.get(&day))
                .copied()
                .sum()
        } else {
            Decimal::ZERO
        }
    }

    fn month_total(&self, costs: &MetricCosts, month: &Period) -> Decimal {
        if self.coverage.total_months.is_some_and(|r| r.covers(month)) {
            costs
                .total
                .monthly
                .get(&month.start)
                .copied()
                .unwrap_or_default()
        } else if self
            .coverage
            .service_months
            .is_some_and(|r| r.covers(month))
        {
            costs
                .services
                .values()
                .filter_map(|a| a.monthly.get(&month.start))
                .copied()
                .sum()
        } else {
            Decimal::ZERO
        }
    }
}

fn sum_days(daily: &BTreeMap<NaiveDate, Decimal>, period: &Period) -> Decimal {
    daily.range(period.start..period.end).map(|(_, a)| *a).sum()
}

/// Every account's costs from the organization-wide queries, in USD.
///
/// Serialized compactly: service names once; each account a list of
/// `[metric index, service index or null for the account total, [[day offset, amount], …],
/// [[month offset, amount], …]]`, offsets counted from the first day and month of the coverage.
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
struct CompactSeries(u8, Option<u32>, Vec<(u16, Decimal)>, Vec<(u8, Decimal)>);

impl OrgCostData {
    /// Packs per-account data (all fetched with `coverage` and `metrics`) into the shared
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
            for costs in &account.costs {
                let metric_index = match data.metrics.iter().position(|m| *m == costs.metric) {
                    Some(index) => index,
                    None => {
                        data.metrics.push(costs.metric);
                        data.metrics.len() - 1
                    }
                };
                let services = costs
                    .services
                    .iter()
                    .map(|(name, amounts)| (Some(name), amounts));
                for (service, amounts) in services.chain([(None, &costs.total)]) {
                    if amounts.is_empty() {
                        continue;
                    }
                    let service = service.map(|name| {
                        let next = data.services.len() as u32;
                        *service_index.entry(name.clone()).or_insert_with(|| {
                            data.services.push(name.clone());
                            next
                        })
                    });
                    let daily = amounts
                        .daily
                        .iter()
                        .filter_map(|(day, amount)| Some((data.day_offset(*day)?, *amount)))
                        .collect();
                    let monthly = amounts
                        .monthly
                        .iter()
                        .filter_map(|(first, amount)| Some((data.month_offset(*first)?, *amount)))
                        .collect();
                    series.push(CompactSeries(metric_index as u8, service, daily, monthly));
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
            let Some(metric) = self.metrics.get(*metric as usize).copied() else {
                continue;
            };
            let service = match service {
                Some(index) => match self.services.get(*index as usize) {
                    Some(name) => Some(name.as_str()),
                    None => continue,
                },
                None => None,
            };
            let buckets = daily
                .iter()
                .filter_map(|(offset, amount)| Some((Bucket::Day(self.day_at(*offset)?), *amount)))
                .chain(monthly.iter().filter_map(|(offset, amount)| {
                    Some((Bucket::Month(self.month_at(*offset)?), *amount))
                }));
            for (bucket, amount) in buckets {
                match service {
                    Some(name) => account.add(metric, name, bucket, amount),
                    None => account.add_total(metric, bucket, amount),
                }
            }
        }
        account
    }

    fn origin(&self) -> Option<NaiveDate> {
        self.coverage.days().map(|range| range.start)
    }
    fn day_offset(&self, day: NaiveDate) -> Option<u16> {
        u16::try_from((day - self.origin()?).num_days()).ok()
    }
    fn day_at(&self, offset: u16) -> Option<NaiveDate> {
        self.origin()?.checked_add_days(Days::new(offset.into()))
    }
    fn month_offset(&self, first: NaiveDate) -> Option<u8> {
        let origin = self.origin()?;
        let months =
            (first.year() - origin.year()) * 12 + first.month() as i32 - origin.month() as i32;
        u8::try_from(months).ok()
    }
    fn month_at(&self, offset: u8) -> Option<NaiveDate> {
        first_of_month(self.origin()?).checked_add_months(Months::new(offset.into()))
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

    /// Services for March 3–4 and January (monthly), totals for Jan 31 – March 4.
    fn coverage() -> FetchPlan {
        FetchPlan {
            service_days: Some(p("2024-03-03", "2024-03-05")),
            service_months: Some(p("2024-01-01", "2024-02-01")),
            total_days: Some(p("2024-01-31", "2024-03-05")),
            total_months: None,
        }
    }

    fn sample() -> AccountCostData {
        let mut a = AccountCostData::empty(id("012345678901"), coverage());
        let m = CostMetric::UnblendedCost;
        a.add(m, EC2, Bucket::Month(d("2024-01-01")), dec!(310));
        a.add(m, S3, Bucket::Month(d("2024-01-01")), dec!(31));
        for day in p("2024-01-31", "2024-03-05").iter_days() {
            a.add_total(m, Bucket::Day(day), dec!(12.5));
        }
        a.add(m, EC2, Bucket::Day(d("2024-03-03")), dec!(12.5));
        a.add(m, EC2, Bucket::Day(d("2024-03-04")), dec!(10.5));
        a.add(m, S3, Bucket::Day(d("2024-03-04")), dec!(1.25));
        a.add(m, S3, Bucket::Day(d("2024-03-04")), dec!(0.75));
        a.add(m, S3, Bucket::Day(d("2024-03-03")), dec!(-3));
        a.add(m, S3, Bucket::Day(d("2024-03-03")), Decimal::ZERO);
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
    fn sums_services_and_totals_by_day_and_month() {
        let a = sample();
        let m = CostMetric::UnblendedCost;
        let yesterday = a.service_totals(m, &p("2024-03-04", "2024-03-05"));
        assert_eq!(yesterday[EC2], dec!(10.5));
        assert_eq!(yesterday[S3], dec!(2.00));
        assert_eq!(
            a.service_totals(m, &p("2024-03-03", "2024-03-04"))[S3],
            dec!(-3),
            "credits stay negative"
        );
        // January by service comes from the MONTHLY buckets.
        assert_eq!(
            a.service_totals(m, &p("2024-01-01", "2024-02-01"))[S3],
            dec!(31)
        );
        // Totals: days from the totals query, January from the services' MONTHLY buckets.
        assert_eq!(a.total(m, &p("2024-02-01", "2024-03-01")), dec!(362.5));
        assert_eq!(a.total(m, &p("2024-01-01", "2024-02-01")), dec!(341));
        assert_eq!(
            a.total(m, &p("2024-01-01", "2024-03-05")),
            dec!(341) + dec!(362.5) + dec!(50)
        );
        // Another metric is kept apart.
        assert_eq!(
            a.service_totals(CostMetric::BlendedCost, &p("2024-03-04", "2024-03-05"))[EC2],
            dec!(99)
        );
        assert!(a
            .total(CostMetric::AmortizedCost, &p("2024-03-04", "2024-03-05"))
            .is_zero());
    }

    #[test]
    fn services_serve_totals_where_no_totals_were_fetched() {
        let mut own_query = AccountCostData::empty(id("012345678901"), coverage().by_service());
        let m = CostMetric::UnblendedCost;
        own_query.add(m, EC2, Bucket::Day(d("2024-03-04")), dec!(4));
        own_query.add(m, S3, Bucket::Day(d("2024-03-04")), dec!(1));
        own_query.add(m, S3, Bucket::Day(d("2024-02-10")), dec!(2));
        assert_eq!(own_query.total(m, &p("2024-02-01", "2024-03-05")), dec!(7));
        assert_eq!(
            own_query.daily_totals(m, &p("2024-03-03", "2024-03-06")),
            vec![(d("2024-03-03"), dec!(0)), (d("2024-03-04"), dec!(5))]
        );
    }

    #[test]
    fn daily_totals_and_estimated() {
        let a = sample();
        let m = CostMetric::UnblendedCost;
        let days = a.daily_totals(m, &p("2024-03-03", "2024-03-06"));
        assert_eq!(
            days,
            vec![(d("2024-03-03"), dec!(12.5)), (d("2024-03-04"), dec!(12.5))]
        );
        assert!(a.is_estimated(&p("2024-03-04", "2024-03-05")));
        assert!(a.is_estimated(&p("2024-02-01", "2024-03-05")));
        assert!(!a.is_estimated(&p("2024-03-03", "2024-03-04")));
        assert!(!a.is_estimated(&p("2024-01-01", "2024-02-01")));
    }

    #[test]
    fn org_data_round_trips_through_its_compact_form() {
        let first = sample();
        let mut second = AccountCostData::empty(id("210987654321"), coverage());
        second.add_total(
            CostMetric::UnblendedCost,
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
        // Service names are stored once; days are offsets from January 1.
        assert_eq!(json.matches(S3).count(), 1);
        assert!(
            json.contains("[0,null,[[40,\"0.0000001234\"]],[]]"),
            "{json}"
        );
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
