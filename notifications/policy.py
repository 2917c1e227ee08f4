"""The reminder policy as plain values."""

from dataclasses import dataclass
from datetime import time
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from accounts import governments
from core import clock
from core.extensions import db
from notifications.models import ReminderSettings


@dataclass(frozen=True)
class Policy:
    send_time: time
    unacknowledged_after_working_days: int
    due_soon_days: tuple[int, ...]
    overdue_every_days: int
    escalate_after_days: int
    escalation_email: str | None
    decree_expiry_days: tuple[int, ...]
    link_valid_days: int


def _days(text: str) -> tuple[int, ...]:
    return tuple(sorted({int(part) for part in text.split(",") if part.strip().isdigit()}, reverse=True))


# The instance defaults: what a government's policy is until its admin changes it.
DEFAULTS = dict(
    send_time="07:30",
    unacknowledged_after_working_days=2,
    due_soon_days="7,3,1,0",
    overdue_every_days=7,
    escalate_after_days=14,
    escalation_email=None,
    decree_expiry_days="60,30",
    link_valid_days=14,
)


def settings_row(government_id: int | None = None) -> ReminderSettings:
    """A government's settings row (the first government's unless given), created with the defaults when missing."""
    if government_id is None:
        government_id = governments.default_government_id()
    row = db.session.scalar(sa.select(ReminderSettings).where(ReminderSettings.government_id == government_id))
    if row is None:
        row = ReminderSettings(government_id=government_id, **DEFAULTS)
        db.session.add(row)
        db.session.flush()
    return row


def current(government_id: int | None = None) -> Policy:
    """A government's policy (the first government's unless given)."""
    return _policy(settings_row(government_id))


def every() -> dict[int, Policy]:
    """Every government's policy by government id, in one query, writing nothing: a government without a row yet
    has the instance defaults. For the planner and the dispatcher, whatever the number of governments."""
    rows = {row.government_id: _policy(row) for row in db.session.scalars(sa.select(ReminderSettings))}
    defaults = instance_defaults()
    return {government_id: rows.get(government_id, defaults) for government_id in governments.tree()} | rows


def instance_defaults() -> Policy:
    """The policy of a government whose admin has changed nothing (and of a database with no government yet)."""
    return _policy(ReminderSettings(**DEFAULTS))


def _policy(row: ReminderSettings) -> Policy:
    hour, minute = (int(x) for x in row.send_time.split(":"))
    return Policy(
        send_time=time(hour, minute),
        unacknowledged_after_working_days=row.unacknowledged_after_working_days,
        due_soon_days=_days(row.due_soon_days),
        overdue_every_days=max(row.overdue_every_days, 1),
        escalate_after_days=row.escalate_after_days,
        escalation_email=row.escalation_email,
        decree_expiry_days=_days(row.decree_expiry_days),
        link_valid_days=row.link_valid_days,
    )


def zone_of(government_id: int | None) -> ZoneInfo:
    """A government's time zone, in which its reminders go out and its days begin; the installation's when unknown."""
    found = governments.node(government_id)
    return ZoneInfo(found.time_zone) if found is not None and found.time_zone else clock.local_zone()
