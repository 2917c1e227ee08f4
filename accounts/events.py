"""Events of accounts, as blinker signals: notifications/ listens, accounts/ knows nothing of email.

`password_link_wanted` is sent after the commit that made the account (or when an admin asks for a new link), with
the app as sender and `user_id` and `actor_id` as keyword arguments. The listener queues the "set your password"
email; the link in it is made when the email is sent.
"""

from blinker import Namespace
from flask import current_app

_signals = Namespace()

password_link_wanted = _signals.signal("password-link-wanted")


def send(signal, **ids) -> None:
    """Send a signal from this app, after the change it announces is committed."""
    signal.send(current_app._get_current_object(), **ids)
