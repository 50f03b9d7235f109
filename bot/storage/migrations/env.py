"""Alembic's entry point. It runs on the connection that `migrate` passes in; given only a URL (the alembic
command line, or `config(url)`), it opens its own, async or not, through bot.storage.db.Database."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from bot.storage.db import Database
from bot.storage.tables import metadata

settings = context.config


def run_on(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=metadata, compare_type=True)
    with context.begin_transaction():
        context.run_migrations()


async def run_on_url(url: str) -> None:
    async with Database(url) as database, database.transaction() as connection:
        await connection.run_sync(run_on)


def run_offline(url: str) -> None:
    """`alembic upgrade head --sql`: print the SQL instead of running it."""
    context.configure(url=url, target_metadata=metadata, literal_binds=True, dialect_opts={"paramstyle": "named"})
    with context.begin_transaction():
        context.run_migrations()


connection = settings.attributes.get("connection")
if connection is not None:
    run_on(connection)
elif context.is_offline_mode():
    run_offline(settings.get_main_option("sqlalchemy.url") or "")
else:
    asyncio.run(run_on_url(settings.get_main_option("sqlalchemy.url") or ""))
