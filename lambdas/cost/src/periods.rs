//! Which days a report covers, what it compares against, which reports are due on a date,
//! and which Cost Explorer date ranges a run has to fetch.
//!
//! Every range is half-open, `[start, end)`, exactly like Cost Explorer's `TimePeriod`:
//! "yesterday" is `start = report_date - 1, end = report_date`.
//!
//! The report date is the day the report runs, in the organization's time zone
//! ([`report_date`]); it is never itself inside a reported period, because its costs are
//! still accruing.
//!
//! Decisions:
//! - **Month to date on the 1st.** A DAILY report describes yesterday, so its month-to-date
//!   block describes *yesterday's month*: on the 1st that is the previous month, now
//!   complete, compared with the whole month before it, and its "projection" is simply its
//!   total. An operator reading the report of the 1st sees how last month closed instead of an
//!   empty block. On every other day this is the usual `[1st, report day)`.
//! - **Same point of last month.** The same number of days from the start of last month,
//!   capped at last month's length (on March 31 the reference is all of February). A complete
//!   month is always compared with the complete month before it.
//! - **Weekly** reports cover the 7 days before the report day (Monday to Sunday when the
//!   report day is Monday) against the 7 days before those. **Monthly** reports cover the last
//!   full month against the month before, whatever day of the month they run.

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, Utc};
use orgpulse_config::{AccountSettings, Granularity, OrgSettings};
use serde::{Deserialize, Serialize};

use crate::report::Period;

/// Days of daily totals a report carries for its trend chart.
pub const TREND_DAYS: u64 = 30;
/// Days averaged for the DAILY "against the 7-day average" comparison and for the run rate.
pub const AVERAGE_DAYS: u64 = 7;

/// The day a report runs on, in the organization's time zone.
pub fn report_date(org: &OrgSettings, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&org.time_zone).date_naive()
}

impl Period {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Self {
        debug_assert!(start <= end, "period {start}..{end} ends before it starts");
        Self { start, end }
    }

    /// The whole calendar month containing `day`.
    pub fn month_of(day: NaiveDate) -> Self {
        let start = first_of_month(day);
        Self::new(start, next_month(start))
    }

    pub fn contains(&self, day: NaiveDate) -> bool {
        self.start <= day && day < self.end
    }

    /// `other` lies entirely inside `self` (an empty `other` always does).
    pub fn covers(&self, other: &Period) -> bool {
        other.start >= other.end || (self.start <= other.start && other.end <= self.end)
    }

    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }

    /// The smallest period containing both.
    pub fn hull(&self, other: &Period) -> Period {
        Period::new(self.start.min(other.start), self.end.max(other.end))
    }

    /// Every day of the period, in order.
    pub fn iter_days(&self) -> impl Iterator<Item = NaiveDate> {
        let end = self.end;
        self.start.iter_days().take_while(move |day| *day < end)
    }

    /// The period cut at month boundaries, in order.
    pub fn month_segments(&self) -> Vec<Period> {
        let mut segments = Vec::new();
        let mut start = self.start;
        while start < self.end {
            let end = next_month(first_of_month(start)).min(self.end);
            segments.push(Period::new(start, end));
            start = end;
        }
        segments
    }

    /// Starts on the 1st and ends on the 1st of the next month.
    pub fn is_whole_month(&self) -> bool {
        *self == Period::month_of(self.start)
    }
}

pub fn first_of_month(day: NaiveDate) -> NaiveDate {
    day.with_day(1).expect("every month has a 1st")
}

fn next_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_add_months(Months::new(1))
        .expect("date within chrono's range")
}

fn previous_month(first: NaiveDate) -> NaiveDate {
    first
        .checked_sub_months(Months::new(1))
        .expect("date within chrono's range")
}

fn days_before(day: NaiveDate, days: u64) -> NaiveDate {
    day.checked_sub_days(Days::new(days))
        .expect("date within chrono's range")
}

/// The month-to-date part of a DAILY report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct MonthToDatePeriods {
    /// `[1st of the reported day's month, report date)`; the whole previous month on the 1st.
    pub so_far: Period,
    /// The same number of days from the start of the month before (capped at its length);
    /// the whole month before when `so_far` is a complete month.
    pub same_point_last_month: Period,
    /// The whole month `so_far` belongs to, for the projection.
    pub month: Period,
    /// The days whose average daily cost extrapolates the rest of the month.
    pub run_rate_window: Period,
}

