"""Chat sessions: bot.core.types.Session kept as JSON, one row per chat, locked while a message is handled."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.types import FlowState, Session
from bot.storage.tables import chat_sessions, utc_now

STATE_FIELDS = tuple(f.name for f in dataclasses.fields(Session) if f.name != "chat")


def to_json(session: Session) -> str:
    """Every field but the chat key (the row's key), tuples as lists, a flow in progress as an object (no
    flow: no key, so rows stay as older versions wrote them)."""
    state = {name: getattr(session, name) for name in STATE_FIELDS if name != "flow"}
    if session.flow is not None:
        state["flow"] = _flow_to_data(session.flow)
    return json.dumps(state, ensure_ascii=False, sort_keys=True)


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
    fields = {name: _frozen(state[name]) for name in STATE_FIELDS if name in state and name != "flow"}
    flow = _flow_from_data(state["flow"]) if state.get("flow") is not None else None
    return Session(chat, **fields, flow=flow)


async def lock(connection: AsyncConnection, chat: str) -> Session:
    """The chat's session, locked until the transaction ends (a new Session if the chat has none yet).

    The row is inserted first if missing, so even a new chat has a row to lock: on PostgreSQL a second
    transaction for the same chat waits at the INSERT or at SELECT … FOR UPDATE until the first commits,
    then reads what it wrote. On SQLite the transaction began with BEGIN IMMEDIATE, which already holds
    the database's write lock, and FOR UPDATE is left out.
    """
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    fresh = Session(chat)
    await connection.execute(
        dialect.insert(chat_sessions)
        .values(key=chat, state=to_json(fresh), turns=fresh.turns)
        .on_conflict_do_nothing(index_elements=[chat_sessions.c.key])
    )
    state = await connection.scalar(select(chat_sessions.c.state).where(chat_sessions.c.key == chat).with_for_update())
    return from_json(chat, state)


async def save(connection: AsyncConnection, session: Session) -> None:
    """Store the session of a chat locked with `lock` in this transaction."""
    await connection.execute(
        update(chat_sessions)
        .where(chat_sessions.c.key == session.chat)
        .values(state=to_json(session), turns=session.turns, updated_at=utc_now())
    )


async def load(connection: AsyncConnection, chat: str) -> Session | None:
    """The chat's session without locking it, or None if the chat never wrote."""
    state = await connection.scalar(select(chat_sessions.c.state).where(chat_sessions.c.key == chat))
    return None if state is None else from_json(chat, state)
