//! EventBridge Scheduler's `cron(minutes hours day-of-month month day-of-week year)`: the next
//! time it fires, in the schedule's time zone. No maintained crate parses this six-field form
//! (with `?`, day-of-week 1-7 = SUN-SAT and a year field), so this small parser covers what
//! schedules use: numbers, names (JAN-DEC, SUN-SAT), `*`, `?`, lists, ranges and `/` steps.
//! `L`, `W` and `#` are refused (the caller then shows the expression without a next run).
//!
//! Daylight saving time as EventBridge Scheduler applies it: a local time the clock skips in
//! spring is skipped, a local time that occurs twice in autumn fires once (the first), per
//! <https://repost.aws/knowledge-center/eventbridge-scheduler-adjust-dst> and
//! <https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#cron-based>.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

const MONTHS: [&str; 12] = [
    "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
];
const WEEKDAYS: [&str; 7] = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];
/// How far ahead to look: a year field may name a later year, nothing fires beyond this.
const HORIZON_DAYS: u64 = 366 * 8;

/// A parsed `cron(...)` expression; `None` in a day field means `?` (any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cron {
    minutes: BTreeSet<u32>,
    hours: BTreeSet<u32>,
    days: Option<BTreeSet<u32>>,
    months: BTreeSet<u32>,
    weekdays: Option<BTreeSet<u32>>,
    years: BTreeSet<u32>,
}

impl Cron {
    pub fn parse(expression: &str) -> Result<Self, String> {
        let inner = expression
            .trim()
            .strip_prefix("cron(")
            .and_then(|rest| rest.strip_suffix(')'))
            .ok_or_else(|| format!("{expression:?} is not a cron(...) expression"))?;
        let fields: Vec<&str> = inner.split_whitespace().collect();
        let [minutes, hours, days, months, weekdays, years] = fields.as_slice() else {
            return Err(format!(
                "{expression:?} has {} fields, cron(...) has 6 (minutes hours day-of-month \
                 month day-of-week year)",
                fields.len()
            ));
        };
        let any = |field: &str| field == "?";
        if any(days) == any(weekdays) {
            return Err(format!(
                "{expression:?}: exactly one of day-of-month and day-of-week must be ?"
            ));
        }
        Ok(Self {
            minutes: field(minutes, 0, 59, &[])?,
            hours: field(hours, 0, 23, &[])?,
            days: if any(days) {
                None
            } else {
                Some(field(days, 1, 31, &[])?)
            },
            months: field(months, 1, 12, &MONTHS)?,
            weekdays: if any(weekdays) {
                None
            } else {
                Some(field(weekdays, 1, 7, &WEEKDAYS)?)
            },
            years: field(years, 1970, 2199, &[])?,
        })
    }

    fn date_matches(&self, date: NaiveDate) -> bool {
        let year_ok = u32::try_from(date.year()).is_ok_and(|y| self.years.contains(&y));
        let day_ok = self.days.as_ref().is_none_or(|d| d.contains(&date.day()));
        // Scheduler numbers the week from Sunday = 1.
        let weekday = date.weekday().num_days_from_sunday() + 1;
        let weekday_ok = self.weekdays.as_ref().is_none_or(|w| w.contains(&weekday));
        year_ok && self.months.contains(&date.month()) && day_ok && weekday_ok
    }

    /// The first time strictly after `now` the schedule fires, in `tz`.
    pub fn next_after(&self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Tz>> {
        let local_now = now.with_timezone(&tz);
        let first = local_now.date_naive();
        let last = first.checked_add_days(chrono::Days::new(HORIZON_DAYS))?;
        for date in first.iter_days().take_while(|d| *d <= last) {
            if !self.date_matches(date) {
                continue;
            }
            for hour in &self.hours {
                for minute in &self.minutes {
                    let Some(naive) = date.and_hms_opt(*hour, *minute, 0) else {
                        continue;
                    };
                    // A skipped local time (spring) gives no instant: skipped, as Scheduler
                    // does; a repeated one (autumn) fires once, at its first occurrence.
                    if let Some(at) = tz.from_local_datetime(&naive).earliest() {
                        if at > local_now {
                            return Some(at);
                        }
                    }
                }
            }
        }
        None
    }
}

/// One field: `*`, or a comma list of `N`, `N-M`, `*/S`, `N/S`, `N-M/S` (names allowed).
fn field(text: &str, min: u32, max: u32, names: &[&str]) -> Result<BTreeSet<u32>, String> {
    let value = |part: &str| -> Result<u32, String> {
        if let Some(index) = names.iter().position(|n| n.eq_ignore_ascii_case(part)) {
            return Ok(min + u32::try_from(index).expect("a dozen names"));
        }
        let number: u32 = part.parse().map_err(|_| {
            if part.contains(['L', 'W', '#']) {
                format!("{text:?}: L, W and # are not supported here")
            } else {
                format!("{text:?}: {part:?} is not a number")
            }
        })?;
        if (min..=max).contains(&number) {
            Ok(number)
        } else {
            Err(format!("{text:?}: {number} is outside {min}-{max}"))
        }
    };
    let mut set = BTreeSet::new();
    for part in text.split(',') {
        let (range, step) = match part.split_once('/') {
            Some((range, step)) => {
                let step: u32 =
                    step.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
                        format!("{text:?}: step {step:?} is not a positive number")
                    })?;
                (range, step)
            }
            None => (part, 1),
        };
        let (start, end) = if range == "*" {
            (min, max)
        } else if let Some((from, to)) = range.split_once('-') {
            (value(from)?, value(to)?)
        } else {
            let start = value(range)?;
            // `N/S` runs from N to the end of the field; a bare `N` is N alone.
            (start, if part.contains('/') { max } else { start })
        };
        if start > end {
            return Err(format!("{text:?}: {start}-{end} is an empty range"));
        }
        set.extend((start..=end).step_by(step as usize));
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(expression: &str, tz: Tz, now: DateTime<Utc>) -> String {
        Cron::parse(expression)
            .unwrap()
            .next_after(now, tz)
            .unwrap()
            .format("%Y-%m-%d %H:%M %Z")
            .to_string()
    }