impl MonthToDatePeriods {
    fn new(report_date: NaiveDate) -> Self {
        let reported_day = days_before(report_date, 1);
        let month = Period::month_of(reported_day);
        let so_far = Period::new(month.start, report_date);
        let last_month = Period::month_of(previous_month(month.start));
        let same_point_last_month = if so_far == month {
            last_month
        } else {
            let days = (so_far.days() as u64).min(last_month.days() as u64);
            Period::new(
                last_month.start,
                last_month
                    .start
                    .checked_add_days(Days::new(days))
                    .expect("date within chrono's range"),
            )
        };
        Self {
            so_far,
            same_point_last_month,
            month,
            run_rate_window: Period::new(days_before(report_date, AVERAGE_DAYS), report_date),
        }
    }

    /// The month is over (the report of the 1st): nothing left to project.
    pub fn is_complete(&self) -> bool {
        self.so_far == self.month
    }

    /// Days of the month not yet reported, counting the report date itself.
    pub fn remaining(&self) -> Period {
        Period::new(self.so_far.end, self.month.end)
    }
}

/// Every period one report of `kind` on `report_date` looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportPeriods {
    pub kind: Granularity,
    pub report_date: NaiveDate,
    /// What the report is about.
    pub current: Period,
    /// The previous comparable period, immediately before `current` and of the same kind.
    pub previous: Period,
    /// DAILY only: the 7 days before the reported day.
    pub seven_days_before: Option<Period>,
    /// DAILY only.
    pub month_to_date: Option<MonthToDatePeriods>,
    /// The last [`TREND_DAYS`] days through the end of `current`.
    pub trend: Period,
}

impl ReportPeriods {
    pub fn new(kind: Granularity, report_date: NaiveDate) -> Self {
        let (current, previous) = match kind {
            Granularity::Daily => {
                let yesterday = days_before(report_date, 1);
                (
                    Period::new(yesterday, report_date),
                    Period::new(days_before(report_date, 2), yesterday),
                )
            }
            Granularity::Weekly => {
                let week_start = days_before(report_date, 7);
                (
                    Period::new(week_start, report_date),
                    Period::new(days_before(report_date, 14), week_start),
                )
            }
            Granularity::Monthly => {
                let this_month = first_of_month(report_date);
                let last_month = previous_month(this_month);
                (
                    Period::new(last_month, this_month),
                    Period::new(previous_month(last_month), last_month),
                )
            }
        };
        let daily = kind == Granularity::Daily;
        Self {
            kind,
            report_date,
            current,
            previous,
            seven_days_before: daily
                .then(|| Period::new(days_before(current.start, AVERAGE_DAYS), current.start)),
            month_to_date: daily.then(|| MonthToDatePeriods::new(report_date)),
            trend: Period::new(days_before(current.end, TREND_DAYS), current.end),
        }
    }

