"""A failed email keeps why as a code, said in the reader's language

The outbox kept the reason of a failed attempt as text, in the language of whoever was acting when it failed (an
OPD without a head: "DINKES tidak memiliki kepala aktif ..."), and the server's reply mixed into it. It now keeps a
code and its parameters (error_code, error_params), rendered in the reader's language, and last_error holds only the
mail server's or the socket's own words. Existing reasons become codes where they are recognisable; the text stays
otherwise.

The same for a task's history: a later meeting's decision ("Ditutup pada FGD II.", "Decided at FGD II.") was its
note, in the recorder's language; it becomes data (the meeting's title and the outcome), said in the reader's.

Revision ID: d4e5f6a7b8c9
Revises: c3d4e5f6a7b8
Create Date: 2026-12-01 23:50:00

"""
import json
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4e5f6a7b8c9'
down_revision = 'c3d4e5f6a7b8'
branch_labels = None
depends_on = None

# What the dispatcher wrote before: its own sentence (either language), a reply "550 ...", str() of smtplib's
# refused-recipients error, or "ExceptionName: message".
NO_HEAD = [
    re.compile(r"^(?P<code>\S+) has no active head and no official email\.$"),
    re.compile(r"^(?P<code>\S+) tidak memiliki kepala aktif maupun email resmi\.$"),
]
EXCEPTIONS = {
    "ConnectionRefusedError": "connection_refused",
    "TimeoutError": "timeout",
    "timeout": "timeout",
    "SMTPServerDisconnected": "disconnected",
    "SSLError": "tls",
    "SSLCertVerificationError": "tls",
    "SMTPAuthenticationError": "authentication",
    "gaierror": "unreachable",
    "OSError": "unreachable",
    "ConnectionResetError": "disconnected",
}


def code_of(text: str) -> tuple[str | None, dict | None, str | None]:
    """(error_code, error_params, last_error) for an old reason; (None, None, text) when unrecognised."""
    text = text.strip()
    if text == "no recipient":
        return "no_recipient", None, None
    for pattern in NO_HEAD:
        found = pattern.match(text)
        if found:
            return "no_recipient", {"code": found["code"]}, None
    if text.startswith("{'") and re.search(r"\((\d{3}), b?['\"]", text):
        return "recipients_refused", None, text
    reply = re.match(r"^(\d{3})\s", text)
    if reply:
        return ("authentication" if reply[1] in ("530", "535", "534") else "server_refused"), None, text
    name = re.match(r"^(\w+): ", text)
    if name and name[1] in EXCEPTIONS:
        return EXCEPTIONS[name[1]], None, text
    return None, None, text


CARRIED = re.compile(r"^(?P<verb>Closed at|Ditutup pada|Decided at|Diputuskan pada) (?P<forum>.+)\.$", re.S)


def carried_over(note: str, data: dict) -> dict | None:
    """The carry-over data for a history note a meeting's decision wrote, or None for a person's own note."""
    found = CARRIED.match(note.strip())
    if not found:
        return None
    if found["verb"] in ("Closed at", "Ditutup pada"):
        outcome = "closed"
    else:
        kind = (data or {}).get("kind") or [None, "task"]
        outcome = "decided_decree" if kind[-1] == "decree" else "decided_task"
    return {"outcome": outcome, "forum": found["forum"]}


def _events():
    return sa.table(
        'assignment_events', sa.column('id', sa.Integer), sa.column('note', sa.Text), sa.column('data', sa.JSON)
    )


def _outbox():
    """The columns this migration reads and writes, as they are at this revision."""
    return sa.table(
        'outbox',
        sa.column('id', sa.Integer),
        sa.column('last_error', sa.Text),
        sa.column('error_code', sa.String),
        sa.column('error_params', sa.JSON(none_as_null=True)),
    )


def upgrade():
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('error_code', sa.Enum('no_recipient', 'recipients_refused', 'server_refused', 'authentication', 'connection_refused', 'unreachable', 'timeout', 'disconnected', 'tls', 'other', name='mailerror', native_enum=False, length=24, create_constraint=False), nullable=True))
        batch_op.add_column(sa.Column('error_params', sa.JSON(none_as_null=True), nullable=True))
    connection = op.get_bind()
    outbox = _outbox()
    rows = connection.execute(sa.select(outbox.c.id, outbox.c.last_error).where(outbox.c.last_error.is_not(None)))
    for row_id, text in rows.all():
        code, params, words = code_of(text)
        if code is None:
            continue  # kept as it was: the delivery log shows the text, as before
        connection.execute(
            sa.update(outbox).where(outbox.c.id == row_id).values(error_code=code, error_params=params, last_error=words)
        )
    events = _events()
    rows = connection.execute(sa.select(events.c.id, events.c.note, events.c.data).where(events.c.note.is_not(None)))
    for row_id, note, data in rows.all():
        data = json.loads(data) if isinstance(data, str) else (data or {})
        carried = carried_over(note, data)
        if carried is not None:
            values = {"note": None, "data": {**data, "carried_over": carried}}
            connection.execute(sa.update(events).where(events.c.id == row_id).values(**values))


def downgrade():
    connection = op.get_bind()
    events = _events()
    for row_id, note, data in connection.execute(sa.select(events.c.id, events.c.note, events.c.data)).all():
        data = json.loads(data) if isinstance(data, str) else (data or {})
        carried = data.pop("carried_over", None) if isinstance(data, dict) else None
        if isinstance(carried, dict):
            verb = "Closed at" if carried.get("outcome") == "closed" else "Decided at"
            note = note or f"{verb} {carried.get('forum', '')}."  # as the note was: the person's, else the sentence
            connection.execute(sa.update(events).where(events.c.id == row_id).values(note=note, data=data))
    outbox = _outbox()
    rows = connection.execute(
        sa.select(outbox.c.id, outbox.c.error_params).where(outbox.c.error_code == 'no_recipient')
    )
    for row_id, params in rows.all():
        if isinstance(params, str):
            params = json.loads(params)
        code = (params or {}).get('code')
        text = f"{code} has no active head and no official email." if code else "no recipient"
        connection.execute(sa.update(outbox).where(outbox.c.id == row_id).values(last_error=text))
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_column('error_params')
        batch_op.drop_column('error_code')
