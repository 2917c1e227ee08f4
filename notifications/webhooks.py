"""Signed webhooks: which endpoints hear of an event, the delivery rows written for them into the outbox, and the
one HTTP POST that sends a row (the dispatcher claims, retries and kills webhook rows exactly as it does email).

A URL is checked when an admin registers it and again before every send: http or https only, no credentials, and
its host must resolve to public addresses only (no loopback, private, link-local, multicast, reserved or
unspecified address, IPv4 or IPv6, nor an IPv4 address mapped into IPv6), unless that exact host is the endpoint's
`allowed_host`. The connection goes to the address that was checked, so a DNS answer that changes between the check
and the connect (rebinding) changes nothing; redirects are not followed; only a short excerpt of the answer is kept.
"""

import contextlib
import hashlib
import hmac
import http.client
import ipaddress
import json
import re
import socket
import ssl
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from urllib.parse import quote, urlsplit

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app
from flask_babel import lazy_gettext as _l

from accounts import governments
from actions.models import Action, Assignment, AssignmentEvent
from core import clock
from core.db import insert_or_ignore
from core.errors import Invalid
from core.extensions import db
from forum.models import Forum, Recommendation
from notifications import outbox
from notifications.models import MailError, MailKind, OutboxMessage, WebhookEndpoint, WebhookEvent

EXCERPT = 200  # characters of an endpoint's answer kept in the delivery log
USER_AGENT = "Kawal-Webhooks/1"
RETRY_AFTER_CAP = timedelta(days=1)  # the longest wait an endpoint's Retry-After may ask of a delivery
# No request line can carry these (http.client refuses them); urlsplit would silently drop a tab or a line break.
UNSENDABLE = re.compile(r"[\x00-\x20\x7f]")
NOT_IN_A_HOST = re.compile(r"[\s/:@?#\[\]\\%]")
ASCII_PRINTABLE = "".join(chr(code) for code in range(0x21, 0x7F))


class UrlRefused(Invalid):
    """A webhook URL Kawal will not post to; said on the URL field at registration, kept as the error at send."""

    def __init__(self, message, code: MailError = MailError.ADDRESS_REFUSED):
        super().__init__(message, field="url")
        self.code = code


@dataclass(frozen=True)
class Target:
    """Where a checked URL sends: the host named (for Host and TLS), and the address checked (to connect to)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def resolve(host: str, port: int) -> list[str]:
    """The addresses a host name resolves to (a literal address resolves to itself). Tests replace this."""
    found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(info[4][0] for info in found))


def forbidden(address: str) -> bool:
    """Whether an address is no public one: loopback, private, link-local, site-local, multicast, reserved,
    unspecified, or otherwise not global; an IPv4 address mapped into IPv6, or carried by 6to4, is judged as the
    IPv4 address it is."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or (ip.sixtofour is not None and forbidden(str(ip.sixtofour))):
            return True
        ip = ip.ipv4_mapped or ip
    return (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    )


def _plain_host(value: str) -> str:
    """A host as compared: lower case, no trailing dot, an IPv6 address without its brackets."""
    host = value.strip().rstrip(".").lower()
    return host[1:-1] if host.startswith("[") and host.endswith("]") else host


def allowed_host_name(value: str | None) -> str | None:
    """The allowed host an admin typed, as stored (None for none); Invalid on its field for what is no host alone,
    which could never equal a URL's host (a scheme, a port, a path, credentials)."""
    host = _plain_host(value or "")
    if not host:
        return None
    with contextlib.suppress(ValueError):
        return str(ipaddress.ip_address(host))
    if NOT_IN_A_HOST.search(host):
        raise Invalid(
            _l("Enter the host alone (a name or an address), without http://, a port or a path."), field="allowed_host"
        )
    return host