    /// The ranges the report sums and the detail each needs.
    fn needs(&self) -> Vec<Need> {
        let mut needs = Vec::new();
        // The reported period and its comparison are listed by service; everything else
        // (averages, month to date, run rate, trend) only needs the account's total.
        for period in [self.current, self.previous] {
            needs.push(Need::sum(period, Detail::Services));
        }
        let totals = self.seven_days_before.into_iter().chain(
            self.month_to_date
                .into_iter()
                .flat_map(|mtd| [mtd.so_far, mtd.same_point_last_month, mtd.run_rate_window]),
        );
        for period in totals {
            needs.push(Need::sum(period, Detail::Total));
        }
        needs.push(Need {
            period: self.trend,
            detail: Detail::Total,
            by_day: true,
        });
        needs
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Detail {
    Services,
    Total,
}

#[derive(Debug, Clone, Copy)]
struct Need {
    period: Period,
    detail: Detail,
    /// Day by day (a trend), or a sum that whole months can serve in one bucket.
    by_day: bool,
}

impl Need {
    fn sum(period: Period, detail: Detail) -> Self {
        Self {
            period,
            detail,
            // A whole month can come from a MONTHLY query: one bucket instead of 28–31.
            by_day: !period.is_whole_month(),
        }
    }
}

/// The Cost Explorer date ranges a run fetches, the same for every account of the run, so the
/// number of requests does not depend on the number of accounts (pages aside).
///
/// Cost Explorer bills every page, and a page holds a bounded number of (time bucket, group)
/// rows, so the plan fetches each range at the least detail that serves it:
/// - **by service** only the reported periods and what they are compared with (2 days for a
///   daily report, 14 for a weekly one), grouped `[LINKED_ACCOUNT, SERVICE]`;
/// - **account totals** for the rest (7-day average, month to date, same point of last month,
///   run rate, 30-day trend), grouped `[LINKED_ACCOUNT]`: about one row per account and day
///   instead of one per account, service and day;
/// - whole months at `MONTHLY` granularity (one bucket) when they lie outside the daily ranges.
///
/// At most four queries, usually two; a tag-filtered account's own query fetches everything
/// by service in one or two queries instead ([`FetchPlan::by_service`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct FetchPlan {
    /// Per service, `Granularity=DAILY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_days: Option<Period>,
    /// Per service, `Granularity=MONTHLY` (start and end on the 1st).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_months: Option<Period>,
    /// Account totals, `Granularity=DAILY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_days: Option<Period>,
    /// Account totals, `Granularity=MONTHLY` (start and end on the 1st).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_months: Option<Period>,
}

fn hull(periods: impl IntoIterator<Item = Period>) -> Option<Period> {
    periods.into_iter().reduce(|a, b| a.hull(&b))
}

fn within(range: Option<Period>, period: &Period) -> bool {
    range.is_some_and(|r| r.covers(period))
}

impl FetchPlan {
    /// Everything the reports of `kinds` on `report_date` need (an empty plan for no kinds),
    /// for the organization-wide query.
    pub fn for_reports(
        kinds: impl IntoIterator<Item = Granularity>,
        report_date: NaiveDate,
    ) -> Self {
        let needs: Vec<Need> = kinds
            .into_iter()
            .flat_map(|kind| ReportPeriods::new(kind, report_date).needs())
            .collect();
        let of = |detail: Detail, by_day: bool| {
            needs
                .iter()
                .filter(move |n| n.detail == detail && n.by_day == by_day)
                .map(|n| n.period)
        };
        let service_days = hull(of(Detail::Services, true));
        let service_months =
            hull(of(Detail::Services, false).filter(|month| !within(service_days, month)));
        let total_days = hull(of(Detail::Total, true));
        let mut plan = Self {
            service_days,
            service_months,
            total_days,
            total_months: None,
        };
        plan.total_months =
            hull(of(Detail::Total, false).filter(|month| !plan.covers_total(month)));
        plan
    }

    /// The same ranges with every figure by service: what one account's own (tag-filtered)
    /// query fetches. For one account the rows are few, so one DAILY query (plus a MONTHLY one
    /// for whole months outside it) costs fewer requests than separate total queries.
    pub fn by_service(&self) -> Self {
        let service_days = hull(self.service_days.into_iter().chain(self.total_days));
        let months = [self.service_months, self.total_months]
            .into_iter()
            .flatten()
            .flat_map(|range| range.month_segments())
            .filter(|month| !within(service_days, month));
        Self {
            service_days,
            service_months: hull(months),
            total_days: None,
            total_months: None,
        }
    }

    /// Each service's amounts over `period` can be summed: each month segment lies in the
    /// per-service days, or is a whole month of the per-service months.
    pub fn covers_services(&self, period: &Period) -> bool {
        period.month_segments().iter().all(|segment| {
            within(self.service_days, segment)
                || (segment.is_whole_month() && within(self.service_months, segment))
        })
    }

    /// The account's total over `period` can be summed, from totals or from services.
    pub fn covers_total(&self, period: &Period) -> bool {
        period.month_segments().iter().all(|segment| {
            self.covers_days(segment)
                || (segment.is_whole_month()
                    && (within(self.total_months, segment) || within(self.service_months, segment)))
        })
    }

    /// Every day of `period` has a daily figure (totals or services).
    pub fn covers_days(&self, period: &Period) -> bool {
        period.iter_days().all(|day| {
            self.total_days.is_some_and(|r| r.contains(day))
                || self.service_days.is_some_and(|r| r.contains(day))
        })
    }

    /// Every figure of the report can be computed.
    pub fn covers_report(&self, periods: &ReportPeriods) -> bool {
        periods.needs().iter().all(|need| self.serves(need))
    }

