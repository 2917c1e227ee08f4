"""Indonesian working days: weekdays that are neither public holidays (the `holidays` package) nor the cuti
bersama days the admin enters."""

import importlib.util
import sys
from datetime import date, timedelta
from functools import cache, lru_cache
from pathlib import Path

import holidays
import sqlalchemy as sa
import sqlalchemy.orm as so

from core.extensions import db


class CollectiveLeave(db.Model):
    """A cuti bersama day, entered by a government's admin: not a working day there."""

    __tablename__ = "collective_leave_days"
    __table_args__ = (sa.UniqueConstraint("government_id", "day"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # The tenant it applies to (accounts' governments table; core names it only as a key).
    government_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("governments.id"), index=True)
    day: so.Mapped[date]
    name: so.Mapped[str] = so.mapped_column(sa.String(200))


@cache
def indonesia() -> type[holidays.HolidayBase]:
    """The `holidays` package's calendar of Indonesia, loaded from its own module: importing that module by name
    runs `holidays.countries`' __init__, which imports every one of the package's 200-odd countries to export them,
    in each process that asks whether a day is a working day."""
    name = "holidays.countries.indonesia"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            name, Path(holidays.__file__).parent / "countries" / "indonesia.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return sys.modules[name].Indonesia


@lru_cache(maxsize=16)
def _public_holidays(year: int) -> frozenset[date]:
    return frozenset(indonesia()(years=year))


class WorkingDays:
    """Weekdays that are neither Indonesian public holidays nor a government's cuti bersama days."""

    def __init__(self, government_id: int | None = None, collective_leave: set[date] | None = None):
        if collective_leave is None:
            query = sa.select(CollectiveLeave.day)
            if government_id is not None:
                query = query.where(CollectiveLeave.government_id == government_id)
            collective_leave = set(db.session.scalars(query))
        self.collective_leave = collective_leave

    @classmethod
    def of_each(cls, government_ids) -> dict[int, "WorkingDays"]:
        """Each government's working days, from one query whatever their number."""
        leave: dict[int, set[date]] = {government_id: set() for government_id in government_ids}
        for government_id, day in db.session.execute(sa.select(CollectiveLeave.government_id, CollectiveLeave.day)):
            leave.setdefault(government_id, set()).add(day)
        return {government_id: cls(collective_leave=days) for government_id, days in leave.items()}

    def is_working_day(self, day: date) -> bool:
        return day.weekday() < 5 and day not in _public_holidays(day.year) and day not in self.collective_leave

    def add(self, start: date, count: int) -> date:
        """The working day `count` working days after (or, when negative, before) `start`."""
        day, step = start, (1 if count >= 0 else -1)
        count = abs(count)
        while count > 0:
            day += timedelta(days=step)
            if self.is_working_day(day):
                count -= 1
        return day

    def holiday_name(self, day: date) -> str | None:
        return indonesia()(years=day.year).get(day)
