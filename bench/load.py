"""The benchmark through gunicorn: requests per second and latency under load, against the issue's targets, and the
processes' peak memory.

    python -m bench.load --database-url postgresql://postgres@127.0.0.1:5432/bench [--duration 8] [--rounds 3]

Starts gunicorn with gunicorn.conf.py (2 workers) on a free loopback port against the benchmark database, logs in
as the head of a kabupaten's OPD with 300 tasks, as the secretariats of that kabupaten and of its province and as
the instance admin, and drives wrk (Debian's package; 2 threads, 8 connections) at a bare endpoint (/health: no
database, no session, the framework's ceiling) and at each page of PAGES. The pages take turns: three rounds of
page A, B, C..., so that a burst of load from elsewhere on the machine falls on every page alike, and each figure
is the median of its rounds. A short run before each page's first round is not counted. Each page's requests per
second are compared with /health's, and with its target. Then it reads each web worker's peak RSS, and runs the
reminder jobs (`python -m jobs plan` and `send`, as the worker runs them) as child processes to read theirs, after
that of `python -m jobs status`: the app and one query, where every job starts.
"""

import argparse
import http.cookiejar
import math
import os
import re
import secrets
import shutil
import statistics
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

from bench.common import empty_outbox, fresh_app
from bench.generate import MEASURED
from bench.peak import peak_rss_mb, reported_peak_mb
from bench.run import free_port, smtp_sink, wait_for_port, workday

ROOT = Path(__file__).resolve().parents[1]
# label, address, who reads it (None: no login), the share of /health's requests per second it should reach, and
# whether its p99 should stay under P99_TARGET_MS (the targets).
PAGES = [
    ("bare endpoint (/health)", "/health", None, None, False),
    ("my tasks (OPD head, 300 tasks)", "/tasks", "head", 0.25, True),
    ("follow-ups list (instance admin)", "/actions", "admin", 0.25, True),
    ("follow-ups list (kabupaten)", "/actions", "kabupaten", 0.25, True),
    ("follow-ups list (province)", "/actions", "province", 0.25, True),
    ("forum page (kabupaten)", "/forums/1", "kabupaten", 0.15, False),
    ("dashboard (kabupaten)", "/dashboard", "kabupaten", 0.15, False),
    ("dashboard (province)", "/dashboard", "province", 0.15, False),
]
P99_TARGET_MS = 50
WORKER_RSS_TARGET_MB, PLAN_RSS_TARGET_MB = 120, 100
ACCOUNTS = {"head": "user2@bench.example", "admin": "admin@bench.example"} | {
    who: email for who, (email, _r, _g) in MEASURED.items()
}
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
    # wrk counts a request unanswered after 2 s as a timeout and leaves it out of the latencies: give it 10 s.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s", "--latency", url]
    if cookie:
        command[1:1] = ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if "Non-2xx" in output or (errors and any(int(n) for n in errors.groups()[:3])):
        raise RuntimeError(f"{url} answered errors under load:\n{output}")
    if re.search(r"^\s+0 requests in", output, re.MULTILINE):  # every request took longer than the run
        return {"rps": 0.0, "p50": math.inf, "p99": math.inf}
    latency = dict(re.findall(r"^\s+(50|99)%\s+([\d.]+\w+)", output, re.MULTILINE))
    timeouts = errors and int(errors.group(4))  # unanswered after 10 s: left out of wrk's latencies
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": _milliseconds(latency["50"]),
        "p99": math.inf if timeouts else _milliseconds(latency["99"]),
    }


def _milliseconds(text: str) -> float:
    number, unit = re.match(r"([\d.]+)(\w+)", text).groups()
    return float(number) * {"us": 0.001, "ms": 1, "s": 1000}[unit]


def worker_pids(master: int) -> list[int]:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return [int(pid) for pid in children]