    /// Data fetched with `self` serves everything `other` would fetch.
    pub fn covers_plan(&self, other: &FetchPlan) -> bool {
        other
            .service_days
            .is_none_or(|p| within(self.service_days, &p))
            && other
                .service_months
                .is_none_or(|p| self.covers_services(&p))
            && other.total_days.is_none_or(|p| self.covers_days(&p))
            && other.total_months.is_none_or(|p| self.covers_total(&p))
    }

    fn serves(&self, need: &Need) -> bool {
        match need.detail {
            Detail::Services => self.covers_services(&need.period),
            Detail::Total if need.by_day => self.covers_days(&need.period),
            Detail::Total => self.covers_total(&need.period),
        }
    }

    /// Every day and month the plan touches, for sizing compact offsets.
    pub fn days(&self) -> Option<Period> {
        hull(
            [
                self.service_days,
                self.service_months,
                self.total_days,
                self.total_months,
            ]
            .into_iter()
            .flatten(),
        )
    }

    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// A report of `kind` is due for the account on `date`: the account is enabled, its row asks
/// for that kind, and the date is its day (DAILY every day, WEEKLY on `weekly_report_day`,
/// MONTHLY on `monthly_report_day`, or the month's last day when the month is shorter).
pub fn is_due(settings: &AccountSettings, kind: Granularity, date: NaiveDate) -> bool {
    if !settings.enabled || !settings.granularities.contains(&kind) {
        return false;
    }
    match kind {
        Granularity::Daily => true,
        Granularity::Weekly => date.weekday() == settings.weekly_report_day,
        Granularity::Monthly => {
            let last_day = Period::month_of(date).last_day().day();
            date.day() == u32::from(settings.monthly_report_day).clamp(1, last_day)
        }
    }
}

/// The kinds of report due for the account on `date`, in DAILY, WEEKLY, MONTHLY order.
pub fn due_kinds(settings: &AccountSettings, date: NaiveDate) -> Vec<Granularity> {
    Granularity::ALL
        .into_iter()
        .filter(|kind| is_due(settings, *kind, date))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{TimeZone, Weekday};
    use orgpulse_config::{AccountId, AlertThresholds, CostMetric, CurrencyCode, TagFilter};
    use proptest::prelude::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }
    fn p(start: &str, end: &str) -> Period {
        Period::new(d(start), d(end))
    }

    fn settings(kinds: &[Granularity]) -> AccountSettings {
        AccountSettings {
            account_id: AccountId::parse("012345678901").unwrap(),
            description: String::new(),
            channel_ids: vec![],
            currency: CurrencyCode::usd(),
            granularities: kinds.to_vec(),
            cost_tags: TagFilter::default(),
            metric: CostMetric::UnblendedCost,
            top_services: 5,
            thresholds: AlertThresholds::default(),
            weekly_report_day: Weekday::Mon,
            monthly_report_day: 1,
            forecast: false,
            budgets: true,
            enabled: true,
            sources: vec![],
        }
    }

    #[test]
    fn report_date_is_today_in_the_org_time_zone() {
        let org = OrgSettings {
            time_zone: chrono_tz::Asia::Tokyo,
            ..Default::default()
        };
        // 2024-03-14 23:30 UTC is already March 15 in Tokyo.
        let now = Utc.with_ymd_and_hms(2024, 3, 14, 23, 30, 0).unwrap();
        assert_eq!(report_date(&org, now), d("2024-03-15"));
        assert_eq!(report_date(&OrgSettings::default(), now), d("2024-03-14"));
    }

    #[test]
    fn daily_is_yesterday_with_an_exclusive_end() {
        let periods = ReportPeriods::new(Granularity::Daily, d("2024-03-15"));
        assert_eq!(periods.current, p("2024-03-14", "2024-03-15"));
        assert_eq!(periods.current.days(), 1);
        assert_eq!(periods.current.last_day(), d("2024-03-14"));
        assert_eq!(periods.previous, p("2024-03-13", "2024-03-14"));
        assert_eq!(
            periods.seven_days_before,
            Some(p("2024-03-07", "2024-03-14"))
        );
        assert_eq!(periods.trend, p("2024-02-14", "2024-03-15"));
        let mtd = periods.month_to_date.unwrap();
        assert_eq!(mtd.so_far, p("2024-03-01", "2024-03-15"));
        assert_eq!(mtd.same_point_last_month, p("2024-02-01", "2024-02-15"));
        assert_eq!(mtd.month, p("2024-03-01", "2024-04-01"));
        assert_eq!(mtd.remaining(), p("2024-03-15", "2024-04-01"));
        assert_eq!(mtd.run_rate_window, p("2024-03-08", "2024-03-15"));
        assert!(!mtd.is_complete());
    }

