"""The tables (SQLAlchemy Core). A change here needs a new migration in migrations/versions/."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import BigInteger, Column, DateTime, Integer, MetaData, String, Table, Text

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def utc_now() -> datetime:
    return datetime.now(UTC)


# One row per chat: the dialog state of bot.core.types.Session, as JSON.
chat_sessions = Table(
    "chat_sessions",
    metadata,
    Column("key", String(255), primary_key=True),  # Inbound.chat, e.g. "telegram:123456" or "console"
    Column("state", Text, nullable=False),  # JSON, see sessions.to_json
    Column("turns", Integer, nullable=False, default=0),
    Column("updated_at", DateTime(timezone=True), nullable=False, default=utc_now),
)

# Every update handled, so a replayed or duplicated update gets no second reply.
processed_updates = Table(
    "processed_updates",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("update_id", BigInteger, primary_key=True),
    Column("processed_at", DateTime(timezone=True), nullable=False, default=utc_now, index=True),
)

# What the bot decided for each question. No names, phone numbers or chat ids: only the channel.
interactions = Table(
    "interactions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("normalised", Text, nullable=False),  # the question after normalisation, long numbers masked
    Column("decision", String(32), nullable=False),
    Column("matched_id", String(128), nullable=True),
    Column("top", Text, nullable=False),  # JSON: [{"id": ..., "score": ...}, ...] best first
    Column("created_at", DateTime(timezone=True), nullable=False, default=utc_now, index=True),
)
