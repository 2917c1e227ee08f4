"""Login throttling (issue 10, defect 23): one account from one address, one address, and one account from every
address each have a ceiling; production with several workers needs a shared store, and Redis is one."""

import http.cookiejar
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path
from types import SimpleNamespace

import pytest

from tests.conftest import PASSWORD, require_or_skip

OWNER = "viewer@example.org"
ROOT = Path(__file__).resolve().parents[2]


def _attempt(client, address, email=OWNER, password="salah", **headers):
    response = client.post(
        "/login", data={"email": email, "password": password}, environ_base={"REMOTE_ADDR": address}, headers=headers
    )
    return response.status_code


def test_guessing_from_one_address_does_not_lock_the_owner_out_from_another(app, world):
    client = app.test_client()
    for _ in range(8):  # LOGIN_LIMIT_PER_ACCOUNT_AND_IP: 8 per 5 minutes
        assert _attempt(client, "203.0.113.7") == 422
    assert _attempt(client, "203.0.113.7", password=PASSWORD) == 429
    assert _attempt(app.test_client(), "198.51.100.20", password=PASSWORD) == 302


def test_one_address_is_limited_over_every_account(make_app, world):
    app = make_app(LOGIN_LIMIT_PER_IP="5 per 5 minutes")
    client = app.test_client()
    for n in range(5):
        assert _attempt(client, "203.0.113.7", email=f"orang{n}@example.org") == 422
    assert _attempt(client, "203.0.113.7", email="lain@example.org") == 429
    assert _attempt(client, "198.51.100.20", password=PASSWORD) == 302


def test_one_account_has_a_higher_ceiling_over_every_address(make_app, world):
    app = make_app(LOGIN_LIMIT_PER_ACCOUNT_AND_IP="3 per 5 minutes", LOGIN_LIMIT_PER_ACCOUNT="6 per hour")
    client = app.test_client()
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        for _ in range(2):
            assert _attempt(client, address) == 422
    assert _attempt(client, "198.51.100.20", password=PASSWORD) == 429  # a guess spread over many addresses
    assert _attempt(client, "198.51.100.20", email="admin@example.org", password=PASSWORD) == 302


def test_the_lock_lifts_after_five_minutes_by_the_limiters_clock(app, world, monkeypatch):
    from limits.storage import memory

    now = SimpleNamespace(value=time.time())
    monkeypatch.setattr(memory, "time", SimpleNamespace(time=lambda: now.value, sleep=time.sleep))
    client = app.test_client()
    for _ in range(8):
        _attempt(client, "203.0.113.7")
    now.value += 299
    assert _attempt(client, "203.0.113.7", password=PASSWORD) == 429
    now.value += 2
    assert _attempt(client, "203.0.113.7", password=PASSWORD) == 302


def test_behind_the_proxy_each_client_counts_on_its_own_and_cannot_forge_it(make_app, world):
    proxied = make_app(TRUSTED_PROXIES=1).test_client()
    for _ in range(8):
        assert _attempt(proxied, "127.0.0.1", **{"X-Forwarded-For": "203.0.113.7"}) == 422
    assert _attempt(proxied, "127.0.0.1", password=PASSWORD, **{"X-Forwarded-For": "198.51.100.20"}) == 302
    # Without a trusted proxy the header is the client's own word: changing it does not reset its count.
    direct = make_app().test_client()
    for n in range(8):
        assert _attempt(direct, "203.0.113.9", **{"X-Forwarded-For": f"10.0.0.{n}"}) == 422
    assert _attempt(direct, "203.0.113.9", password=PASSWORD, **{"X-Forwarded-For": "10.9.9.9"}) == 429


def _production(**overrides):
    from app import create_app
    from config import ProductionConfig

    return create_app(ProductionConfig, {"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x" * 32, **overrides})


def test_production_with_several_workers_refuses_a_per_process_store():
    with pytest.raises(RuntimeError, match="RATELIMIT_STORAGE_URI to a shared store, e.g. redis://"):
        _production(WEB_CONCURRENCY=2, RATELIMIT_STORAGE_URI="memory://")
    _production(WEB_CONCURRENCY=1, RATELIMIT_STORAGE_URI="memory://")
    _production(WEB_CONCURRENCY=4, RATELIMIT_STORAGE_URI="redis://127.0.0.1:1/0")  # checked at start, used later


