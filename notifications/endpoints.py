"""A government's webhook endpoints, for its admin: register, edit, deactivate, delete, a test ping, and each
one's recent deliveries. Another government's endpoint is not found (404), whoever asks."""

import secrets

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from accounts import governments
from core import audit, clock
from core.db import insert_or_ignore
from core.errors import Invalid, NotFound
from core.extensions import db
from core.permissions import Actor, Permission, require
from notifications import outbox, webhooks
from notifications.models import (
    PING,
    CancelReason,
    MailStatus,
    OutboxMessage,
    WebhookEndpoint,
    WebhookEvent,
)

RECENT = 20  # deliveries shown on an endpoint's page


def _government(actor: Actor) -> int:
    require(actor, Permission.ADMINISTER)
    return governments.acting_government_id(actor)


def endpoints(actor: Actor) -> list[WebhookEndpoint]:
    """The endpoints of the admin's government, newest first."""
    government_id = _government(actor)
    query = sa.select(WebhookEndpoint).where(WebhookEndpoint.government_id == government_id)
    return list(db.session.scalars(query.order_by(WebhookEndpoint.id.desc())))


def get_endpoint(actor: Actor, endpoint_id: int) -> WebhookEndpoint:
    """One endpoint of the admin's government, else NotFound."""
    government_id = _government(actor)
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None or endpoint.government_id != government_id:
        raise NotFound(_l("No such webhook endpoint."))
    return endpoint


def _checked(url: str, events: list[str], allowed_host: str | None) -> tuple[str, list[str], str | None]:
    """The URL, events and allowed host as stored, or Invalid on the field at fault."""
    url = (url or "").strip()
    if len(url) > 500:
        raise Invalid(_l("The address may be at most 500 characters long."), field="url")
    chosen = [event.value for event in WebhookEvent if event.value in set(events or [])]
    if not chosen or len(chosen) != len(set(events)):
        raise Invalid(_l("Choose at least one event."), field="events")
    allowed_host = webhooks.allowed_host_name(allowed_host)
    webhooks.check_url(url, allowed_host)
    return url, chosen, allowed_host


def create_endpoint(
    actor: Actor, url: str, events: list[str], allowed_host: str | None = None, secret: str | None = None
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint of the admin's government; returns it and its secret (made when none is given), which
    the page shows once."""
    government_id = _government(actor)
    url, events, allowed_host = _checked(url, events, allowed_host)
    secret = (secret or "").strip() or secrets.token_urlsafe(32)
    endpoint = WebhookEndpoint(
        government_id=government_id,
        url=url,
        secret=secret,
        events=events,
        allowed_host=allowed_host,
        active=True,
        created_by_id=getattr(actor, "id", None),
        created_at=clock.now(),
    )
    db.session.add(endpoint)
    db.session.flush()
    changes = {"url": url, "events": events, "allowed_host": allowed_host}
    audit.record(actor, "create", "webhook", endpoint.id, scope="webhooks", changes=changes)
    db.session.commit()
    return endpoint, secret


def update_endpoint(
    actor: Actor,
    endpoint_id: int,
    url: str,
    events: list[str],
    allowed_host: str | None = None,
    active: bool = True,
    secret: str | None = None,
) -> WebhookEndpoint:
    """Change an endpoint (a new secret only when one is given); deactivating it cancels what waits for it."""
    endpoint = get_endpoint(actor, endpoint_id)
    url, events, allowed_host = _checked(url, events, allowed_host)
    new = {"url": url, "events": events, "allowed_host": allowed_host, "active": active}
    changes = {
        name: [getattr(endpoint, name), value] for name, value in new.items() if getattr(endpoint, name) != value
    }
    if (secret or "").strip():
        endpoint.secret = secret.strip()
        changes["secret"] = "changed"  # never the secret itself
    for name, value in new.items():
        setattr(endpoint, name, value)
    if not active:
        _cancel_waiting(endpoint.id)
    audit.record(actor, "update", "webhook", endpoint.id, scope="webhooks", changes=changes)
    db.session.commit()
    return endpoint


def _cancel_waiting(endpoint_id: int) -> None:
    """The endpoint's deliveries not sent yet will not be (a sender holding one finds it cancelled)."""
    outbox.move(
        sa.and_(OutboxMessage.webhook_id == endpoint_id, OutboxMessage.status == MailStatus.PENDING),
        MailStatus.CANCELLED,
        cancel_reason=CancelReason.ENDPOINT_GONE,
    )


def delete_endpoint(actor: Actor, endpoint_id: int) -> None:
    """Delete an endpoint: what waits for it is cancelled, and its deliveries stay in the delivery log."""
    endpoint = get_endpoint(actor, endpoint_id)
    _cancel_waiting(endpoint.id)
    db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.webhook_id == endpoint.id)
        .values(webhook_id=None)
        .execution_options(synchronize_session=False)
    )
    audit.record(actor, "delete", "webhook", endpoint.id, scope="webhooks", changes={"url": endpoint.url})
    db.session.delete(endpoint)
    db.session.commit()


def send_ping(actor: Actor, endpoint_id: int) -> OutboxMessage:
    """Queue a test delivery ("ping") to one endpoint; the dispatcher sends it like any other."""
    endpoint = get_endpoint(actor, endpoint_id)
    if not endpoint.active:
        raise Invalid(_l("The endpoint is not active."))
    now = clock.now()
    data = {"endpoint_id": endpoint.id, "sent_by": getattr(actor, "name", None)}
    row = webhooks.delivery_row(endpoint, PING, f"{PING}:{now.isoformat()}", data, now)
    insert_or_ignore(OutboxMessage, [row], ["dedup_key"])
    db.session.commit()
    return db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.dedup_key == row["dedup_key"]))


def recent_deliveries(actor: Actor, endpoint_id: int) -> list[OutboxMessage]:
    """An endpoint's newest deliveries, for its page."""
    endpoint = get_endpoint(actor, endpoint_id)
    query = sa.select(OutboxMessage).where(OutboxMessage.webhook_id == endpoint.id)
    return list(db.session.scalars(query.order_by(OutboxMessage.id.desc()).limit(RECENT)))
