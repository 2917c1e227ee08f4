"""The reminder worker: an APScheduler BlockingScheduler in its own process (`flask reminders worker`).

create_app() never starts a scheduler: not in a web worker, not under gunicorn, not under the reloader. Several
workers on several machines are safe together, because the outbox's unique keys, not the scheduler, prevent a
double send.
"""

import logging

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.memory import MemoryJobStore
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.interval import IntervalTrigger

from core import clock
from notifications import dispatcher, planner

log = logging.getLogger("kawal.reminders")


def run_planner(app) -> None:
    with app.app_context():
        result = planner.plan()
        if result.messages or result.secretariat:
            log.info(
                "Planned %d digests with %d items, and %d secretariat digests, for %s",
                result.messages,
                result.items,
                result.secretariat,
                result.today,
            )


def run_dispatcher(app) -> None:
    with app.app_context():
        result = dispatcher.dispatch()
        if result.sent or result.dead or result.retried:
            log.info("Sent %d, retrying %d, failed %d", result.sent, result.retried, result.dead)
        if result.stopped is not None:
            log.warning("The mail server failed (%s): %d emails wait for the next run", result.stopped, result.put_back)


def build_scheduler(app) -> BlockingScheduler:
    """The worker's scheduler. The planner runs often and decides itself whether it is time (after the send time,
    on a working day), so a worker started late, or after an outage, catches up on its first run."""
    with app.app_context():
        zone = clock.local_zone()
    scheduler = BlockingScheduler(
        timezone=zone,
        jobstores={"default": MemoryJobStore()},
        executors={"default": ThreadPoolExecutor(2)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300},
    )
    scheduler.add_job(
        run_planner,
        IntervalTrigger(minutes=app.config["REMINDER_PLAN_EVERY_MINUTES"], timezone=zone),
        args=[app],
        id="plan",
        next_run_time=clock.now(),
    )
    scheduler.add_job(
        run_dispatcher,
        IntervalTrigger(seconds=app.config["REMINDER_SEND_EVERY_SECONDS"], timezone=zone),
        args=[app],
        id="send",
        next_run_time=clock.now(),
    )
    return scheduler
