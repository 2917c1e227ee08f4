"""The benchmark through gunicorn: requests per second and latency under load, and the processes' peak memory.

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/bench [--duration 15]

Starts gunicorn with gunicorn.conf.py (2 workers) on a free loopback port against the benchmark database, logs in
as the head of a kabupaten's OPD with 300 tasks and as the secretariats of that kabupaten and of its province, and
drives wrk (Debian's package) with 8 connections at a bare endpoint (/health: no database, no session, the
framework's ceiling), "My tasks" and the follow-ups list of each secretariat.
A short run before each is not counted. Then it reads each web worker's peak RSS, and runs the reminder jobs
(`flask reminders plan` and `send`, as the worker runs them) as child processes to read theirs.
"""

import argparse
import http.cookiejar
import os
import re
import secrets
import shutil
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from bench.common import empty_outbox, fresh_app
from bench.generate import MEASURED
from bench.run import free_port, smtp_sink, wait_for_port, workday

ROOT = Path(__file__).resolve().parents[1]
TARGETS = [
    ("bare endpoint (/health)", "/health", None),
    ("my tasks (OPD head, 300 tasks)", "/tasks", "head"),
    ("actions list (kabupaten)", "/actions", "kabupaten"),
    ("actions list (province)", "/actions", "province"),
]
ACCOUNTS = {"head": "user2@bench.example"} | {who: email for who, (email, _r, _g) in MEASURED.items()}
PASSWORD = "bench-pass"  # bench.generate gives every user this password


def server_environment(database_url: str, port: int) -> dict:
    return {
        **os.environ,
        "KAWAL_ENV": "production",
        "DATABASE_URL": database_url,
        "SECRET_KEY": secrets.token_hex(32),
        "SESSION_COOKIE_SECURE": "0",  # plain HTTP on loopback
        "WEB_CONCURRENCY": "2",
        "KAWAL_BIND": f"127.0.0.1:{port}",
        "GUNICORN_ACCESS_LOG": "",  # a log line per request would measure the terminal
        "LOGIN_LIMIT_PER_IP": "1000 per minute",
        "RATELIMIT_ALLOW_PER_WORKER": "1",  # no Redis for a measurement; each worker may count logins alone
    }


def log_in(base: str, email: str) -> str:
    """The session cookie of a real login: the form, its CSRF token, the POST."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    page = opener.open(f"{base}/login").read().decode()
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrf_token": token, "email": email, "password": PASSWORD}).encode()
    opener.open(f"{base}/login", data=form)
    cookie = next((c for c in jar if c.name == "session"), None)
    if cookie is None:
        raise RuntimeError(f"could not log in as {email}")
    return f"session={cookie.value}"


def wrk(url: str, cookie: str | None, seconds: int, connections: int = 8) -> dict:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in output:
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _milliseconds(latency["50"]),
        "p99": _milliseconds(latency["99"]),
    }


def _milliseconds(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def peak_rss_mb(pid: int) -> float:
    """The process's high-water mark of resident memory (VmHWM)."""
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1)) / 1024


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


def serve_and_load(database_url: str, seconds: int) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=server_environment(database_url, port),
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        cookies = {who: log_in(base, email) for who, email in ACCOUNTS.items()}
        print(
            f"\nthrough gunicorn (2 workers × {os.environ.get('GUNICORN_THREADS', 4)} threads), wrk with "
            f"8 connections, {seconds} s per page after a 3 s warm-up"
        )
        print(f"{'page':48} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'of bare':>8}")
        ceiling = None
        for label, path, who in TARGETS:
            cookie = cookies.get(who)
            wrk(base + path, cookie, 3)
            figures = wrk(base + path, cookie, seconds)
            ceiling = ceiling or figures["rps"]
            print(
                f"{label:48} {figures['rps']:8.0f} {figures['p50']:8.1f} {figures['p99']:8.1f} "
                f"{figures['rps'] / ceiling:8.0%}"
            )
        peaks = [peak_rss_mb(pid) for pid in worker_pids(server.pid)]
        print(f"web workers' peak RSS after the load: {', '.join(f'{mb:.0f} MB' for mb in peaks)}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def reminder_jobs_rss(database_url: str) -> None:
    """Run the worker's two jobs in child processes against 100,000 assignments and read their peak memory."""
    app = fresh_app(database_url, empty=False)
    with app.app_context():
        empty_outbox()
        moment = f"{workday().isoformat()}T09:00"
    with smtp_sink() as port:
        environment = {
            **os.environ,
            "KAWAL_ENV": "development",
            "DATABASE_URL": database_url,
            "MAIL_PORT": str(port),
            "FLASK_APP": "wsgi",
            "SECRET_KEY": secrets.token_hex(32),
            "MAIL_SINK_DIR": "",
        }
        for job in ("plan", "send"):
            started = time.perf_counter()
            child = subprocess.Popen(
                [sys.executable, "-m", "flask", "reminders", job, "--now", moment],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
            )
            _pid, status, usage = os.wait4(child.pid, 0)  # ru_maxrss: the child's peak resident memory, in KB
            if status != 0:
                raise RuntimeError(f"flask reminders {job} failed")
            megabytes = usage.ru_maxrss / 1024
            print(f"reminder job '{job}': {time.perf_counter() - started:.1f} s, peak RSS {megabytes:.0f} MB")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=int, default=15)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    serve_and_load(args.database_url, args.duration)
    reminder_jobs_rss(args.database_url)


if __name__ == "__main__":
    main()
