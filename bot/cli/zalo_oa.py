"""`python -m bot zalo-oa connect CODE | status`: the Zalo Official Account's OAuth v4 tokens.

zalo-oa connect CODE   exchange the authorisation code the OA admin got (the app's callback URL receives
                       ?code=…; with --code-verifier when the authorisation used PKCE) for the first access and
                       refresh tokens, and store them in the database; the bot refreshes them afterwards
zalo-oa status         when the stored tokens expire (never the tokens)
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.app import system_clock
from bot.channels.zalo_oa.client import ZaloOaClient, ZaloOaError
from bot.config import Settings
from bot.shell import zalo_oa_tokens
from bot.storage.db import Database, DatabaseUrlError
from bot.storage.migrations import migrate
from bot.storage.zalo_oa import Tokens


def _moment(value: datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M")


def _configured(settings: Settings) -> tuple[str, str]:
    secret = settings.zalo_oa_secret_key
    if not settings.zalo_oa_app_id or secret is None or not secret.get_secret_value():
        sys.exit("Cần đặt ZALO_OA_APP_ID và ZALO_OA_SECRET_KEY (ứng dụng trên developers.zalo.me) trước.")
    return settings.zalo_oa_app_id, secret.get_secret_value()


def _database(settings: Settings) -> Database:
    try:
        return Database(settings.database_url)
    except DatabaseUrlError as exc:
        sys.exit(f"DATABASE_URL: {exc}")


def _print_tokens(tokens: Tokens, timezone: str) -> None:
    print(f"  Access token hết hạn: {_moment(tokens.access_expires_at, timezone)} (bot tự làm mới trước khi hết hạn)")
    print(f"  Refresh token hết hạn: {_moment(tokens.refresh_expires_at, timezone)}")


def cmd_zalo_oa_connect(settings: Settings, args: argparse.Namespace) -> int:
    app_id, secret = _configured(settings)
    code = args.code.strip()
    if not code:
        sys.exit("Mã ủy quyền (CODE) trống.")

    async def connect() -> Tokens:
        database = _database(settings)
        client = ZaloOaClient(app_id, secret, settings.zalo_oa_api_base_url, settings.zalo_oa_oauth_base_url)
        try:
            await migrate(database)
            issued = await client.exchange_code(code, args.code_verifier)
            return await zalo_oa_tokens.connect(database, issued, system_clock())
        except ZaloOaError as exc:  # Zalo's error code and message, never a token
            sys.exit(f"Zalo không đổi được mã ủy quyền: lỗi {exc.code} {exc.description}".rstrip())
        except (OSError, SQLAlchemyError) as exc:
            sys.exit(f"Không mở được cơ sở dữ liệu {database.describe()}: {type(exc).__name__}")
        finally:
            await client.close()
            await database.dispose()

    tokens = asyncio.run(connect())
    print("Đã kết nối Zalo OA: token đã lưu vào cơ sở dữ liệu.")
    _print_tokens(tokens, settings.timezone)
    return 0


def cmd_zalo_oa_status(settings: Settings, _: argparse.Namespace) -> int:
    async def status() -> Tokens | None:
        database = _database(settings)
        try:
            await migrate(database)
            return await zalo_oa_tokens.status(database)
        except (OSError, SQLAlchemyError) as exc:
            sys.exit(f"Không mở được cơ sở dữ liệu {database.describe()}: {type(exc).__name__}")
        finally:
            await database.dispose()

    tokens = asyncio.run(status())
    if tokens is None:
        print("Chưa kết nối Zalo OA. Chạy: python -m bot zalo-oa connect MÃ_ỦY_QUYỀN")
        return 1
    now = system_clock()
    print("Zalo OA đã kết nối.")
    _print_tokens(tokens, settings.timezone)
    if tokens.refresh_expires_at <= now:
        print("  Refresh token đã hết hạn: quản trị viên OA cần ủy quyền lại rồi chạy zalo-oa connect.")
    return 0


def zalo_oa_parsers(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("zalo-oa", help="kết nối Zalo Official Account (OAuth v4), xem hạn token")
    zalo_commands = group.add_subparsers(dest="zalo_oa_command", required=True, metavar="LỆNH")
    connect = zalo_commands.add_parser("connect", help="đổi mã ủy quyền đầu tiên lấy token và lưu lại")
    connect.add_argument("code", metavar="MÃ_ỦY_QUYỀN", help="tham số code Zalo gửi về địa chỉ callback của ứng dụng")
    connect.add_argument("--code-verifier", metavar="CHUỖI", help="code_verifier (PKCE), nếu lúc ủy quyền có dùng")
    connect.set_defaults(func=cmd_zalo_oa_connect)
    zalo_commands.add_parser("status", help="token còn hạn đến khi nào (không in token)").set_defaults(
        func=cmd_zalo_oa_status
    )
