"""Sending over several SMTP connections at once (MAIL_CONNECTIONS): bounded, and nothing lost or said twice when
one connection fails. The servers listen on this helper's fixed ports (one per xdist worker)."""

import asyncio
import os
import threading
from contextlib import contextmanager
from datetime import timedelta

import sqlalchemy as sa
from aiosmtpd.controller import Controller

from core.extensions import db
from notifications import dispatcher
from notifications.models import MailStatus, OutboxMessage
from tests.actions.helpers import make_action
from tests.notifications.conftest import Collector

EMAILS = 12


def _port(offset: int) -> int:
    """A port of 7440–7499, apart for each xdist worker."""
    worker = int((os.environ.get("PYTEST_XDIST_WORKER") or "gw0").removeprefix("gw") or 0)
    return 7440 + 10 * worker + offset


class Counting(Collector):
    """Keeps every message, holds each for `delay` seconds, and counts the connections it was sent over and how
    many were sending at once. `drop_first` hangs up on the first message of the first connection."""

    def __init__(self, delay: float, drop_first: bool = False):
        super().__init__(delay=0)
        self.hold, self.drop_first = delay, drop_first
        self.peers: set = set()
        self.sending = self.most_at_once = 0

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.drop_first:
                self.drop_first = False
                server.transport.close()
                return "421 closing"
            self.peers.add(session.peer)
            self.sending += 1
            self.most_at_once = max(self.most_at_once, self.sending)
        await asyncio.sleep(self.hold)
        with self.lock:
            self.sending -= 1
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def serving(collector: Counting, offset: int):
    controller = Controller(collector, hostname="127.0.0.1", port=_port(offset))
    controller.start()
    try:
        yield collector
    finally:
        controller.stop()


def _new_task_emails(app, world, count: int) -> None:
    with app.app_context():
        for n in range(count):
            make_action(world, support=(), title=f"Layanan keswa {n}")


def _statuses(app) -> list[MailStatus]:
    with app.app_context():
        return list(db.session.scalars(sa.select(OutboxMessage.status)))


def test_a_run_sends_over_mail_connections_at_once_and_no_more(make_app, world):
    with serving(Counting(delay=0.2), 0) as server:
        app = make_app(MAIL_PORT=_port(0), MAIL_TIMEOUT=5, MAIL_CONNECTIONS=3)
        _new_task_emails(app, world, EMAILS)
        with app.app_context():
            result = dispatcher.dispatch(batch=2)
    assert result.sent == EMAILS
    assert len(server.messages) == EMAILS
    assert len({message["Message-ID"] for message in server.messages}) == EMAILS
    assert len(server.peers) == 3  # three connections, each reused for its own claims
    assert 2 <= server.most_at_once <= 3
    assert set(_statuses(app)) == {MailStatus.SENT}


def test_one_connection_is_the_run_in_the_callers_thread(make_app, world):
    with serving(Counting(delay=0.05), 1) as server:
        app = make_app(MAIL_PORT=_port(1), MAIL_TIMEOUT=5, MAIL_CONNECTIONS=1)
        _new_task_emails(app, world, 3)
        seen = []
        real = dispatcher._sender
        dispatcher._sender = lambda *args: seen.append(threading.current_thread()) or real(*args)
        try:
            with app.app_context():
                assert dispatcher.dispatch(batch=1).sent == 3
        finally:
            dispatcher._sender = real
    assert seen == [threading.current_thread()]
    assert len(server.peers) == 1 and server.most_at_once == 1


def test_a_connection_that_fails_loses_nothing_and_doubles_nothing(make_app, world):
    with serving(Counting(delay=0.05, drop_first=True), 2) as server:
        app = make_app(MAIL_PORT=_port(2), MAIL_TIMEOUT=5, MAIL_CONNECTIONS=3)
        _new_task_emails(app, world, EMAILS)
        with app.app_context():
            first = dispatcher.dispatch(batch=2)
            # The email whose connection broke waits its backoff; the others went, over the other connections and
            # over a new one in place of the broken one.
            assert (first.sent, first.retried, first.lost) == (EMAILS - 1, 1, 0)
            clock = app.extensions["kawal.clock"]
            clock.set(clock.now() + timedelta(hours=2))
            second = dispatcher.dispatch(batch=2)
    assert (second.sent, second.retried) == (1, 0)
    assert len(server.messages) == EMAILS
    assert len({message["Message-ID"] for message in server.messages}) == EMAILS
    assert set(_statuses(app)) == {MailStatus.SENT}


def test_a_server_that_is_down_stops_every_connection_and_keeps_every_email(make_app, world):
    app = make_app(MAIL_PORT=_port(3), MAIL_TIMEOUT=10, MAIL_CONNECTIONS=3)  # nothing listens there yet
    _new_task_emails(app, world, EMAILS)
    with app.app_context():
        down = dispatcher.dispatch(batch=2)
    assert down.stopped is not None and down.sent == 0
    # Each connection tried at most one email of its claim of two (none once another had found the server down),
    # gave the rest back, and claimed no more: every email still waits.
    claimed = down.retried + down.put_back
    assert 1 <= down.retried <= 3 and claimed % 2 == 0 and claimed <= 6
    assert set(_statuses(app)) == {MailStatus.PENDING}
    with serving(Counting(delay=0.01), 3) as server, app.app_context():
        clock = app.extensions["kawal.clock"]
        clock.set(clock.now() + timedelta(hours=2))
        assert dispatcher.dispatch(batch=2).sent == EMAILS
    assert len({message["Message-ID"] for message in server.messages}) == EMAILS