    #[test]
    fn daily_on_the_2nd_has_a_one_day_month_to_date() {
        let periods = ReportPeriods::new(Granularity::Daily, d("2024-03-02"));
        let mtd = periods.month_to_date.unwrap();
        assert_eq!(mtd.so_far, p("2024-03-01", "2024-03-02"));
        assert_eq!(mtd.same_point_last_month, p("2024-02-01", "2024-02-02"));
        // The 7-day average reaches back into February.
        assert_eq!(
            periods.seven_days_before,
            Some(p("2024-02-23", "2024-03-01"))
        );
    }

    #[test]
    fn daily_on_the_1st_reports_the_last_day_and_the_closed_month() {
        let periods = ReportPeriods::new(Granularity::Daily, d("2024-03-01"));
        assert_eq!(periods.current, p("2024-02-29", "2024-03-01"));
        assert_eq!(periods.previous, p("2024-02-28", "2024-02-29"));
        let mtd = periods.month_to_date.unwrap();
        assert_eq!(mtd.so_far, p("2024-02-01", "2024-03-01"));
        assert!(mtd.is_complete());
        assert!(mtd.remaining().is_empty());
        // Whole February against whole January, not against January's first 29 days.
        assert_eq!(mtd.same_point_last_month, p("2024-01-01", "2024-02-01"));
    }

    #[test]
    fn same_point_of_last_month_is_capped_at_its_length() {
        // March 31 reports March 1..30: 30 days, February 2023 has 28.
        let mtd = ReportPeriods::new(Granularity::Daily, d("2023-03-31"))
            .month_to_date
            .unwrap();
        assert_eq!(mtd.so_far, p("2023-03-01", "2023-03-31"));
        assert_eq!(mtd.same_point_last_month, p("2023-02-01", "2023-03-01"));
        // Leap year: February has 29 days.
        let mtd = ReportPeriods::new(Granularity::Daily, d("2024-03-31"))
            .month_to_date
            .unwrap();
        assert_eq!(mtd.same_point_last_month, p("2024-02-01", "2024-03-01"));
        // March 30 2024 reports 29 days: exactly all of February 2024.
        let mtd = ReportPeriods::new(Granularity::Daily, d("2024-03-30"))
            .month_to_date
            .unwrap();
        assert_eq!(mtd.same_point_last_month, p("2024-02-01", "2024-03-01"));
        // March 29 2024 reports 28 days: February minus its leap day.
        let mtd = ReportPeriods::new(Granularity::Daily, d("2024-03-29"))
            .month_to_date
            .unwrap();
        assert_eq!(mtd.same_point_last_month, p("2024-02-01", "2024-02-29"));
    }

    #[test]
    fn leap_day_is_a_normal_day() {
        let periods = ReportPeriods::new(Granularity::Daily, d("2024-02-29"));
        assert_eq!(periods.current, p("2024-02-28", "2024-02-29"));
        let periods = ReportPeriods::new(Granularity::Daily, d("2024-03-01"));
        assert_eq!(periods.current.last_day(), d("2024-02-29"));
        // 2023 has no leap day: March 1 reports February 28.
        let periods = ReportPeriods::new(Granularity::Daily, d("2023-03-01"));
        assert_eq!(periods.current, p("2023-02-28", "2023-03-01"));
        assert_eq!(periods.month_to_date.unwrap().so_far.days(), 28);
    }

    #[test]
    fn year_end() {
        let periods = ReportPeriods::new(Granularity::Daily, d("2025-01-01"));
        assert_eq!(periods.current, p("2024-12-31", "2025-01-01"));
        let mtd = periods.month_to_date.unwrap();
        assert_eq!(mtd.so_far, p("2024-12-01", "2025-01-01"));
        assert_eq!(mtd.same_point_last_month, p("2024-11-01", "2024-12-01"));

        let weekly = ReportPeriods::new(Granularity::Weekly, d("2025-01-06"));
        assert_eq!(weekly.current, p("2024-12-30", "2025-01-06"));
        assert_eq!(weekly.previous, p("2024-12-23", "2024-12-30"));

        let monthly = ReportPeriods::new(Granularity::Monthly, d("2025-01-01"));
        assert_eq!(monthly.current, p("2024-12-01", "2025-01-01"));
        assert_eq!(monthly.previous, p("2024-11-01", "2024-12-01"));
        let monthly = ReportPeriods::new(Granularity::Monthly, d("2025-02-01"));
        assert_eq!(monthly.previous, p("2024-12-01", "2025-01-01"));
    }

