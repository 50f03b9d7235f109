"""The outbox's Sender for Telegram: one notification as one or more messages through telegram.Bot.

Telegram's answers map to what the outbox worker understands: 429 (RetryAfter) -> RetryLater after
retry_after; a network fault, a timeout or a 5xx answer -> RetryLater (the worker backs off); a refusal
that trying again cannot change (blocked by the user, chat not found, a bad request) -> Undeliverable.
"""

from __future__ import annotations

from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError

from bot.channels.telegram.delivery import CHANNEL, seconds
from bot.channels.telegram.photos import send_part
from bot.channels.telegram.render import render
from bot.core.leads.notifications import RetryLater, Sender, Undeliverable
from bot.core.types import Button, PensionChart, Reply
from bot.shell.metrics import METRICS


def telegram_sender(bot: Bot) -> Sender:
    """A Sender for bot/workers/outbox.py. `bot` must be initialised (`async with bot:` or an Application's)."""

    async def send(
        chat_id: int,
        text: str,
        buttons: tuple[Button, ...],
        contact_request: str = "",
        clear_keyboard: bool = False,
        chart: PensionChart | None = None,
    ) -> None:
        try:
            for part in render(Reply(text, buttons, contact_request, clear_keyboard, chart)):
                await send_part(bot, chat_id, part)
        except RetryAfter as exc:
            raise RetryLater(seconds(exc.retry_after), "telegram 429") from None
        except (BadRequest, Forbidden) as exc:  # BadRequest is a NetworkError: caught first
            METRICS.send_failed(CHANNEL)
            raise Undeliverable(f"{type(exc).__name__}: {exc.message}") from None
        except NetworkError as exc:  # TimedOut, connection faults, 5xx
            raise RetryLater(None, f"telegram {type(exc).__name__}") from None
        except TelegramError as exc:  # ChatMigrated, InvalidToken, ...
            METRICS.send_failed(CHANNEL)
            raise Undeliverable(type(exc).__name__) from None

    return send
