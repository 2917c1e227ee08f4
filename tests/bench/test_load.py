"""bench.load's and bench.peer's handling of wrk: pages take turns over the rounds, figures are medians, and a run
that errs, times out or answers nothing is told apart. wrk itself is replaced by recorded outputs."""

import math
import subprocess
from datetime import date
from types import SimpleNamespace

import pytest

WRK_OUTPUT = """Running 8s test @ http://127.0.0.1:7500/tasks
  2 threads and 8 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    12.10ms    3.20ms  48.00ms   80.00%
  Latency Distribution
     50%   11.50ms
     75%   13.00ms
     90%   15.00ms
     99%   31.20ms
  5000 requests in 8.00s, 40.00MB read
{errors}Requests/sec:    625.00
Transfer/sec:      5.00MB
"""


def _wrk_answers(monkeypatch, output: str) -> None:
    def run(command, **_options):
        assert command[0] == "wrk" and "--timeout" in command
        return SimpleNamespace(stdout=output)

    monkeypatch.setattr(subprocess, "run", run)


def test_wrk_reads_requests_per_second_and_latencies(monkeypatch):
    from bench.load import wrk

    _wrk_answers(monkeypatch, WRK_OUTPUT.format(errors=""))
    assert wrk("http://127.0.0.1:7500/tasks", "session=x", 8) == {"rps": 625.0, "p50": 11.5, "p99": 31.2}


def test_requests_unanswered_in_time_make_the_p99_infinite_and_errors_stop_the_run(monkeypatch):
    from bench.load import wrk

    _wrk_answers(monkeypatch, WRK_OUTPUT.format(errors="  Socket errors: connect 0, read 0, write 0, timeout 3\n"))
    assert math.isinf(wrk("http://x/tasks", None, 8)["p99"])
    _wrk_answers(monkeypatch, WRK_OUTPUT.format(errors="  Socket errors: connect 2, read 0, write 0, timeout 0\n"))
    with pytest.raises(RuntimeError, match="errors under load"):
        wrk("http://x/tasks", None, 8)
    _wrk_answers(monkeypatch, WRK_OUTPUT.format(errors="  Non-2xx or 3xx responses: 12\n"))
    with pytest.raises(RuntimeError, match="errors under load"):
        wrk("http://x/tasks", None, 8)
    nothing = "Running 8s test @ http://x/dashboard\n  0 requests in 8.00s, 0.00B read\nRequests/sec:      0.00\n"
    _wrk_answers(monkeypatch, nothing)
    assert wrk("http://x/dashboard", None, 8) == {"rps": 0.0, "p50": math.inf, "p99": math.inf}


def test_pages_take_turns_over_the_rounds_and_each_figure_is_the_median_of_its_rounds(monkeypatch):
    import bench.load

    calls = []
    rates = {"A": iter([0, 100, 300, 200]), "B": iter([0, 10, 50, 30])}  # the first of each is the warm-up

    def wrk(url, cookie, seconds):
        calls.append((url, seconds))
        rps = next(rates[url])
        return {"rps": rps, "p50": rps / 10, "p99": rps / 5}

    monkeypatch.setattr(bench.load, "wrk", wrk)
    figures = bench.load.in_rounds([("page A", "A", None), ("page B", "B", None)], seconds=8, rounds=3)
    assert calls == [("A", 2), ("A", 8), ("B", 2), ("B", 8), ("A", 8), ("B", 8), ("A", 8), ("B", 8)]
    assert figures == {"page A": {"rps": 200, "p50": 20, "p99": 40}, "page B": {"rps": 30, "p50": 3, "p99": 6}}


def test_the_peer_counts_as_missing_when_debian_has_no_redmine_package(monkeypatch):
    import bench.peer

    monkeypatch.setattr(subprocess, "run", lambda *a, **k: SimpleNamespace(stdout="unknown ok not-installed"))
    assert bench.peer.seeded_issues() == 0
    monkeypatch.setattr(bench.peer.os, "geteuid", lambda: 1000)
    with pytest.raises(SystemExit, match="needs root"):
        bench.peer.install_when_missing()


def test_bench_ports_keeps_the_servers_to_a_range(monkeypatch):
    from bench.run import free_port

    monkeypatch.setenv("BENCH_PORTS", "7500-7599")
    assert 7500 <= free_port() <= 7599
    monkeypatch.delenv("BENCH_PORTS")
    assert free_port() > 0


def test_the_reminder_jobs_memory_is_read_after_that_of_the_app_alone(monkeypatch, capsys):
    from contextlib import contextmanager, nullcontext

    import bench.load
    from bench.peak import PREFIX

    @contextmanager
    def sink():
        yield 2525

    commands = []
    peaks = iter([90 * 1024, 120 * 1024, 110 * 1024])  # KB, as each job writes it

    def run(command, **_options):
        commands.append(command)
        return SimpleNamespace(returncode=0, stderr=f"a log line\n{PREFIX}{next(peaks)}\n")

    monkeypatch.setattr(bench.load, "fresh_app", lambda url, empty: SimpleNamespace(app_context=nullcontext))
    monkeypatch.setattr(bench.load, "empty_outbox", lambda: None)
    monkeypatch.setattr(bench.load, "workday", lambda: date(2026, 12, 3))
    monkeypatch.setattr(bench.load, "smtp_sink", sink)
    monkeypatch.setattr(subprocess, "run", run)
    bench.load.reminder_jobs_rss("postgresql://x/bench")
    assert [command[3:5] for command in commands] == [["jobs", "status"], ["jobs", "plan"], ["jobs", "send"]]
    assert "--now" not in commands[0] and all("--now" in command for command in commands[1:])
    printed = capsys.readouterr().out.splitlines()
    assert [line.split("peak RSS ")[1] for line in printed] == ["90 MB", "120 MB (< 100 MB: MISSED)", "110 MB"]


def test_a_jobs_peak_is_its_own_not_the_benchmark_processes():
    """os.wait4's ru_maxrss of a child started by subprocess holds the parent's peak too: here 200 MB for a
    process that prints a line."""
    import os
    import sys

    from bench.peak import reported_peak_mb

    held = bytearray(200 * 1024 * 1024)
    held[::4096] = b"x" * len(range(0, len(held), 4096))  # touched, so resident
    child = subprocess.Popen(
        [sys.executable, "-m", "bench.peak", "platform"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )
    stderr = child.stderr.read()
    _pid, status, usage = os.wait4(child.pid, 0)
    assert status == 0
    assert usage.ru_maxrss / 1024 > 200
    assert reported_peak_mb(stderr) < 50
    del held