def check_url(url: str, allowed_host: str | None = None) -> Target:
    """The target of a webhook URL, its host resolved and every address checked; raises UrlRefused."""
    url = (url or "").strip()
    if UNSENDABLE.search(url):
        raise UrlRefused(_l("The address may not hold spaces or control characters."))
    try:
        parts = urlsplit(url)
        hostname = parts.hostname
    except ValueError as error:  # an unclosed or invalid [IPv6] host
        raise UrlRefused(_l("Enter an address that starts with http:// or https://.")) from error
    if parts.scheme not in ("http", "https") or not hostname:
        raise UrlRefused(_l("Enter an address that starts with http:// or https://."))
    if "@" in parts.netloc:
        raise UrlRefused(_l("The address may not hold a user name or password."))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as error:
        raise UrlRefused(_l("The address's port is not a number from 1 to 65535.")) from error
    if parts.port == 0:
        raise UrlRefused(_l("The address's port is not a number from 1 to 65535."))
    host = hostname.rstrip(".").lower()
    try:
        addresses = resolve(host, port)
    except (OSError, UnicodeError) as error:
        raise UrlRefused(_l("The address's host could not be found."), MailError.ENDPOINT_UNREACHABLE) from error
    if not addresses:
        raise UrlRefused(_l("The address's host could not be found."), MailError.ENDPOINT_UNREACHABLE)
    allowed = bool(allowed_host) and host == _plain_host(allowed_host)
    if not allowed and any(forbidden(address) for address in addresses):
        raise UrlRefused(
            _l(
                "%(host)s is not a public address (loopback, private or reserved). Name it as the allowed host to "
                "send to it anyway.",
                host=host,
            )
        )
    # A request line is ASCII: letters beyond it are sent percent-encoded (UTF-8), as a browser sends them.
    path = quote((parts.path or "/") + (f"?{parts.query}" if parts.query else ""), safe=ASCII_PRINTABLE)
    return Target(parts.scheme, host, port, path, addresses[0])


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The Kawal-Signature header: `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


# --- who hears of what ----------------------------------------------------------------------------------------


def _listening(event: str) -> list[WebhookEndpoint]:
    """The active endpoints subscribed to this event (a ping has none)."""
    endpoints = db.session.scalars(sa.select(WebhookEndpoint).where(WebhookEndpoint.active))
    return [endpoint for endpoint in endpoints if event in (endpoint.events or [])]


def hears(endpoint: WebhookEndpoint, government_ids: set[int]) -> bool:
    """Whether the endpoint's government sees something of these governments: it is one of them or above one, the
    rule of actions.queries.visible_assignments (the OPD's government, the forum owner's) and of the forums."""
    return bool(governments.below(endpoint.government_id) & government_ids)


def moment(value: datetime | None) -> str | None:
    """A time as ISO 8601 with its offset (UTC), as the API says it."""
    return value.isoformat() if value is not None else None


def assignment_data(assignment: Assignment) -> dict:
    """An assignment as a delivery says it: the fields, names and formats of the API's assignment (its labels and
    the overdue figures, which depend on the reader and the day, left out)."""
    action = assignment.action
    return {
        "id": assignment.id,
        "action_id": assignment.action_id,
        "recommendation_id": action.recommendation_id,
        "forum_id": action.recommendation.forum_id,
        "title": action.title,
        "opd_id": assignment.opd_id,
        "opd_code": assignment.opd.code,
        "opd_government_id": assignment.opd.government_id,
        "role": assignment.role.value,
        "status": assignment.status.value,
        "due_date": assignment.due_date.isoformat(),
        "percent": assignment.percent,
        "pic_name": assignment.pic_name,
        "assigned_at": moment(assignment.assigned_at),
        "acknowledged_at": moment(assignment.acknowledged_at),
        "acknowledged_by_id": assignment.acknowledged_by_id,
        "submitted_at": moment(assignment.submitted_at),
        "verified_at": moment(assignment.verified_at),
        "verified_by_id": assignment.verified_by_id,
        "completed_at": moment(assignment.completed_at),
        "updated_at": moment(assignment.updated_at),
        "version": assignment.version,
    }


def forum_data(forum: Forum) -> dict:
    """A forum as a delivery says it."""
    return {
        "id": forum.id,
        "title": forum.title,
        "kind": forum.kind.value,
        "status": forum.status.value,
        "government_id": forum.government_id,
        "starts_at": moment(forum.starts_at),
        "ends_at": moment(forum.ends_at),
    }


def delivery_row(endpoint: WebhookEndpoint, event: str, key: str, data: dict, now: datetime) -> dict:
    """The values of one delivery row: waiting, its payload made now (the row's id joins it at send time)."""
    payload = {"event": event, "occurred_at": moment(now), "government_id": endpoint.government_id, "data": data}
    return outbox.new_row(
        f"webhook:{endpoint.id}:{key}",
        MailKind.WEBHOOK,
        endpoint.url[:254],
        now=now,
        local_date=clock.to_local(now).date(),
        government_id=endpoint.government_id,
        subject=event,
        webhook_id=endpoint.id,
        payload=payload,
    )


def _assignments(ids: list[int]) -> list[tuple[Assignment, int]]:
    """These assignments with their OPD, follow-up and recommendation, and their forum's government: one query."""
    rows = db.session.execute(
        sa.select(Assignment, Forum.government_id)
        .join(Action, Assignment.action_id == Action.id)
        .join(Recommendation, Action.recommendation_id == Recommendation.id)
        .join(Forum, Recommendation.forum_id == Forum.id)
        .where(Assignment.id.in_(ids))
        .options(
            so.joinedload(Assignment.opd),
            so.contains_eager(Assignment.action).contains_eager(Action.recommendation),
        )
        .order_by(Assignment.id)
    )
    return [(assignment, forum_government) for assignment, forum_government in rows.tuples()]


def _enqueue_assignments(event: WebhookEvent, occasions: dict[int, str], now: datetime) -> int:
    """One delivery per endpoint listening to `event` that sees each assignment, once per (endpoint, event, task,
    occasion); returns how many rows the call asked for. Does not commit."""
    endpoints = _listening(event)
    if not endpoints or not occasions:
        return 0
    rows = []
    for assignment, forum_government in _assignments(sorted(occasions)):
        seen_by = {assignment.opd.government_id, forum_government}
        data = None
        for endpoint in endpoints:
            if hears(endpoint, seen_by):
                data = data or assignment_data(assignment)
                key = f"{event.value}:{assignment.id}:{occasions[assignment.id]}"
                rows.append(delivery_row(endpoint, event.value, key, data, now))
    insert_or_ignore(OutboxMessage, rows, ["dedup_key"])
    return len(rows)


def enqueue_assignment_event(event: WebhookEvent, assignment_id: int) -> None:
    """The deliveries of one change of a task, keyed by its newest history row (a task given again, or verified
    after a return, is a new occasion; the same event heard twice adds nothing), and commit."""
    history_row = db.session.scalar(
        sa.select(sa.func.max(AssignmentEvent.id)).where(AssignmentEvent.assignment_id == assignment_id)
    )
    _enqueue_assignments(event, {assignment_id: str(history_row or 0)}, clock.now())
    db.session.commit()


def enqueue_overdue(overdue: dict[int, str], now: datetime) -> int:
    """`assignment.overdue` deliveries for the tasks the planner found overdue (id → due date): once per task,
    endpoint and due date, however often the planner runs. Does not commit (the planner does)."""
    return _enqueue_assignments(WebhookEvent.ASSIGNMENT_OVERDUE, overdue, now)


def enqueue_forum_closed(forum_id: int, occasion: str) -> None:
    """The deliveries of a forum closed, to the endpoints of its government and those above it, and commit."""
    endpoints = _listening(WebhookEvent.FORUM_CLOSED)
    forum = db.session.get(Forum, forum_id) if endpoints else None
    if forum is None:
        return
    now, event = clock.now(), WebhookEvent.FORUM_CLOSED.value
    rows = [
        delivery_row(endpoint, event, f"{event}:{forum.id}:{occasion}", forum_data(forum), now)
        for endpoint in endpoints
        if hears(endpoint, {forum.government_id})
    ]
    insert_or_ignore(OutboxMessage, rows, ["dedup_key"])
    db.session.commit()


# --- sending ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Request:
    """What one attempt posts, made inside the dispatcher's transaction and sent after it."""

    url: str
    allowed_host: str | None
    body: bytes
    headers: dict[str, str]


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: sent (2xx), or why not and whether another attempt could change it."""

    sent: bool
    code: MailError | None = None
    params: dict | None = None
    words: str | None = None
    permanent: bool = False
    retry_after: timedelta | None = None  # how long the endpoint asked to be left alone (429, 503)


def request_for(row: OutboxMessage, endpoint: WebhookEndpoint, now: datetime) -> Request:
    """The body and headers of one attempt of a delivery row: the stored payload with the row's id, signed now."""
    body = json.dumps({"id": row.id, **(row.payload or {})}, separators=(",", ":"), ensure_ascii=False).encode()
    event = (row.payload or {}).get("event", "")
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "Kawal-Event": event,
        "Kawal-Delivery": str(row.id),
        "Kawal-Signature": signature(endpoint.secret, int(now.timestamp()), body),
    }
    return Request(endpoint.url, endpoint.allowed_host, body, headers)


def tls_context() -> ssl.SSLContext:
    """How an https endpoint's certificate is checked: the system's CA store and the host's name. Tests replace it."""
    return ssl.create_default_context()


def _connection(target: Target, timeout: float) -> http.client.HTTPConnection:
    """A connection to the checked address that still names the host (Host header, TLS name and certificate)."""
    if target.scheme == "https":
        connection = http.client.HTTPSConnection(target.host, target.port, timeout=timeout, context=tls_context())
    else:
        connection = http.client.HTTPConnection(target.host, target.port, timeout=timeout)

    def pinned(address, timeout=None, source_address=None):
        return socket.create_connection((target.address, address[1]), timeout, source_address)

    connection._create_connection = pinned
    return connection


def _cut(connection: http.client.HTTPConnection, cut: threading.Event) -> None:
    """End a connection whose answer took longer than the timeout: the read blocked on it returns at once."""
    cut.set()
    sock = connection.sock
    if sock is not None:
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


def post(request: Request) -> Outcome:
    """Post one delivery, outside any transaction: the URL checked again, no redirect followed."""
    try:
        target = check_url(request.url, request.allowed_host)
    except UrlRefused as error:
        # A host that does not resolve may come back; one that resolves to a private address is refused for good.
        return Outcome(False, error.code, words=str(error.message), permanent=error.code == MailError.ADDRESS_REFUSED)
    timeout = current_app.config["WEBHOOK_TIMEOUT"]
    connection = _connection(target, timeout)
    # The socket's timeout bounds each read, not the whole answer: an endpoint sending one byte a second would hold
    # the dispatcher (and the emails behind it) past its lease. The watchdog cuts the connection at the deadline.
    cut = threading.Event()
    watchdog = threading.Timer(timeout, _cut, (connection, cut))
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", target.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        if 200 <= response.status < 300:
            return Outcome(True)  # its body, which nobody reads, cannot make an accepted delivery fail
        excerpt = response.read(EXCERPT * 4).decode("utf-8", "replace")[:EXCERPT]
    except TimeoutError as error:
        return Outcome(False, MailError.ENDPOINT_TIMEOUT, words=str(error) or "timeout")
    except (OSError, http.client.HTTPException) as error:
        if cut.is_set():
            return Outcome(False, MailError.ENDPOINT_TIMEOUT, words=f"no full answer within {timeout} s")
        return Outcome(False, MailError.ENDPOINT_UNREACHABLE, words=f"{type(error).__name__}: {error}"[:EXCERPT])
    finally:
        watchdog.cancel()
        connection.close()
    status = response.status
    words = f"HTTP {status} {response.reason}: {excerpt}".strip()[: EXCERPT + 40]
    retry = status >= 500 or status in (408, 429)
    wait = _retry_after(response.getheader("Retry-After")) if status in (429, 503) else None
    return Outcome(False, MailError.ENDPOINT_ANSWERED, {"status": status}, words, not retry, wait)


def _retry_after(value: str | None) -> timedelta | None:
    """A Retry-After header (seconds, or an HTTP date) as a wait from now, at most RETRY_AFTER_CAP; None if absent
    or unreadable."""
    value = (value or "").strip()
    if value.isdigit():
        wait = timedelta(seconds=int(value[:9]))
    else:
        try:
            wait = parsedate_to_datetime(value) - clock.now()
        except (TypeError, ValueError):
            return None
    return min(max(wait, timedelta(0)), RETRY_AFTER_CAP)
