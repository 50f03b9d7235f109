"""`python -m bot webhook set|delete|info`: Telegram's webhook, registered once per deployment (never by `run`,
so instances starting together never race on setWebhook).

webhook set      setWebhook(TELEGRAM_WEBHOOK_URL, secret TELEGRAM_WEBHOOK_SECRET, the bot's allowed updates; pending
                 updates kept; TELEGRAM_WEBHOOK_MAX_CONNECTIONS if set)
webhook delete   deleteWebhook (pending updates kept): long polling can take over
webhook info     getWebhookInfo: the address, updates waiting, Telegram's last delivery error

Neither the token nor the secret is ever printed.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from telegram import Bot, WebhookInfo
from telegram.error import InvalidToken, TelegramError

from bot.channels.telegram import ALLOWED_UPDATES
from bot.channels.telegram.application import quiet_loggers
from bot.config import Settings

T = TypeVar("T")


def _with_bot(settings: Settings, work: Callable[[Bot], Coroutine[Any, Any, T]]) -> T:
    """`work` with a Bot on TELEGRAM_BOT_TOKEN; exits with a clear message when Telegram refuses or is away."""
    if settings.telegram_bot_token is None:
        sys.exit("Chưa đặt TELEGRAM_BOT_TOKEN.")
    quiet_loggers()  # httpx would log URLs, which contain the token
    bot = Bot(settings.telegram_bot_token.get_secret_value(), base_url=settings.telegram_api_base_url)

    async def run() -> T:
        async with bot:
            return await work(bot)

    try:
        return asyncio.run(run())
    except InvalidToken:
        sys.exit("Telegram không nhận TELEGRAM_BOT_TOKEN (token sai hoặc đã bị thu hồi).")
    except TelegramError as exc:  # its message is Telegram's description, never the token
        sys.exit(f"Telegram trả lời lỗi: {exc.message}")


def cmd_webhook_set(settings: Settings, _: argparse.Namespace) -> int:
    url, secret = settings.telegram_webhook_url, settings.telegram_webhook_secret
    if not url or secret is None:
        sys.exit(
            "Cần đặt TELEGRAM_WEBHOOK_URL (địa chỉ https công khai kết thúc bằng /webhooks/telegram) và "
            "TELEGRAM_WEBHOOK_SECRET (1-256 ký tự A-Z, a-z, 0-9, _, -) trước khi đăng ký webhook."
        )

    async def register(bot: Bot) -> bool:
        return await bot.set_webhook(
            url,
            secret_token=secret.get_secret_value(),
            allowed_updates=list(ALLOWED_UPDATES),
            drop_pending_updates=False,
            max_connections=settings.telegram_webhook_max_connections,
        )

    _with_bot(settings, register)
    print(f"Đã đăng ký webhook: {url}")
    print(f"  loại tin nhận: {', '.join(ALLOWED_UPDATES)}; tin đang chờ được giữ lại.")
    print("  Các bản bot chạy `python -m bot run` với TELEGRAM_WEBHOOK_URL sẽ nhận tin qua địa chỉ này.")
    return 0


def cmd_webhook_delete(settings: Settings, _: argparse.Namespace) -> int:
    async def delete(bot: Bot) -> bool:
        return await bot.delete_webhook(drop_pending_updates=False)

    _with_bot(settings, delete)
    print("Đã gỡ webhook; tin đang chờ được giữ lại. Bot chạy long polling được (bỏ TELEGRAM_WEBHOOK_URL).")
    return 0


def _moment(value: datetime, timezone: str) -> str:
    return value.astimezone(ZoneInfo(timezone)).strftime("%d/%m/%Y %H:%M:%S")


def cmd_webhook_info(settings: Settings, _: argparse.Namespace) -> int:
    async def info(bot: Bot) -> WebhookInfo:
        return await bot.get_webhook_info()

    found = _with_bot(settings, info)
    print(f"Địa chỉ webhook: {found.url or '(chưa đặt: bot dùng long polling)'}")
    print(f"Tin đang chờ gửi tới bot: {found.pending_update_count}")
    if found.max_connections:
        print(f"Số kết nối tối đa: {found.max_connections}")
    if found.allowed_updates:
        print(f"Loại tin nhận: {', '.join(found.allowed_updates)}")
    if found.last_error_date is not None:
        print(f"Lỗi gần nhất: {_moment(found.last_error_date, settings.timezone)}: {found.last_error_message or ''}")
    else:
        print("Lỗi gần nhất: không có")
    return 0


def webhook_parsers(commands: argparse._SubParsersAction) -> None:
    webhook = commands.add_parser("webhook", help="đăng ký, gỡ, xem webhook Telegram (mỗi lần triển khai một lần)")
    webhook_commands = webhook.add_subparsers(dest="webhook_command", required=True, metavar="LỆNH")
    webhook_commands.add_parser(
        "set", help="đăng ký TELEGRAM_WEBHOOK_URL với Telegram, kèm TELEGRAM_WEBHOOK_SECRET"
    ).set_defaults(func=cmd_webhook_set)
    webhook_commands.add_parser("delete", help="gỡ webhook để chạy lại long polling").set_defaults(
        func=cmd_webhook_delete
    )
    webhook_commands.add_parser("info", help="địa chỉ webhook, số tin đang chờ, lỗi gần nhất").set_defaults(
        func=cmd_webhook_info
    )
