"""`flask reminders …`: plan, send, run the worker, and (for development) catch mail locally."""

import contextlib
import gc
import time
from datetime import datetime
from pathlib import Path

import click
from flask import Blueprint, current_app

from core import clock

bp = Blueprint("reminders", __name__, cli_group="reminders")


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    moment = datetime.fromisoformat(text)
    return clock.from_local(moment) if moment.tzinfo is None else moment


@bp.cli.command("plan")
@click.option("--now", "now_text", help="Plan as of this moment (ISO 8601; without a zone, the Pemda's local time).")
def plan_command(now_text):
    """Plan today's reminder digests into the outbox."""
    from accounts import governments
    from notifications import planner

    result = planner.plan(_moment(now_text))
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
@click.option("--now", "now_text", help="Send as of this moment (ISO 8601).")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1), help="Rows claimed at a time.")
def send_command(now_text, batch):
    """Send what is due in the outbox, once."""
    from notifications import dispatcher

    result = dispatcher.dispatch(_moment(now_text), batch=batch)
    click.echo(
        f"sent {result.sent}, retrying {result.retried}, failed {result.dead}, cancelled {result.cancelled}, "
        f"taken over by another sender {result.lost}"
    )


@bp.cli.command("worker")
def worker_command():
    """Run the planner and the dispatcher on their schedule until stopped."""
    from notifications.worker import build_scheduler

    scheduler = build_scheduler(current_app._get_current_object())
    # What start-up made lives as long as the process: the collector need not walk it again on every full pass
    # (the same as gunicorn.conf.py does for the web workers).
    gc.freeze()
    click.echo("Reminder worker running; Ctrl-C stops it.")
    with contextlib.suppress(KeyboardInterrupt, SystemExit):
        scheduler.start()


@bp.cli.command("sink")
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
