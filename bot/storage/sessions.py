"""Chat sessions: bot.core.types.Session kept as JSON, one row per chat, locked while a message is handled."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import FlowState, Session
from bot.storage.pruning import delete_oldest
from bot.storage.tables import chat_sessions

STATE_FIELDS = tuple(f.name for f in dataclasses.fields(Session) if f.name != "chat")
TIME_FIELDS = ("seen_at",)  # datetimes, kept as ISO text


def to_json(session: Session) -> str:
    """Every field but the chat key (the row's key), tuples as lists, times as ISO text, a flow in progress as
    an object (no flow: no key, so rows stay as older versions wrote them)."""
    state = {name: getattr(session, name) for name in STATE_FIELDS if name != "flow" and name not in TIME_FIELDS}
    for name in TIME_FIELDS:
        time = getattr(session, name)
        state[name] = time.isoformat() if time is not None else None
    if session.flow is not None:
        state["flow"] = _flow_to_data(session.flow)
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


def _time(value: Any) -> datetime | None:
    """A time back from its ISO text; one this version cannot read is forgotten."""
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) and value else None
    except ValueError:
        return None


def _flow_to_data(flow: FlowState) -> dict[str, Any]:
    return {
        "name": flow.name,
        "step": flow.step,
        "answers": [[key, value] for key, value in flow.answers],
        "history": list(flow.history),
        "touched_at": flow.touched_at.isoformat() if flow.touched_at else None,
    }


def _frozen(value: Any) -> Any:
    return tuple(_frozen(item) for item in value) if isinstance(value, list) else value


def _flow_from_data(data: Any) -> FlowState | None:
    """The flow back from _flow_to_data; one this version cannot read is dropped (the chat starts afresh)."""
    try:
        touched = data.get("touched_at")
        return FlowState(
            name=str(data["name"]),
            step=str(data["step"]),
            answers=tuple((str(key), _frozen(value)) for key, value in data.get("answers") or ()),
            history=tuple(str(key) for key in data.get("history") or ()),
            touched_at=datetime.fromisoformat(touched) if touched else None,
        )
    except (AttributeError, KeyError, TypeError, ValueError):
        return None


def from_json(chat: str, text: str) -> Session:
    """The session back from to_json. Keys this version does not know are ignored and missing ones take
    their defaults, so a row written by an older or newer version of the bot still loads."""
    state = json.loads(text)
    plain = (name for name in STATE_FIELDS if name in state and name != "flow" and name not in TIME_FIELDS)
    fields = {name: _frozen(state[name]) for name in plain}
    times: dict[str, Any] = {name: _time(state.get(name)) for name in TIME_FIELDS}
    flow = _flow_from_data(state["flow"]) if state.get("flow") is not None else None
    return Session(chat, **fields, **times, flow=flow)


FRESH_STATE = to_json(Session(""))  # a new chat's state: the JSON holds no chat key, so one for every chat


def _lock_statement(dialect: Any) -> Any:
    """INSERT a fresh row … ON CONFLICT (key) DO UPDATE SET turns = turns RETURNING state: the chat's row, new
    or old, written to (so locked) and read in one statement."""
    inserted = dialect.insert(chat_sessions).values(
        key=bindparam("chat"), state=bindparam("fresh"), turns=0, updated_at=bindparam("now")
    )
    return inserted.on_conflict_do_update(
        index_elements=[chat_sessions.c.key], set_={"turns": chat_sessions.c.turns}
    ).returning(chat_sessions.c.state)


# Built once: a statement built anew for every message costs more than running it (see bench/bench_e2e.py).
LOCK = {"postgresql": _lock_statement(postgresql), "sqlite": _lock_statement(sqlite)}
SAVE = (
    update(chat_sessions)
    .where(chat_sessions.c.key == bindparam("chat"))
    .values(state=bindparam("state"), turns=bindparam("turns"), updated_at=bindparam("now"))
)
LOAD = select(chat_sessions.c.state).where(chat_sessions.c.key == bindparam("chat"))


async def lock(connection: AsyncConnection, chat: str, now: datetime) -> Session:
    """The chat's session, locked until the transaction ends (a new Session if the chat has none yet, written
    at `now`).

    One upsert that writes the row (a new chat's row is inserted, an existing one updated to itself) and
    returns its state. On PostgreSQL the write locks the row as SELECT … FOR UPDATE would: a second
    transaction for the same chat waits at this statement until the first ends, then reads what the first
    wrote (ON CONFLICT DO UPDATE sees the latest committed row, not only the snapshot's). On SQLite the
    transaction began with BEGIN IMMEDIATE, which already holds the database's write lock.
    """
    statement = LOCK["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]
    state = await connection.scalar(statement, {"chat": chat, "fresh": FRESH_STATE, "now": now})
    return from_json(chat, state)


async def save(connection: AsyncConnection, session: Session, now: datetime) -> None:
    """Store the session of a chat locked with `lock` in this transaction, written at `now`."""
    await connection.execute(
        SAVE, {"chat": session.chat, "state": to_json(session), "turns": session.turns, "now": now}
    )


async def load(connection: AsyncConnection, chat: str) -> Session | None:
    """The chat's session without locking it, or None if the chat never wrote."""
    state = await connection.scalar(LOAD, {"chat": chat})
    return None if state is None else from_json(chat, state)


async def forget_idle(connection: AsyncConnection, quiet_since: datetime, limit: int | None = None) -> int:
    """Delete the sessions of chats that have not written since `quiet_since` (at most `limit`, the quietest
    first); how many were deleted. A chat that writes again starts afresh. A chat writing at this moment keeps
    its session: on PostgreSQL its row is locked, and re-checked once the message's transaction ends."""
    idle = chat_sessions.c.updated_at < quiet_since
    return await delete_oldest(connection, chat_sessions, chat_sessions.c.key, idle, limit, chat_sessions.c.updated_at)
