"""Messages the bot sends on its own (to agents, to the office chat), through the outbox.

A sender is any `async (chat_id, text, buttons) -> None`. It raises RetryLater when the message should be
tried again (flood control, a network fault, a 5xx answer) and Undeliverable when trying again cannot help
(the chat blocked the bot, a bad request). The outbox worker keeps the message until one of them, or
success, is known.
"""

from __future__ import annotations

from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, Protocol

from bot.core.types import Button, PensionChart


class RetryLater(Exception):
    """Try again later: after `seconds` if the remote side said so (429 retry_after), else after a backoff."""

    def __init__(self, seconds: float | None = None, reason: str = "") -> None:
        super().__init__(reason or (f"retry after {seconds}s" if seconds is not None else "retry later"))
        self.seconds = seconds
        self.reason = reason


class Undeliverable(Exception):
    """The message can never be delivered as it is."""


class Sender(Protocol):
    """The keyword options are Notification.options(): passed only when set (never for agents' messages)."""

    def __call__(
        self,
        chat_id: int,
        text: str,
        buttons: tuple[Button, ...],
        *,
        contact_request: str = "",
        clear_keyboard: bool = False,
        chart: PensionChart | None = None,
    ) -> Awaitable[None]: ...


@dataclass(frozen=True)
class Notification:
    chat_id: int
    text: str
    buttons: tuple[Button, ...] = ()
    # A citizen's reply may also carry these (bot.core.types.Reply): the button that shares the phone number,
    # or the removal of that button.
    contact_request: str = ""
    clear_keyboard: bool = False
    chart: PensionChart | None = None  # a citizen's reply may carry a picture: its data is stored, drawn when sent

    def payload(self) -> dict[str, Any]:
        """As stored in the outbox (JSON)."""
        options = self.options()
        if self.chart is not None:
            options["chart"] = self.chart.as_json()
        return {"text": self.text, "buttons": [[b.label, b.action] for b in self.buttons], **options}

    def options(self) -> dict[str, Any]:
        """The keyboard options that are set, as keyword arguments for a Sender (none for most messages)."""
        options: dict[str, Any] = {}
        if self.contact_request:
            options["contact_request"] = self.contact_request
        if self.clear_keyboard:
            options["clear_keyboard"] = True
        if self.chart is not None:
            options["chart"] = self.chart
        return options

    @classmethod
    def from_payload(cls, chat_id: int, payload: dict[str, Any]) -> Notification:
        buttons = tuple(Button(str(label), str(action)) for label, action in payload.get("buttons", ()))
        contact_request = str(payload.get("contact_request", ""))
        clear_keyboard = bool(payload.get("clear_keyboard", False))
        chart = PensionChart.from_json(payload["chart"]) if payload.get("chart") else None
        return cls(chat_id, str(payload.get("text", "")), buttons, contact_request, clear_keyboard, chart)
