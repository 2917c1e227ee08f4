"""The in-process benchmark: key pages with an authenticated client, the reminder planner and the dispatcher.

    python -m bench.run --database-url postgresql://postgres@127.0.0.1:5432/bench [--runs 20]

Run `python -m bench.generate` on the same database first. Prints one table: median and p95 in milliseconds and the
SQL statements per request. Warm-up requests are not counted. The pages are read as the people of a kabupaten (its
secretariat, the head of its OPD with 300 tasks) and of the province above it, whose dashboard rolls up its 34
kabupaten/kota, and as the instance admin. At the national scale point (`make bench-national`) the same accounts
read the same pages, and the instance admin's dashboard follows 552 governments.
"""

import argparse
import gc
import os
import socket
import statistics
import subprocess
import sys
import time
from contextlib import contextmanager

import sqlalchemy as sa

from bench.common import empty_outbox, fresh_app
from bench.generate import MEASURED
from core.clock import FixedClock
from core.extensions import db

# label, address, who reads it: "head" (of the kabupaten's OPD with 300 tasks), "kabupaten" and "province" (their
# secretariats), "admin" (the instance admin, who sees every government).
PAGES = [
    ("my tasks (OPD head, 300 tasks)", "/tasks", "head"),
    ("actions list (kabupaten)", "/actions", "kabupaten"),
    ("actions list, filtered (kabupaten)", "/actions?overdue=1&opd=1", "kabupaten"),
    ("forum page (40 people, 15 recommendations)", "/forums/1", "kabupaten"),
    ("dashboard (kabupaten)", "/dashboard", "kabupaten"),
    ("compliance table (kabupaten)", "/reports/compliance", "kabupaten"),
    ("Excel export (kabupaten, status=assigned)", "/reports/followups.xlsx?status=assigned", "kabupaten"),
    ("actions list (province, the whole tree)", "/actions", "province"),
    ("dashboard, roll-up (province)", "/dashboard", "province"),
    ("compliance table (province)", "/reports/compliance", "province"),
    ("dashboard (instance admin)", "/dashboard", "admin"),
]


def _measure(app, client, url, runs, warmup=3, after_a_write=False):
    """Median and p95 ms of `runs` requests after `warmup`, and the queries of the last. With after_a_write the
    data version moves on before each request (core.data_version), as any write does: the caches miss."""
    counted = []

    def count(*_):
        if counted:  # not the version's own UPDATE before the first request
            counted[-1] += 1

    timings = []
    with app.app_context():
        sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        for index in range(warmup + runs):
            if after_a_write:
                with app.app_context(), db.engine.begin() as connection:
                    connection.exec_driver_sql("UPDATE data_version SET version = version + 1")
            counted.append(0)
            started = time.perf_counter()
            response = client.get(url)
            elapsed = (time.perf_counter() - started) * 1000
            assert response.status_code == 200, (url, response.status_code)
            if index >= warmup:
                timings.append(elapsed)
    finally:
        with app.app_context():
            sa.event.remove(db.engine, "before_cursor_execute", count)
    timings.sort()
    p95 = timings[min(len(timings) - 1, int(round(0.95 * (len(timings) - 1))))]
    return statistics.median(timings), p95, counted[-1]


def _client(app, user_id: int):
    """A test client signed in as this user (a bare id is a session of version 0)."""
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)
    return client