@contextmanager
def kawal_server(database_url: str):
    """Kawal's gunicorn (gunicorn.conf.py, 2 workers) on a free loopback port; yields its address and process."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "wsgi:app"],
        cwd=ROOT,
        env=server_environment(database_url, port),
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for_port(port, timeout=30)
        yield f"http://127.0.0.1:{port}", server
    finally:
        server.terminate()
        try:  # gunicorn lets its workers finish their requests for graceful_timeout (30 s)
            server.wait(timeout=45)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def in_rounds(targets: list[tuple[str, str, str | None]], seconds: int, rounds: int) -> dict[str, dict]:
    """wrk at each (label, url, cookie) in turn, `rounds` times over; the median of each figure, by label. Each
    target has a 2 s run before its first round, not counted."""
    measured = {label: [] for label, _url, _cookie in targets}
    for _round in range(rounds):
        for label, url, cookie in targets:
            if not measured[label]:
                wrk(url, cookie, 2)
            measured[label].append(wrk(url, cookie, seconds))
    return {
        label: {figure: statistics.median(run[figure] for run in runs) for figure in ("rps", "p50", "p99")}
        for label, runs in measured.items()
    }


def verdict(met: bool) -> str:
    return "met" if met else "MISSED"


def serve_and_load(database_url: str, seconds: int, rounds: int) -> None:
    with kawal_server(database_url) as (base, server):
        cookies = {who: log_in(base, email) for who, email in ACCOUNTS.items()}
        print(
            f"\nthrough gunicorn (2 workers × {os.environ.get('GUNICORN_THREADS', 4)} threads), wrk with 2 threads "
            f"and 8 connections, {rounds} interleaved rounds of {seconds} s a page, medians"
        )
        figures = in_rounds([(label, base + url, cookies.get(who)) for label, url, who, *_ in PAGES], seconds, rounds)
        ceiling = figures[PAGES[0][0]]["rps"]
        print(f"{'page':40} {'req/s':>7} {'p50 ms':>7} {'p99 ms':>7} {'of /health':>10}  target")
        for label, _url, _who, share, tail in PAGES:
            rps, p50, p99 = (figures[label][figure] for figure in ("rps", "p50", "p99"))
            target = ""
            if share is not None:
                target = f"≥ {share:.0%}: {verdict(rps >= share * ceiling)}"
            if tail:
                target += f"; p99 < {P99_TARGET_MS} ms: {verdict(p99 < P99_TARGET_MS)}"
            print(f"{label:40} {rps:7.0f} {p50:7.1f} {p99:7.1f} {rps / ceiling:10.1%}  {target}")
        peaks = [peak_rss_mb(pid) for pid in worker_pids(server.pid)]
        print(
            f"web workers' peak RSS after the load: {', '.join(f'{mb:.0f} MB' for mb in peaks)} "
            f"(< {WORKER_RSS_TARGET_MB} MB: {verdict(max(peaks) < WORKER_RSS_TARGET_MB)})"
        )


def reminder_jobs_rss(database_url: str) -> None:
    """Run the worker's two jobs in child processes against 100,000 assignments and read their peak memory, after
    that of a process that only builds the app and reads the outbox's status."""
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
            "SECRET_KEY": secrets.token_hex(32),
            "MAIL_SINK_DIR": "",
        }
        # `status` builds the app and reads the outbox once: what every job holds before it starts its work.
        for job, options in (("status", []), ("plan", ["--now", moment]), ("send", ["--now", moment])):
            started = time.perf_counter()
            # The job writes its own peak as it exits (bench/peak.py says why not ru_maxrss).
            child = subprocess.run(
                [sys.executable, "-m", "bench.peak", "jobs", job, *options],
                cwd=ROOT,
                env=environment,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            if child.returncode != 0:
                raise RuntimeError(f"python -m jobs {job} failed:\n{child.stderr}")
            megabytes = reported_peak_mb(child.stderr)
            target = f" (< {PLAN_RSS_TARGET_MB} MB: {verdict(megabytes < PLAN_RSS_TARGET_MB)})" if job == "plan" else ""
            print(f"reminder job '{job}': {time.perf_counter() - started:.1f} s, peak RSS {megabytes:.0f} MB{target}")


def arguments(description: str) -> argparse.Namespace:
    """The command line of a benchmark under wrk: the database, seconds a page and round, rounds."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--duration", type=int, default=8, help="seconds of wrk per page and round")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install wrk (make bench installs it)")
    return args


def main():
    args = arguments(__doc__.splitlines()[0])
    serve_and_load(args.database_url, args.duration, args.rounds)
    reminder_jobs_rss(args.database_url)


if __name__ == "__main__":
    main()
