"""`python -m bot run`: every channel the settings configure, in one process, until SIGTERM/SIGINT; and
`python -m bot chat`, the terminal conversation `run` falls back to when no channel is configured.

    channels = configured(settings)   # Telegram (long polling | webhook), Zalo Bot (long polling | webhook), Zalo OA
    refusals(settings, channels)      # the combinations that cannot work: one Vietnamese sentence each
    serve(app, channels)              # the channels, the web server and the background workers, until a signal

The web server (WEB_PORT; 0: none) serves the office console, /healthz, /metrics, the web chat (/chat) and the
webhook routes of the channels that take them. Start order, reversed at stop: Telegram (long polling, or the
handler of POST /webhooks/telegram), the Zalo Bot channel (its polling task, or the handler of POST
/webhooks/zalo-bot), the web server, then the background workers (outbox, deadlines, retention, knowledge reload,
the Zalo OA's events). So the workers stop first, and Telegram last, after sending what is queued. Agents are told
of leads on Telegram: without a Telegram bot their notifications wait in the outbox (logged once at start).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import logging
import signal
import sys
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sqlalchemy.exc import SQLAlchemyError

from bot.app import CONSOLE, App
from bot.channels.console import chart_saver, chat_loop
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import build_application, running
from bot.channels.telegram.outbox_sender import telegram_sender
from bot.channels.telegram.polling import WebhookInUse
from bot.channels.telegram.webhook import TelegramWebhook, accepting
from bot.channels.zalo_bot import ZaloBotChannel, ZaloBotClient
from bot.channels.zalo_bot import poll as zalo_poll
from bot.cli.common import app_or_exit, started
from bot.config import Settings
from bot.core.leads.notifications import RetryLater, Sender
from bot.core.types import Button, Inbound, Outcome, Reply
from bot.shell.transactions import StorageUnavailable
from bot.storage.db import Database

log = logging.getLogger(__name__)

Mode = Literal["long polling", "webhook"]
POLLING: Mode = "long polling"
WEBHOOK: Mode = "webhook"
BUSY = "(Hệ thống đang bận, bạn thử lại sau giây lát nhé.)"
NO_TELEGRAM = "no Telegram bot (TELEGRAM_BOT_TOKEN): agents' lead notifications wait in the outbox until one is set"


# -- which channels: from the settings, and the combinations refused ----------------------------------------


@dataclass(frozen=True)
class Channels:
    """The channels `run` serves. The web chat has no setting: the web server serves it whenever it runs."""

    telegram: Mode | None  # TELEGRAM_BOT_TOKEN; by webhook with TELEGRAM_WEBHOOK_URL
    zalo_bot: Mode | None  # ZALO_BOT_TOKEN; by webhook with ZALO_BOT_WEBHOOK_SECRET
    zalo_oa: bool  # ZALO_OA_APP_ID and ZALO_OA_SECRET_KEY: always by webhook (POST /webhooks/zalo-oa)
    web: bool  # WEB_PORT is not 0

    @property
    def any(self) -> bool:
        return bool(self.telegram or self.zalo_bot or self.zalo_oa)

    @property
    def by_webhook(self) -> list[str]:
        """The channels whose messages come to the web server: none of them works without it."""
        webhooks = {"Telegram": self.telegram == WEBHOOK, "Zalo Bot": self.zalo_bot == WEBHOOK, "Zalo OA": self.zalo_oa}
        return [name for name, webhook in webhooks.items() if webhook]

    def describe(self) -> str:
        """For the log: "telegram (long polling), zalo_oa (webhook), web chat"."""
        parts = [f"telegram ({self.telegram})"] if self.telegram else []
        parts += [f"zalo_bot ({self.zalo_bot})"] if self.zalo_bot else []
        parts += ["zalo_oa (webhook)"] if self.zalo_oa else []
        parts += ["web chat"] if self.web else []
        return ", ".join(parts)


def configured(settings: Settings) -> Channels:
    telegram: Mode | None = None
    if settings.telegram_bot_token is not None:
        telegram = WEBHOOK if settings.telegram_webhook_url else POLLING
    zalo_bot: Mode | None = None
    if settings.zalo_bot_token is not None:
        zalo_bot = WEBHOOK if settings.zalo_bot_webhook_secret else POLLING
    zalo_oa = bool(settings.zalo_oa_app_id and settings.zalo_oa_secret_key)
    return Channels(telegram, zalo_bot, zalo_oa, web=settings.web_port != 0)


def refusals(settings: Settings, channels: Channels) -> list[str]:
    """What makes the settings unable to run, one sentence each saying what to set (empty: they can run)."""
    found = []
    if settings.telegram_webhook_url and settings.telegram_bot_token is None:
        found.append("TELEGRAM_WEBHOOK_URL đã đặt nhưng thiếu TELEGRAM_BOT_TOKEN: đặt token của bot Telegram.")
    if settings.zalo_bot_webhook_secret and settings.zalo_bot_token is None:
        found.append("ZALO_BOT_WEBHOOK_SECRET đã đặt nhưng thiếu ZALO_BOT_TOKEN: đặt token của bot Zalo.")
    if bool(settings.zalo_oa_app_id) != (settings.zalo_oa_secret_key is not None):
        found.append(
            "Zalo OA cần cả ZALO_OA_APP_ID và ZALO_OA_SECRET_KEY (mã ứng dụng và khóa bí mật trên developers.zalo.me): "
            "đặt đủ cả hai, hoặc bỏ cả hai để tắt kênh Zalo OA."
        )
    if channels.web:
        return found
    if channels.telegram == WEBHOOK:
        found.append(
            "TELEGRAM_WEBHOOK_URL đã đặt nên bot nhận tin Telegram qua webhook, nhưng WEB_PORT=0 tắt máy chủ web: "
            "đặt WEB_PORT (ví dụ 8080), hoặc bỏ TELEGRAM_WEBHOOK_URL để chạy long polling."
        )
    if channels.zalo_bot == WEBHOOK:
        found.append(
            "ZALO_BOT_WEBHOOK_SECRET đã đặt nên bot nhận tin Zalo Bot qua webhook, nhưng WEB_PORT=0 tắt máy chủ web: "
            "đặt WEB_PORT (ví dụ 8080), hoặc bỏ ZALO_BOT_WEBHOOK_SECRET để chạy long polling."
        )
    if channels.zalo_oa:
        found.append(
            "Zalo OA chỉ nhận tin qua webhook (POST /webhooks/zalo-oa), nhưng WEB_PORT=0 tắt máy chủ web: "
            "đặt WEB_PORT (ví dụ 8080), hoặc bỏ ZALO_OA_APP_ID và ZALO_OA_SECRET_KEY."
        )
    return found


def web_server_down(settings: Settings, channels: Channels) -> str:
    return (
        f"Không mở được máy chủ web ở {settings.web_host}:{settings.web_port} (cổng đang bận?): không nhận được tin "
        f"{', '.join(channels.by_webhook)} qua webhook. Đổi WEB_PORT hoặc dừng chương trình đang dùng cổng đó."
    )


# -- python -m bot run -------------------------------------------------------------------------------------


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Every configured channel until SIGTERM/SIGINT; without any channel, the terminal chat."""
    channels = configured(settings)
    refused = refusals(settings, channels)
    if refused:
        sys.exit("\n".join(refused))
    if not channels.any:
        return cmd_chat(settings, args)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = app_or_exit(settings)
    # The knowledge base and the matcher's index live as long as the process: moved out of the collector's
    # reach, a full collection no longer walks them (it took 60-90 ms here, in the middle of a reply).
    gc.collect()
    gc.freeze()
    asyncio.run(serve(app, channels))
    return 0


