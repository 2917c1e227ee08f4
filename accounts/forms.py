"""Forms for signing in, one's own account, and the administration of users and OPDs."""

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from accounts import governments, services
from accounts.models import GOVERNMENT_KIND_LABELS, OPD_KIND_LABELS, TIME_ZONE_LABELS, TOKEN_SCOPE_LABELS, TokenScope
from core import numbering
from core.errors import Invalid
from core.forms import Form, OptionalIntSelectField, enum_choices
from core.permissions import ROLE_LABELS, Actor

LANGUAGE_CHOICES = [("id", "Bahasa Indonesia"), ("en", "English")]


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))


class PasswordChangeForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class SetPasswordForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class PasswordResetForm(Form):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])


NEVER = "never"
TOKEN_DAYS_CHOICES = [
    ("30", _l("30 days")),
    ("90", _l("90 days")),
    ("365", _l("1 year")),
    (NEVER, _l("Never (until revoked)")),
]


class TokenForm(Form):
    """A new personal access token: its name, what it may do, how long it lasts (the service checks each again)."""

    name = StringField(
        _l("Name"),
        validators=[DataRequired(), Length(max=100)],
        description=_l('What the token is for, e.g. "SIPD sync" or "Inspektorat dashboard".'),
    )
    scope = RadioField(
        _l("Access"),
        choices=enum_choices(TOKEN_SCOPE_LABELS),
        default=TokenScope.READ.value,
        validators=[DataRequired()],
    )
    days = SelectField(_l("Expires after"), choices=TOKEN_DAYS_CHOICES, default="90")

    def values(self) -> dict:
        days = self.days.data
        return {"name": self.name.data, "scope": self.scope.data, "days": None if days == NEVER else int(days)}


class LanguageForm(Form):
    locale = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[DataRequired()])


def _government_choices(actor: Actor) -> list[tuple[int, str]]:
    """The governments the admin manages, by name: the picker's choices."""
    scope = services.administered(actor)
    nodes = [n for n in governments.tree().values() if scope is None or n.id in scope]
    return [(n.id, n.name) for n in sorted(nodes, key=lambda n: (n.name, n.id))]


def _opd_label(opd) -> str:
    """An OPD in a choice list: its code and name, and its government's short name when there are several."""
    if governments.several():
        return f"{opd.code} · {governments.short_name(opd.government_id)} – {opd.name}"
    return opd.label


def _head_label(user, opd_id: int) -> str:
    """A head in the OPD form's choice list: the name, and for the head of another OPD "(Plt., Head of <their
    OPD>)", so the admin sees they would be acting head here."""
    if user.opd_id == opd_id:
        return user.name
    return _l("%(name)s (Plt., Head of %(opd)s)", name=user.name, opd=user.opd.name)


class _GovernmentPicker:
    """The government field of the user and OPD forms: shown, and read, only when the admin manages more than
    one government (the instance admin of a Kawal with several); otherwise the admin's own government."""

    def _setup_government(self, actor: Actor | None) -> None:
        choices = _government_choices(actor) if actor is not None else []
        self.picks_government = len(choices) > 1
        if self.picks_government:
            self.government_id.choices = choices
        else:
            del self.government_id

    def _government_value(self) -> dict:
        return {"government_id": self.government_id.data} if self.picks_government else {}


