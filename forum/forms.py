"""Forms for series, forums, participants, minutes, recommendations and the attendance import."""

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from wtforms import FieldList, FormField, HiddenField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional

from accounts import governments
from accounts import services as accounts
from core.db import max_length
from core.forms import Form, LocalDateTimeField, NumberRange, OptionalIntSelectField, enum_choices
from forum import attendance_import, services
from forum.models import (
    ATTENDANCE_LABELS,
    FIRST_PLANNING_YEAR,
    FORUM_KIND_LABELS,
    FORUM_MODE_LABELS,
    LAST_PLANNING_YEAR,
    PARTICIPANT_CATEGORY_LABELS,
    PARTICIPANT_ROLE_LABELS,
    Forum,
    Participant,
)

YEAR = [Optional(), NumberRange(min=FIRST_PLANNING_YEAR, max=LAST_PLANNING_YEAR)]


def opd_label(opd) -> str:
    """ "DINKES – Dinas Kesehatan", or "DINKES · Kab. Serang – Dinas Kesehatan" for another government's OPD."""
    return f"{governments.opd_name(opd.code, opd.government_id, current_user)} – {opd.name}"


def opd_choices(opds=None, empty=None) -> list:
    """Select choices of OPDs (every active one unless given), each named with its government when that is not
    the viewer's; with one government they read as they always did."""
    opds = accounts.active_opds() if opds is None else opds
    return ([("", empty)] if empty else []) + [(o.id, opd_label(o)) for o in opds]


def _opd_choices(empty_label):
    return opd_choices(empty=empty_label)


class SeriesForm(Form):
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])


class ForumForm(Form):
    kind = SelectField(_l("Kind of meeting"), choices=enum_choices(FORUM_KIND_LABELS))
    title = StringField(_l("Title"), validators=[DataRequired(), Length(max=300)])
    series_id = OptionalIntSelectField(_l("Series (process)"))
    starts_at = LocalDateTimeField(_l("Starts"), validators=[DataRequired()])
    ends_at = LocalDateTimeField(_l("Ends"), validators=[Optional()])
    venue = StringField(_l("Venue"), validators=[Optional(), Length(max=300)])
    mode = SelectField(_l("Mode"), choices=enum_choices(FORUM_MODE_LABELS))
    # Text, not type="url": the browser would refuse "zoom.us/j/123", which the service completes with https://.
    online_link = StringField(
        _l("Online link"),
        validators=[Optional(), Length(max=max_length(Forum.online_link))],
        render_kw={"inputmode": "url"},
    )
    platform = StringField(
        _l("Online platform"),
        validators=[Optional(), Length(max=max_length(Forum.platform))],
        description=_l('Printed as "secara daring melalui Zoom Meeting"; left empty, it is read from the link.'),
    )
    organiser_opd_id = OptionalIntSelectField(_l("Organiser OPD"))
    host = StringField(_l("Host, for a meeting held by another government"), validators=[Optional(), Length(max=300)])
    chair = StringField(_l("Chair (pimpinan rapat)"), validators=[Optional(), Length(max=200)])
    chair_position = StringField(_l("Chair's position"), validators=[Optional(), Length(max=200)])
    chair_nip = StringField(_l("Chair's NIP"), validators=[Optional(), Length(max=30)])
    minute_taker = StringField(_l("Minute-taker (notulis)"), validators=[Optional(), Length(max=200)])
    minute_taker_position = StringField(_l("Minute-taker's position"), validators=[Optional(), Length(max=200)])
    minute_taker_nip = StringField(_l("Minute-taker's NIP"), validators=[Optional(), Length(max=30)])
    agenda = TextAreaField(_l("Agenda"), validators=[Optional(), Length(max=20000)])
    period_start = IntegerField(_l("Planning period from"), validators=YEAR)
    period_end = IntegerField(_l("Planning period to"), validators=YEAR)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # A forum joins a process of its own government only.
        own = governments.acting_government_id(current_user)
        series = [(s.id, s.title) for s in services.all_series(current_user) if s.government_id == own]
        self.series_id.choices = [("", _l("(none)")), *series]
        self.organiser_opd_id.choices = _opd_choices(_l("(none)"))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.FORUM_FIELDS}


class MinutesForm(Form):
    minutes = TextAreaField(_l("Minutes (Markdown)"), validators=[Optional(), Length(max=200000)])
    # The minutes_fingerprint of the text the form was opened on: saving refuses minutes changed since.
    seen = HiddenField()


class RecordNumberForm(Form):
    record_number = StringField(
        _l("Number of the Berita Acara"),
        validators=[Optional(), Length(max=max_length(Forum.record_number))],
        description=_l("The secretariat's number; left empty, the forum has none yet."),
    )


