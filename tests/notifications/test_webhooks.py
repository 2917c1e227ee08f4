"""Signed webhooks end to end: a real HTTP server on a loopback port receives the deliveries the dispatcher sends,
and checks their signature as the README says; retries, dead rows, refused addresses, and who hears of what."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from actions import services as actions
from core.errors import Invalid
from core.extensions import db
from core.permissions import SYSTEM
from forum import services as forums
from notifications import dispatcher, endpoints, planner, webhooks
from notifications import services as notification_services
from notifications.models import MailError, MailKind, MailStatus, OutboxMessage, WebhookEvent
from tests.actions.helpers import dinkes_assignment, make_action
from tests.conftest import as_user, worker_port

PORT = worker_port(5140)  # and the next few
URL = f"http://127.0.0.1:{PORT}/hook"
EVERY_EVENT = [event.value for event in WebhookEvent]


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    """The README's five-line check of a delivery's Kawal-Signature header."""
    parts = dict(item.split("=", 1) for item in header.split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, parts["v1"]) and abs(now - int(parts["t"])) <= tolerance


class Receiver:
    """What the local server got, and the statuses it answers with in turn (then 200)."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers: list[int] = []
        self.lock = threading.Lock()


@pytest.fixture
def receiver():
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            with got.lock:
                got.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                status = got.answers.pop(0) if got.answers else 200
            self.send_response(status)
            self.end_headers()
            self.wfile.write(b"diterima" if status < 300 else b"gagal di sisi penerima")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORT), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield got
    server.shutdown()
    server.server_close()


def admin(world):
    return as_user(world.users["admin"].id)


def register(world, events=("assignment.created",), url=URL, allowed_host="127.0.0.1", actor=None):
    endpoint, secret = endpoints.create_endpoint(
        actor or admin(world), url, list(events), allowed_host=allowed_host, secret="rahasia-bersama-0123456789"
    )
    return endpoint.id, secret


def deliveries(event: str | None = None) -> list[OutboxMessage]:
    query = sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.WEBHOOK)
    if event:
        query = query.where(OutboxMessage.subject == event)
    return list(db.session.scalars(query.order_by(OutboxMessage.id)))


def webhook_rows_only():
    """Leave only the webhook rows waiting (the new-task emails are email's tests' business)."""
    db.session.execute(sa.delete(OutboxMessage).where(OutboxMessage.kind != MailKind.WEBHOOK))
    db.session.commit()


def test_a_delivery_reaches_a_local_server_signed_as_the_readme_checks(app, world, clock, receiver):
    with app.app_context():
        endpoint_id, secret = register(world)
        action_id = make_action(world).id
        webhook_rows_only()
        result = dispatcher.dispatch()
        assert result.sent == 2
        rows = deliveries()
        assert [row.status for row in rows] == [MailStatus.SENT, MailStatus.SENT]
        assert len(receiver.requests) == 2
        first = receiver.requests[0]
        assert first["path"] == "/hook"
        headers = first["headers"]
        assert headers["Content-Type"] == "application/json"
        assert headers["Kawal-Event"] == "assignment.created"
        assert headers["Kawal-Delivery"] == str(rows[0].id)
        now = int(clock.now().timestamp())
        assert verify(secret, headers["Kawal-Signature"], first["body"], now)
        assert not verify("salah", headers["Kawal-Signature"], first["body"], now)
        assert not verify(secret, headers["Kawal-Signature"], first["body"] + b" ", now)
        assert not verify(secret, headers["Kawal-Signature"], first["body"], now + 3600)
        body = json.loads(first["body"])
        assert body["id"] == rows[0].id
        assert body["event"] == "assignment.created"
        assert body["occurred_at"] == clock.now().isoformat() and body["occurred_at"].endswith("+00:00")
        assert body["government_id"] == admin(world).government_id
        assert body["data"]["action_id"] == action_id
        assert {r["data"]["opd_code"] for r in map(lambda q: json.loads(q["body"]), receiver.requests)} == {
            "DINKES",
            "DP3AP2KB",
        }


def test_a_500_is_tried_again_after_its_backoff_then_sent(app, world, clock, receiver):
    with app.app_context():
        register(world)
        make_action(world, support=())
        webhook_rows_only()
        receiver.answers = [500]
        first = dispatcher.dispatch()
        assert (first.sent, first.retried) == (0, 1)
        row = deliveries()[0]
        assert row.status == MailStatus.PENDING and row.error_code == MailError.ENDPOINT_ANSWERED
        assert row.error_params == {"status": 500} and "gagal di sisi penerima" in row.last_error
        assert dispatcher.dispatch().sent == 0  # not due before its backoff
        clock.set(clock.now() + timedelta(hours=2))
        assert dispatcher.dispatch().sent == 1
        db.session.expire_all()
        row = deliveries()[0]
        assert (row.status, row.attempts, row.error_code, row.last_error) == (MailStatus.SENT, 2, None, None)
        assert len(receiver.requests) == 2


