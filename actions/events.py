"""Domain events of follow-ups, as blinker signals.

actions/ knows nothing of who listens: notifications/ subscribes to these in the app factory. Each signal is
sent after the change is committed, with the app as sender and the ids as keyword arguments.
"""

from blinker import Namespace
from flask import current_app

_signals = Namespace()

assignment_created = _signals.signal("assignment-created")
assignment_acknowledged = _signals.signal("assignment-acknowledged")
assignment_submitted = _signals.signal("assignment-submitted")
assignment_verified = _signals.signal("assignment-verified")
assignment_returned = _signals.signal("assignment-returned")
assignment_cancelled = _signals.signal("assignment-cancelled")
due_date_changed = _signals.signal("due-date-changed")


def emit(signal, assignment_id: int, actor_id: int | None, **extra) -> None:
    """Send a signal for one assignment, from the current app."""
    signal.send(current_app._get_current_object(), assignment_id=assignment_id, actor_id=actor_id, **extra)
