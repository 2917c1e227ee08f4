"""core/calendar.py: Indonesia's public holidays from the `holidays` package, without its other countries."""

import os
import subprocess
import sys
from pathlib import Path

CODE = """
import sys
from datetime import date
from core.calendar import WorkingDays, indonesia
days = WorkingDays(collective_leave=set())
print(days.is_working_day(date(2026, 1, 1)), days.is_working_day(date(2026, 1, 2)), days.holiday_name(date(2026, 8, 17)))
print(sorted(name for name in sys.modules if name.startswith("holidays.countries")))
import holidays
for year in range(2020, 2031):
    for language in (None, "id", "en_US"):
        expected = holidays.country_holidays("ID", years=year, language=language)
        assert dict(indonesia()(years=year, language=language)) == dict(expected), (year, language)
"""


def test_indonesias_holidays_are_the_packages_own_without_loading_its_200_other_countries():
    done = subprocess.run(
        [sys.executable, "-c", CODE],
        cwd=Path(__file__).parents[2],
        env={**os.environ, "KAWAL_ENV": "test"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["False True Independence Day", "['holidays.countries.indonesia']"]
