"""The form of the review meeting's presentation: what an OPD said of a late task, and a new due date."""

from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from actions.reviews import SAID_MAX
from core.forms import DateField, Form


class ReviewForm(Form):
    """One per task on a slide: each form is prefixed with its task's id, so their fields' ids differ."""

    said = TextAreaField(_l("What the OPD said"), validators=[DataRequired(), Length(max=SAID_MAX)])
    due_date = DateField(_l("New due date (optional)"), validators=[Optional()])
