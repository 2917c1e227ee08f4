"""A real SMTP server on a free loopback port (aiosmtpd), and servers that misbehave on purpose."""

import asyncio
import socket
import ssl
import threading
from contextlib import contextmanager
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """Keeps every message; can be told to answer the next DATA commands with an error, to refuse some
    recipients (RCPT) with 550 or put them off with 452, and to take `delay` seconds over each message, as a slow server does."""

    def __init__(self, delay: float = 0.0):
        self.messages = []
        self.replies: list[str] = []
        self.refuse: set[str] = set()
        self.put_off: set[str] = set()  # answered 452 (try again later), as a full mailbox or greylisting does
        self.delay = delay
        self.lock = threading.Lock()
        self.changed = threading.Condition(self.lock)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Kotak surat tidak ada"
        if address in self.put_off:
            return "452 4.2.2 Kotak surat penuh"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            message = BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
            message.envelope_recipients = list(envelope.rcpt_tos)
            self.messages.append(message)
            self.changed.notify_all()
        return "250 OK"

    def wait_for(self, count: int, timeout: float) -> bool:
        """Block until `count` messages have arrived (an event, not a span of time); False on timeout."""
        with self.changed:
            return self.changed.wait_for(lambda: len(self.messages) >= count, timeout)


class DropOnQuit(SMTP):
    """An SMTP server that hangs up instead of answering QUIT."""

    async def smtp_QUIT(self, arg):
        self.transport.close()


@contextmanager
def serving(collector: Collector, controller_class=Controller):
    """Run an aiosmtpd server for `collector` on a free loopback port, in its own thread."""
    controller = controller_class(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.port = controller.port
    try:
        yield collector
    finally:
        controller.stop()


@pytest.fixture
def smtp():
    with serving(Collector()) as collector:
        yield collector


@pytest.fixture
def slow_smtp():
    """A server that takes 0.2 s over each message."""
    with serving(Collector(delay=0.2)) as collector:
        yield collector


@pytest.fixture
def smtp_drop_on_quit():
    class _Controller(Controller):
        def factory(self):
            return DropOnQuit(self.handler)

    with serving(Collector(), _Controller) as collector:
        yield collector


# A self-signed certificate for 127.0.0.1 (valid for a century), made for these tests only: a server offering it
# is one Kawal has no reason to trust.
TEST_CERT = Path(__file__).with_name("smtp-test-cert.pem")


def _server_context() -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(TEST_CERT, TEST_CERT.with_name("smtp-test-key.pem"))
    return context


@pytest.fixture
def starttls_smtp():
    """A server that offers STARTTLS with the self-signed certificate above."""
    context = _server_context()

    class _Controller(Controller):
        def factory(self):
            return SMTP(self.handler, tls_context=context)

    with serving(Collector(), _Controller) as collector:
        yield collector


@pytest.fixture
def implicit_tls_smtp():
    """A server that speaks TLS from the first byte (port 465 style), with the self-signed certificate above."""
    context = _server_context()

    class _Controller(Controller):
        def __init__(self, handler, **kwargs):
            super().__init__(handler, ssl_context=context, **kwargs)

    with serving(Collector(), _Controller) as collector:
        yield collector


@pytest.fixture
def silent_server():
    """Accepts connections and never says a word: the client must time out."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    accepted = []
    stop = threading.Event()

    def serve():
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in accepted:
        connection.close()
    listener.close()


@pytest.fixture
def mail_app(make_app, world, smtp):
    """An app whose mail goes to the test SMTP server."""
    return make_app(MAIL_PORT=smtp.port, MAIL_TIMEOUT=2, KAWAL_BASE_URL="http://kawal.test")
