"""Forms of the reminder pages."""

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, IntegerField, SelectMultipleField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp
from wtforms.widgets import CheckboxInput, ListWidget

from core.forms import DateField, Form, NumberRange
from notifications.models import WEBHOOK_EVENT_LABELS


class SettingsForm(Form):
    send_time = StringField(
        _l("Send reminders at (local time, HH:MM)"),
        validators=[DataRequired(), Regexp(r"^([01]\d|2[0-3]):[0-5]\d$", message=_l("Use HH:MM, e.g. 07:30."))],
    )
    unacknowledged_after_working_days = IntegerField(
        _l("Remind of unacknowledged tasks after (working days)"),
        validators=[DataRequired(), NumberRange(min=1, max=30)],
    )
    due_soon_days = StringField(
        _l("Remind before the due date (days, separated by commas)"), validators=[DataRequired(), Length(max=40)]
    )
    overdue_every_days = IntegerField(
        _l("Remind of overdue tasks every (days)"), validators=[DataRequired(), NumberRange(min=1, max=90)]
    )
    escalate_after_days = IntegerField(
        _l("Escalate after (days overdue)"), validators=[DataRequired(), NumberRange(min=1, max=365)]
    )
    escalation_email = EmailField(
        _l("Escalation address (e.g. the Sekda's office)"),
        validators=[Optional(), Email(check_deliverability=False), Length(max=254)],
    )
    decree_expiry_days = StringField(
        _l("Remind before a decree expires (days, separated by commas)"), validators=[DataRequired(), Length(max=40)]
    )
    link_valid_days = IntegerField(
        _l("Acknowledgement links stay valid for (days)"), validators=[DataRequired(), NumberRange(min=1, max=60)]
    )


class LeaveForm(Form):
    day = DateField(_l("Date"), validators=[DataRequired()])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])


class TestEmailForm(Form):
    address = EmailField(_l("Send a test email to"), validators=[DataRequired(), Email(check_deliverability=False)])


class LinkAcknowledgeForm(Form):
    pic_name = StringField(_l("Person in charge (PIC)"), validators=[Optional(), Length(max=200)])


class WebhookForm(Form):
    """A webhook endpoint: the service checks the address itself (scheme, credentials, where its host points)."""

    url = StringField(_l("Address (URL)"), validators=[DataRequired(), Length(max=500)])
    events = SelectMultipleField(
        _l("Events"),
        choices=[(event.value, label) for event, label in WEBHOOK_EVENT_LABELS.items()],
        # No DataRequired: it would mark every checkbox `required`; the service says "Choose at least one event."
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    secret = StringField(_l("Secret (made for you when left empty)"), validators=[Optional(), Length(min=16, max=200)])
    allowed_host = StringField(
        _l("Allowed host on a private network (optional)"), validators=[Optional(), Length(max=253)]
    )
    active = BooleanField(_l("Active"), default=True)
