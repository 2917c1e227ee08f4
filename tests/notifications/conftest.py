"""A real SMTP server on a free loopback port (aiosmtpd), and servers that misbehave on purpose."""

import socket
import threading
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Collector:
    """Keeps every message; can be told to answer the next DATA commands with an error."""

    def __init__(self):
        self.messages = []
        self.replies: list[str] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            if self.replies:
                return self.replies.pop(0)
            self.messages.append(
                BytesParser(policy=policy.default).parsebytes(envelope.original_content or envelope.content)
            )
        return "250 OK"


class DropOnQuit(SMTP):
    """An SMTP server that hangs up instead of answering QUIT."""

    async def smtp_QUIT(self, arg):
        self.transport.close()


@pytest.fixture
def smtp():
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.port = controller.port
    yield collector
    controller.stop()


@pytest.fixture
def smtp_drop_on_quit():
    collector = Collector()

    class _Controller(Controller):
        def factory(self):
            return DropOnQuit(self.handler)

    controller = _Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    collector.port = controller.port
    yield collector
    controller.stop()


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
