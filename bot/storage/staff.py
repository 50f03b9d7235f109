"""Staff accounts of the office console, their server-side sessions, failed logins and the audit log.

A session is stored under the SHA-256 of the cookie's random id, so reading the table gives no session to
steal. Passwords arrive here already hashed (bot.shell.staff_auth); nothing here sees a password.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from bot.storage.tables import audit_log, login_failures, staff, staff_sessions

ROLES = ("editor", "approver", "admin")  # each can do what the ones before it can


class StaffExists(ValueError):
    pass


@dataclass(frozen=True)
class StaffAccount:
    id: int
    username: str
    display_name: str
    role: str
    active: bool
    password_hash: str
    created_at: datetime

    def can(self, role: str) -> bool:
        """Whether this account has `role` or a higher one."""
        return self.active and ROLES.index(self.role) >= ROLES.index(role)


@dataclass(frozen=True)
class StaffSession:
    account: StaffAccount
    csrf_token: str
    created_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: datetime
    actor: str
    action: str
    target: str
    before: Any
    after: Any


def _account(row: Any) -> StaffAccount:
    return StaffAccount(row.id, row.username, row.display_name, row.role, row.active, row.password_hash, row.created_at)


async def add(
    connection: AsyncConnection, username: str, display_name: str, role: str, password_hash: str, now: datetime
) -> StaffAccount:
    """A new account (StaffExists if the username is taken)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    try:
        async with connection.begin_nested():
            result = await connection.execute(
                insert(staff).values(
                    username=username,
                    display_name=display_name,
                    role=role,
                    password_hash=password_hash,
                    active=True,
                    created_at=now,
                    password_changed_at=now,
                )
            )
    except IntegrityError:
        raise StaffExists(username) from None
    key = result.inserted_primary_key
    assert key is not None
    account = await by_id(connection, int(key[0]))
    assert account is not None
    return account


async def by_username(connection: AsyncConnection, username: str) -> StaffAccount | None:
    row = (await connection.execute(select(staff).where(staff.c.username == username))).first()
    return _account(row) if row else None


async def by_id(connection: AsyncConnection, staff_id: int) -> StaffAccount | None:
    row = (await connection.execute(select(staff).where(staff.c.id == staff_id))).first()
    return _account(row) if row else None


async def everyone(connection: AsyncConnection) -> list[StaffAccount]:
    return [_account(row) for row in await connection.execute(select(staff).order_by(staff.c.username))]


async def set_active(connection: AsyncConnection, username: str, active: bool) -> bool:
    """Enable or disable an account (a disabled one's sessions end); whether it exists."""
    result = await connection.execute(update(staff).where(staff.c.username == username).values(active=active))
    if not active:
        account = await by_username(connection, username)
        if account:
            await end_sessions_of(connection, account.id)
    return bool(result.rowcount)


async def set_password(connection: AsyncConnection, username: str, password_hash: str, now: datetime) -> bool:
    """A new password (every session of the account ends); whether the account exists."""
    result = await connection.execute(
        update(staff).where(staff.c.username == username).values(password_hash=password_hash, password_changed_at=now)
    )
    account = await by_username(connection, username)
    if account:
        await end_sessions_of(connection, account.id)
    return bool(result.rowcount)


# -- sessions -------------------------------------------------------------------------------------------


async def open_session(
    connection: AsyncConnection, id_digest: str, staff_id: int, csrf_token: str, now: datetime
) -> None:
    await connection.execute(
        insert(staff_sessions).values(
            id_digest=id_digest, staff_id=staff_id, csrf_token=csrf_token, created_at=now, last_seen_at=now
        )
    )


async def session(connection: AsyncConnection, id_digest: str) -> StaffSession | None:
    row = (
        await connection.execute(
            select(staff, staff_sessions.c.csrf_token, staff_sessions.c.created_at.label("opened_at"))
            .add_columns(staff_sessions.c.last_seen_at)
            .join(staff_sessions, staff_sessions.c.staff_id == staff.c.id)
            .where(staff_sessions.c.id_digest == id_digest)
        )
    ).first()
    if row is None:
        return None
    return StaffSession(_account(row), row.csrf_token, row.opened_at, row.last_seen_at)


async def touch(connection: AsyncConnection, id_digest: str, now: datetime) -> None:
    await connection.execute(
        update(staff_sessions).where(staff_sessions.c.id_digest == id_digest).values(last_seen_at=now)
    )


async def end_session(connection: AsyncConnection, id_digest: str) -> None:
    await connection.execute(delete(staff_sessions).where(staff_sessions.c.id_digest == id_digest))


async def end_sessions_of(connection: AsyncConnection, staff_id: int) -> None:
    await connection.execute(delete(staff_sessions).where(staff_sessions.c.staff_id == staff_id))


async def end_idle_sessions(connection: AsyncConnection, idle_since: datetime) -> int:
    result = await connection.execute(delete(staff_sessions).where(staff_sessions.c.last_seen_at < idle_since))
    return int(result.rowcount or 0)


# -- failed logins --------------------------------------------------------------------------------------


async def record_failure(connection: AsyncConnection, username: str, address: str, now: datetime) -> None:
    await connection.execute(insert(login_failures).values(username=username[:64], address=address[:64], at=now))


async def failures_since(connection: AsyncConnection, username: str, address: str, since: datetime) -> tuple[int, int]:
    """Failed logins since `since`: for this account name, and from this address."""
    recent = login_failures.c.at >= since
    by_account = await connection.scalar(
        select(func.count()).select_from(login_failures).where(recent, login_failures.c.username == username)
    )
    by_address = await connection.scalar(
        select(func.count()).select_from(login_failures).where(recent, login_failures.c.address == address)
    )
    return int(by_account or 0), int(by_address or 0)


async def forget_failures(connection: AsyncConnection, username: str) -> None:
    """After a successful login: the account's failures no longer count."""
    await connection.execute(delete(login_failures).where(login_failures.c.username == username))


async def forget_failures_before(connection: AsyncConnection, cutoff: datetime) -> int:
    result = await connection.execute(delete(login_failures).where(login_failures.c.at < cutoff))
    return int(result.rowcount or 0)


# -- audit ----------------------------------------------------------------------------------------------


async def audit(
    connection: AsyncConnection,
    actor: str,
    action: str,
    now: datetime,
    target: str = "",
    before: Any = None,
    after: Any = None,
) -> None:
    """Record a write: who, when, what, and the values before and after (JSON)."""

    def as_json(value: Any) -> str | None:
        return None if value is None else json.dumps(value, ensure_ascii=False, default=str)

    await connection.execute(
        insert(audit_log).values(
            at=now,
            actor=actor[:64],
            action=action[:64],
            target=target[:200],
            before=as_json(before),
            after=as_json(after),
        )
    )


async def audit_entries(connection: AsyncConnection, limit: int = 100, offset: int = 0) -> list[AuditEntry]:
    rows = await connection.execute(select(audit_log).order_by(audit_log.c.id.desc()).limit(limit).offset(offset))
    return [
        AuditEntry(
            row.id,
            row.at,
            row.actor,
            row.action,
            row.target,
            json.loads(row.before) if row.before else None,
            json.loads(row.after) if row.after else None,
        )
        for row in rows
    ]
