from datetime import UTC, date, datetime

from flask_babel import force_locale

from core import formatting

FGD_MORNING = datetime(2025, 12, 16, 2, 0, tzinfo=UTC)  # 09.00 WIB


def test_long_date_is_indonesian_by_default(appctx):
    with force_locale("id"):
        assert formatting.long_date(date(2025, 12, 16)) == "Selasa, 16 Desember 2025"


def test_long_date_of_a_moment_uses_the_pemda_zone(appctx):
    # 20.00 UTC on the 15th is already the 16th in Jakarta.
    with force_locale("id"):
        assert formatting.long_date(datetime(2025, 12, 15, 20, 0, tzinfo=UTC)) == "Selasa, 16 Desember 2025"


def test_time_reads_with_a_dot_and_the_zone_name(appctx):
    with force_locale("id"):
        assert formatting.time_of_day(FGD_MORNING) == "09.00 WIB"
    with force_locale("en"):
        assert formatting.time_of_day(FGD_MORNING) == "09:00 WIB"


def test_date_and_time_in_both_languages(appctx):
    with force_locale("id"):
        assert formatting.date_and_time(FGD_MORNING) == "Selasa, 16 Desember 2025, pukul 09.00 WIB"
    with force_locale("en"):
        assert formatting.date_and_time(FGD_MORNING) == "Tuesday, 16 December 2025 at 09:00 WIB"


def test_other_indonesian_zones_have_their_names(make_app):
    app = make_app(KAWAL_TIMEZONE="Asia/Makassar")
    with app.app_context(), force_locale("id"):
        assert formatting.time_of_day(FGD_MORNING) == "10.00 WITA"


def test_percent_uses_the_decimal_comma(appctx):
    with force_locale("id"):
        assert formatting.percent(0.719) == "71,9%"
    with force_locale("en"):
        assert formatting.percent(0.719) == "71.9%"