class StatusForm(Form):
    status = HiddenField(validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class ParticipantForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=max_length(Participant.name))])
    position = StringField(
        _l("Position (jabatan)"), validators=[Optional(), Length(max=max_length(Participant.position))]
    )
    opd_id = OptionalIntSelectField(_l("OPD"))
    institution = StringField(
        _l("Institution, if not an OPD"), validators=[Optional(), Length(max=max_length(Participant.institution))]
    )
    category = SelectField(_l("Category (unsur)"), choices=enum_choices(PARTICIPANT_CATEGORY_LABELS))
    role = SelectField(_l("Role"), choices=enum_choices(PARTICIPANT_ROLE_LABELS), default="peserta")
    attendance = SelectField(_l("Attendance"), choices=enum_choices(ATTENDANCE_LABELS))
    email = StringField(
        _l("Email"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=max_length(Participant.email))],
    )
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=max_length(Participant.phone))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opd_id.choices = _opd_choices(_l("(not an OPD)"))

    def validate(self, extra_validators=None):
        valid = super().validate(extra_validators)
        if valid and not self.opd_id.data and not (self.institution.data or "").strip():
            self.institution.errors.append(_l("Give the participant's OPD or institution."))
            return False
        return valid

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.PARTICIPANT_FIELDS}


class ImportUploadForm(Form):
    file = FileField(_l("Attendance list (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])


class ImportConfirmForm(Form):
    payload = HiddenField(validators=[DataRequired()])


class ImportColumnsForm(Form):
    """The mapping step: the file as read (a signed token) and, per unknown column, what it holds."""

    sheet = HiddenField(validators=[DataRequired()])

    def columns(self) -> list:
        """The selects, one per unknown column asked about."""
        return [field for field in self if isinstance(field, ColumnField)]

    def choices(self) -> dict[str, str]:
        """{unknown column: the choice made}, as attendance_import names them."""
        return {field.column: field.data for field in self.columns()}


class ColumnField(SelectField):
    """What one unknown column holds; `column` is the key the sheet keeps its cells under."""

    def __init__(self, *args, column: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.column = column


def import_columns_form(unknown: list[tuple[str, str]], choices: dict[str, str] | None = None, **kwargs):
    """An ImportColumnsForm with one select per unknown column, labelled with its header; `choices` preselects
    (a preview offers its mapping to change). The choices are checked by attendance_import.column_errors."""

    class Columns(ImportColumnsForm):
        pass

    options = [("", _l("Choose…")), *attendance_import.column_choices()]
    for position, (column, header) in enumerate(unknown):
        setattr(
            Columns,
            f"column_{position}",
            ColumnField(
                header, choices=options, validate_choice=False, column=column, default=(choices or {}).get(column, "")
            ),
        )
    return Columns(**kwargs)


class ThemesField(StringField):
    """Themes typed as one line, "kesehatan jiwa, sarana visum"; a recommendation's Theme rows read the same way."""

    def process_data(self, value):
        # The form is built from the recommendation, whose `themes` are rows: text here, so that a POST
        # without this field keeps them, as it keeps any other field.
        if value is not None and not isinstance(value, str):
            value = ", ".join(theme.name for theme in value)
        super().process_data(value)


class RecommendationForm(Form):
    text = TextAreaField(_l("Recommendation"), validators=[DataRequired(), Length(max=5000)])
    themes = ThemesField(_l("Themes, separated by commas"), validators=[Optional(), Length(max=500)])
    planning_ref = StringField(
        _l("Planning reference (Renstra/RPJMD/RKPD programme)"), validators=[Optional(), Length(max=300)]
    )

    def values(self) -> dict:
        return {
            "text": self.text.data,
            "planning_ref": self.planning_ref.data,
            "themes": services.parse_theme_list(self.themes.data),
        }


class ItemList(FieldList):
    """A FieldList that reads only plain indices ("items-3-text"): WTForms' own takes any digit str.isdigit()
    knows ("items-²-text") and int() then fails; a tampered name here is ignored."""

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split(self._field_separator, 1)[0]
                if index.isascii() and index.isdigit() and len(index) < 10:
                    yield int(index)


class PastedRecommendationForm(Form):
    """One item of a pasted list, as the preview lets it be changed."""

    class Meta:
        csrf = False

    text = TextAreaField(_l("Recommendation"), validators=[DataRequired(), Length(max=5000)])
    themes = ThemesField(_l("Themes, separated by commas"), validators=[Optional(), Length(max=500)])


class RecommendationPasteForm(Form):
    """A pasted list of conclusions, then its preview: one entry per recommendation it will create."""

    text = TextAreaField(_l("The list, as it stands in the minutes or a report"), validators=[Length(max=50000)])
    seen = HiddenField()
    # One past the limit, so that the service says how many are allowed instead of dropping the rest.
    items = ItemList(FormField(PastedRecommendationForm), max_entries=services.MAX_PASTED_ITEMS + 1)

    def values(self) -> list[dict]:
        return [
            {"text": entry.form.text.data, "themes": services.parse_theme_list(entry.form.themes.data)}
            for entry in self.items
        ]