    #[test]
    fn a_daily_run_is_next_in_the_schedules_zone() {
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 0, 30, 0).unwrap(); // 09:30 in Tokyo
        let tokyo = chrono_tz::Asia::Tokyo;
        assert_eq!(
            next("cron(0 8 * * ? *)", tokyo, now),
            "2026-12-05 08:00 JST"
        );
        assert_eq!(
            next("cron(0 10 * * ? *)", tokyo, now),
            "2026-12-04 10:00 JST"
        );
        // Exactly now is not next.
        let at_eight = Utc.with_ymd_and_hms(2026, 12, 4, 8, 0, 0).unwrap();
        assert_eq!(
            next("cron(0 8 * * ? *)", chrono_tz::UTC, at_eight),
            "2026-12-05 08:00 UTC"
        );
    }

    #[test]
    fn weekdays_count_from_sunday_and_take_names_lists_ranges_and_steps() {
        let friday = Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let utc = chrono_tz::UTC;
        assert_eq!(
            next("cron(0 8 ? * MON *)", utc, friday),
            "2026-12-07 08:00 UTC"
        );
        assert_eq!(
            next("cron(0 8 ? * 2 *)", utc, friday),
            "2026-12-07 08:00 UTC"
        );
        assert_eq!(
            next("cron(0 8 ? * 1 *)", utc, friday),
            "2026-12-06 08:00 UTC"
        );
        assert_eq!(
            next("cron(30 9 ? * MON-FRI *)", utc, friday),
            "2026-12-07 09:30 UTC"
        );
        assert_eq!(
            next("cron(0/15 * * * ? *)", utc, friday),
            "2026-12-04 12:15 UTC"
        );
        assert_eq!(
            next("cron(5,50 12 * * ? *)", utc, friday),
            "2026-12-04 12:05 UTC"
        );
        assert_eq!(
            next("cron(50 11,13 * * ? *)", utc, friday),
            "2026-12-04 13:50 UTC"
        );
        assert_eq!(
            next("cron(0 6 1 * ? *)", utc, friday),
            "2027-01-01 06:00 UTC"
        );
        assert_eq!(
            next("cron(0 6 1 JAN,JUL ? 2028)", utc, friday),
            "2028-01-01 06:00 UTC"
        );
        assert_eq!(
            next("cron(0 6 29 FEB ? *)", utc, friday),
            "2028-02-29 06:00 UTC"
        );
    }

    #[test]
    fn a_skipped_local_time_is_skipped_and_a_repeated_one_fires_once() {
        let ny = chrono_tz::America::New_York;
        // 2027-03-14: 02:00 jumps to 03:00 in New York, so 02:30 does not exist that day.
        let before = Utc.with_ymd_and_hms(2027, 3, 14, 5, 0, 0).unwrap(); // 00:00 EST
        assert_eq!(
            next("cron(30 2 * * ? *)", ny, before),
            "2027-03-15 02:30 EDT"
        );
        // 2027-11-07: 01:30 happens twice; the run is at the first (EDT).
        let autumn = Utc.with_ymd_and_hms(2027, 11, 7, 4, 0, 0).unwrap(); // 00:00 EDT
        assert_eq!(
            next("cron(30 1 * * ? *)", ny, autumn),
            "2027-11-07 01:30 EDT"
        );
        let after_first = Utc.with_ymd_and_hms(2027, 11, 7, 5, 45, 0).unwrap(); // 01:45 EDT
        assert_eq!(
            next("cron(30 1 * * ? *)", ny, after_first),
            "2027-11-08 01:30 EST"
        );
    }

    #[test]
    fn bad_and_unsupported_expressions_are_refused_with_the_reason() {
        for (expression, words) in [
            ("rate(1 day)", "not a cron(...)"),
            ("cron(0 8 * * ?)", "has 5 fields"),
            ("cron(0 8 * * * *)", "exactly one of"),
            ("cron(0 8 ? * ? *)", "exactly one of"),
            ("cron(0 24 * * ? *)", "outside 0-23"),
            ("cron(0 8 L * ? *)", "L, W and #"),
            ("cron(0 8 ? * 6#3 *)", "L, W and #"),
            ("cron(0/0 8 * * ? *)", "positive"),
            ("cron(0 9-8 * * ? *)", "empty range"),
        ] {
            let error = Cron::parse(expression).unwrap_err();
            assert!(error.contains(words), "{expression}: {error}");
        }
        // A year that has passed never fires.
        let now = Utc.with_ymd_and_hms(2026, 12, 4, 0, 0, 0).unwrap();
        let past = Cron::parse("cron(0 8 * * ? 2025)").unwrap();
        assert_eq!(past.next_after(now, chrono_tz::UTC), None);
    }
}
