"""Indonesian (and English) dates, times and numbers: "Selasa, 16 Desember 2025", "09.00 WIB", "71,9%"."""

from datetime import date, datetime
from functools import lru_cache

from babel.dates import format_date as babel_format_date
from babel.numbers import format_decimal, format_percent, get_group_symbol
from flask_babel import gettext as _
from markupsafe import Markup, escape

from core import clock
from core.i18n import locale_name

# Indonesia's three zones are named by their abbreviations everywhere, never by an offset.
ZONE_ABBREVIATIONS = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def _locale() -> str:
    return locale_name()


def long_date(value: date | datetime | None) -> str:
    """ "Selasa, 16 Desember 2025"; a datetime is first put in the Pemda's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_local(value).date()
    return _format_date(value, "EEEE, d MMMM y", _locale())


def day_month_year(value: date | datetime | None) -> str:
    """ "16 Desember 2025", as a document's date line has it; a datetime is first put in the Pemda's zone."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        value = clock.to_local(value).date()
    return _format_date(value, "d MMMM y", _locale())


def short_date(value: date | datetime | str | None) -> str:
    """ "16 Des 2025"; an ISO date string (as kept in history data) is read first."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if isinstance(value, datetime):
        value = clock.to_local(value).date()
    return _format_date(value, "d MMM y", _locale())


@lru_cache(maxsize=8192)
def _format_date(value: date, pattern: str, locale: str) -> str:
    """Babel's formatting, remembered: a list of 300 tasks shows a few dozen distinct dates."""
    return babel_format_date(value, pattern, locale=locale)


def time_of_day(value: datetime | None) -> str:
    """ "09.00 WIB" in Indonesian, "09:00 WIB" in English."""
    if value is None:
        return ""
    local = clock.to_local(value)
    separator = "." if _locale() == "id" else ":"
    zone = ZONE_ABBREVIATIONS.get(local.tzinfo.key, local.strftime("%Z"))
    return f"{local:%H}{separator}{local:%M} {zone}"


def date_and_time(value: datetime | None) -> str:
    """ "Selasa, 16 Desember 2025, pukul 09.00 WIB"."""
    if value is None:
        return ""
    return _("%(date)s at %(time)s", date=long_date(value), time=time_of_day(value))


def number(value) -> str:
    """A number with the locale's separators: 1.234,5 in Indonesian."""
    if isinstance(value, int):  # the common case, in every cell of a table: no need for Babel's parser
        return f"{value:,}".replace(",", _group_symbol(_locale()))
    return format_decimal(value, locale=_locale())


@lru_cache(maxsize=16)
def _group_symbol(locale: str) -> str:
    return get_group_symbol(locale)


def percent(ratio: float | None) -> str:
    """A ratio as a percentage with one decimal: "71,9%"."""
    if ratio is None:
        return "–"
    return format_percent(ratio, "#,##0.0%", locale=_locale())


def file_size(size: int) -> str:
    """ "12,3 KB" or "1,5 MB"."""
    if size >= 1024 * 1024:
        return f"{format_decimal(round(size / 1024 / 1024, 1), locale=_locale())} MB"
    return f"{format_decimal(round(size / 1024, 1), locale=_locale())} KB"


def to_local_date(moment: datetime) -> date:
    """The Pemda's calendar date of a moment."""
    return clock.to_local(moment).date()


def translated(labels: dict) -> dict[str, str]:
    """Lazy labels translated now, once: for headings that a template repeats on every row."""
    return {key: str(label) for key, label in labels.items()}


def line_breaks(text: str | None) -> Markup:
    """A text typed on several lines (what to fix), escaped, with a <br> between its lines: an email client that
    ignores white-space: pre-wrap (Outlook's) still shows it as lines."""
    return Markup("<br>").join(escape(line) for line in (text or "").splitlines())


FILTERS = {
    "line_breaks": line_breaks,
    "file_size": file_size,
    "long_date": long_date,
    "short_date": short_date,
    "time_of_day": time_of_day,
    "date_and_time": date_and_time,
    "number": number,
    "percent": percent,
    "translated": translated,
}


def init_app(app) -> None:
    """Register the formatters as Jinja filters."""
    app.jinja_env.filters.update(FILTERS)