def test_a_delivery_that_keeps_failing_is_dead_after_the_last_attempt(app, world, clock, receiver):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    with app.app_context():
        register(world)
        make_action(world, support=())
        webhook_rows_only()
        receiver.answers = [503] * 10
        for _ in range(3):
            dispatcher.dispatch()
            clock.set(clock.now() + timedelta(hours=2))
        db.session.expire_all()
        row = deliveries()[0]
        assert (row.status, row.attempts) == (MailStatus.DEAD, 3)
        assert dispatcher.dispatch().sent == 0 and len(receiver.requests) == 3
        # The secretariat sends it again from the delivery log, once the receiver is fixed.
        receiver.answers = []
        notification_services.requeue(as_user(world.users["secretariat"].id), row.id)
        assert dispatcher.dispatch().sent == 1 and len(receiver.requests) == 4


@pytest.mark.parametrize("status", [400, 404, 410, 301])
def test_a_refusal_is_dead_at_once_but_408_and_429_are_tried_again(app, world, receiver, status):
    with app.app_context():
        register(world)
        make_action(world, support=())
        webhook_rows_only()
        receiver.answers = [status]
        result = dispatcher.dispatch()
        assert result.dead == 1 and deliveries()[0].status == MailStatus.DEAD


@pytest.mark.parametrize("status", [408, 429])
def test_408_and_429_are_tried_again(app, world, receiver, status):
    with app.app_context():
        register(world)
        make_action(world, support=())
        webhook_rows_only()
        receiver.answers = [status]
        assert dispatcher.dispatch().retried == 1


def test_connection_refused_is_tried_again_and_stops_no_email(app, world, smtp, clock):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with app.app_context():
        register(world, url=f"http://127.0.0.1:{PORT + 1}/nobody-listens")
        make_action(world, support=())
        result = dispatcher.dispatch()
        rows = deliveries()
        assert rows[0].status == MailStatus.PENDING and rows[0].error_code == MailError.ENDPOINT_UNREACHABLE
        assert result.retried == 1 and result.sent >= 1
        assert smtp.wait_for(1, 5)


def test_a_mail_server_that_is_down_holds_back_no_webhook(app, world, receiver):
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=PORT + 2)  # nothing listens there
    with app.app_context():
        register(world)
        make_action(world, support=())
        result = dispatcher.dispatch()
        assert result.stopped == MailError.CONNECTION_REFUSED
        assert deliveries()[0].status == MailStatus.SENT and len(receiver.requests) == 1


def test_loopback_is_refused_without_the_allowed_host_and_accepted_with_it(app, world, receiver):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            register(world, allowed_host=None)
        assert refused.value.field == "url"
        assert db.session.scalar(sa.select(sa.func.count()).select_from(webhooks.WebhookEndpoint)) == 0
        endpoint_id, _ = register(world, allowed_host="127.0.0.1")
        make_action(world, support=())
        webhook_rows_only()
        # The admin takes the allowance back: the address is checked again at send time, and refused.
        db.session.get(webhooks.WebhookEndpoint, endpoint_id).allowed_host = None
        db.session.commit()
        assert dispatcher.dispatch().dead == 1
        row = deliveries()[0]
        assert row.error_code == MailError.ADDRESS_REFUSED and receiver.requests == []


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.9",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "0.0.0.0",
        "224.0.0.1",
        "240.0.0.1",
        "::1",
        "::",
        "fe80::1",
        "fc00::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
    ],
)
def test_no_public_address_is_refused(app, address):
    host = f"[{address}]" if ":" in address else address
    with app.app_context(), pytest.raises(webhooks.UrlRefused):
        webhooks.check_url(f"https://{host}/hook")


def test_a_name_resolving_to_a_private_address_is_refused_and_a_public_one_kept(app, monkeypatch):
    answers = {"intranet.example.org": ["93.184.216.34", "10.0.0.5"], "hooks.example.org": ["93.184.216.34"]}
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: answers[host])
    with app.app_context():
        with pytest.raises(webhooks.UrlRefused):
            webhooks.check_url("https://intranet.example.org/hook")
        target = webhooks.check_url("https://hooks.example.org:8443/hook?x=1")
        assert (target.host, target.port, target.path, target.address) == (
            "hooks.example.org",
            8443,
            "/hook?x=1",
            "93.184.216.34",
        )
        assert webhooks.check_url("https://intranet.example.org/", "intranet.example.org").address


@pytest.mark.parametrize(
    "url", ["ftp://93.184.216.34/x", "https://user:pw@93.184.216.34/x", "https://93.184.216.34:99999/", "hooks"]
)
def test_other_schemes_credentials_and_bad_ports_are_refused(app, url):
    with app.app_context(), pytest.raises(webhooks.UrlRefused):
        webhooks.check_url(url)


