"""Alembic migrations, run from the package: no alembic.ini is needed in the working directory.

    await migrate(database)   # from async code: upgrade to the newest revision in one transaction
    upgrade(url)              # the same from sync code (`python -m bot db upgrade`)

A new revision goes in versions/ as 000N_what.py with `revision = "000N"` and `down_revision` the one before;
`alembic.command.revision(config(url), "what", autogenerate=True, rev_id="000N")` drafts it against a
database at head from the tables in bot/storage/tables.py.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection

from bot.storage.db import POSTGRESQL, Database

MIGRATIONS_DIR = Path(__file__).resolve().parent
# Any fixed number: the PostgreSQL advisory lock that makes processes starting together migrate one at a time.
MIGRATION_LOCK_KEY = 4_242_001


def config(url: str | None = None) -> Config:
    settings = Config()
    settings.set_main_option("script_location", str(MIGRATIONS_DIR))
    if url is not None:
        settings.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return settings


def head_revision() -> str:
    head = ScriptDirectory.from_config(config()).get_current_head()
    assert head is not None, "migrations/versions/ holds no revision"
    return head


def _upgrade_to_head(connection: Connection) -> None:
    settings = config()
    settings.attributes["connection"] = connection
    command.upgrade(settings, "head")


def _current(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def migrate(database: Database) -> str:
    """Bring the database to the newest revision (nothing to do if it is there already); the revision."""
    database.create_directory()
    async with database.transaction() as connection:
        if database.dialect == POSTGRESQL:
            await connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY})
        await connection.run_sync(_upgrade_to_head)
        revision = await connection.run_sync(_current)
    assert revision is not None
    return revision


async def current_revision(database: Database) -> str | None:
    """The revision the database is at, None if it was never migrated."""
    async with database.transaction() as connection:
        return await connection.run_sync(_current)


def upgrade(url: str, schema: str | None = None) -> str:
    """`alembic upgrade head` on the database at `url`, from sync code; the revision it is at afterwards."""

    async def run() -> str:
        async with Database(url, schema=schema) as database:
            return await migrate(database)

    return asyncio.run(run())
