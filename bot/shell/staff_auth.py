"""Staff logins for the office console: argon2id passwords, server-side sessions, throttling, the audit log.

    auth = StaffAuth(database, clock)
    result = await auth.login("lan", password, address="10.0.0.5")   # a new session id (rotated) or why not
    session = await auth.session(cookie_value)                       # None when unknown or idle too long

Failed logins are counted per account name and per address over `LoginPolicy.window`: after `slow_after` the
answer is delayed (a guesser gets a few tries a minute, a person who mistyped barely notices), after
`block_after` for the account (or `address_block_after` from one address) logins are refused until the window
has passed, even with the right password. A wrong user name costs as much as a wrong password, so the timing
does not tell which accounts exist.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from bot.core.types import Clock
from bot.storage import staff as staff_store
from bot.storage.db import Database
from bot.storage.staff import StaffAccount, StaffSession

MIN_PASSWORD_CHARS = 10
HASHER = PasswordHasher()  # argon2id with argon2-cffi's RFC 9106 low-memory profile
# A hash to check a password against when the user name is unknown, so that case takes as long as a wrong password.
_NOBODY = HASHER.hash(secrets.token_urlsafe(16))


@dataclass(frozen=True)
class LoginPolicy:
    idle: timedelta = timedelta(hours=8)  # a session unused this long has ended
    window: timedelta = timedelta(minutes=15)  # failures counted over this long
    slow_after: int = 3
    delay_seconds: float = 2.0  # per failure beyond slow_after, at most 10 s
    block_after: int = 5  # failures for one account name
    address_block_after: int = 20  # failures from one address, whatever the names


@dataclass(frozen=True)
class LoginResult:
    account: StaffAccount | None = None
    session_id: str | None = None  # the cookie's value: random, 256 bits
    csrf_token: str = ""
    blocked: bool = False  # too many failures: refused whatever the password


class PasswordTooShort(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordTooShort(f"mật khẩu cần ít nhất {MIN_PASSWORD_CHARS} ký tự")
    return HASHER.hash(password)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def session_digest(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def same_token(expected: str, given: str | None) -> bool:
    """A CSRF token (or any secret) compared in constant time."""
    return given is not None and hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


class StaffAuth:
    def __init__(self, database: Database, now: Clock, policy: LoginPolicy | None = None) -> None:
        self.database = database
        self.now = now
        self.policy = policy or LoginPolicy()

    async def login(self, username: str, password: str, address: str) -> LoginResult:
        """Check the password; a new session on success (any older session id of the client is not reused)."""
        name = username.strip().lower()[:64]
        policy, now = self.policy, self.now()
        async with self.database.transaction() as connection:
            by_account, by_address = await staff_store.failures_since(connection, name, address, now - policy.window)
            account = await staff_store.by_username(connection, name)
        if by_account >= policy.block_after or by_address >= policy.address_block_after:
            return LoginResult(blocked=True)
        failures = max(by_account, by_address)
        if failures >= policy.slow_after:
            await asyncio.sleep(min(10.0, policy.delay_seconds * (failures - policy.slow_after + 1)))
        stored = account.password_hash if account and account.active else _NOBODY
        right = await asyncio.to_thread(_verify, stored, password)
        if not right or account is None or not account.active:
            async with self.database.transaction() as connection:
                await staff_store.record_failure(connection, name, address, now)
            return LoginResult()
        session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        async with self.database.transaction() as connection:
            await staff_store.forget_failures(connection, name)
            await staff_store.open_session(connection, session_digest(session_id), account.id, csrf, now)
            await staff_store.audit(connection, account.username, "staff.login", now, target=address)
        return LoginResult(account, session_id, csrf)

    async def session(self, session_id: str | None) -> StaffSession | None:
        """The session of this cookie value if it is open and was used within `idle` (its use is noted)."""
        if not session_id:
            return None
        digest, now = session_digest(session_id), self.now()
        async with self.database.transaction() as connection:
            found = await staff_store.session(connection, digest)
            if found is None:
                return None
            if not found.account.active or now - found.last_seen_at > self.policy.idle:
                await staff_store.end_session(connection, digest)
                return None
            await staff_store.touch(connection, digest, now)
        return found

    async def logout(self, session_id: str | None) -> None:
        if session_id:
            async with self.database.transaction() as connection:
                await staff_store.end_session(connection, session_digest(session_id))
