"""The headings and field labels of the follow-up pages' tables and forms, for their templates.

The labels of statuses, kinds and outcomes stay beside their enums in actions/models.py; these name columns and
fields of a page. Templates translate them once per page (the `translated` filter), as a heading repeats on
every row for narrow screens.
"""

from flask_babel import lazy_gettext as _l

# templates/actions/list.html: the task list.
TASK_LIST_HEADINGS = {
    "followup": _l("Follow-up"),
    "opd": _l("OPD"),
    "status": _l("Status"),
    "due": _l("Due"),
    "forum": _l("Forum"),
}
# templates/actions/_carry_over.html: the earlier meetings' follow-ups on a forum's page, with an outcome form each.
CARRY_OVER_LABELS = {
    "outcome": _l("Outcome"),
    "at_meeting": _l("Outcome at this meeting"),
    "due": _l("Due date, when decided"),
    "note": _l("Note"),
    "record": _l("Record outcome"),
}
