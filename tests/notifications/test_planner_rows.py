"""The rows a plan writes on the benchmark's data, at a small scale, are the same whatever the size of the batches its
candidates are streamed and judged in: the same digests, the same items in the same order."""

import json

import sqlalchemy as sa

from core.extensions import db
from notifications import planner
from notifications.models import OutboxItem, OutboxMessage
from tests.notifications.helpers import at

# What the plan below writes, as the planner before its batches wrote it too.
EXPECTED = {"digests": 20, "items": 1914}


def _listing() -> str:
    """Every outbox row the plan wrote, in id order, by the columns that say what is sent to whom, and when."""
    messages = db.session.execute(
        sa.select(
            OutboxMessage.id,
            OutboxMessage.dedup_key,
            OutboxMessage.kind,
            OutboxMessage.recipient,
            OutboxMessage.recipient_user_id,
            OutboxMessage.opd_id,
            OutboxMessage.government_id,
            OutboxMessage.local_date,
            OutboxMessage.next_attempt_at,
            OutboxMessage.status,
        ).order_by(OutboxMessage.id)
    ).all()
    key_of = {row.id: row.dedup_key for row in messages}
    items = db.session.execute(
        sa.select(
            OutboxItem.message_id,
            OutboxItem.subject_key,
            OutboxItem.occasion,
            OutboxItem.reason,
            OutboxItem.assignment_id,
            OutboxItem.decree_id,
            OutboxItem.dropped,
            OutboxItem.state,
        ).order_by(OutboxItem.id)
    ).all()
    listing = {
        "messages": [[str(value) for value in row[1:]] for row in messages],
        "items": [[key_of[row[0]], *(str(value) for value in row[1:])] for row in items],
    }
    return json.dumps(listing, sort_keys=True)


def test_a_plan_of_the_benchmark_data_writes_the_same_rows_whatever_the_batch_size(app, appctx, monkeypatch):
    from bench.generate import generate

    at(app, 2026, 3, 4, 6, 0)  # a Wednesday, before the send time
    generate(scale=0.04, seed=7)
    moment = at(app, 2026, 3, 4, 9, 0)
    listings = []
    for rows_at_a_time in (5000, 7):
        db.session.execute(sa.delete(OutboxMessage))  # the new-task mails, then the first plan's
        db.session.commit()
        monkeypatch.setattr(planner, "ROWS_AT_A_TIME", rows_at_a_time)
        result = planner.plan(moment)
        assert (result.messages, result.items) == (EXPECTED["digests"], EXPECTED["items"])
        listings.append(_listing())
        assert planner.plan(moment).items == 0  # a second run adds nothing
        assert _listing() == listings[-1]
    assert listings[0] == listings[1]


def test_the_plan_holds_a_batch_of_candidates_at_a_time_and_the_rest_as_numbers(app, appctx, monkeypatch):
    """A province's plan holds ~50,000 occasions: as objects with their strings, and the set of every subject key
    beside them, they took 34 MB above the app, whose job has 100 MB. Now each batch of tasks is judged "already
    planned" on its own and dropped, what is kept is numbers, and the items' rows are made as they are written."""
    import gc

    from bench.generate import generate

    at(app, 2026, 3, 4, 6, 0)
    generate(scale=0.04, seed=7)
    db.session.execute(sa.delete(OutboxMessage))
    db.session.commit()
    monkeypatch.setattr(planner, "ROWS_AT_A_TIME", 100)
    judged, alive = [], []
    unplanned, insert = planner.unplanned, planner.bulk_insert_or_ignore

    def unplanned_counted(found):
        judged.append(len({c.subject_key for c in found}))
        return unplanned(found)

    def insert_counted(*args, **kwargs):
        alive.append(sum(isinstance(thing, planner.Candidate) for thing in gc.get_objects()))
        return insert(*args, **kwargs)

    monkeypatch.setattr(planner, "unplanned", unplanned_counted)
    monkeypatch.setattr(planner, "bulk_insert_or_ignore", insert_counted)
    assert planner.plan(at(app, 2026, 3, 4, 9, 0)).items == EXPECTED["items"]
    assert len(judged) > 10 and max(judged) <= 100  # the tasks of one batch at a time (then the decrees)
    assert alive == [0]  # when the items are written, not one candidate object is held