def test_the_connection_goes_to_the_address_checked_and_names_the_host(app, world, receiver, monkeypatch):
    """A second DNS answer (rebinding) is never asked for the connection: it goes to the address checked."""
    answers = iter([["127.0.0.1"], ["127.0.0.1"], ["10.9.9.9"]])
    monkeypatch.setattr(webhooks, "resolve", lambda host, port: next(answers))
    with app.app_context():
        register(world, url=f"http://receiver.test:{PORT}/hook", allowed_host="receiver.test")
        make_action(world, support=())
        webhook_rows_only()
        assert dispatcher.dispatch().sent == 1
        assert receiver.requests[0]["headers"]["Host"] == f"receiver.test:{PORT}"


def _count_by_event() -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in deliveries():
        counts[row.subject] = counts.get(row.subject, 0) + 1
    return counts


def test_each_event_queues_exactly_one_delivery(app, world, clock):
    with app.app_context():
        register(world, events=EVERY_EVENT)
        action = make_action(world, support=("DP3AP2KB",))
        assignment = dinkes_assignment(action)
        other = next(a for a in action.assignments if a.opd.code == "DP3AP2KB")
        head = as_user(world.users["opd_head"].id)
        secretariat = as_user(world.users["secretariat"].id)
        actions.acknowledge(head, assignment.id)
        actions.report_progress(head, assignment.id, percent=100, note="Selesai", links=["https://example.org/b"])
        actions.submit(head, assignment.id)
        actions.verify(secretariat, assignment.id, accept=False, note="Lengkapi bukti")
        actions.cancel_assignment(secretariat, other.id, reason="Bukan kewenangan")
        assert _count_by_event() == {
            "assignment.created": 2,
            "assignment.acknowledged": 1,
            "assignment.submitted": 1,
            "assignment.returned": 1,
            "assignment.cancelled": 1,
        }
        actions.submit(head, assignment.id)
        actions.verify(secretariat, assignment.id, accept=True)
        counts = _count_by_event()
        assert counts["assignment.submitted"] == 2 and counts["assignment.verified"] == 1
        # The same event heard twice adds nothing.
        webhooks.enqueue_assignment_event(WebhookEvent.ASSIGNMENT_VERIFIED, assignment.id)
        assert _count_by_event()["assignment.verified"] == 1
        assert len(deliveries()) == sum(_count_by_event().values())


def test_an_endpoint_hears_only_its_events(app, world):
    with app.app_context():
        register(world, events=["assignment.acknowledged"])
        action = make_action(world, support=())
        assert deliveries() == []
        actions.acknowledge(as_user(world.users["opd_head"].id), dinkes_assignment(action).id)
        assert [row.subject for row in deliveries()] == ["assignment.acknowledged"]


def test_the_planner_queues_one_overdue_delivery_per_task_and_endpoint(app, world, clock):
    with app.app_context():
        register(world, events=["assignment.overdue"])
        register(world, events=["assignment.overdue", "assignment.created"], url=f"http://127.0.0.1:{PORT}/dua")
        action = make_action(world, support=(), due_in=2)
        clock.set(clock.now() + timedelta(days=10))
        planner.plan()
        rows = deliveries("assignment.overdue")
        assert len(rows) == 2 and {row.webhook_id for row in rows} == {e.id for e in endpoints.endpoints(admin(world))}
        assert rows[0].payload["data"]["id"] == dinkes_assignment(action).id
        clock.set(clock.now() + timedelta(days=8))  # the next overdue week: another email, no second webhook
        planner.plan()
        assert len(deliveries("assignment.overdue")) == 2


def test_closing_a_forum_queues_one_delivery(app, world):
    with app.app_context():
        register(world, events=["forum.closed"])
        action = make_action(world, support=())
        forum_id = action.recommendation.forum_id
        secretariat = as_user(world.users["secretariat"].id)
        forums.change_status(secretariat, forum_id, "held")
        assert deliveries() == []
        forums.change_status(secretariat, forum_id, "closed")
        rows = deliveries("forum.closed")
        assert len(rows) == 1 and rows[0].payload["data"]["id"] == forum_id
        assert rows[0].payload["data"]["status"] == "closed"


