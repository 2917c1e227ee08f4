"""Database helpers that differ by dialect."""

from sqlalchemy.dialects import postgresql, sqlite

from core.extensions import db


def insert_or_ignore(model, rows: list[dict], conflict: list[str]) -> None:
    """INSERT … ON CONFLICT DO NOTHING: the unique key decides, so concurrent writers cannot double a row."""
    if not rows:
        return
    dialect = postgresql if db.session.get_bind().dialect.name == "postgresql" else sqlite
    db.session.execute(dialect.insert(model).values(rows).on_conflict_do_nothing(index_elements=conflict))


def chunks(values: list, size: int = 500):
    """Slices of a list, for IN clauses that must stay short."""
    for start in range(0, len(values), size):
        yield values[start : start + size]
