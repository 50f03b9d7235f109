"""Telegram channel (python-telegram-bot v22, long polling). In production:

application = build_application(token, base_url, service.handle, unavailable=(StorageUnavailable,))
await serve(application)                      # until SIGINT/SIGTERM
async with running(application): ...          # or drive it yourself (tests)
"""

from bot.channels.telegram.application import (
    ALLOWED_UPDATES,
    BUSY_TEXT,
    CHANNEL,
    COMMANDS,
    Handle,
    build_application,
    chat_key,
    to_inbound,
)
from bot.channels.telegram.delivery import RetryPolicy
from bot.channels.telegram.polling import running, serve
from bot.channels.telegram.render import render, split_text

__all__ = [
    "ALLOWED_UPDATES",
    "BUSY_TEXT",
    "CHANNEL",
    "COMMANDS",
    "Handle",
    "RetryPolicy",
    "build_application",
    "chat_key",
    "render",
    "running",
    "serve",
    "split_text",
    "to_inbound",
]
