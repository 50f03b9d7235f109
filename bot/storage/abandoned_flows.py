"""Flows left half-way: a call-back request abandoned after the citizen typed a name or a phone number keeps
them in the chat's session until the chat writes again (then the engine drops the idle flow). This sweep
drops such flows for every chat that has been quiet longer than the idle time, so personal data given for a
request that was never sent does not stay."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.sessions import from_json, to_json
from bot.storage.tables import chat_sessions


async def drop_idle_flows(connection: AsyncConnection, flow_name: str, quiet_since: datetime) -> int:
    """Drop the `flow_name` flow from every session not written since `quiet_since`; how many were dropped."""
    marker = f'%"{flow_name}"%'  # a cheap first filter: the flow's name as a JSON string somewhere in the state
    query = (
        select(chat_sessions.c.key, chat_sessions.c.state)
        .where(chat_sessions.c.updated_at < quiet_since, chat_sessions.c.state.like(marker))
        .with_for_update()
    )
    dropped = 0
    for row in (await connection.execute(query)).all():
        session = from_json(row.key, row.state)
        if session.flow is None or session.flow.name != flow_name:
            continue
        await connection.execute(
            update(chat_sessions)
            .where(chat_sessions.c.key == row.key)
            .values(state=to_json(dataclasses.replace(session, flow=None)))
        )
        dropped += 1
    return dropped
