"""The schedule's run on the session's own today, in a time zone with daylight saving time and
in one without: which reports are due, and which period each covers, follow the calendar of that
day. `scripts/test dates` runs this scenario at the dates that break date code (the 1st, a
month's last day, New Year, 29 February, a Monday, a DST change day); on other days it checks
the plain daily case.

The run is started the way EventBridge Scheduler starts it: `scheduled_time` at 08:00 local time
on today, converted to UTC. The report date the plan derives must be today again, whatever the
UTC offset is that day (before or after a DST change)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import session_today
from tests.e2e.apps_org import succeeded
from tests.e2e.harness import MANAGEMENT_ACCOUNT, Delivered, OrganizationSpec
from tests.support import costdata
from tests.support.slack_sink import Channel

CHANNEL = "C0CALENDAR1"


def previous_month_start(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


@pytest.mark.parametrize("time_zone", ["America/New_York", "Asia/Tokyo"])
def test_the_scheduled_run_reports_what_is_due_on_todays_calendar(system, time_zone):
    today = session_today()
    yesterday = today - timedelta(days=1)
    org = system.seed_organization(OrganizationSpec(ous={"Calendar": ["every-kind", "daily"]}))
    # 100 days: a monthly report compares the last whole month with the one before.
    system.load_costs(costdata.generate(seed=11, accounts=2, days=100, today=today.isoformat(),
                                        services_per_account=(3, 4)), org.account_ids)
    ids = org.account_ids
    system.deploy(
        [
            {"Default": True, "Description": "default", "ChannelIds": [CHANNEL],
             "Currency": "USD", "Granularity": ["DAILY"], "TimeZone": time_zone},
            # Monday weekly reports and 1st-of-month monthly reports (the defaults).
            {"AccountId": ids["every-kind"], "Description": "every kind", "ChannelIds": [CHANNEL],
             "Granularity": ["DAILY", "WEEKLY", "MONTHLY"]},
        ],
        channels=[Channel(CHANNEL, "calendar")],
    )
    scheduled = datetime.combine(today, time(8, 0), ZoneInfo(time_zone)).astimezone(UTC)

    output = succeeded(system.run({"trigger": "schedule", "scheduled_time": scheduled.strftime("%Y-%m-%dT%H:%M:%SZ")},
                                  name=f"scheduled-{today.isoformat()}"))

    # The Default row's daily report for every account without a row of its own (the
    # management account too), and every kind for the account that asks for them.
    expected = {Delivered(account, "DAILY", yesterday.isoformat(), CHANNEL)
                for account in (ids["every-kind"], ids["daily"], MANAGEMENT_ACCOUNT)}
    if today.weekday() == calendar.MONDAY:
        expected.add(Delivered(ids["every-kind"], "WEEKLY", (today - timedelta(days=7)).isoformat(), CHANNEL))
    if today.day == 1:
        expected.add(Delivered(ids["every-kind"], "MONTHLY", previous_month_start(today).isoformat(), CHANNEL))
    delivered = system.reports(CHANNEL)
    assert sorted(delivered) == sorted(expected), f"{today} ({today:%A}) in {time_zone}: {output}"
    assert output["sent"] == len(expected) and output["failed"] == 0 and output["config_problems"] == 0, output
