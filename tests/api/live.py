"""A live Kawal in a process of its own (`flask run`, as a deployment's integrator meets it), on a test's database
seeded with the demo data by `flask seed demo`, and write tokens for some of the demo's accounts."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import sqlalchemy as sa

from accounts import tokens
from accounts.models import User
from core.extensions import db
from tests.conftest import worker_port

VENV_BIN = Path(sys.executable).parent
# The ports this suite's live servers may take: ten of this xdist worker's own, so two workers (a test's SQLite and
# PostgreSQL cases at once) never both find one free and race for it while their servers start.
PORTS = range(worker_port(5150), worker_port(5150) + 10)
STARTUP_SECONDS = 60


def free_port() -> int:
    """The first port of PORTS nobody listens on."""
    for port in PORTS:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"Every port from {PORTS.start} to {PORTS.stop - 1} is taken.")


def server_environment(database_url: str, tmp_path: Path, **settings) -> dict:
    """The environment of `flask` commands on this database: development settings, files under tmp_path."""
    return os.environ | {
        "FLASK_APP": "wsgi",
        "KAWAL_ENV": "development",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "live-test-secret",
        "ATTACHMENT_DIR": str(tmp_path / "attachments"),
        "MAIL_SINK_DIR": str(tmp_path / "mail"),
        "PYTHONUNBUFFERED": "1",
        **settings,
    }


def seed_demo(environment: dict) -> None:
    subprocess.run([str(VENV_BIN / "flask"), "seed", "demo"], env=environment, check=True, capture_output=True)


def write_tokens(app, emails) -> dict[str, str]:
    """A write token, valid until revoked, for each of these accounts: {email: secret}."""
    with app.app_context():
        users = db.session.scalars(sa.select(User).where(User.email.in_(emails))).all()
        secrets = {
            user.email: tokens.create_token(user, name="schemathesis", scope="write", days=None)[1] for user in users
        }
        db.session.remove()
    assert set(secrets) == set(emails), f"accounts missing from the demo: {set(emails) - set(secrets)}"
    return secrets


@contextlib.contextmanager
def live_server(environment: dict, log: Path):
    """`flask run` on a free port of PORTS; yields its base URL, and stops it (by its own id) at the end."""
    port = free_port()
    with log.open("w") as output:
        server = subprocess.Popen(
            [str(VENV_BIN / "flask"), "run", "--host", "127.0.0.1", "--port", str(port), "--no-reload"],
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(server, f"{base}/api/v1/openapi.json", log)
        yield base
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def _wait_until_up(server: subprocess.Popen, url: str, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"The live server ended with {server.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"The live server did not answer within {STARTUP_SECONDS} s:\n{log.read_text()}")
