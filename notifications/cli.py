"""`flask reminders …`: plan, send, run the worker, report the outbox, and (for development) catch mail locally."""

import contextlib
import gc
import time
from datetime import MAXYEAR, MINYEAR, datetime, timedelta
from pathlib import Path

import click
from flask import Blueprint, current_app
from flask_babel import force_locale

from core import clock

bp = Blueprint("reminders", __name__, cli_group="reminders")
bp.cli.help = (
    "The reminders: plan the day's digests, send what is due, run both on a schedule (the worker), report the "
    "outbox for cron or a health check, and catch mail locally in development."
)


class Moment(click.ParamType):
    """A moment in ISO 8601, with or without a zone; refused with an example, not a traceback."""

    name = "moment"

    def convert(self, value, param, ctx):
        if isinstance(value, datetime):
            return value
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not ISO 8601: write 2025-12-22T07:30, or 2025-12-22T07:30+08:00.", param, ctx)
        # The first and the last year cannot take a zone, nor the lease and the days added to them: refused here,
        # not as an OverflowError from deep in the planner or the dispatcher.
        if not MINYEAR < moment.year < MAXYEAR:
            self.fail(f"{value!r} is out of range: give a year from 2 to 9998.", param, ctx)
        return moment


def _moment(moment: datetime | None) -> datetime | None:
    """A moment without a zone is the Pemda's wall-clock time (the default government's zone)."""
    if moment is None:
        return None
    return clock.from_local(moment) if moment.tzinfo is None else moment


def now_option(what: str):
    """--now, for trying a day out or catching up by hand."""
    return click.option(
        "--now",
        type=Moment(),
        help=f"{what} as of this moment instead of the clock's: ISO 8601, e.g. 2025-12-22T07:30 (the Pemda's local "
        "time) or 2025-12-22T07:30+08:00.",
    )


@bp.cli.command("plan")
@now_option("Plan")
def plan_command(now):
    """Plan today's reminder digests into the outbox."""
    from accounts import governments
    from notifications import planner

    result = planner.plan(_moment(now))
    if governments.several():
        for government_id, day in sorted(result.days.items()):
            if not day.working_day:
                state = "not a working day"
            elif government_id in result.planned:
                state = "planned"
            else:
                state = "before its send time"
            click.echo(f"{governments.short_name(government_id)}: {day.today}, {state}")
    if not result.working_day:
        click.echo(f"{result.today} is not a working day: nothing planned.")
    elif result.before_send_time:
        click.echo(f"It is before today's send time: nothing planned yet for {result.today}.")
    else:
        click.echo(
            f"{result.today}: {result.messages} digests, {result.items} items, "
            f"{result.secretariat} secretariat digests planned."
        )


@bp.cli.command("send")
@now_option("Send what is due")
@click.option(
    "--batch",
    default=50,
    show_default=True,
    type=click.IntRange(1),
    help="Rows each connection (MAIL_CONNECTIONS) claims at a time.",
)
def send_command(now, batch):
    """Send what is due in the outbox, once."""
    from notifications import dispatcher

    result = dispatcher.dispatch(_moment(now), batch=batch)
    click.echo(
        f"sent {result.sent}, retrying {result.retried}, failed {result.dead}, cancelled {result.cancelled}, "
        f"taken over by another sender {result.lost}"
    )
    if result.stopped is not None:
        click.echo(
            f"stopped: the mail server failed ({result.stopped.value}); {result.put_back} emails wait for the next run",
            err=True,
        )


@bp.cli.command("worker", short_help="Run the planner and the dispatcher on their schedule.")
def worker_command():
    """Run the planner every REMINDER_PLAN_EVERY_MINUTES (default 10) and the dispatcher every
    REMINDER_SEND_EVERY_SECONDS (default 15) until stopped. Several workers may run at once."""
    from notifications.worker import build_scheduler

    scheduler = build_scheduler(current_app._get_current_object())
    # What start-up made lives as long as the process: the collector need not walk it again on every full pass
    # (the same as gunicorn.conf.py does for the web workers).
    gc.freeze()
    click.echo("Reminder worker running; Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@bp.cli.command("status", short_help="Print the outbox by status and its oldest waiting email.")
@click.option(
    "--max-pending-minutes",
    type=click.IntRange(1),
    help="Exit with status 1 when an email that should have gone already has waited longer than this.",
)
def status_command(max_pending_minutes):
    """Print the outbox by status and its oldest waiting email, for every government (for cron or a health
    check: exit status 0 when healthy, 1 when --max-pending-minutes is exceeded)."""
    from core.permissions import SYSTEM
    from notifications import services

    now = clock.now()
    health = services.outbox_health(SYSTEM, now)
    for status, count in health.counts.items():
        click.echo(f"{status.value}: {count}")
    row = health.oldest
    if row is None:
        click.echo("oldest pending: none")
    else:
        due = "due now" if row.next_attempt_at <= now else f"in {_minutes(row.next_attempt_at - now)} min"
        click.echo(
            f"oldest pending: #{row.id} {row.kind.value}, waiting {_minutes(now - row.created_at)} min, "
            f"attempts {row.attempts}, next attempt {row.next_attempt_at:%Y-%m-%d %H:%M} UTC ({due})"
        )
        if row.error_code is not None:
            with force_locale("en"):
                why = row.error_text
            click.echo(f"last error: {why}" + (f" ({row.last_error})" if row.last_error else ""))
    late = health.oldest_late
    if (
        max_pending_minutes is not None
        and late is not None
        and now - late.created_at > timedelta(minutes=max_pending_minutes)
    ):
        click.echo(
            f"UNHEALTHY: email #{late.id} has waited {_minutes(now - late.created_at)} min, "
            f"more than {max_pending_minutes}.",
            err=True,
        )
        raise click.exceptions.Exit(1)


def _minutes(span: timedelta) -> int:
    return int(span.total_seconds() // 60)


@bp.cli.command("sink", short_help="A local SMTP server for development.")
@click.option("--port", default=None, type=int, help="Defaults to MAIL_PORT.")
def sink_command(port):
    """A local SMTP server for development: every email it receives is kept as a .eml file."""
    from aiosmtpd.controller import Controller

    folder = Path(current_app.config.get("MAIL_SINK_DIR") or Path(current_app.instance_path) / "mail")
    folder.mkdir(parents=True, exist_ok=True)
    controller = Controller(FileSink(folder), hostname="127.0.0.1", port=port or current_app.config["MAIL_PORT"])
    controller.start()
    click.echo(f"Mail sink on 127.0.0.1:{controller.port}, writing to {folder}")
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        controller.stop()


class FileSink:
    """An aiosmtpd handler that writes each message to a file named by its time and number."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.count = 0

    async def handle_DATA(self, server, session, envelope):
        self.count += 1
        name = f"{clock.now():%Y%m%d-%H%M%S}-{self.count:05d}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 OK"