class UserForm(_GovernmentPicker, Form):
    government_id = OptionalIntSelectField(
        _l("Government"), description=_l("For the secretariat, viewers and administrators; OPD users take their OPD's.")
    )
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=enum_choices(ROLE_LABELS))
    opd_id = OptionalIntSelectField(_l("OPD"))
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)])

    def __init__(self, *args, user_id: int | None = None, actor: Actor | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self._setup_government(actor)
        opds = services.active_opds(services.administered(actor) if actor is not None else None)
        self.opd_id.choices = [("", "—")] + [(o.id, _opd_label(o)) for o in opds]

    def validate_email(self, field):
        other = services.user_by_email(field.data)
        if other is not None and other.id != self.user_id:
            raise ValidationError(_l("This email is already in use."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.USER_FIELDS} | self._government_value()


class OpdForm(_GovernmentPicker, Form):
    government_id = OptionalIntSelectField(_l("Government"))
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=enum_choices(OPD_KIND_LABELS))
    parent_id = OptionalIntSelectField(_l("Under (parent OPD)"))
    email = EmailField(
        _l("Official email"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    head_id = OptionalIntSelectField(_l("Current head"))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, opd_id: int | None = None, actor: Actor | None = None, government_id=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opd_id = opd_id
        self.government = government_id or governments.acting_government_id(actor)
        # An existing OPD stays in its government; its parent is one of that government's OPDs.
        self._setup_government(actor if opd_id is None else None)
        scope = frozenset({government_id}) if government_id else None
        if scope is None and actor is not None:
            scope = services.administered(actor)
        parents = [o for o in services.active_opds(scope) if o.id != opd_id]
        self.parent_id.choices = [("", "—")] + [(o.id, _opd_label(o)) for o in parents]
        heads = services.opd_heads(services.get_opd(opd_id)) if opd_id else []
        self.head_id.choices = [("", _l("(no head)"))] + [(u.id, _head_label(u, opd_id)) for u in heads]

    def validate_code(self, field):
        government_id = self.government_id.data if self.picks_government else self.government
        if government_id not in governments.tree():  # a tampered or huge id: the field's own check says so
            return
        other = services.opd_by_code(field.data, government_id)
        if other is not None and other.id != self.opd_id:
            raise ValidationError(_l("Another OPD already has this code."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.OPD_FIELDS} | self._government_value()


class ImportUploadForm(Form):
    file = FileField(_l("Spreadsheet (.xlsx or .csv)"), validators=[FileRequired(_l("Choose a file."))])


class ImportConfirmForm(Form):
    payload = HiddenField(validators=[DataRequired()])


class DocumentSettingsForm(Form):
    """A government's letterhead, numbering format and signers: what its own admin sets (GovernmentForm adds
    the rest, the instance admin's)."""

    FIELDS = services.DOCUMENT_FIELDS

    letterhead_name = StringField(_l("Name on the letterhead"), validators=[Optional(), Length(max=300)])
    letterhead_address = StringField(_l("Address on the letterhead"), validators=[Optional(), Length(max=500)])
    numbering_format = StringField(
        _l("Document numbering format"),
        validators=[Optional(), Length(max=120)],
        description=_l(
            "The Berita Acara's number, e.g. 000.1.5/{seq:03}/BA-Bappeda/{roman_month}/{year}: {seq} is the running "
            "number of the year, {year}, {month}, {roman_month} (XII) and {day} the meeting's date. Left empty: "
            "{seq}/BA/{year}."
        ),
    )
    place_name = StringField(
        _l("Place on the date line"),
        validators=[Optional(), Length(max=100)],
        description=_l('As in "Tangerang, 16 Desember 2025". Left empty, it is made from the name.'),
    )
    head_title = StringField(
        _l("Head of the government"),
        validators=[Optional(), Length(max=200)],
        description=_l('To whom a Laporan Hasil Rapat goes, e.g. "Wali Kota Tangerang".'),
    )
    secretariat_name = StringField(
        _l("Secretariat"),
        validators=[Optional(), Length(max=300)],
        description=_l('From whom a Laporan Hasil Rapat comes, e.g. "Bappeda Kota Tangerang".'),
    )
    signer_title = StringField(
        _l("Position of the secretariat's head"),
        validators=[Optional(), Length(max=200)],
        description=_l('Signs "Mengetahui" on the Berita Acara and the Laporan Hasil Rapat, e.g. "Kepala Bappeda".'),
    )
    signer_name = StringField(_l("Name of the secretariat's head"), validators=[Optional(), Length(max=200)])
    signer_nip = StringField(_l("NIP of the secretariat's head"), validators=[Optional(), Length(max=30)])
    logo = FileField(_l("Logo (PNG or JPEG)"))

    def validate_numbering_format(self, field):
        try:
            numbering.check(field.data)
        except Invalid as error:
            raise ValidationError(error.message) from None

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in self.FIELDS}


class GovernmentForm(DocumentSettingsForm):
    FIELDS = services.GOVERNMENT_FIELDS

    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name = StringField(
        _l("Name as printed"),
        validators=[DataRequired(), Length(max=200)],
        description=_l('For example "Pemerintah Provinsi Banten".'),
    )
    short_name = StringField(
        _l("Short name"),
        validators=[Optional(), Length(max=80)],
        description=_l(
            'Shown beside an OPD of this government, as in "DINKES · Kab. Serang". Left empty, it is '
            "made from the name."
        ),
    )
    kind = SelectField(_l("Kind"), choices=enum_choices(GOVERNMENT_KIND_LABELS))
    parent_id = OptionalIntSelectField(_l("Under (parent government)"))
    time_zone = SelectField(_l("Time zone"), choices=list(TIME_ZONE_LABELS.items()))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, government_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        excluded = governments.below(government_id) if government_id else frozenset()
        nodes = sorted((n for n in governments.tree().values() if n.id not in excluded), key=lambda n: n.name)
        self.parent_id.choices = [("", "—")] + [(n.id, n.name) for n in nodes]
