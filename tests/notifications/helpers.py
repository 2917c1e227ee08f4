"""Moving the clock to a local moment, and counting the outbox."""

import sqlalchemy as sa

from core import clock
from core.extensions import db
from notifications.models import OutboxItem, OutboxMessage


def at(app, year, month, day, hour=9, minute=0):
    """Set the app's clock to a wall-clock time in the Pemda's zone; returns the UTC moment."""
    with app.app_context():
        moment = clock.local_moment(year, month, day, hour, minute)
    app.extensions["kawal.clock"].set(moment)
    return moment


def digests():
    return list(
        db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.kind == "digest").order_by(OutboxMessage.id))
    )


def items_of(message):
    return list(
        db.session.scalars(sa.select(OutboxItem).where(OutboxItem.message_id == message.id).order_by(OutboxItem.id))
    )
