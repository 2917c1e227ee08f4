"""The clock's conversions between the Pemda's wall clock and UTC, up to the ends of the calendar."""

from datetime import UTC, date, datetime

from core import clock


def test_a_local_wall_clock_time_becomes_utc(appctx):
    assert clock.local_moment(2025, 12, 16, 9, 0) == datetime(2025, 12, 16, 2, 0, tzinfo=UTC)


def test_the_first_and_last_days_of_the_calendar_convert_without_overflow(appctx):
    # 0001-01-01 00.00 WIB is 31 December of the year 0 in UTC, which Python cannot hold: it is held at the start.
    assert clock.local_moment(1, 1, 1) == datetime.min.replace(tzinfo=UTC)
    assert clock.start_of_local_day(date.min) == datetime.min.replace(tzinfo=UTC)
    assert clock.end_of_local_day(date.max) == datetime.max.replace(tzinfo=UTC)
    assert clock.start_of_local_day(date.max) == datetime(9999, 12, 30, 17, 0, tzinfo=UTC)


def test_a_local_day_runs_from_midnight_to_midnight_wib(appctx):
    day = date(2025, 12, 16)
    assert clock.start_of_local_day(day) == datetime(2025, 12, 15, 17, 0, tzinfo=UTC)
    assert clock.end_of_local_day(day) == datetime(2025, 12, 16, 17, 0, tzinfo=UTC)
