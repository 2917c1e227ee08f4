"""core/forms.py: the shared form helpers."""

import pytest

from tests.forum.test_views import NEW_FORUM

HUGE = "9" * 400  # more digits than a float can hold


def test_a_number_too_large_for_a_float_is_refused_politely(client_as):
    """Found by the fuzz: WTForms' NumberRange raised OverflowError (a 500) for such a planning year."""
    client = client_as("secretariat")
    for value in (HUGE, "-" + HUGE):
        response = client.post("/forums/new", data={**NEW_FORUM, "period_start": value, "period_end": "2029"})
        assert response.status_code == 422
        assert 'value="FGD Pembahasan PPT Kespro"' in response.get_data(as_text=True)


def test_a_number_in_range_still_passes(app, client_as):
    response = client_as("secretariat").post(
        "/forums/new", data={**NEW_FORUM, "period_start": "2025", "period_end": "2029"}
    )
    assert response.status_code == 302


def _wtforms_template_ids(plurals: bool = False) -> set[str]:
    """Every message WTForms itself can say, from the catalogue template it ships (their plural forms too)."""
    from pathlib import Path

    import wtforms
    from babel.messages.pofile import read_po

    with (Path(wtforms.__file__).parent / "locale" / "wtforms.pot").open("rb") as pot:
        ids = [(m.id,) if isinstance(m.id, str) else m.id for m in read_po(pot) if m.id]
    return {forms[0] for forms in ids} | ({plural for forms in ids for plural in forms[1:]} if plurals else set())


def test_every_message_wtforms_ships_is_in_kawals_indonesian_catalogue():
    """A new WTForms that adds a message fails here until it is listed in core/forms.py and translated."""
    from babel.messages.pofile import read_po

    from core.forms import NOT_FOR_USERS
    from tests.test_i18n import PO

    catalogue = read_po(PO.open("rb"))
    untranslated = []
    for message_id in sorted(_wtforms_template_ids() - NOT_FOR_USERS):
        entry = catalogue.get(message_id)
        strings = [] if entry is None else ([entry.string] if isinstance(entry.string, str) else list(entry.string))
        if entry is None or entry.fuzzy or not all(strings) or message_id in strings:
            untranslated.append(message_id)
    assert untranslated == []


class _EveryValidator:
    """A form with one field per validator and field type whose message a user can meet."""

    @staticmethod
    def make():
        from flask_wtf.file import FileAllowed, FileField
        from wtforms import DateField, DecimalField, FloatField, IntegerField, SelectField, StringField
        from wtforms.validators import URL, DataRequired, Email, InputRequired, Length, NumberRange

        from core.forms import Form

        class Every(Form):
            required = StringField(validators=[DataRequired()])
            input_required = StringField(validators=[InputRequired()])
            short = StringField(validators=[Length(max=3)])
            between = StringField(validators=[Length(min=2, max=3)])
            at_least = StringField(validators=[Length(min=5)])
            number = IntegerField(validators=[NumberRange(min=1, max=10)])
            email = StringField(validators=[Email(check_deliverability=False)])
            url = StringField(validators=[URL()])
            choice = SelectField(choices=[("a", "A")])
            integer = IntegerField()
            day = DateField()
            decimal = DecimalField()
            real = FloatField()
            upload = FileField(validators=[FileAllowed(["pdf"])])

        return Every

    BAD = {
        "short": "abcdef",
        "between": "a",
        "at_least": "abc",
        "number": "99",
        "email": "bukan-email",
        "url": "bukan url",
        "choice": "z",
        "integer": "x",
        "day": "kemarin",
        "decimal": "x",
        "real": "x",
    }


@pytest.mark.parametrize("locale", ["id", "en"])
def test_every_validator_message_comes_in_the_users_language(app, locale):
    """Length, NumberRange, Email, URL, DataRequired, InputRequired, a choice, a number, a date and a file type:
    each message in Indonesian for an Indonesian user, and WTForms' English for an English one."""
    import io

    from flask import session
    from werkzeug.datastructures import FileStorage, MultiDict

    form_class = _EveryValidator.make()
    data = MultiDict(_EveryValidator.BAD)
    data["upload"] = FileStorage(io.BytesIO(b"MZ"), "program.exe")
    with app.test_request_context("/", method="POST", data=data):
        session["locale"] = locale
        form = form_class(meta={"csrf": False})
        assert not form.validate()
        messages = {name: errors[0] for name, errors in form.errors.items()}
    assert set(messages) == set(_EveryValidator.BAD) | {"required", "input_required", "upload"}
    in_english = {name: m for name, m in messages.items() if _is_wtforms_english(m)}
    if locale == "id":
        assert in_english == {}, messages
        assert messages["short"] == "Isian tidak boleh lebih dari 3 karakter."
        assert messages["between"] == "Isian harus antara 2 dan 3 karakter."
    else:
        assert in_english == messages


def _is_wtforms_english(message: str) -> bool:
    """Whether a message is one of WTForms' or Flask-WTF's English ones, its placeholders filled in."""
    import re

    for template in _wtforms_template_ids(plurals=True) | {"File does not have an approved extension: {extensions}"}:
        pattern = re.sub(r"%\\\(\w+\\\)[sd]|\\\{\w+\\\}", ".*", re.escape(template))
        if re.fullmatch(pattern, message):
            return True
    return False


def test_the_forms_own_csrf_check_speaks_indonesian(app):
    """Flask-WTF raises its form-level CSRF messages untranslated; Kawal's forms look them up."""
    from flask import session
    from wtforms import StringField

    from core.forms import Form

    class Small(Form):
        name = StringField()

    app.config["WTF_CSRF_ENABLED"] = True
    with app.test_request_context("/", method="POST", data={"name": "x"}):
        session["locale"] = "id"
        form = Small()
        assert not form.validate()
        assert form.errors["csrf_token"] == ["Token CSRF tidak ada."]