    #[test]
    fn weekly_on_monday_is_monday_to_sunday() {
        let periods = ReportPeriods::new(Granularity::Weekly, d("2024-03-18"));
        assert_eq!(periods.current, p("2024-03-11", "2024-03-18"));
        assert_eq!(periods.current.start.weekday(), Weekday::Mon);
        assert_eq!(periods.current.last_day().weekday(), Weekday::Sun);
        assert_eq!(periods.previous, p("2024-03-04", "2024-03-11"));
        assert!(periods.month_to_date.is_none());
        assert!(periods.seven_days_before.is_none());
    }

    #[test]
    fn monthly_is_the_last_full_month_whatever_the_day() {
        for day in ["2024-03-01", "2024-03-05", "2024-03-28"] {
            let periods = ReportPeriods::new(Granularity::Monthly, d(day));
            assert_eq!(periods.current, p("2024-02-01", "2024-03-01"));
            assert_eq!(periods.previous, p("2024-01-01", "2024-02-01"));
            assert_eq!(periods.trend, p("2024-01-31", "2024-03-01"));
        }
    }

    #[test]
    fn due_days() {
        let all = settings(&Granularity::ALL);
        // 2024-03-18 is a Monday, 2024-03-19 a Tuesday.
        assert_eq!(
            due_kinds(&all, d("2024-03-18")),
            [Granularity::Daily, Granularity::Weekly]
        );
        assert_eq!(due_kinds(&all, d("2024-03-19")), [Granularity::Daily]);
        assert_eq!(due_kinds(&all, d("2024-04-01")), Granularity::ALL);

        let mut custom = all.clone();
        custom.weekly_report_day = Weekday::Fri;
        custom.monthly_report_day = 5;
        assert!(is_due(&custom, Granularity::Weekly, d("2024-03-22")));
        assert!(!is_due(&custom, Granularity::Weekly, d("2024-03-18")));
        assert!(is_due(&custom, Granularity::Monthly, d("2024-03-05")));
        assert!(!is_due(&custom, Granularity::Monthly, d("2024-03-01")));

        let weekly_only = settings(&[Granularity::Weekly]);
        assert_eq!(due_kinds(&weekly_only, d("2024-03-19")), []);
        assert_eq!(
            due_kinds(&weekly_only, d("2024-03-18")),
            [Granularity::Weekly]
        );

        let mut disabled = all;
        disabled.enabled = false;
        assert_eq!(due_kinds(&disabled, d("2024-04-01")), []);
    }

    #[test]
    fn a_monthly_day_beyond_the_month_falls_on_its_last_day() {
        let mut s = settings(&[Granularity::Monthly]);
        s.monthly_report_day = 31;
        assert!(is_due(&s, Granularity::Monthly, d("2023-02-28")));
        assert!(is_due(&s, Granularity::Monthly, d("2024-02-29")));
        assert!(!is_due(&s, Granularity::Monthly, d("2024-02-28")));
        assert!(is_due(&s, Granularity::Monthly, d("2024-03-31")));
    }

    fn plan(
        service_days: Option<Period>,
        service_months: Option<Period>,
        total_days: Option<Period>,
        total_months: Option<Period>,
    ) -> FetchPlan {
        FetchPlan {
            service_days,
            service_months,
            total_days,
            total_months,
        }
    }

    #[test]
    fn daily_plan_fetches_services_for_two_days_and_totals_for_the_rest() {
        let date = d("2024-03-15");
        let daily = FetchPlan::for_reports([Granularity::Daily], date);
        // Trend starts Feb 14, same point of last month starts Feb 1.
        assert_eq!(
            daily,
            plan(
                Some(p("2024-03-13", "2024-03-15")),
                None,
                Some(p("2024-02-01", "2024-03-15")),
                None
            )
        );
        // One account's own query: everything by service, one DAILY range.
        assert_eq!(
            daily.by_service(),
            plan(Some(p("2024-02-01", "2024-03-15")), None, None, None)
        );
    }

