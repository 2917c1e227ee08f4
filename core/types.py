"""Column types that behave the same on SQLite and PostgreSQL."""

from datetime import UTC

import sqlalchemy as sa


class UtcDateTime(sa.TypeDecorator):
    """A moment in time, stored as UTC and always read back as an aware datetime.

    SQLite keeps no time zone, so we store naive UTC there and attach UTC on the way out.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given where an aware one is required")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def enum_column(enum_class, length: int = 24) -> sa.Enum:
    """Store a StrEnum as its value in a VARCHAR, so new members need no schema change."""
    return sa.Enum(
        enum_class,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [member.value for member in members],
    )
