"""Webhook deliveries against hostile endpoints and hostile addresses: a real local server that drips its answer,
and URLs Kawal could never post."""

import socket
import ssl
import threading
import time
from pathlib import Path

import pytest

from notifications import webhooks
from notifications.models import MailError
from tests.conftest import worker_port

PORT = worker_port(5170)  # and the next few
HERE = Path(__file__).parent


HTTP_DRIP = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 33
# A TLS handshake record announcing 16 KiB, then its bytes one at a time: the client waits for the server's hello.
TLS_DRIP = b"\x16\x03\x03\x40\x00" + b"\x02" * 45


@pytest.fixture
def dripping(request, monkeypatch):
    """A local server that accepts, then answers one byte every 0.1 s for at most 5 s (so a failing test ends)."""
    kind = getattr(request, "param", "http-answer")
    answer = TLS_DRIP if kind == "tls-handshake" else HTTP_DRIP
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", PORT))
    listener.listen()
    if kind == "https-answer":  # a real handshake with the test certificate, then the answer dripped
        server_side = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server_side.load_cert_chain(HERE / "smtp-test-cert.pem", HERE / "smtp-test-key.pem")
        listener = server_side.wrap_socket(listener, server_side=True)
        trusted = ssl.create_default_context(cafile=str(HERE / "smtp-test-cert.pem"))
        monkeypatch.setattr(webhooks, "tls_context", lambda: trusted)
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            with connection:
                connection.recv(65536)
                for byte in answer:
                    if stop.wait(0.1):
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"{'http' if kind == 'http-answer' else 'https'}://127.0.0.1:{PORT}/hook"
    stop.set()
    listener.close()
    thread.join(timeout=2)


@pytest.mark.parametrize("dripping", ["http-answer", "tls-handshake", "https-answer"], indirect=True)
def test_an_endpoint_answering_one_byte_at_a_time_is_cut_off_at_the_timeout(app, dripping):
    app.config["WEBHOOK_TIMEOUT"] = 0.5
    request = webhooks.Request(dripping, "127.0.0.1", b"{}", {"Content-Type": "application/json"})
    with app.app_context():
        started = time.monotonic()
        outcome = webhooks.post(request)
        took = time.monotonic() - started
    assert took < 1.5, f"the POST took {took:.1f} s against a timeout of 0.5 s"
    assert (outcome.sent, outcome.code, outcome.permanent) == (False, MailError.ENDPOINT_TIMEOUT, False)


class Paths(list):
    """The paths a local server got; `answers` are what it answers in turn."""


