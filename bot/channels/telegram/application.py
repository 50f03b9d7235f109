"""The Telegram channel: translate an Update to an Inbound, call the service, send the rendered replies.

Everything here is thin on purpose; the dialogue lives in the core and its state in the service's tables.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import replace
from functools import partial
from typing import Any

from telegram import BotCommand, CallbackQuery, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType, ParseMode
from telegram.ext import Application, ContextTypes, TypeHandler

from bot.channels.telegram.delivery import ChatLocks, ChatSenders, RetryPolicy, deliver
from bot.channels.telegram.desk import Desk, DeskRequest, bot_command, desk_request
from bot.channels.telegram.photos import method, send_part
from bot.channels.telegram.render import Outgoing, escape, render
from bot.channels.telegram.stored_replies import Ledger, StoredReplies, StoredReply
from bot.core.types import Inbound, InboundKind, LogInteraction, Outcome, Reply

log = logging.getLogger(__name__)

Handle = Callable[[Inbound, int | None], Awaitable[Outcome | None]]

CHANNEL = "telegram"
DEFAULT_BASE_URL = "https://api.telegram.org/bot"
BUSY_TEXT = "Hệ thống đang bận, bạn vui lòng gửi lại sau ít phút."
COMMANDS = (
    BotCommand("start", "Bắt đầu"),
    BotCommand("menu", "Các chủ đề"),
    BotCommand("help", "Hướng dẫn sử dụng"),
    BotCommand("dulieu", "Xem thông tin bot đang lưu về bạn"),
    BotCommand("xoadulieu", "Xóa thông tin cá nhân bạn đã để lại"),
)
COMMAND_KINDS = {
    "start": InboundKind.START,
    "menu": InboundKind.MENU,
    "help": InboundKind.HELP,
    "xoadulieu": InboundKind.ERASE,
    "dulieu": InboundKind.MY_DATA,
}
# No edited messages: an old message edited into "đồng ý" must never count as consent, nor an edit drive any
# flow; the citizen sends a new message instead. One delivered anyway (a webhook set up by hand) is not answered.
ALLOWED_UPDATES = (Update.MESSAGE, Update.CALLBACK_QUERY)


def chat_key(chat_id: int) -> str:
    """The session key of a Telegram chat."""
    return f"{CHANNEL}:{chat_id}"


def telegram_chat_id(key: str) -> int | None:
    """The chat of a session key made by chat_key; None for another channel's key."""
    channel, _, chat_id = key.partition(":")
    return int(chat_id) if channel == CHANNEL and chat_id.lstrip("-").isdecimal() else None


def _command(message: Message) -> InboundKind | None:
    found = bot_command(message)
    return COMMAND_KINDS.get(found[0]) if found else None


def to_inbound(update: Update) -> Inbound | None:
    """The Inbound an update stands for, or None when the bot does not answer it.

    Only private chats are answered, and only new messages: an edit gets no reply (see ALLOWED_UPDATES).
    Text is passed on in NFC, so a name typed in decomposed Unicode (Unikey's "tổ hợp") reads as typed.
    """
    chat = update.effective_chat
    if chat is None or chat.type != ChatType.PRIVATE:
        return None
    key = chat_key(chat.id)
    if update.callback_query is not None:
        data = update.callback_query.data
        return Inbound(key, InboundKind.ACTION, action=data if isinstance(data, str) else "")
    if update.message is not None:
        message = update.message
        if message.contact is not None and message.contact.phone_number:
            return Inbound(key, _contact_kind(message), text=message.contact.phone_number)
        if message.text is None:
            return Inbound(key, InboundKind.UNSUPPORTED)
        kind = _command(message)
        return Inbound(key, kind) if kind else Inbound(key, InboundKind.TEXT, text=nfc(message.text))
    return None


def nfc(text: str) -> str:
    """Inbound text in one Unicode form (NFC), whatever the keyboard sent: "ê" + U+0301 becomes "ế"."""
    return unicodedata.normalize("NFC", text)


def _contact_kind(message: Message) -> InboundKind:
    """The citizen's own number only when the card is the sender's own Telegram account (what the "share my
    number" button sends); a card from the address book is someone else's, or at least not verified."""
    contact, sender = message.contact, message.from_user
    own = contact is not None and sender is not None and contact.user_id == sender.id
    return InboundKind.CONTACT if own else InboundKind.OTHER_CONTACT


# Set by a webhook request around its update (bot/channels/telegram/webhook.py): when storage is away the
# update is left to Telegram, which delivers it again later (the request answers 503), instead of being answered
# with BUSY_TEXT as a polled one is (it is confirmed with its batch).
RETRY_LATER: ContextVar[list[Exception] | None] = ContextVar("telegram_retry_later", default=None)


