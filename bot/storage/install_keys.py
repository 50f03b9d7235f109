"""Random values made once per installation and shared by every process on the database.

    key = await get_or_create(connection, INTERACTIONS, now)   # the key of interactions.chat_digest

The first process to ask makes the value; one asking at the same moment gets the same (insert-or-nothing,
then read). Call it in a transaction of its own and keep the value once committed: made inside a message's
transaction that rolls back, it would be gone.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import install_keys

INTERACTIONS = "interactions-chat-digest"  # links a logged question to its chat without the chat id
WEB_CHAT = "web-chat-update-ids"  # turns a web chat message's (session, client id) into the service's update id
KEY_BYTES = 32


def _insert_statement(dialect: Any) -> Any:
    return (
        dialect.insert(install_keys)
        .values(name=bindparam("name"), value=bindparam("value"), created_at=bindparam("now"))
        .on_conflict_do_nothing(index_elements=[install_keys.c.name])
    )


INSERT = {"postgresql": _insert_statement(postgresql), "sqlite": _insert_statement(sqlite)}
READ = select(install_keys.c.value).where(install_keys.c.name == bindparam("name"))


async def get_or_create(connection: AsyncConnection, name: str, now: datetime) -> str:
    """The value called `name`, made at `now` (KEY_BYTES random bytes, in hex) if there is none yet."""
    value = await connection.scalar(READ, {"name": name})
    if value is None:
        statement = INSERT["postgresql" if connection.dialect.name == "postgresql" else "sqlite"]
        await connection.execute(statement, {"name": name, "value": secrets.token_hex(KEY_BYTES), "now": now})
        value = await connection.scalar(READ, {"name": name})
    return str(value)