@pytest.fixture
def listening():
    """A local server on a port of its own that answers 204 and keeps the request lines it got."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    got = Paths()
    got_answers: list[tuple[int, dict]] = []  # answers to give in turn (status, headers), then 204

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            got.append(self.path)
            status, headers = got_answers.pop(0) if got_answers else (204, {})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORT + 1), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    got.answers = got_answers
    yield got
    server.shutdown()
    server.server_close()


def test_a_path_with_letters_beyond_ascii_is_sent_percent_encoded(app, listening):
    url = f"http://127.0.0.1:{PORT + 1}/kawal/café?sumber=é"
    with app.app_context():
        webhooks.check_url(url, "127.0.0.1")  # accepted at registration, so it must be sendable
        outcome = webhooks.post(webhooks.Request(url, "127.0.0.1", b"{}", {"Content-Type": "application/json"}))
    assert outcome.sent
    assert listening == ["/kawal/caf%C3%A9?sumber=%C3%A9"]


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:5171/a b",
        "http://127.0.0.1:5171/a\x00b",
        "http://127.0.0.1:5171/a\x7fb",
        "http://127.0.0.1:0/hook",
    ],
)
def test_an_address_no_request_could_carry_is_refused_at_registration(app, url):
    with app.app_context(), pytest.raises(webhooks.UrlRefused):
        webhooks.check_url(url, "127.0.0.1")


def test_an_endpoint_that_never_answers_is_waited_for_once_per_run_and_holds_up_no_email(app, world, clock, smtp):
    import sqlalchemy as sa

    from core.extensions import db
    from notifications import dispatcher, endpoints
    from notifications.models import MailStatus, OutboxMessage
    from tests.actions.helpers import make_action
    from tests.conftest import as_user

    app.config.update(WEBHOOK_TIMEOUT=0.5, MAIL_SERVER="127.0.0.1", MAIL_PORT=smtp.port)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", PORT + 3))
        silent.listen(16)  # connections wait in the backlog; nothing ever answers them
        with app.app_context():
            admin = as_user(world.users["admin"].id)
            url = f"http://127.0.0.1:{PORT + 3}/hook"
            endpoint = endpoints.create_endpoint(admin, url, ["forum.closed"], "127.0.0.1")[0]
            for _ in range(6):
                clock.set(clock.now() + _second())
                endpoints.send_ping(admin, endpoint.id)
            clock.set(clock.now() + _second())
            make_action(world, support=())  # a new-task email, due after the six pings
            started = time.monotonic()
            result = dispatcher.dispatch()
            took = time.monotonic() - started
            pings = list(db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.subject == "ping")))
    assert took < 2.5, f"the run took {took:.1f} s for six pings to one silent endpoint (timeout 0.5 s)"
    assert result.retried == 1 and result.sent >= 1 and smtp.wait_for(1, 5)
    assert sorted(row.attempts for row in pings) == [0, 0, 0, 0, 0, 1]
    assert {row.status for row in pings} == {MailStatus.PENDING}


def _second():
    from datetime import timedelta

    return timedelta(seconds=1)


@pytest.mark.parametrize("address", ["2002:7f00:1::1", "2002:a9fe:a9fe::", "2002:c0a8:101::5", "fec0::1"])
def test_an_ipv6_address_carrying_a_private_ipv4_one_or_site_local_is_refused(app, address):
    """6to4 (2002::/16) embeds an IPv4 address that a relay reaches; fec0::/10 is the old site-local range."""
    assert webhooks.forbidden(address)
    with app.app_context(), pytest.raises(webhooks.UrlRefused):
        webhooks.check_url(f"http://[{address}]/hook")


def test_a_public_ipv6_address_stays_allowed(app):
    assert not webhooks.forbidden("2002:808:808::1")  # 6to4 of 8.8.8.8
    assert not webhooks.forbidden("2606:4700:4700::1111")


@pytest.mark.parametrize("form", ["seconds", "http-date"])
def test_a_429_with_retry_after_waits_at_least_that_long(app, world, clock, listening, form):
    from datetime import timedelta
    from email.utils import format_datetime

    from core.extensions import db
    from notifications import dispatcher, endpoints
    from notifications.models import MailStatus, OutboxMessage
    from tests.conftest import as_user

    with app.app_context():
        admin = as_user(world.users["admin"].id)
        now = clock.now()
        retry_after = "1800" if form == "seconds" else format_datetime(now + timedelta(minutes=30), usegmt=True)
        url = f"http://127.0.0.1:{PORT + 1}/hook"
        endpoint = endpoints.create_endpoint(admin, url, ["forum.closed"], "127.0.0.1")[0]
        row_id = endpoints.send_ping(admin, endpoint.id).id
        listening.answers.append((429, {"Retry-After": retry_after}))
        assert dispatcher.dispatch().retried == 1
        row = db.session.get(OutboxMessage, row_id)
        assert row.status == MailStatus.PENDING
        assert row.next_attempt_at >= now + timedelta(minutes=29), row.next_attempt_at - now


def test_every_delivery_verifies_on_the_bytes_received_and_a_new_secret_signs_from_the_next_one(app, world, clock):
    import hashlib
    import hmac
    import json
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from forum import services as forums
    from notifications import dispatcher, endpoints
    from tests.actions.helpers import make_action
    from tests.conftest import as_user

    got: list[tuple[str, bytes]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            got.append((self.headers["Kawal-Signature"], self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    def verifies(secret: str, header: str, body: bytes) -> bool:
        parts = dict(item.split("=", 1) for item in header.split(","))
        expected = hmac.new(secret.encode(), f"{parts['t']}.{body.decode()}".encode(), hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, parts["v1"]) and abs(clock.now().timestamp() - int(parts["t"])) <= 300

    server = ThreadingHTTPServer(("127.0.0.1", PORT + 2), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with app.app_context():
            admin = as_user(world.users["admin"].id)
            url = f"http://127.0.0.1:{PORT + 2}/hook"
            events = ["assignment.created", "forum.closed"]
            old = "rahasia-lama-é-0123456789"
            endpoint_id = endpoints.create_endpoint(admin, url, events, "127.0.0.1", secret=old)[0].id
            action = make_action(world, title="Perbaikan gizi balita — “Posyandu” ✓", support=("DP3AP2KB",))
            forum_id = action.recommendation.forum_id
            assert dispatcher.dispatch().sent >= 2
            first = len(got)
            admin = as_user(world.users["admin"].id)  # the dispatcher ended the session
            endpoints.update_endpoint(admin, endpoint_id, url, events, "127.0.0.1", True, "rahasia-baru-0123456789")
            secretariat = as_user(world.users["secretariat"].id)
            forums.change_status(secretariat, forum_id, "held")
            forums.change_status(secretariat, forum_id, "closed")
            dispatcher.dispatch()
    finally:
        server.shutdown()
        server.server_close()
    assert first >= 2 and len(got) > first
    for header, body in got[:first]:
        assert verifies("rahasia-lama-é-0123456789", header, body)
        assert "Posyandu" in json.loads(body)["data"]["title"]
    for header, body in got[first:]:
        assert verifies("rahasia-baru-0123456789", header, body)
        assert not verifies("rahasia-lama-é-0123456789", header, body)


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_three_sender_processes_post_each_webhook_delivery_once_against_a_slow_endpoint(app, world, smtp):
    """Real `flask reminders send` processes, a 2 s lease, an endpoint taking 0.4 s a delivery: the rows a sender
    has not reached when its lease runs out are taken over by a third, and none is posted twice. (At 0.2 s, on a
    loaded machine, the first two had posted everything before the third process was up.)"""
    from datetime import timedelta
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    import sqlalchemy as sa

    from core import clock as clocks
    from core.extensions import db
    from notifications import endpoints
    from notifications.models import MailStatus, OutboxMessage
    from tests.conftest import as_user
    from tests.notifications.test_outbox_concurrency import _report, _sender

    got: list[str] = []
    lock = threading.Lock()

    class Slow(BaseHTTPRequestHandler):
        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(0.4)
            with lock:
                got.append(self.headers["Kawal-Delivery"])
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", PORT + 6), Slow)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with app.app_context():
            admin = as_user(world.users["admin"].id)
            url = f"http://127.0.0.1:{PORT + 6}/hook"
            endpoint_id = endpoints.create_endpoint(admin, url, ["forum.closed"], "127.0.0.1")[0].id
            for _ in range(50):
                endpoints.send_ping(admin, endpoint_id)
                app.extensions["kawal.clock"].set(clocks.now() + timedelta(seconds=1))
            due = clocks.SYSTEM_CLOCK.now() - timedelta(minutes=1)
            db.session.execute(sa.update(OutboxMessage).values(next_attempt_at=due))
            db.session.commit()
            database = db.engine.url.render_as_string(hide_password=False)
        first = [_sender(database, smtp.port, "--batch", "25", lease=2) for _ in range(2)]
        waited = time.monotonic()
        while len(got) < 24 and time.monotonic() - waited < 30:  # 12 each, 4.8 s: the rest of their leases ran out
            time.sleep(0.05)
        late = _sender(database, smtp.port, lease=2)
        reports = [_report(sender) for sender in [*first, late]]
        with app.app_context():
            statuses = set(db.session.scalars(sa.select(OutboxMessage.status)))
    finally:
        server.shutdown()
        server.server_close()
    assert sorted(got) == sorted(set(got)), "a delivery was posted twice"
    assert sum(r["lost"] for r in reports[:2]) > 0 and reports[2]["sent"] > 0, reports  # the takeover happened
    assert len(got) == 50 and sum(r["sent"] for r in reports) == 50, reports
    assert statuses == {MailStatus.SENT}


def test_a_delivery_that_cannot_be_prepared_is_dead_after_the_last_attempt(app, world, clock, monkeypatch):
    from datetime import timedelta

    from core.extensions import db
    from notifications import dispatcher, endpoints
    from notifications.models import MailStatus, OutboxMessage
    from tests.conftest import as_user

    def broken(row, endpoint, now):
        raise RuntimeError("an error of ours, not the endpoint's")

    monkeypatch.setattr(webhooks, "request_for", broken)
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    with app.app_context():
        admin = as_user(world.users["admin"].id)
        url = f"http://127.0.0.1:{PORT + 1}/hook"
        row_id = endpoints.send_ping(
            admin, endpoints.create_endpoint(admin, url, ["forum.closed"], "127.0.0.1")[0].id
        ).id
        for _ in range(5):
            dispatcher.dispatch()
            clock.set(clock.now() + timedelta(hours=2))
        row = db.session.get(OutboxMessage, row_id)
        assert (row.status, row.attempts) == (MailStatus.DEAD, 3)