def retried_later(update_id: int, exc: Exception) -> bool:
    """True when the update came by webhook: Telegram is to deliver it again, nothing is sent now."""
    waiting = RETRY_LATER.get()
    if waiting is None:
        return False
    log.warning("update %s: storage unavailable (%s), left for Telegram to resend", update_id, type(exc).__name__)
    waiting.append(exc)
    return True


def _decisions(outcome: Outcome) -> str:
    """What the engine decided, for the log: "answer:bhyt.the-mat", "fallback", ... (never the question)."""
    logged = [e for e in outcome.effects if isinstance(e, LogInteraction)]
    return ",".join(f"{e.decision}:{e.matched_id}" if e.matched_id else e.decision for e in logged) or "-"


class TelegramChannel:
    """The handlers of one Application; `handle` is the service (Service.handle in production)."""

    def __init__(
        self,
        handle: Handle,
        unavailable: tuple[type[Exception], ...],
        policy: RetryPolicy,
        desk: Desk | None = None,
        ledger: Ledger[Any] | None = None,  # Any: its rows come back from the outcomes of `handle`, untyped
    ) -> None:
        self.handle = handle
        self.desk = desk  # the agents' side (lead buttons, /leads, /ghichu, /themlead); None: citizens only
        self.unavailable = unavailable
        self.policy = policy
        self.locks = ChatLocks()  # a chat's messages are handled (decided and committed) one at a time, in order
        self.senders = ChatSenders()  # and answered in that order, without holding up the handling
        # The replies the service stored in the outbox (see stored_replies.py); None: it stores none.
        self.stored = StoredReplies(ledger, policy, self.locks, self.senders) if ledger is not None else None

    async def on_update(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Handle the update and queue its replies; returns once the service has committed it."""
        if update.callback_query is not None:  # stop the spinner now, without waiting for the chat's turn
            context.application.create_task(self._answer(update.callback_query, update.update_id))
        request = desk_request(update, context.bot.username) if self.desk is not None else None
        if request is not None:
            await self.on_desk(request, update.update_id, context)
            return
        inbound = to_inbound(update)
        if inbound is None or update.effective_chat is None:
            log.info("update %s: not answered (%s)", update.update_id, _update_kind(update))
            return
        chat_id = update.effective_chat.id
        async with self.locks.hold(chat_id):
            try:
                outcome = await self.handle(inbound, update.update_id)
            except self.unavailable as exc:
                if retried_later(update.update_id, exc):
                    return
                log.warning("update %s: storage unavailable (%s), asked to retry", update.update_id, type(exc).__name__)
                self.queue(context, chat_id, [Outgoing(escape(BUSY_TEXT))], update.update_id)
                return
            if outcome is None:
                log.info("update %s: already handled, nothing sent", update.update_id)
                return
            log.info("update %s: %s %s", update.update_id, inbound.kind, _decisions(outcome))
            stored: tuple[StoredReply, ...] = getattr(outcome, "queued", ())  # bot.shell.replies.Handled
            if stored and self.stored is not None:
                if getattr(outcome, "inline", True):
                    self.stored.submit(context.bot, chat_id, stored, update.update_id, context.application.create_task)
                else:
                    log.info("update %s: replies wait in the outbox behind an earlier one", update.update_id)
                return
            parts = [part for reply in outcome.replies for part in render(reply)]
            self.queue(context, chat_id, parts, update.update_id)

    def queue(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, parts: list[Outgoing], update_id: int | None
    ) -> None:
        """Send the parts after everything already queued for this chat."""
        job = partial(self.send, context, chat_id, parts, update_id)
        self.senders.submit(chat_id, job, update_id, context.application.create_task)

    async def send(
        self, context: ContextTypes.DEFAULT_TYPE, chat_id: int, parts: list[Outgoing], update_id: int | None
    ) -> None:
        """Send the parts in order; stop at the first one that cannot be delivered."""
        for part in parts:
            send = partial(send_part, context.bot, chat_id, part)
            sent = await deliver(send, self.policy, method(part), update_id)
            if sent is None:
                return

    async def on_desk(self, request: DeskRequest, update_id: int, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A lead's button or an agent's command: the desk decides and commits, then its answer is queued."""
        assert self.desk is not None
        if request.edited:
            log.info("update %s: edited desk command, not carried out again", update_id)
            return
        if request.group and not self.desk.serves_group(request.chat_id):
            log.info("update %s: desk request in a group that is no staff chat, not answered", update_id)
            return
        chat_id = request.chat_id
        async with self.locks.hold(chat_id):
            try:
                if request.data:
                    answer = await self.desk.press(chat_id, request.data, update_id)
                else:
                    answer = await self.desk.command(chat_id, request.command, request.argument, update_id)
            except self.unavailable as exc:
                if retried_later(update_id, exc):
                    return
                log.warning("update %s: storage unavailable (%s), asked to retry", update_id, type(exc).__name__)
                self.queue(context, chat_id, [Outgoing(escape(BUSY_TEXT))], update_id)
                return
            if answer is None:
                log.info("update %s: already handled, nothing sent", update_id)
                return
            log.info("update %s: desk %s", update_id, answer.summary)
            if answer.edit is not None:
                edit = partial(self.edit_or_send, context, chat_id, request.message_id, answer.edit, update_id)
                self.senders.submit(chat_id, edit, update_id, context.application.create_task)
            parts = [part for reply in answer.replies for part in render(reply)]
            if parts:
                self.queue(context, chat_id, parts, update_id)

    async def edit_or_send(
        self,
        context: ContextTypes.DEFAULT_TYPE,
        chat_id: int,
        message_id: int | None,
        reply: Reply,
        update_id: int | None,
    ) -> None:
        """Show the reply in place of the message whose button was pressed, or as a new message if it cannot be
        (a reply in several parts, or with a keyboard under the text field: an edit takes inline buttons only)."""
        parts = render(reply)
        markup = parts[0].keyboard if parts else None
        editable = len(parts) == 1 and parts[0].chart is None  # a photo is never put in a text's place
        if message_id is not None and editable and (markup is None or isinstance(markup, InlineKeyboardMarkup)):
            edit = partial(
                context.bot.edit_message_text,
                parts[0].html,
                chat_id=chat_id,
                message_id=message_id,
                parse_mode=ParseMode.HTML,
                reply_markup=markup,
            )
            if await deliver(edit, self.policy, "editMessageText", update_id) is not None:
                return
        await self.send(context, chat_id, parts, update_id)

    async def _answer(self, query: CallbackQuery, update_id: int) -> None:
        """Stop the button's spinner (best effort: a query answered twice is only logged)."""
        no_floods = replace(self.policy, flood_attempts=1)
        await deliver(query.answer, no_floods, "answerCallbackQuery", update_id)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A handler failed: log it with the update id (never the message) and tell the citizen politely."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("update %s: failed with %s", update_id, type(context.error).__name__, exc_info=context.error)
        if isinstance(update, Update) and update.effective_chat is not None:
            self.queue(context, update.effective_chat.id, [Outgoing(escape(BUSY_TEXT))], update_id)

    async def register_commands(self, application: Application) -> None:
        """setMyCommands, as post_init: a 429 is waited out if short, otherwise the bot starts without it."""
        register = partial(application.bot.set_my_commands, COMMANDS)
        done = await deliver(register, self.policy, "setMyCommands", max_flood_wait=self.policy.startup_flood_wait)
        if done is None:
            log.warning("commands not registered; the bot runs without its command menu")


def _update_kind(update: Update) -> str:
    chat = update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        return f"{chat.type} chat"
    return "edited" if update.edited_message is not None else "other"


def quiet_loggers() -> None:
    """httpx logs request URLs, which contain the token; PTB's debug records contain message texts."""
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("telegram").setLevel(logging.INFO)


def build_application(
    token: str,
    base_url: str | None,
    handle: Handle,
    *,
    unavailable: tuple[type[Exception], ...] | None = None,
    policy: RetryPolicy | None = None,
    desk: Desk | None = None,
    replies: Ledger[Any] | None = None,
) -> Application:
    """An Application answering private chats through `handle`.

    `base_url` is the Bot API root the token is appended to (None: Telegram's own). `unavailable` lists the
    exceptions of `handle` that mean "storage is down" (default: bot.shell.service.StorageUnavailable): the citizen
    is asked to try again in a few minutes. Updates are handled concurrently; each chat's one at a time, in order.
    The Application has no Updater: polling.running fetches the updates (and confirms them only once handled).
    `desk` (bot.shell.desk.Desk in production) takes the lead buttons and the agents' commands (see desk.py here).
    `replies` (bot.shell.replies.ReplyLedger) is given when `handle` stores the replies in the outbox: they
    are sent at once and recorded there (see stored_replies.py).
    """
    if unavailable is None:
        from bot.shell.transactions import StorageUnavailable  # here, so importing the channel does not load storage

        unavailable = (StorageUnavailable,)
    quiet_loggers()
    channel = TelegramChannel(handle, unavailable, policy or RetryPolicy(), desk, replies)
    application = (
        Application.builder()
        .token(token)
        .base_url(base_url or DEFAULT_BASE_URL)
        .updater(None)
        .post_init(channel.register_commands)
        .build()
    )
    application.add_handler(TypeHandler(Update, channel.on_update))
    application.add_error_handler(channel.on_error)
    return application