async def serve(app: App, channels: Channels) -> None:
    """Migrate and load the live knowledge, then run `channels`, the web server and the background workers until
    SIGTERM/SIGINT (or until Telegram polling ends on its own: a revoked token). SystemExit with what to fix when
    the database is away, a webhook is set while polling, or the web server the webhooks need cannot listen."""
    try:
        await app.start()
    except (OSError, SQLAlchemyError) as exc:
        raise SystemExit(f"Không mở được cơ sở dữ liệu {app.database.describe()}: {type(exc).__name__}") from exc
    stop = stopped_by_signals()
    try:
        async with AsyncExitStack() as stack:
            telegram = await stack.enter_async_context(telegram_running(app, channels.telegram, stop))
            zalo_bot = await stack.enter_async_context(zalo_bot_running(app))
            console = await stack.enter_async_context(
                app.web_server(
                    telegram_webhook=telegram.webhook if telegram else None,
                    zalo_bot_webhook=zalo_bot if channels.zalo_bot == WEBHOOK else None,
                )
            )
            if console is None and channels.by_webhook:
                raise SystemExit(web_server_down(app.settings, channels))
            if telegram is None:
                log.warning(NO_TELEGRAM)
            await stack.enter_async_context(app.background(telegram.sender if telegram else telegram_absent))
            log.info("running: %s; office console at %s", channels.describe(), console or "(none)")
            await stop.wait()
    except WebhookInUse as exc:
        raise SystemExit(str(exc)) from None
    finally:
        await app.close()


