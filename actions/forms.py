"""Forms of the follow-up pages."""

from dataclasses import dataclass
from itertools import groupby

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    HiddenField,
    IntegerField,
    MultipleFileField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from accounts import governments
from actions import opd_paste
from actions.models import (
    ACTION_KIND_LABELS,
    ASSIGNMENT_ROLE_LABELS,
    CANNOT_REASON_LABELS,
    CARRY_OUTCOME_LABELS,
    TEAM_ROLE_LABELS,
)
from core.forms import DateField, Form, NumberRange, OptionalIntSelectField, enum_choices
from forum import services as forums
from forum.forms import opd_choices

REASON = [DataRequired(_l("Give the reason.")), Length(max=500)]
SIGNERS = ["Wali Kota Tangerang", "Bupati", "Sekretaris Daerah", "Kepala Bappeda"]


def _opd_choices(empty=None, forum=None):
    """The OPDs a field offers: for a forum's follow-ups only those it may go to (forum.services.assignable_opds)."""
    return opd_choices(forums.assignable_opds(forum) if forum is not None else None, empty)


def _at_most_lines(most: int):
    """A text field's check: no more than `most` non-empty lines."""

    def check(form, field):
        if sum(1 for line in (field.data or "").splitlines() if line.strip()) > most:
            raise ValidationError(_l("Paste at most %(num)d lines at a time.", num=most))

    return check


@dataclass(frozen=True)
class OpdGroup:
    """One government's OPDs in a checklist: the government, and (id, "DINKES – Dinas Kesehatan") of each."""

    government: governments.Node
    opds: list[tuple[int, str]]


def opd_groups(opds) -> list[OpdGroup]:
    """OPDs (in the order given, a government's together) grouped by government for a checklist."""
    return [
        OpdGroup(governments.node(government_id), [(o.id, f"{o.code} – {o.name}") for o in group])
        for government_id, group in groupby(opds, key=lambda opd: opd.government_id)
    ]


