"""Kawal beside a peer, Redmine (Debian's package, SQLite, puma), under the same wrk settings: `make bench-peer`.

    python -m bench.peer --database-url postgresql://postgres@127.0.0.1:5432/bench [--duration 8] [--rounds 3]

Redmine is something to measure against, never a dependency: nothing of it is in this repository. Its install and
server scripts live in REDMINE_PEER_DIR (default ../shared/peers/redmine from the repository's root); when Debian's
redmine package or its 10,000 seeded issues are missing, install.sh (as root) puts them in place. Then Redmine's
puma (127.0.0.1:3000, 2 workers × 5 threads, by redmine_server.sh) and Kawal's gunicorn (2 workers × 4 threads, on
the benchmark database, as bench.load starts it) serve side by side, and wrk takes turns at each one's bare page
and its two busiest pages, three rounds, medians. Prints the table and the ratio of Kawal's lists to Redmine's
issues list against the issue's 10×. Stops only the servers it started.
"""

import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa

from bench.common import fresh_app
from bench.load import arguments, in_rounds, kawal_server, log_in, verdict
from core.extensions import db

ROOT = Path(__file__).resolve().parents[1]
PEER_SCRIPTS = Path(os.environ.get("REDMINE_PEER_DIR", ROOT / "../shared/peers/redmine"))
REDMINE = "http://127.0.0.1:3000"  # where redmine_server.sh binds puma
REDMINE_DATABASE = Path("/var/lib/dbconfig-common/sqlite3/redmine/instances/default/redmine_default")
SEEDED_ISSUES = 10_000
RATIO_TARGET = 10
KAWAL_PAGES = [
    ("Kawal /health (gunicorn, 2 workers × 4 threads)", "/health", None),
    ('Kawal "my tasks" (OPD head, 300 tasks, 50 a page)', "/tasks", "user2@bench.example"),
    ("Kawal follow-ups list (instance admin)", "/actions", "admin@bench.example"),
]
REDMINE_PAGES = [
    ("Redmine /robots.txt (puma, 2 workers × 5 threads)", "/robots.txt"),
    ("Redmine issues list (25 a page)", "/projects/peer/issues"),
    ("Redmine issue page (/issues/5000)", "/issues/5000"),
]


def seeded_issues() -> int:
    """The issues in Redmine's database; 0 when the package or its database is missing."""
    installed = subprocess.run(["dpkg-query", "-W", "-f", "${Status}", "redmine"], capture_output=True, text=True)
    if installed.stdout != "install ok installed" or not REDMINE_DATABASE.exists():
        return 0
    with sqlite3.connect(f"file:{REDMINE_DATABASE}?mode=ro", uri=True) as connection:
        try:
            return connection.execute("SELECT count(*) FROM issues").fetchone()[0]
        except sqlite3.OperationalError:  # installed, not yet migrated
            return 0


def install_when_missing() -> None:
    if seeded_issues() >= SEEDED_ISSUES and Path("/usr/share/redmine/Gemfile.local").exists():
        return
    if os.geteuid() != 0:
        sys.exit(f"Redmine is missing and {PEER_SCRIPTS}/install.sh needs root (it installs Debian packages)")
    print(f"installing Redmine with {PEER_SCRIPTS}/install.sh (some minutes)")
    subprocess.run(["bash", str(PEER_SCRIPTS / "install.sh")], check=True, stdout=subprocess.DEVNULL)
    if seeded_issues() < SEEDED_ISSUES:
        sys.exit(f"Redmine installed but holds {seeded_issues()} issues, not {SEEDED_ISSUES}")


def listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def measure(database_url: str, seconds: int, rounds: int) -> dict[str, dict]:
    """Both servers up, wrk at each page in turn; the medians by label."""
    redmine_started = False
    if listening(3000):
        print("port 3000 already serves (Redmine started elsewhere?): measuring it as it is, leaving it running")
    else:
        subprocess.run(["bash", str(PEER_SCRIPTS / "redmine_server.sh"), "start"], check=True)
        redmine_started = True
    try:
        with kawal_server(database_url) as (base, _server):
            targets = [
                (label, base + path, log_in(base, email) if email else None) for label, path, email in KAWAL_PAGES
            ]
            targets += [(label, REDMINE + path, None) for label, path in REDMINE_PAGES]
            # Kawal's and Redmine's pages alternate, so that load from elsewhere falls on both alike.
            interleaved = [page for pair in zip(targets[:3], targets[3:], strict=True) for page in pair]
            return in_rounds(interleaved, seconds, rounds)
    finally:
        if redmine_started:
            subprocess.run(["bash", str(PEER_SCRIPTS / "redmine_server.sh"), "stop"], check=True)


def report(figures: dict[str, dict], seconds: int, rounds: int, assignments: int) -> None:
    print(
        f"\nKawal at {assignments:,} assignments beside Redmine at {seeded_issues():,} issues; wrk with 2 threads and "
        f"8 connections, {rounds} interleaved rounds of {seconds} s a page, medians\n"
    )
    print("| | requests/s | p50 | p99 | of its own bare endpoint |\n|---|---:|---:|---:|---:|")
    for pages in ([label for label, *_ in KAWAL_PAGES], [label for label, _path in REDMINE_PAGES]):
        ceiling = figures[pages[0]]["rps"]
        for label in pages:
            page = figures[label]
            print(
                f"| {label} | {page['rps']:,.0f} | {page['p50']:.1f} ms | {page['p99']:.1f} ms "
                f"| {page['rps'] / ceiling:.1%} |"
            )
    issues_list = figures[REDMINE_PAGES[1][0]]["rps"]
    print()
    if not issues_list:
        print("Redmine's issues list answered no request in time: no ratio")
        return
    for label, *_ in KAWAL_PAGES[1:]:
        ratio = figures[label]["rps"] / issues_list
        print(f"{label} ÷ Redmine issues list: {ratio:.1f}× (≥ {RATIO_TARGET}×: {verdict(ratio >= RATIO_TARGET)})")


def main():
    args = arguments(__doc__.splitlines()[0])
    with fresh_app(args.database_url, empty=False).app_context():
        assignments = db.session.scalar(sa.text("SELECT count(*) FROM assignments"))
    if not assignments:
        sys.exit(f"no data in {args.database_url}: run make bench (or python -m bench.generate) first")
    install_when_missing()
    report(measure(args.database_url, args.duration, args.rounds), args.duration, args.rounds, assignments)


if __name__ == "__main__":
    main()
