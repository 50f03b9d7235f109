"""The Zalo Bot Platform channel (https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>): no client library, our
own adapter over httpx. client.py: the HTTP API; render.py: replies as numbered text under 2,000 characters;
updates.py: events to Inbound messages; channel.py: the service in between, long polling."""

from bot.channels.zalo_bot.channel import BUSY_TEXT, Quota, ZaloBotChannel, poll
from bot.channels.zalo_bot.client import DEFAULT_BASE_URL, RetryPolicy, ZaloBotClient, ZaloBotError
from bot.channels.zalo_bot.updates import CHANNEL, chat_key

__all__ = [
    "BUSY_TEXT",
    "CHANNEL",
    "DEFAULT_BASE_URL",
    "Quota",
    "RetryPolicy",
    "ZaloBotChannel",
    "ZaloBotClient",
    "ZaloBotError",
    "chat_key",
    "poll",
]
