"""Domain events of forums, as blinker signals, sent after the change is committed.

forum/ knows nothing of who listens: notifications/ subscribes in the app factory (its webhooks). Each signal has
the app as sender and forum_id and actor_id as keyword arguments; `forum_closed` also carries `occasion`, the
moment it was closed (ISO 8601), so a forum closed again after a re-opening is a new event.
"""

from blinker import Namespace

_signals = Namespace()

forum_closed = _signals.signal("forum-closed")