def stopped_by_signals() -> asyncio.Event:
    """An event SIGINT and SIGTERM set (where the platform lets a loop handle signals)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signum, stop.set)
    return stop


@dataclass(frozen=True)
class TelegramRunning:
    sender: Sender  # what the outbox worker tells agents and citizens with
    webhook: TelegramWebhook | None  # what POST /webhooks/telegram hands updates to; None: long polling


@asynccontextmanager
async def telegram_running(app: App, mode: Mode | None, stop: asyncio.Event) -> AsyncIterator[TelegramRunning | None]:
    """The Telegram bot while entered (None without a token): long polling (`stop` is set if it ends on its own;
    WebhookInUse when the token has a webhook), or its Application started for POST /webhooks/telegram. On exit it
    sends the replies still queued (and, polling, confirms the batch in hand)."""
    token = app.settings.telegram_bot_token
    if mode is None or token is None:
        yield None
        return
    routing, ledger = app.telegram_replies()
    application = build_application(
        token.get_secret_value(),
        app.settings.telegram_api_base_url,
        app.service(TELEGRAM, routing).handle,
        desk=app.desk(TELEGRAM),
        replies=ledger,
    )
    if mode == WEBHOOK:  # updates come to the web server; `python -m bot webhook set` registered the address
        async with accepting(application) as handler:
            log.info("Telegram updates taken by webhook")
            yield TelegramRunning(telegram_sender(application.bot), handler)
        log.info("Telegram webhook stopped")
        return
    async with running(application, failed=stop):
        log.info("Telegram long polling started")
        yield TelegramRunning(telegram_sender(application.bot), None)
    log.info("Telegram long polling stopped")


@asynccontextmanager
async def zalo_bot_running(app: App) -> AsyncIterator[ZaloBotChannel | None]:
    """The Zalo Bot channel while entered, when ZALO_BOT_TOKEN is set (else None): with ZALO_BOT_WEBHOOK_SECRET,
    the handler to mount at POST /webhooks/zalo-bot; without it, long polling with getUpdates meanwhile."""
    settings = app.settings
    if settings.zalo_bot_token is None:
        yield None
        return
    client = ZaloBotClient(settings.zalo_bot_token.get_secret_value(), settings.zalo_bot_api_base_url)
    channel = app.zalo_bot(client)
    stop = asyncio.Event()
    polling = None if settings.zalo_bot_webhook_secret else asyncio.create_task(zalo_poll(channel, stop))
    try:
        yield channel
    finally:
        stop.set()
        if polling is not None:
            await polling
        await client.close()


async def telegram_absent(chat_id: int, text: str, buttons: tuple[Button, ...], **_: object) -> None:
    """The outbox's sender without a Telegram bot: each notification is tried again in an hour."""
    raise RetryLater(3600, "no Telegram bot to notify agents (TELEGRAM_BOT_TOKEN)")


# -- python -m bot chat (and run without any channel) ------------------------------------------------------


def cmd_chat(settings: Settings, _: argparse.Namespace) -> int:
    """The console conversation, kept in the database: it continues where it stopped after a restart."""
    app = app_or_exit(settings)
    with asyncio.Runner() as runner:
        started(runner, app)
        service = app.service(CONSOLE)
        stop_web = _console_in_a_thread(app)

        def handle(inbound: Inbound) -> Outcome:
            try:
                runner.run(app.knowledge.follow())  # a revision published meanwhile answers this message
                outcome = runner.run(service.handle(inbound))
            except (StorageUnavailable, OSError, SQLAlchemyError):
                return Outcome((Reply(BUSY),))
            assert outcome is not None  # only a repeated update id gets None, and the console sends none
            return outcome

        try:
            # Pictures (the lump-sum-versus-pension chart) go to a folder of their own under the temp folder.
            pictures = chart_saver(
                lambda: Path(tempfile.mkdtemp(prefix="bhxh-bieu-do-")), app.kb.message("chart_huu_saved")
            )
            chat_loop(handle, sys.stdin, sys.stdout, chat=CONSOLE, save_chart=pictures)
        finally:
            stop_web()
            runner.run(app.close())
    return 0


def _console_in_a_thread(app: App) -> Callable[[], None]:
    """Beside the terminal chat: the web server (the office console) on an event loop of its own in a thread,
    on its own connections to the same database; its address printed. Returns what stops it."""
    if not app.settings.web_port:
        return lambda: None
    web = app.on(Database(app.settings.database_url))
    started_event, state = threading.Event(), dict[str, Any]()

    async def serve_console() -> None:
        stop = asyncio.Event()
        state["stop"] = (asyncio.get_running_loop(), stop)
        try:
            async with web.web_server() as address:
                state["address"] = address
                started_event.set()
                if address:
                    await stop.wait()
        finally:
            started_event.set()
            await web.close()

    thread = threading.Thread(target=asyncio.run, args=(serve_console(),), name="web-console", daemon=True)
    thread.start()
    started_event.wait(30)
    if state.get("address"):
        print(f"Bảng điều khiển cho cán bộ: {state['address']}")
        print("  (tạo tài khoản: python -m bot staff add TÊN --role admin)")

    def stop() -> None:
        if "stop" in state:
            loop, event = state["stop"]
            with contextlib.suppress(RuntimeError):  # the loop already ended
                loop.call_soon_threadsafe(event.set)
        thread.join(10)

    return stop


def run_parsers(commands: argparse._SubParsersAction) -> None:
    channels = "Telegram, Zalo Bot, Zalo OA, web"
    run = commands.add_parser("run", help=f"chạy bot trên các kênh đã cấu hình ({channels}); không có thì trò chuyện")
    run.set_defaults(func=cmd_run)
    commands.add_parser("chat", help="trò chuyện với bot trên cửa sổ lệnh").set_defaults(func=cmd_chat)
