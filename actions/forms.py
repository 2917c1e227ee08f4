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

from accounts import governments, reach
from accounts import services as accounts
from accounts.models import Opd
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


# Beside an OPD in a list of those a task may go to, when nobody would hear of it (accounts.reach).
NO_RECIPIENT = _l("no email recipient")


def silent_opds(opds) -> dict[int, Opd]:
    """Of the OPDs a form offers, those nobody would hear for (no active head, no official inbox), by id: the form
    marks them in its list and warns, before saving, about those chosen. Saving is still allowed: the head can be
    set later."""
    ids = [opd.id for opd in opds]
    return {opd.id: opd for opd in reach.unreachable(opd_ids=ids)} if ids else {}


def marked(choices, silent: dict[int, Opd]) -> list:
    """Select choices with "(no email recipient)" after each OPD nobody would hear for."""
    return [(value, f"{label} ({NO_RECIPIENT})" if value in silent else label) for value, label in choices]


class _WarnsOfSilentOpds:
    """A form giving tasks to OPDs it offers; `silent` holds those of them nobody would hear for."""

    silent: dict[int, Opd]

    def chosen_ids(self, present=()) -> set[int]:
        raise NotImplementedError

    def silent_chosen(self, present=()) -> set[int]:
        """The chosen OPDs nobody would hear for: the warning above the button names them."""
        return set(self.silent) & self.chosen_ids(present)


class _OneOpdForm(_WarnsOfSilentOpds, Form):
    """A form that gives a task to one OPD chosen in a list (adding an OPD, reassigning): the list marks the OPDs
    nobody would hear for, and `silent_chosen` is the chosen one when it is such."""

    def _offer(self, forum) -> None:
        opds = forums.assignable_opds(forum) if forum is not None else accounts.active_opds()
        self.silent = silent_opds(opds)
        self.opd_id.choices = marked(opd_choices(opds, _l("(choose)")), self.silent)

    def chosen_ids(self, present=()) -> set[int]:
        return {self.opd_id.data} if self.opd_id.data else set()


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


def opd_groups(opds, silent: dict[int, Opd] | None = None) -> list[OpdGroup]:
    """OPDs (in the order given, a government's together) grouped by government for a checklist, each nobody would
    hear for marked so."""
    return [
        OpdGroup(governments.node(government_id), marked([(o.id, f"{o.code} – {o.name}") for o in group], silent or {}))
        for government_id, group in groupby(opds, key=lambda opd: opd.government_id)
    ]


class ActionForm(_WarnsOfSilentOpds, Form):
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
        self.silent = silent_opds(opds)
        self.lead_opd_id.choices = marked(opd_choices(opds, _l("(choose)")), self.silent)
        self.support_opd_ids.choices = opd_choices(opds)
        self.opd_groups = opd_groups(opds, self.silent)

    def paste_unchecked(self) -> bool:
        """Whether OPDs were pasted and not yet checked (by the preview) as they stand."""
        text = self.support_paste.data or ""
        return bool(text.strip()) and self.paste_checked.data != opd_paste.digest(text)

    def ticked(self, opd_id: int) -> bool:
        return opd_id in (self.support_opd_ids.data or ())

    def government_ticked(self, government_id: int) -> bool:
        return government_id in (self.support_government_ids.data or ())

    def chosen_ids(self, present=()) -> set[int]:
        """The OPDs the follow-up would go to as the form stands: the lead, the ticked supporters, every OPD of a
        ticked government, and those present when "all present" is ticked (the service decides in the end)."""
        chosen = set(self.support_opd_ids.data or ())
        if self.lead_opd_id.data:
            chosen.add(self.lead_opd_id.data)
        for group in self.opd_groups:
            if self.government_ticked(group.government.id):
                chosen.update(opd_id for opd_id, _label in group.opds)
        if self.all_present.data:
            chosen.update(present)
        return chosen

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


class AddOpdForm(_OneOpdForm):
    opd_id = OptionalIntSelectField(_l("OPD"), validators=[DataRequired()])
    role = SelectField(_l("Role"), choices=enum_choices(ASSIGNMENT_ROLE_LABELS), default="support")
    reason = StringField(_l("Reason"), validators=REASON)

    def __init__(self, *args, forum=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._offer(forum)


class ReasonForm(Form):
    reason = StringField(_l("Reason"), validators=REASON)


class DueDateForm(Form):
    due_date = DateField(_l("New due date"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=REASON)


class ReassignForm(_OneOpdForm):
    opd_id = OptionalIntSelectField(_l("New OPD"), validators=[DataRequired()])
    reason = StringField(_l("Reason"), validators=REASON)

    def __init__(self, *args, forum=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._offer(forum)


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
    # Several lines: what to fix, as a list, when a task is returned or a request rejected.
    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=2000)])


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
