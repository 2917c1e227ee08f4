"""Helpers shared by every package's forms and views."""

import math
from datetime import date

import flask_babel
import wtforms
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_wtf import FlaskForm
from flask_wtf.csrf import _FlaskFormCSRF
from markupsafe import Markup
from wtforms import DateTimeLocalField, SelectField
from wtforms.validators import ValidationError

from core import clock
from core.errors import Invalid


class NumberRange(wtforms.validators.NumberRange):
    """WTForms' NumberRange for integers of any size: its NaN test converts the number to a float, which
    raises OverflowError (a 500) for an integer of more than 308 digits."""

    def __call__(self, form, field):
        data = field.data
        if not isinstance(data, int) or abs(data) <= 2**53:
            return super().__call__(form, field)
        field.data = math.inf if data > 0 else -math.inf  # as far out of range as the integer, and a float
        try:
            return super().__call__(form, field)
        finally:
            field.data = data


class _Catalogue:
    """WTForms' own messages ("This field is required.") through Kawal's catalogue: WTForms ships no Indonesian."""

    # The catalogue's raw strings: WTForms fills in %(min)s, %(max)s itself (flask_babel.ngettext would fill in
    # only %(num)s, and fail on the rest).
    def gettext(self, string):
        return flask_babel.get_translations().ugettext(string)

    def ngettext(self, singular, plural, n):
        return flask_babel.get_translations().ungettext(singular, plural, n)


CATALOGUE = _Catalogue()


class _TranslatedCSRF(_FlaskFormCSRF):
    """Flask-WTF's form-level CSRF check, whose messages ("The CSRF token is missing.") it raises untranslated."""

    def validate_csrf_token(self, form, field):
        try:
            super().validate_csrf_token(form, field)
        except ValidationError as error:
            raise ValidationError(CATALOGUE.gettext(str(error.args[0]))) from error


class Form(FlaskForm):
    """Every form of Kawal: a FlaskForm whose built-in messages come in the user's language."""

    class Meta(FlaskForm.Meta):
        csrf_class = _TranslatedCSRF

        def get_translations(self, form):
            return CATALOGUE

    def hidden_tag(self, *fields):
        """The hidden fields (the CSRF token) without an id: a page holds several forms, and ids must be unique."""
        chosen = [getattr(self, f, None) if isinstance(f, str) else f for f in fields or self]
        hidden = [f for f in chosen if f is not None and isinstance(f.widget, wtforms.widgets.HiddenInput)]
        return Markup("\n".join(str(f(id=False)) for f in hidden))


def _wtforms_messages() -> tuple:
    """The messages of WTForms' validators and fields and of Flask-WTF's file and CSRF checks, here so that
    `make translations` finds them for the catalogue (never called). `tests/core/test_forms.py` checks the list
    against WTForms' own catalogue template, so a message a new WTForms adds shows up there."""
    return (
        _l("This field is required."),
        _l("Invalid input."),
        _l("Field must be equal to %(other_name)s."),
        ngettext(
            "Field must be at least %(min)d character long.", "Field must be at least %(min)d characters long.", 1
        ),
        ngettext(
            "Field cannot be longer than %(max)d character.", "Field cannot be longer than %(max)d characters.", 1
        ),
        ngettext("Field must be exactly %(max)d character long.", "Field must be exactly %(max)d characters long.", 1),
        _l("Field must be between %(min)d and %(max)d characters long."),
        _l("Number must be at least %(min)s."),
        _l("Number must be at most %(max)s."),
        _l("Number must be between %(min)s and %(max)s."),
        _l("Invalid email address."),
        _l("Invalid IP address."),
        _l("Invalid Mac address."),
        _l("Invalid URL."),
        _l("Invalid UUID."),
        _l("Invalid value, must be one of: %(values)s."),
        _l("Invalid value, can't be any of: %(values)s."),
        _l("This field cannot be edited."),
        _l("This field is disabled and cannot have a value."),
        _l("Invalid CSRF Token."),
        _l("CSRF token missing."),
        _l("CSRF failed."),
        _l("CSRF token expired."),
        _l("Not a valid choice."),
        _l("Invalid Choice: could not coerce."),
        _l("Invalid choice(s): one or more data inputs could not be coerced."),
        ngettext(
            "'%(value)s' is not a valid choice for this field.", "'%(value)s' are not valid choices for this field.", 1
        ),
        _l("Not a valid datetime value."),
        _l("Not a valid date value."),
        _l("Not a valid time value."),
        _l("Not a valid week value."),
        _l("Not a valid integer value."),
        _l("Not a valid decimal value."),
        _l("Not a valid float value."),
        # Flask-WTF
        _l("File does not have an approved extension: {extensions}"),
        _l("File does not have an approved extension."),
        _l("The CSRF token is missing."),
        _l("The CSRF session token is missing."),
        _l("The CSRF token has expired."),
        _l("The CSRF token is invalid."),
        _l("The CSRF tokens do not match."),
    )


# WTForms' messages that only a programmer's mistake can show (a wrong field name, choices never set). Flask-WTF's
# FileSize builds its message before looking it up, so no catalogue can hold it: a FileSize needs its own message=.
NOT_FOR_USERS = {"Invalid field name '%s'.", "Choices cannot be None."}


def form_status(form: FlaskForm) -> int:
    """422 for a submitted form that is shown again with errors, 200 otherwise."""
    return 422 if form.is_submitted() and form.errors else 200


def attach_error(form: FlaskForm, error: Invalid) -> None:
    """Show a service's refusal next to the field it concerns, or above the form."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        # WTForms keeps errors as a tuple until validate() runs, so make it a list we can add to.
        field.errors = [*field.errors, str(error.message)]
    else:
        form.form_errors.append(str(error.message))


class OptionalIntSelectField(SelectField):
    """A select whose empty choice means None and whose other choices are ids."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("coerce", lambda v: int(v) if v not in (None, "", "None") else None)
        kwargs.setdefault("validate_choice", True)
        super().__init__(*args, **kwargs)

    def pre_validate(self, form):
        if self.data is None:
            return
        super().pre_validate(form)


def enum_choices(labels: dict) -> list[tuple[str, str]]:
    """Select choices from an {enum member: label} table."""
    return [(member.value, label) for member, label in labels.items()]


# The days Kawal plans with. A date beyond them is a slip of the keyboard (year 20256 or 0001), and the
# reminders' arithmetic (a week before, a day after) would step off the calendar.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2100, 12, 31)


def check_day(day: date) -> None:
    """Refuse, as a form field's error, a day outside the years Kawal plans with."""
    if not FIRST_DAY <= day <= LAST_DAY:
        raise ValueError(
            _l("Enter a date between the years %(first)d and %(last)d.", first=FIRST_DAY.year, last=LAST_DAY.year)
        )


class DateField(wtforms.DateField):
    """A date within the years Kawal plans with; anything else is a field error, and the input is shown again."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            check_day(self.data)


class LocalDateTimeField(DateTimeLocalField):
    """A date and time typed in the Pemda's zone; its data is always an aware UTC moment."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None:
            check_day(self.data.date())
            self.data = clock.from_local(self.data)

    def _value(self):
        if self.raw_data:
            return " ".join(self.raw_data)
        if self.data is None:
            return ""
        return clock.to_local(self.data).strftime("%Y-%m-%dT%H:%M")  # what datetime-local inputs read


class ConfirmForm(FlaskForm):
    """A button that needs nothing but its CSRF token: delete, move, deactivate."""
