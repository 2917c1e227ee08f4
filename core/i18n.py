"""Translations found once per request. Flask-Babel looks the catalogue up again for every string it translates
(through the request's context, naming the locale each time): a page of 50 task cards asks for hundreds of strings,
and finding the catalogue cost far more than the translation itself."""

from functools import cached_property

import flask_babel
from babel.support import NullTranslations
from flask import g, has_app_context


def translations():
    """The catalogue of the context's locale, found once for the request (or app context). A changed locale
    (force_locale around an email, refresh() after a new choice) finds its own."""
    return _kept()[1] if has_app_context() else NullTranslations()


def locale_name() -> str:
    """The context's locale as formats take it ("id", "en"); Indonesian outside any context."""
    return _kept()[2] if has_app_context() else "id"


def _kept() -> tuple:
    """(locale, catalogue, locale name) of this context, looked up again only when the locale changed."""
    # One look through the context-local proxy, not the seven of flask_babel.get_locale() and get_domain(): the
    # locale is read where Flask-Babel keeps it, and asked for properly when it is not there yet.
    context_globals = g._get_current_object()
    locale = getattr(getattr(context_globals, "_flask_babel", None), "babel_locale", None) or flask_babel.get_locale()
    kept = context_globals.get("_kawal_translations")
    if kept is None or kept[0] is not locale:
        # Flask-Babel's own look-up, of the domain in use (RequestDomain's would come back here).
        found = flask_babel.Domain.get_translations(flask_babel.get_domain())
        kept = context_globals._kawal_translations = (locale, found, str(locale or "id"))
    return kept


class RequestDomain(flask_babel.Domain):
    """Flask-Babel's message domain with the request's catalogue kept: what gettext, lazy_gettext and the labels
    of every page go through."""

    def get_translations(self):
        return translations()


class Babel(flask_babel.Babel):
    """Flask-Babel, with RequestDomain as its domain."""

    @cached_property
    def domain_instance(self):
        return RequestDomain(domain=self.domain)


def init_app(app) -> None:
    """Templates' _() and ngettext() read the kept catalogue directly, as Flask-Babel's own callables do without
    keeping it."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda string: translations().ugettext(string),
        ngettext=lambda singular, plural, n: translations().ungettext(singular, plural, n),
        pgettext=lambda context, string: translations().upgettext(context, string),
        npgettext=lambda context, singular, plural, n: translations().unpgettext(context, singular, plural, n),
        newstyle=True,
    )