def test_the_worker_count_is_read_as_gunicorn_reads_it(monkeypatch):
    from config import web_concurrency

    monkeypatch.setenv("WEB_CONCURRENCY", "3")
    assert web_concurrency() == 3
    monkeypatch.delenv("WEB_CONCURRENCY")
    assert web_concurrency() == max(2, 2 * (os.cpu_count() or 1)) >= 2
    config = subprocess.run(
        [sys.executable, "-c", "import runpy; print(runpy.run_path('gunicorn.conf.py')['workers'])"],
        cwd=ROOT,
        env={**os.environ, "WEB_CONCURRENCY": "3"},
        capture_output=True,
        text=True,
    )
    assert config.stdout.strip() == "3", config.stderr


# --- two real servers, one Redis ---------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for(check, what: str, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)  # waiting for a process to come up, not for business time
    raise AssertionError(f"{what} did not come up")


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory):
    """TEST_REDIS_URL (set by .ci/run), or a redis-server of our own on a free loopback port."""
    if os.environ.get("TEST_REDIS_URL"):
        yield os.environ["TEST_REDIS_URL"]
        return
    server = shutil.which("redis-server")
    if server is None:
        require_or_skip("Redis is not available: install redis-server or set TEST_REDIS_URL")
    port = _free_port()
    process = subprocess.Popen(
        [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        cwd=tmp_path_factory.mktemp("redis"),
        stdout=subprocess.DEVNULL,
    )
    _wait_for(lambda: socket.create_connection(("127.0.0.1", port), timeout=0.2).close() or True, "redis-server")
    yield f"redis://127.0.0.1:{port}/0"
    process.terminate()
    process.wait(10)


def _attempt_over_http(base: str, password: str = "salah") -> int:
    """A real browser's login: the page, its CSRF token and cookie, the POST."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{base}/login", timeout=10).read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": OWNER, "password": password}).encode()

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args, **kwargs):
            return None

    opener.add_handler(NoRedirect())
    try:
        return opener.open(f"{base}/login", data=form, timeout=10).status
    except urllib.error.HTTPError as error:
        return error.code


def test_two_servers_sharing_one_redis_count_attempts_together(app, world, redis_url, tmp_path):
    environment = {
        **os.environ,
        "HOME": str(tmp_path),  # where gunicorn's control socket would go, one path for every server of a user
        "XDG_RUNTIME_DIR": "",
        "KAWAL_ENV": "production",
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "SECRET_KEY": "s" * 32,
        "SESSION_COOKIE_SECURE": "0",
        "WEB_CONCURRENCY": "2",
        "GUNICORN_ACCESS_LOG": "",
        "RATELIMIT_STORAGE_URI": redis_url,
        "RATELIMIT_KEY_PREFIX": f"kawal-test-{uuid.uuid4().hex}",
    }
    servers, bases = [], []
    try:
        for _ in range(2):
            port = _free_port()
            servers.append(
                subprocess.Popen(
                    [str(Path(sys.executable).with_name("gunicorn")), "-c", "gunicorn.conf.py", "wsgi:app"],
                    cwd=ROOT,
                    env={**environment, "KAWAL_BIND": f"127.0.0.1:{port}"},
                    stderr=subprocess.DEVNULL,
                )
            )
            bases.append(f"http://127.0.0.1:{port}")
        for base in bases:
            _wait_for(lambda base=base: urllib.request.urlopen(f"{base}/health", timeout=1).status == 200, base)
        # Neither opened gunicorn's control socket, which the second would have taken from the first
        # (gunicorn.conf.py: only GUNICORN_CONTROL_SOCKET opens one).
        assert not (tmp_path / ".gunicorn").exists()
        for n in range(8):  # four wrong passwords on each server: eight for the account from this address
            assert _attempt_over_http(bases[n % 2]) == 422
        assert _attempt_over_http(bases[0], password=PASSWORD) == 429
        assert _attempt_over_http(bases[1], password=PASSWORD) == 429
    finally:
        for server in servers:
            server.terminate()
        for server in servers:
            server.wait(20)
