//! The one place product code reads the wall clock.
//!
//! Every calendar or timestamp read in `lambdas/*/src` (report dates of manual runs, run IDs,
//! ledger claim times, JWT `iat`, Slack history windows, Lambda deadlines, HTTP-date
//! `Retry-After`) goes through [`now`] or [`system_now`]; `tests/infra/test_clock_reads.py`
//! fails when product code reads the clock anywhere else. Where a date already arrives in an
//! input (a run's `date` or `scheduled_time`), the code takes it from there, not from here.
//!
//! Tests pin the clock of their own thread with [`pin`] (a guard restores it), so parallel
//! tests do not see each other's dates. There is deliberately no environment variable or
//! configuration setting that moves it: a deployed function always reads the real clock.
//! End-to-end tests move the whole process tree with libfaketime instead (`scripts/test dates`).
//!
//! Monotonic timers (`std::time::Instant`, `tokio::time::Instant`) only measure elapsed time
//! for caches, backoffs and timeouts; they say nothing about the date and are not routed here.

use chrono::{DateTime, Utc};
use std::cell::Cell;
use std::marker::PhantomData;
use std::time::SystemTime;

thread_local! {
    static PINNED: Cell<Option<DateTime<Utc>>> = const { Cell::new(None) };
}

/// The current time: the pinned instant on this thread if a test pinned one, else the system's.
pub fn now() -> DateTime<Utc> {
    PINNED.with(Cell::get).unwrap_or_else(Utc::now)
}

/// [`now`] as a `SystemTime`, for deadlines and Unix timestamps.
pub fn system_now() -> SystemTime {
    SystemTime::from(now())
}

/// Pins this thread's clock at `at` until the guard is dropped (tests). Time does not advance
/// while pinned. Work spawned onto other threads (a multi-threaded tokio runtime) still sees
/// the real clock: pin in `#[tokio::test]`'s default current-thread runtime.
#[must_use = "the clock is unpinned when the guard is dropped"]
pub fn pin(at: DateTime<Utc>) -> Pinned {
    Pinned {
        previous: PINNED.with(|pinned| pinned.replace(Some(at))),
        _same_thread: PhantomData,
    }
}

/// Restores the previous clock of its thread when dropped; not `Send`, as it belongs to it.
pub struct Pinned {
    previous: Option<DateTime<Utc>>,
    _same_thread: PhantomData<*const ()>,
}

impl Drop for Pinned {
    fn drop(&mut self) {
        PINNED.with(|pinned| pinned.set(self.previous));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;
    use std::time::UNIX_EPOCH;

    #[test]
    fn pinning_sets_the_clock_of_this_thread_and_the_guard_restores_it() {
        let leap_day = Utc.with_ymd_and_hms(2028, 2, 29, 23, 30, 0).unwrap();
        let new_year = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        {
            let _outer = pin(leap_day);
            assert_eq!(now(), leap_day);
            assert_eq!(
                system_now().duration_since(UNIX_EPOCH).unwrap().as_secs(),
                leap_day.timestamp() as u64
            );
            {
                let _inner = pin(new_year);
                assert_eq!(now(), new_year);
                // Another thread is not pinned.
                let elsewhere = std::thread::spawn(now).join().unwrap();
                assert_ne!(elsewhere, new_year);
            }
            assert_eq!(now(), leap_day);
        }
        assert_ne!(now(), leap_day);
    }

    #[test]
    fn unpinned_it_is_the_system_clock() {
        let before = Utc::now();
        let read = now();
        assert!(before <= read && read <= Utc::now());
    }
}