    #[test]
    fn daily_plan_on_the_1st_takes_the_month_before_as_one_bucket() {
        let date = d("2024-03-01");
        let daily = FetchPlan::for_reports([Granularity::Daily], date);
        assert_eq!(
            daily,
            plan(
                Some(p("2024-02-28", "2024-03-01")),
                None,
                Some(p("2024-01-31", "2024-03-01")),
                // January is compared whole: one MONTHLY bucket instead of 29 more days.
                Some(p("2024-01-01", "2024-02-01")),
            )
        );
        assert_eq!(
            daily.by_service(),
            plan(
                Some(p("2024-01-31", "2024-03-01")),
                Some(p("2024-01-01", "2024-02-01")),
                None,
                None
            )
        );
    }

    #[test]
    fn monthly_plan_fetches_months_at_monthly_granularity() {
        // The trend's 30 days cover February (29 days in 2024).
        let monthly = FetchPlan::for_reports([Granularity::Monthly], d("2024-03-05"));
        assert_eq!(
            monthly,
            plan(
                None,
                Some(p("2024-01-01", "2024-03-01")),
                Some(p("2024-01-31", "2024-03-01")),
                None
            )
        );
        assert_eq!(
            monthly.by_service(),
            plan(
                Some(p("2024-01-31", "2024-03-01")),
                Some(p("2024-01-01", "2024-02-01")),
                None,
                None
            )
        );
        let monthly = FetchPlan::for_reports([Granularity::Monthly], d("2024-02-01"));
        assert_eq!(
            monthly,
            plan(
                None,
                Some(p("2023-12-01", "2024-02-01")),
                Some(p("2024-01-02", "2024-02-01")),
                None
            )
        );

        let all = FetchPlan::for_reports(Granularity::ALL, d("2024-03-05"));
        assert_eq!(
            all,
            plan(
                Some(p("2024-02-20", "2024-03-05")),
                Some(p("2024-01-01", "2024-03-01")),
                Some(p("2024-01-31", "2024-03-05")),
                None,
            )
        );
        assert!(FetchPlan::for_reports([], d("2024-03-05")).is_empty());
    }

    #[test]
    fn weekly_plan() {
        let weekly = FetchPlan::for_reports([Granularity::Weekly], d("2024-03-18"));
        assert_eq!(
            weekly,
            plan(
                Some(p("2024-03-04", "2024-03-18")),
                None,
                Some(p("2024-02-17", "2024-03-18")),
                None
            )
        );
    }

    #[test]
    fn a_plan_for_more_reports_covers_a_plan_for_fewer() {
        let date = d("2024-03-05");
        let all = FetchPlan::for_reports(Granularity::ALL, date);
        for kinds in [
            &[Granularity::Daily][..],
            &[Granularity::Weekly],
            &[Granularity::Monthly],
        ] {
            let fewer = FetchPlan::for_reports(kinds.iter().copied(), date);
            assert!(all.covers_plan(&fewer), "{kinds:?}");
            assert!(fewer.by_service().covers_plan(&fewer), "{kinds:?}");
        }
        let weekly = FetchPlan::for_reports([Granularity::Weekly], date);
        assert!(!weekly.covers_plan(&all));
        assert!(weekly.covers_plan(&FetchPlan::default()));
        // Totals do not serve a breakdown by service.
        let totals_only = plan(None, None, Some(p("2024-02-01", "2024-03-05")), None);
        assert!(!totals_only.covers_plan(&plan(
            Some(p("2024-03-03", "2024-03-05")),
            None,
            None,
            None
        )));
        // Monthly buckets do not serve days.
        let months_only = plan(None, Some(p("2024-01-01", "2024-03-01")), None, None);
        assert!(!months_only.covers_plan(&plan(
            None,
            None,
            Some(p("2024-02-01", "2024-03-01")),
            None
        )));
    }

    #[test]
    fn coverage_splits_at_month_boundaries() {
        let plan = plan(
            Some(p("2024-02-20", "2024-03-05")),
            Some(p("2024-01-01", "2024-02-01")),
            Some(p("2024-01-31", "2024-03-05")),
            None,
        );
        assert!(plan.covers_total(&p("2024-01-01", "2024-03-05")));
        assert!(plan.covers_total(&p("2024-01-31", "2024-02-02")));
        assert!(!plan.covers_total(&p("2024-01-30", "2024-02-02")));
        assert!(!plan.covers_total(&p("2024-03-01", "2024-03-06")));
        assert!(!plan.covers_total(&p("2023-12-01", "2024-01-01")));
        assert!(plan.covers_services(&p("2024-01-01", "2024-02-01")));
        assert!(plan.covers_services(&p("2024-02-25", "2024-03-05")));
        assert!(!plan.covers_services(&p("2024-02-01", "2024-03-01")));
        assert!(plan.covers_days(&p("2024-01-31", "2024-03-05")));
        assert!(!plan.covers_days(&p("2024-01-30", "2024-01-31")));
    }

