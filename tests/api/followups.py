"""Building tasks for the API's tests: a DINKES task at each point of its life, made through the services."""

from actions import services
from tests.actions.helpers import dinkes_assignment, link_report, make_action
from tests.conftest import as_user

PDF = b"%PDF-1.4\n% Kawal test evidence\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def dinkes_task(app, world, stage: str = "assigned", **values) -> int:
    """The id of a new DINKES task (DINKES alone unless `support` says otherwise): "assigned", "acknowledged",
    "reported" (with a link as evidence) or "submitted"."""
    values.setdefault("support", ())
    with app.app_context():
        assignment_id = dinkes_assignment(make_action(world, **values)).id
        head = as_user(world.users["opd_head"].id)
        if stage in ("acknowledged", "reported", "submitted"):
            services.acknowledge(head, assignment_id)
        if stage in ("reported", "submitted"):
            link_report(world, assignment_id)
        if stage == "submitted":
            services.submit(head, assignment_id)
    return assignment_id