class ActionForm(Form):
    kind = SelectField(_l("Kind of follow-up"), choices=enum_choices(ACTION_KIND_LABELS))
    title = StringField(_l("Follow-up"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    due_date = DateField(_l("Due date"), validators=[DataRequired()])
    lead_opd_id = OptionalIntSelectField(_l("Lead OPD"))
    support_opd_ids = SelectMultipleField(_l("Supporting OPDs"), coerce=int, validate_choice=True)
    # Checked against the forum's reach by the service, which names the refusal (a tampered id).
    support_government_ids = SelectMultipleField(_l("Every OPD of a government"), coerce=int, validate_choice=False)
    all_present = BooleanField(_l("All OPDs present at this forum"))
    support_paste = TextAreaField(
        _l("Paste supporting OPDs"), validators=[Optional(), Length(max=20000), _at_most_lines(opd_paste.MAX_LINES)]
    )
    paste_checked = HiddenField()
    preview = SubmitField(_l("Check and tick"))

    def __init__(self, *args, forum, **kwargs):
        super().__init__(*args, **kwargs)
        opds = forums.assignable_opds(forum)
        self.lead_opd_id.choices = opd_choices(opds, _l("(choose)"))
        self.support_opd_ids.choices = opd_choices(opds)
        self.opd_groups = opd_groups(opds)

    def paste_unchecked(self) -> bool:
        """Whether OPDs were pasted and not yet checked (by the preview) as they stand."""
        text = self.support_paste.data or ""
        return bool(text.strip()) and self.paste_checked.data != opd_paste.digest(text)

    def ticked(self, opd_id: int) -> bool:
        return opd_id in (self.support_opd_ids.data or ())

    def government_ticked(self, government_id: int) -> bool:
        return government_id in (self.support_government_ids.data or ())

    def values(self) -> dict:
        return {
            "kind": self.kind.data,
            "title": self.title.data,
            "description": self.description.data,
            "due_date": self.due_date.data,
            "lead_opd_id": self.lead_opd_id.data,
            "support_opd_ids": self.support_opd_ids.data or [],
            "support_government_ids": self.support_government_ids.data or [],
            "all_present": self.all_present.data,
        }


class ActionEditForm(Form):
    title = StringField(_l("Follow-up"), validators=[DataRequired(), Length(max=300)])
    description = TextAreaField(_l("Description"), validators=[Optional(), Length(max=5000)])
    due_date = DateField(_l("Due date"), validators=[DataRequired()])
    reason = StringField(_l("Reason for the change"), validators=REASON)


class AddOpdForm(Form):
    opd_id = OptionalIntSelectField(_l("OPD"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=enum_choices(ASSIGNMENT_ROLE_LABELS), default="support")
    reason = StringField(_l("Reason"), validators=REASON)

    def __init__(self, *args, forum=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opd_id.choices = _opd_choices(_l("(choose)"), forum)


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=REASON)


class DueDateForm(Form):
    due_date = DateField(_l("New due date"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=REASON)


class ReassignForm(Form):
    opd_id = OptionalIntSelectField(_l("New OPD"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=REASON)

    def __init__(self, *args, forum=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opd_id.choices = _opd_choices(_l("(choose)"), forum)


class AcknowledgeForm(Form):
    pic_name = StringField(_l("Person in charge (PIC)"), validators=[Optional(), Length(max=200)])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class PicForm(Form):
    pic_name = StringField(_l("Person in charge (PIC)"), validators=[DataRequired(), Length(max=200)])


class ProgressForm(Form):
    percent = IntegerField(_l("Progress (%)"), validators=[InputRequired(), NumberRange(min=0, max=100)])
    note = TextAreaField(_l("What was done"), validators=[Optional(), Length(max=5000)])
    files = MultipleFileField(_l("Evidence files (pdf, jpg, png, docx, xlsx)"))
    links = TextAreaField(_l("Evidence links, one per line"), validators=[Optional(), Length(max=5000)])

    def link_list(self) -> list[str]:
        return [line.strip() for line in (self.links.data or "").splitlines() if line.strip()]


class SubmitForm(Form):
    note = StringField(_l("Note for the secretariat"), validators=[Optional(), Length(max=500)])


class CannotForm(Form):
    category = SelectField(_l("Reason category"), choices=enum_choices(CANNOT_REASON_LABELS))
    reason = TextAreaField(_l("Explanation"), validators=[DataRequired(_l("Give the reason.")), Length(max=2000)])


class DecisionForm(Form):
    decision = RadioField(choices=[("yes", "yes"), ("no", "no")], validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])


class DecreeForm(Form):
    subject = StringField(_l("Subject (tentang)"), validators=[DataRequired(), Length(max=500)])
    number = StringField(_l("Number"), validators=[Optional(), Length(max=120)])
    signed_on = DateField(_l("Signed on"), validators=[Optional()])
    signer = StringField(_l("Signer"), validators=[Optional(), Length(max=200)])
    valid_from = DateField(_l("Valid from"), validators=[Optional()])
    valid_until = DateField(_l("Valid until"), validators=[Optional()])
    lead_opd_id = OptionalIntSelectField(_l("Lead OPD (by local agreement)"))
    document = FileField(_l("Scanned decree (pdf, jpg, png)"))

    def __init__(self, *args, forum=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.lead_opd_id.choices = _opd_choices(_l("(choose)"), forum)

    def values(self) -> dict:
        names = ("subject", "number", "signed_on", "signer", "valid_from", "valid_until", "lead_opd_id")
        return {name: getattr(self, name).data for name in names}


class StageForm(Form):
    stage = HiddenField(validators=[DataRequired()])


class MemberForm(Form):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    opd_id = OptionalIntSelectField(_l("OPD"))
    position = StringField(_l("Position"), validators=[Optional(), Length(max=200)])
    team_role = SelectField(_l("Role in the team"), choices=enum_choices(TEAM_ROLE_LABELS), default="anggota")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.opd_id.choices = _opd_choices(_l("(none)"))


class CarryOverForm(Form):
    outcome = SelectField(_l("Outcome"), choices=enum_choices(CARRY_OUTCOME_LABELS))
    note = StringField(_l("Note"), validators=[Optional(), Length(max=500)])
    due_date = DateField(_l("Due date, when decided"), validators=[Optional()])


class MemberPasteForm(Form):
    """Rows copied from a spreadsheet, one member each; `seen` is the team the preview was made against."""

    text = TextAreaField(
        _l("Rows copied from a spreadsheet: name, OPD, position, role in the team"),
        validators=[DataRequired(), Length(max=50000)],
    )
    seen = HiddenField()
