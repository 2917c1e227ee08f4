"""A webhook's `data` is the task as the API shows it: notifications/ sits below api/ and cannot use its schema,
so it writes the same fields by hand (notifications/webhooks.py:assignment_data). This keeps the two together: every
key of a delivery is a field of the API's assignment, with the same value, for a task at every stage."""

import pytest

from actions.models import Assignment
from core.extensions import db
from notifications.webhooks import assignment_data
from tests.api.followups import dinkes_task


@pytest.mark.parametrize("stage", ["assigned", "acknowledged", "submitted"])
def test_a_deliverys_task_says_what_the_apis_task_says(app, world, api_as, stage):
    assignment_id = dinkes_task(app, world, stage)
    shown = api_as("secretariat").get(f"/api/v1/assignments/{assignment_id}").get_json()
    with app.app_context():
        delivered = assignment_data(db.session.get(Assignment, assignment_id))
    assert set(delivered) <= set(shown), f"not in the API's assignment: {set(delivered) - set(shown)}"
    assert {key: shown[key] for key in delivered} == delivered
