"""Domain events of follow-ups, as blinker signals.

actions/ knows nothing of who listens: notifications/ subscribes to these in the app factory. Each signal is
sent after the change is committed, with the app as sender and the ids as keyword arguments (an assignment's
events carry assignment_id, a decree's decree_id and action_id, a carry-over's forum_id and action_id), and
actor_id.

Services do not send them by hand: they queue them with `later()` where the change is made (the status event in
`services.transition`), and `commit()` sends the queue once the transaction is committed. A rollback drops it.
"""

import sqlalchemy as sa
import sqlalchemy.orm as so
from blinker import Namespace
from flask import current_app
from sqlalchemy.orm.exc import StaleDataError

from core.errors import Conflict
from core.extensions import db

_signals = Namespace()

assignment_created = _signals.signal("assignment-created")
assignment_acknowledged = _signals.signal("assignment-acknowledged")
assignment_started = _signals.signal("assignment-started")
assignment_submitted = _signals.signal("assignment-submitted")
assignment_verified = _signals.signal("assignment-verified")
assignment_returned = _signals.signal("assignment-returned")
assignment_cancelled = _signals.signal("assignment-cancelled")
due_date_changed = _signals.signal("due-date-changed")
decree_changed = _signals.signal("decree-changed")
decree_stage_changed = _signals.signal("decree-stage-changed")
carry_over_recorded = _signals.signal("carry-over-recorded")

_PENDING = "actions.events.pending"


def later(signal, actor_id: int | None, **ids) -> None:
    """Queue a signal, to be sent by `commit()` once the change it announces is committed."""
    db.session.info.setdefault(_PENDING, []).append((signal, {"actor_id": actor_id, **ids}))


def commit() -> None:
    """Commit the session, then send the signals queued in it, in the order they were queued.

    When another request changed an assignment first (its version moved on since it was read), nothing is saved:
    the session is rolled back, the queued signals dropped, and Conflict (a refused move, 409) is raised."""
    try:
        db.session.commit()
    except StaleDataError as error:
        db.session.rollback()
        raise Conflict() from error
    pending = db.session.info.pop(_PENDING, [])
    app = current_app._get_current_object()
    for signal, kwargs in pending:
        signal.send(app, **kwargs)


@sa.event.listens_for(so.Session, "after_soft_rollback")
def _forget(session, previous_transaction) -> None:
    """What was rolled back did not happen: its signals are not sent."""
    session.info.pop(_PENDING, None)
