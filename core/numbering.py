"""A secretariat's document numbers: a format such as "000.1.5/{seq}/BA-Bappeda/{year}" made into a number, and a
number read back into its sequence. Only the placeholders below exist; nothing of Python's str.format beyond them."""

import re
import string
from datetime import date

from flask_babel import lazy_gettext as _l

from core.errors import Invalid

DEFAULT_FORMAT = "{seq}/BA/{year}"
ROMAN_MONTHS = ("I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII")
PLACEHOLDERS = ("seq", "year", "month", "roman_month", "day")
# {seq:03} pads the sequence to three digits ("007"); only the numeric placeholders take a width.
WIDTH = re.compile(r"0?[1-9]")
NUMERIC = ("seq", "day", "month")
MAX_SEQ_DIGITS = 6
MAX_NUMBER_LENGTH = 120  # the forums' record_number column
# The day whose placeholders are longest (VIII, 28, 08): a format that fits on it fits on every day.
LONGEST_DAY = date(2000, 8, 28)


def _pieces(fmt: str) -> list[tuple[str, str | None, str]]:
    """(literal, placeholder, width) of a format, or Invalid with what is wrong in words the secretariat reads."""
    try:
        parsed = list(string.Formatter().parse(fmt))
    except ValueError:
        raise Invalid(_l("A brace is not closed: write placeholders as {seq}."), field="numbering_format") from None
    pieces = []
    for literal, name, spec, conversion in parsed:
        if name is not None and (name not in PLACEHOLDERS or conversion):
            raise Invalid(
                _l(
                    "Unknown placeholder {%(name)s}: use {seq}, {year}, {month}, {roman_month} or {day}.",
                    name=name if not conversion else f"{name}!{conversion}",
                ),
                field="numbering_format",
            )
        if spec and (name not in NUMERIC or not WIDTH.fullmatch(spec)):
            raise Invalid(
                _l("{%(name)s:%(spec)s} is not a width: write {seq:03} for 007.", name=name, spec=spec),
                field="numbering_format",
            )
        pieces.append((literal, name, spec))
    if not any(name == "seq" for _literal, name, _spec in pieces):
        raise Invalid(
            _l("The format needs {seq}, the running number, or every number would be the same."),
            field="numbering_format",
        )
    return pieces


def check(fmt: str | None) -> str | None:
    """The format, trimmed, when it is valid (None when empty); Invalid otherwise."""
    fmt = (fmt or "").strip() or None
    if fmt is not None:
        _pieces(fmt)
        if len(render(fmt, 10**MAX_SEQ_DIGITS - 1, LONGEST_DAY)) > MAX_NUMBER_LENGTH:
            raise Invalid(
                _l("The format makes numbers longer than %(n)d characters: shorten it.", n=MAX_NUMBER_LENGTH),
                field="numbering_format",
            )
    return fmt


def _value(name: str, spec: str, seq: int | None, day: date) -> str:
    values = {
        "seq": seq,
        "year": day.year,
        "month": day.month,
        "roman_month": ROMAN_MONTHS[day.month - 1],
        "day": day.day,
    }
    value = values[name]
    if name == "month" and not spec:
        spec = "02"
    # A width pads with zeros, as a number is written: {seq:3} is "007", never "  7".
    return format(value, spec.rjust(2, "0")) if spec else str(value)


def render(fmt: str | None, seq: int, day: date) -> str:
    """The number with this sequence on this day: render("{seq:03}/BA/{roman_month}/{year}", 7, 16 Dec 2025)
    is "007/BA/XII/2025"."""
    return "".join(
        literal + (_value(name, spec, seq, day) if name else "")
        for literal, name, spec in _pieces(fmt or DEFAULT_FORMAT)
    )


def sequence_of(fmt: str | None, number: str, day: date) -> int | None:
    """The sequence a number typed by hand carries, when it follows the format on this day; None otherwise."""
    pattern = "".join(
        re.escape(literal) + ("" if not name else r"(\d+)" if name == "seq" else re.escape(_value(name, spec, 0, day)))
        for literal, name, spec in _pieces(fmt or DEFAULT_FORMAT)
    )
    found = re.fullmatch(pattern, number.strip())
    # A running number beyond any secretariat's year (and the column's range) is kept as text, not counted.
    return int(found.group(1)) if found and len(found.group(1)) <= MAX_SEQ_DIGITS else None