def test_a_sibling_government_hears_nothing_of_anothers_tasks_and_the_parent_does(app, tree):
    from tests.forum.helpers import make_forum

    with app.app_context():
        endpoint_ids = {}
        admins = {
            "prov": tree.users["prov_admin"],
            "kab": tree.users["kab_admin"],
            "kota": tree.world.users["admin"].id,
        }
        for gov in ("prov", "kab", "kota"):
            actor = as_user(admins[gov])
            endpoint_ids[gov] = endpoints.create_endpoint(
                actor, f"http://127.0.0.1:{PORT}/{gov}", ["assignment.created"], allowed_host="127.0.0.1"
            )[0].id
        make_action(tree.world, forum=make_forum(tree.world), support=())
        heard = {row.webhook_id for row in deliveries()}
        kota_gov = db.session.get(webhooks.WebhookEndpoint, endpoint_ids["kota"]).government_id
        assert kota_gov == tree.govs["kota"]
        assert heard == {endpoint_ids["prov"], endpoint_ids["kota"]}


def test_a_deactivated_endpoint_gets_nothing_and_its_waiting_deliveries_are_cancelled(app, world, receiver):
    with app.app_context():
        endpoint_id, _ = register(world)
        make_action(world, support=())
        webhook_rows_only()
        endpoints.update_endpoint(admin(world), endpoint_id, URL, ["assignment.created"], "127.0.0.1", active=False)
        assert deliveries()[0].status == MailStatus.CANCELLED
        dispatcher.dispatch()
        assert receiver.requests == []


def test_a_ping_is_delivered(app, world, receiver, clock):
    with app.app_context():
        endpoint_id, secret = register(world)
        endpoints.send_ping(admin(world), endpoint_id)
        assert dispatcher.dispatch().sent == 1
        got = receiver.requests[0]
        assert got["headers"]["Kawal-Event"] == "ping"
        assert verify(secret, got["headers"]["Kawal-Signature"], got["body"], int(clock.now().timestamp()))


def test_another_governments_admin_cannot_reach_an_endpoint(app, tree):
    with app.app_context():
        actor = as_user(tree.world.users["admin"].id)
        endpoint_id = endpoints.create_endpoint(actor, URL, ["assignment.created"], allowed_host="127.0.0.1")[0].id
        sibling = as_user(tree.users["kab_admin"])
        assert endpoints.endpoints(sibling) == []
        for call in (endpoints.get_endpoint, endpoints.send_ping, endpoints.delete_endpoint):
            with pytest.raises(Exception) as refused:
                call(sibling, endpoint_id)
            assert type(refused.value).__name__ == "NotFound"


def test_system_may_register_for_the_first_government(app, world):
    with app.app_context():
        endpoint, secret = endpoints.create_endpoint(SYSTEM, URL, ["forum.closed"], allowed_host="127.0.0.1")
        assert len(secret) >= 32 and endpoint.events == ["forum.closed"]


def test_queueing_overdue_deliveries_takes_the_same_queries_for_2_tasks_as_for_20(app, world, clock):
    from tests.conftest import QueryCounter

    with app.app_context():
        register(world, events=["assignment.overdue"])
        register(world, events=["assignment.overdue"], url=f"http://127.0.0.1:{PORT}/dua")
        ids = [dinkes_assignment(make_action(world, support=(), due_in=1)).id for _ in range(20)]
        counts = []
        for some in (ids[:2], ids[2:]):
            with QueryCounter(db.engine) as counter:
                webhooks.enqueue_overdue({assignment_id: "2025-12-17" for assignment_id in some}, clock.now())
            counts.append(counter.count)
        db.session.commit()
        assert counts[0] == counts[1]
        assert len(deliveries("assignment.overdue")) == 40


def test_an_https_endpoint_is_reached_with_its_certificate_checked(app, world, clock, monkeypatch):
    import ssl
    from pathlib import Path

    here = Path(__file__).parent
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            got.requests.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORT + 4), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(here / "smtp-test-cert.pem", here / "smtp-test-key.pem")
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with app.app_context():
            register(world, url=f"https://127.0.0.1:{PORT + 4}/hook")
            make_action(world, support=())
            webhook_rows_only()
            # The system's CA store does not know the test certificate: refused, and tried again later.
            assert dispatcher.dispatch().retried == 1 and got.requests == []
            trusted = ssl.create_default_context(cafile=str(here / "smtp-test-cert.pem"))
            monkeypatch.setattr(webhooks, "tls_context", lambda: trusted)
            clock.set(clock.now() + timedelta(hours=2))
            assert dispatcher.dispatch().sent == 1 and len(got.requests) == 1
    finally:
        server.shutdown()
        server.server_close()


def test_an_endpoint_that_never_answers_times_out_and_is_tried_again(app, world):
    import socket

    app.config["WEBHOOK_TIMEOUT"] = 0.3
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", PORT + 5))
        silent.listen()  # connections wait in the backlog; nothing ever answers them
        with app.app_context():
            register(world, url=f"http://127.0.0.1:{PORT + 5}/hook")
            make_action(world, support=())
            webhook_rows_only()
            assert dispatcher.dispatch().retried == 1
            row = deliveries()[0]
            assert (row.status, row.error_code) == (MailStatus.PENDING, MailError.ENDPOINT_TIMEOUT)
