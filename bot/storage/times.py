"""Times in and out of the database: stored in UTC (SQLite keeps no time zone), read back time-zone aware."""

from __future__ import annotations

from datetime import UTC, datetime


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("times must carry their time zone")
    return moment.astimezone(UTC)


def aware(moment: datetime | None) -> datetime | None:
    """A time read back: SQLite returns it without a zone (it was stored in UTC)."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
