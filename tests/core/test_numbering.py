"""A secretariat's numbering format made into numbers, read back, and refused with a message when it is wrong."""

from datetime import date

import pytest

from core import numbering
from core.errors import Invalid

DAY = date(2025, 12, 16)


def test_a_format_renders_the_running_number_the_year_and_the_roman_month():
    fmt = "000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}"
    assert numbering.render(fmt, 7, DAY) == "000.1.5/007/BA-Bappeda/XII/2025"
    assert numbering.render("{seq}/{day}.{month}/{year}", 12, date(2026, 3, 5)) == "12/5.03/2026"
    assert numbering.render(None, 1, DAY) == "1/BA/2025"  # the default when a government has none
    assert [numbering.render("{seq}-{roman_month}", 1, date(2025, m, 1)) for m in (1, 4, 9)] == ["1-I", "1-IV", "1-IX"]


def test_a_number_typed_by_hand_gives_back_its_running_number_when_it_follows_the_format():
    fmt = "000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}"
    assert numbering.sequence_of(fmt, "000.1.5/042/BA-Bappeda/XII/2025", DAY) == 42
    assert numbering.sequence_of(fmt, "000.1.5/042/BA-Bappeda/XI/2025", DAY) is None  # another month
    assert numbering.sequence_of(fmt, "ND/17", DAY) is None
    assert numbering.sequence_of("{seq}/BA/{year}", "99999999999999999999/BA/2025", DAY) is None  # too big to count


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("{seq}/{bulan}/{year}", "Isian {bulan} tidak dikenal"),
        ("{seq.__class__}", "Isian {seq.__class__} tidak dikenal"),
        ("{seq}/BA/{year", "kurung kurawal"),
        ("BA/{year}", "memerlukan {seq}"),
        ("{year:>10}/{seq}", "bukan lebar angka"),
    ],
)
def test_a_wrong_format_is_refused_with_what_is_wrong(appctx, fmt, message):
    with appctx.test_request_context(), pytest.raises(Invalid) as refused:
        numbering.check(fmt)
    assert message in str(refused.value.message) and refused.value.field == "numbering_format"


def test_a_width_pads_with_zeros_never_with_spaces():
    assert numbering.render("{seq:3}/BA/{day:2}.{month}/{year}", 7, date(2025, 6, 5)) == "007/BA/05.06/2025"
    assert numbering.sequence_of("{seq:3}/BA/{year}", "007/BA/2025", DAY) == 7


def test_a_format_whose_numbers_would_not_fit_the_column_is_refused(appctx):
    # 119 characters of format, but each {seq:9} prints nine digits: 153 characters, more than a number holds.
    with appctx.test_request_context(), pytest.raises(Invalid) as refused:
        numbering.check("{seq:9}" * 17)
    assert "lebih dari 120 karakter" in str(refused.value.message) and refused.value.field == "numbering_format"
    assert numbering.check("000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}")  # a usual one still fits
