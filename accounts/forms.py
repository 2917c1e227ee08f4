"""Forms for signing in, one's own account, and the administration of users and OPDs."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Email, EqualTo, Length, Optional, ValidationError

from accounts import services
from accounts.models import OPD_KIND_LABELS
from core.forms import OptionalIntSelectField, enum_choices
from core.permissions import ROLE_LABELS

LANGUAGE_CHOICES = [("id", "Bahasa Indonesia"), ("en", "English")]


class LoginForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False)])
    password = PasswordField(_l("Password"), validators=[DataRequired()])
    remember = BooleanField(_l("Remember me"))


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()])
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"), validators=[DataRequired(), EqualTo("password", _l("The passwords differ."))]
    )


class PasswordResetForm(FlaskForm):
    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])


class LanguageForm(FlaskForm):
    locale = RadioField(_l("Language"), choices=LANGUAGE_CHOICES, validators=[DataRequired()])


class UserForm(FlaskForm):
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(check_deliverability=False), Length(max=254)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    position = StringField(_l("Position (jabatan)"), validators=[Optional(), Length(max=200)])
    role = SelectField(_l("Role"), choices=enum_choices(ROLE_LABELS))
    opd_id = OptionalIntSelectField(_l("OPD"))
    locale = SelectField(_l("Language"), choices=LANGUAGE_CHOICES)
    active = BooleanField(_l("Active"), default=True)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(min=8, max=200)])

    def __init__(self, *args, user_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.opd_id.choices = [("", "—")] + [(o.id, o.label) for o in services.active_opds()]

    def validate_email(self, field):
        other = services.user_by_email(field.data)
        if other is not None and other.id != self.user_id:
            raise ValidationError(_l("This email is already in use."))

    def validate_password(self, field):
        if self.user_id is None and not field.data:
            raise ValidationError(_l("A new account needs a password."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.USER_FIELDS}


class OpdForm(FlaskForm):
    code = StringField(_l("Code"), validators=[DataRequired(), Length(max=30)])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    kind = SelectField(_l("Kind"), choices=enum_choices(OPD_KIND_LABELS))
    parent_id = OptionalIntSelectField(_l("Under (parent OPD)"))
    email = EmailField(
        _l("Official email"), validators=[Optional(), Email(check_deliverability=False), Length(max=254)]
    )
    head_id = OptionalIntSelectField(_l("Current head"))
    active = BooleanField(_l("Active"), default=True)

    def __init__(self, *args, opd_id: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.opd_id = opd_id
        self.parent_id.choices = [("", "—")] + [(o.id, o.label) for o in services.active_opds() if o.id != opd_id]
        heads = services.opd_heads(opd_id) if opd_id else []
        self.head_id.choices = [("", _l("(no head)"))] + [(u.id, u.name) for u in heads]

    def validate_code(self, field):
        other = services.opd_by_code(field.data)
        if other is not None and other.id != self.opd_id:
            raise ValidationError(_l("Another OPD already has this code."))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in services.OPD_FIELDS}