def free_port() -> int:
    """A free loopback port: the system's choice, or the first free one of BENCH_PORTS ("7500-7599") when set, for
    a machine whose ports are shared out."""
    first, _, last = os.environ.get("BENCH_PORTS", "0-0").partition("-")
    for port in range(int(first), int(last) + 1):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise RuntimeError(f"no free port in BENCH_PORTS={os.environ['BENCH_PORTS']}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--only", choices=["pages", "reminders"], help="one part of the benchmark")
    args = parser.parse_args()
    app = fresh_app(args.database_url, empty=False)
    # As gunicorn.conf.py does before forking the web workers: without it, a full collection walks the start-up
    # objects every few requests and adds some 75 ms to one dashboard in ten.
    gc.freeze()
    with app.app_context():
        count = db.session.scalar(sa.text("SELECT count(*) FROM assignments"))
        governments = db.session.scalar(sa.text("SELECT count(*) FROM governments"))
        clients = {"head": _client(app, 2), "admin": _client(app, 1)}  # user 2 heads OPD 1
        for who, (email, _role, _government) in MEASURED.items():
            user_id = db.session.scalar(sa.text("SELECT id FROM users WHERE email = :email"), {"email": email})
            clients[who] = _client(app, user_id)
    print(f"{db_name(app)}: {count} assignments in {governments} governments\n")
    print("Unchanged data (the caches hold), and after a write (every cache misses; a quarter of the runs):")
    print(f"{'measure':48} {'median ms':>10} {'p95 ms':>10} {'queries':>8} {'after a write':>14} {'queries':>8}")
    for label, url, who in PAGES if args.only != "reminders" else []:
        runs = max(args.runs // 4, 3) if url.endswith(".xlsx?status=assigned") else args.runs
        median, p95, queries = _measure(app, clients[who], url, runs)
        missed, _p95, missed_queries = _measure(app, clients[who], url, max(runs // 4, 3), 1, after_a_write=True)
        print(f"{label:48} {median:10.1f} {p95:10.1f} {queries:8d} {missed:14.1f} {missed_queries:8d}")
    if args.only != "pages":
        _reminders(app)


def db_name(app) -> str:
    return app.config["SQLALCHEMY_DATABASE_URI"].split("://")[0]


def _reminders(app):
    from notifications import dispatcher, planner

    with smtp_sink() as port, app.app_context():
        app.config["MAIL_PORT"] = port
        empty_outbox()
        moment = planner.send_time_today(workday(), _policy())
        app.extensions["kawal.clock"] = FixedClock(moment)
        # Beside the time, this process's CPU time: on a shared machine the time swings with the others' load, and the
        # CPU time much less (the database's and the mail server's work are other processes').
        started, cpu = time.perf_counter(), time.process_time()
        result = planner.plan()
        planned, planned_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"\nplan at {result.today}: {planned:.2f} s ({planned_cpu:.2f} s of this process's CPU), "
            f"{result.messages} digests, {result.items} items"
        )
        started, cpu = time.perf_counter(), time.process_time()
        sent = dispatcher.dispatch()  # the worker's own batch
        elapsed, sent_cpu = time.perf_counter() - started, time.process_time() - cpu
        print(
            f"send: {sent.sent} digests in {elapsed:.2f} s = {sent.sent / elapsed:.0f} per second over "
            f"{app.config['MAIL_CONNECTIONS']} connections (each checked again, rendered in two parts and sent; "
            f"{sent.dead} dead; {sent_cpu * 1000 / max(sent.sent, 1):.1f} ms of this process's CPU a digest)"
        )
        print(f"SMTP alone: {_transport_rate(app):.0f} emails per second over one reused connection")


@contextmanager
def smtp_sink():
    """An aiosmtpd server that accepts and drops every message, on a free loopback port; yields the port. It runs
    in its own process, as a real mail server would: in a thread of ours it would compete with the dispatcher for
    the interpreter lock and halve the rate measured."""
    port = free_port()
    sink = subprocess.Popen(
        [sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}", "-c", "aiosmtpd.handlers.Sink"]
    )
    try:
        wait_for_port(port)
        yield port
    finally:
        sink.terminate()
        sink.wait()


def _transport_rate(app, count: int = 2000) -> float:
    """The mail server's side of the send rate: prebuilt messages over one reused connection."""
    from notifications.mailer import Rendered, SmtpSession, build

    rendered = Rendered(subject="[Kawal] Benchmark", text="Isi pesan.\n" * 40, html="<p>Isi pesan.</p>" * 40)
    messages = [build(rendered, to=["opd@example.org"], cc=[], dedup_key=f"bench:{n}") for n in range(count)]
    session = SmtpSession()
    started = time.perf_counter()
    try:
        for message in messages:
            session.send(message)
    finally:
        session.close()
    return count / (time.perf_counter() - started)


def wait_for_port(port: int, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port}")


def workday():
    from datetime import datetime, timedelta

    from core.calendar import WorkingDays
    from core.clock import local_zone

    day = datetime.now(local_zone()).date()  # the benchmark runs on today's calendar, not a test clock
    while not WorkingDays().is_working_day(day):
        day += timedelta(days=1)
    return day


def _policy():
    from notifications import policy

    return policy.current()


if __name__ == "__main__":
    main()
