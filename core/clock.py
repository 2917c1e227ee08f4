"""The one source of the current time, so that tests can fix it.

Code asks `clock.now()`; an app may carry a fixed clock in `app.extensions["kawal.clock"]`.
"""

from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import current_app, g, has_app_context, has_request_context


class SystemClock:
    """The real time."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until it is moved: for tests and for planning 'as of' a moment."""

    def __init__(self, moment: datetime):
        self.set(moment)

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self.moment = moment.astimezone(UTC)

    def now(self) -> datetime:
        return self.moment


SYSTEM_CLOCK = SystemClock()


def init_app(app) -> None:
    """Give the app the real clock unless one was injected already."""
    app.extensions.setdefault("kawal.clock", SYSTEM_CLOCK)


def now() -> datetime:
    """The current moment in UTC, from the app's clock."""
    if has_app_context():
        return current_app.extensions.get("kawal.clock", SYSTEM_CLOCK).now()
    return SYSTEM_CLOCK.now()


_ZONE = "kawal_zone"


def use_zone(name: str | None) -> None:
    """Read and show times in this zone for the rest of the request (app.py sets the viewer's government's)."""
    if name:
        setattr(g, _ZONE, name)
    else:
        g.pop(_ZONE, None)


# app.py names a function that gives the zone of the request's signed-in user (core knows no users), or None.
ZONE_OF_REQUEST = "kawal.zone_of_request"


def local_zone() -> ZoneInfo:
    """The zone times are read and shown in: the one a request set (`use_zone`), else that of the signed-in
    viewer's government once known, else the installation's (KAWAL_TIMEZONE)."""
    if not has_app_context():
        return ZoneInfo("Asia/Jakarta")
    name = g.get(_ZONE)
    if name is None and has_request_context():
        resolver = current_app.extensions.get(ZONE_OF_REQUEST)
        name = resolver() if resolver is not None else None
        if name:
            setattr(g, _ZONE, name)  # once per request
    return ZoneInfo(name or current_app.config["KAWAL_TIMEZONE"])


def to_local(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A UTC moment as the wall-clock time of `zone` (the local zone unless given)."""
    return moment.astimezone(zone or local_zone())


FIRST_MOMENT = datetime.min.replace(tzinfo=UTC)
LAST_MOMENT = datetime.max.replace(tzinfo=UTC)


def from_local(wall_clock: datetime, zone: ZoneInfo | None = None) -> datetime:
    """A naive wall-clock time in `zone` (the local zone unless given), as an aware UTC moment; held at the
    calendar's ends."""
    try:
        return wall_clock.replace(tzinfo=zone or local_zone()).astimezone(UTC)
    except OverflowError:
        # Only the first or last hours of the calendar (years 1 and 9999) fall outside it in UTC. A filter "from
        # 0001-01-01" means "from the beginning", so the nearest end is the right answer, not an error.
        return FIRST_MOMENT if wall_clock.year == 1 else LAST_MOMENT


def local_moment(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """The UTC moment of a wall-clock time in the Pemda's zone: how seeds and tests name "09.00 WIB"."""
    return from_local(datetime(year, month, day, hour, minute))  # noqa: DTZ001 (a wall-clock time, zoned just above)


def start_of_local_day(day: date) -> datetime:
    """The UTC moment the Pemda's day begins."""
    return from_local(datetime.combine(day, time()))


def end_of_local_day(day: date) -> datetime:
    """The UTC moment the Pemda's day ends, that is, the next one begins."""
    if day == date.max:
        return LAST_MOMENT
    return start_of_local_day(day + timedelta(days=1))


def today_local():
    """Today's date where the Pemda is."""
    return to_local(now()).date()


@contextmanager
def frozen_at(moment: datetime):
    """Run a block as if it were `moment`: for planning "as of" a time, and for building demo history."""
    extensions = current_app.extensions
    previous = extensions.get("kawal.clock", SYSTEM_CLOCK)
    extensions["kawal.clock"] = FixedClock(moment)
    try:
        yield
    finally:
        extensions["kawal.clock"] = previous
