"""Translations are looked up once per request, and follow the locale when it changes within one."""

import flask_babel
from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext

from core import formatting, i18n


def test_a_request_finds_its_catalogue_once_for_every_string(app, monkeypatch):
    found = []
    look_up = flask_babel.Domain.get_translations

    def counted(domain):
        found.append(domain)
        return look_up(domain)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    with app.test_request_context("/"):
        page = render_template_string(
            "{% for _i in range(20) %}{{ _('My tasks') }} {{ label }} {% endfor %}", label=lazy_gettext("Due")
        )
        assert gettext("My tasks") == "Tugas saya"
    assert page.count("Tugas saya") == 20 and "Tenggat" in page
    assert len(found) == 1


def test_the_catalogue_follows_a_locale_forced_within_the_request(app):
    with app.test_request_context("/"):
        assert gettext("My tasks") == "Tugas saya"
        with force_locale("en"):
            assert gettext("My tasks") == "My tasks"
            assert render_template_string("{{ _('My tasks') }}") == "My tasks"
            assert i18n.locale_name() == "en" and formatting.number(1234) == "1,234"
        assert render_template_string("{{ _('My tasks') }}") == "Tugas saya"
        assert i18n.locale_name() == "id" and formatting.number(1234) == "1.234"


def test_outside_any_context_strings_stay_as_written(app):
    assert i18n.translations().ugettext("My tasks") == "My tasks"
    assert i18n.locale_name() == "id"
