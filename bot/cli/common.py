"""What every command group of `python -m bot` shares: the app or a clear exit, dates as staff type them."""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
from collections.abc import Callable, Coroutine
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import App, build
from bot.config import Settings
from bot.core.areas import AreaError
from bot.core.knowledge import KnowledgeError
from bot.core.leads.setup import LeadSetupError
from bot.storage.db import Database, DatabaseUrlError
from bot.storage.migrations import migrate

T = TypeVar("T")


def app_or_exit(settings: Settings) -> App:
    """build(settings), or exit with what to fix."""
    try:
        return build(settings)
    except KnowledgeError as exc:
        sys.exit(f"Không tải được kho kiến thức: {exc}\nChạy `python -m bot kb validate` để xem chi tiết.")
    except (AreaError, LeadSetupError) as exc:  # areas.yaml, leads.yaml
        sys.exit(f"Không tải được cấu hình nhận yêu cầu gọi lại: {exc}")
    except DatabaseUrlError as exc:
        sys.exit(f"DATABASE_URL: {exc}")


def started(runner: asyncio.Runner, app: App) -> str:
    """Migrate the database and load the live knowledge revision; the migration it is at. Exits with a message
    if the database is away."""
    try:
        return runner.run(app.start())
    except (OSError, SQLAlchemyError) as exc:
        runner.run(app.close())
        sys.exit(f"Không mở được cơ sở dữ liệu {app.database.describe()}: {type(exc).__name__}: {exc}")


def day(text: str) -> date:
    """A date typed as dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy) or yyyy-mm-dd."""
    typed = text.strip()
    try:
        return date.fromisoformat(typed)
    except ValueError:
        pass
    found = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", typed)
    if found:
        try:
            return datetime.strptime("/".join(found.groups()), "%d/%m/%Y").date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"ngày phải có dạng dd/mm/yyyy (ví dụ 01/12/2026), không phải {typed!r}")


def in_transaction(settings: Settings, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]) -> T:
    """Apply the migrations (a fresh database works), then run `work` in one transaction."""

    async def run() -> T:
        try:
            database = Database(settings.database_url)
        except DatabaseUrlError as exc:
            sys.exit(f"DATABASE_URL: {exc}")
        try:
            await migrate(database)
            async with database.transaction() as connection:
                return await work(connection)
        except (OSError, SQLAlchemyError) as exc:
            sys.exit(f"Không mở được cơ sở dữ liệu {database.describe()}: {type(exc).__name__}: {exc}")
        finally:
            await database.dispose()

    return asyncio.run(run())