    fn any_date() -> impl Strategy<Value = NaiveDate> {
        // 2000-01-01 .. 2100-12-31: far from chrono's limits, many leap years and year ends.
        (0u64..36_890).prop_map(|offset| d("2000-01-01") + Days::new(offset))
    }

    fn any_kind() -> impl Strategy<Value = Granularity> {
        prop_oneof![
            Just(Granularity::Daily),
            Just(Granularity::Weekly),
            Just(Granularity::Monthly)
        ]
    }

    proptest! {
        #[test]
        fn periods_have_the_right_lengths(date in any_date(), kind in any_kind()) {
            let periods = ReportPeriods::new(kind, date);
            prop_assert!(periods.current.end <= date);
            prop_assert_eq!(periods.previous.end, periods.current.start);
            prop_assert_eq!(periods.trend.days(), TREND_DAYS as i64);
            prop_assert_eq!(periods.trend.end, periods.current.end);
            match kind {
                Granularity::Daily => {
                    prop_assert_eq!(periods.current, Period::new(date - Days::new(1), date));
                    prop_assert_eq!(periods.previous.days(), 1);
                    prop_assert_eq!(periods.seven_days_before.unwrap().days(), 7);
                    let mtd = periods.month_to_date.unwrap();
                    prop_assert_eq!(mtd.so_far.end, date);
                    prop_assert_eq!(mtd.so_far.start.day(), 1);
                    prop_assert!(mtd.so_far.days() >= 1 && mtd.so_far.days() <= 31);
                    prop_assert!(mtd.month.covers(&mtd.so_far));
                    prop_assert_eq!(mtd.same_point_last_month.start.day(), 1);
                    prop_assert_eq!(mtd.same_point_last_month.end <= mtd.so_far.start, true);
                    if mtd.is_complete() {
                        prop_assert!(mtd.same_point_last_month.is_whole_month());
                    } else {
                        prop_assert!(mtd.same_point_last_month.days() <= mtd.so_far.days());
                    }
                    prop_assert_eq!(mtd.is_complete(), date.day() == 1);
                }
                Granularity::Weekly => {
                    prop_assert_eq!(periods.current, Period::new(date - Days::new(7), date));
                    prop_assert_eq!(periods.previous.days(), 7);
                }
                Granularity::Monthly => {
                    prop_assert!(periods.current.is_whole_month());
                    prop_assert!(periods.previous.is_whole_month());
                    prop_assert_eq!(periods.current.end, first_of_month(date));
                }
            }
        }

        #[test]
        fn the_plan_covers_every_period_of_every_due_report(
            date in any_date(),
            kinds in proptest::sample::subsequence(Granularity::ALL.to_vec(), 0..=3),
        ) {
            let plan = FetchPlan::for_reports(kinds.clone(), date);
            let own_query = plan.by_service();
            for kind in kinds {
                let periods = ReportPeriods::new(kind, date);
                prop_assert!(plan.covers_report(&periods));
                prop_assert!(own_query.covers_report(&periods));
            }
            prop_assert!(own_query.covers_plan(&plan));
            prop_assert!(own_query.total_days.is_none() && own_query.total_months.is_none());
            for days in [plan.service_days, plan.total_days, own_query.service_days].into_iter().flatten() {
                // About two months and the previous one at most: the request size stays bounded.
                prop_assert!(days.days() <= 92, "daily range {:?}", days);
                prop_assert!(days.end <= date);
            }
            // By service, days only for the reported periods and their comparison.
            prop_assert!(plan.service_days.is_none_or(|days| days.days() <= 14));
            for months in [plan.service_months, plan.total_months, own_query.service_months].into_iter().flatten() {
                prop_assert!(months.start.day() == 1 && months.end.day() == 1);
                prop_assert!(months.days() <= 62);
                prop_assert!(months.end <= date);
            }
        }
    }
}
