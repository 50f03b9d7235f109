"""Collection agents (đại lý thu): the Telegram chat that receives the leads of one area.

Staff manage them from the command line (`python -m bot agents add|list|remove`). Removing an agent keeps
the row (old leads point at it) and hands the agent's open leads to the office queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, insert, select, update
from sqlalchemy.engine import Row
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.leads.records import OPEN_STATUSES
from bot.storage.tables import agents, leads

OPEN = [status.value for status in OPEN_STATUSES]


class AgentExists(ValueError):
    """An active agent already uses this chat."""


@dataclass(frozen=True)
class Agent:
    id: int
    chat_id: int
    name: str
    area_code: str
    active: bool
    created_at: datetime


@dataclass(frozen=True)
class AgentLoad:
    agent: Agent
    open_leads: int


def _agent(row: Row) -> Agent:
    return Agent(row.id, row.chat_id, row.name, row.area_code, row.active, row.created_at)


async def add(connection: AsyncConnection, chat_id: int, name: str, area_code: str, now: datetime) -> Agent:
    """A new agent, or a removed one active again with this name and area; AgentExists if it is active."""
    existing = (await connection.execute(select(agents).where(agents.c.chat_id == chat_id))).first()
    if existing is not None and existing.active:
        raise AgentExists(f"chat {chat_id} đã là đại lý {existing.name} ({existing.area_code})")
    if existing is not None:
        await connection.execute(
            update(agents).where(agents.c.id == existing.id).values(name=name, area_code=area_code, active=True)
        )
    else:
        await connection.execute(
            insert(agents).values(chat_id=chat_id, name=name, area_code=area_code, active=True, created_at=now)
        )
    agent = await by_chat(connection, chat_id)
    assert agent is not None
    return agent


async def by_chat(connection: AsyncConnection, chat_id: int) -> Agent | None:
    """The active agent using this chat, if any."""
    row = (await connection.execute(select(agents).where(agents.c.chat_id == chat_id, agents.c.active))).first()
    return None if row is None else _agent(row)


async def by_id(connection: AsyncConnection, agent_id: int) -> Agent | None:
    row = (await connection.execute(select(agents).where(agents.c.id == agent_id))).first()
    return None if row is None else _agent(row)


async def deactivate(connection: AsyncConnection, chat_id: int) -> Agent | None:
    """Mark the agent removed; the agent as it was, or None if no active agent uses this chat.

    Its open leads are not touched here: bot.storage.leads.release_agent hands them to the office queue.
    """
    agent = await by_chat(connection, chat_id)
    if agent is not None:
        await connection.execute(update(agents).where(agents.c.id == agent.id).values(active=False))
    return agent


async def loads(connection: AsyncConnection, include_removed: bool = False) -> list[AgentLoad]:
    """Every agent with its number of open leads, by area then name."""
    open_count = (
        select(func.count(leads.c.id))
        .where(and_(leads.c.agent_id == agents.c.id, leads.c.status.in_(OPEN)))
        .scalar_subquery()
    )
    query = select(agents, open_count.label("open_leads")).order_by(agents.c.area_code, agents.c.name, agents.c.id)
    if not include_removed:
        query = query.where(agents.c.active)
    return [AgentLoad(_agent(row), row.open_leads) for row in await connection.execute(query)]


async def pick_for_area(connection: AsyncConnection, area_code: str) -> Agent | None:
    """The active agent of the area with the fewest open leads (the longest-serving one on a tie)."""
    open_count = func.count(leads.c.id)
    query = (
        select(agents)
        .outerjoin(leads, and_(leads.c.agent_id == agents.c.id, leads.c.status.in_(OPEN)))
        .where(agents.c.area_code == area_code, agents.c.active)
        .group_by(*agents.c)
        .order_by(open_count, agents.c.id)
        .limit(1)
    )
    row = (await connection.execute(query)).first()
    return None if row is None else _agent(row)
