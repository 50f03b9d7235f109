"""The shell around the core: each inbound message is handled in one database transaction.

    record the update id (stop if it was handled already) -> lock the chat's session -> load it
    -> decide (bot.core.engine) -> save the new session -> apply the effects -> commit

The transaction is retried while the database is briefly away or busy (bot.shell.transactions); if it
stays away, `handle` raises StorageUnavailable and the channel asks the citizen to try again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.core.address import addressed
from bot.core.engine import DEFAULT_FLOW_IDLE, decide
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.capture import confirmation
from bot.core.leads.consent import Consent, ConsentChannel
from bot.core.leads.interest import SignalKind
from bot.core.leads.my_data import my_data_reply
from bot.core.leads.records import CITIZEN, Interest, NewLead
from bot.core.leads.routing import LeadContext
from bot.core.types import (
    Clock,
    CreateLead,
    Effect,
    EraseMyData,
    Inbound,
    LogInteraction,
    Outcome,
    RecordInterest,
    Reply,
    ShowMyData,
)
from bot.shell.live_knowledge import KnowledgeSource
from bot.shell.metrics import METRICS, Metrics
from bot.shell.replies import ReplyRouting, forget_replies, queue_replies, sent_marks
from bot.shell.transactions import DEFAULT_RETRY, Retry
from bot.storage import install_keys, interactions, leads, sessions, signals, updates
from bot.storage.db import Database

log = logging.getLogger(__name__)

Keep = Callable[[AsyncConnection, Outcome], Awaitable[None]]  # a channel's own writes in the message's transaction


def consent_channel(channel: str) -> ConsentChannel:
    """Where a consent was given, as the lead records it: "zalo_bot" and "zalo_oa" are both Zalo."""
    if channel.startswith("zalo"):
        return ConsentChannel.ZALO
    return ConsentChannel(channel) if channel in set(ConsentChannel) else ConsentChannel.WEB


class Service:
    """Handles the messages of one channel ("telegram", "console", …) against one database."""

    def __init__(
        self,
        database: Database,
        knowledge: KnowledgeSource,
        today: Callable[[], date],
        channel: str,
        *,
        retry: Retry = DEFAULT_RETRY,
        now: Clock,
        flow_idle: timedelta = DEFAULT_FLOW_IDLE,
        leads: LeadContext | None = None,
        replies: ReplyRouting | None = None,
        metrics: Metrics = METRICS,
    ) -> None:
        self.metrics = metrics
        self.leads = leads  # where call-back requests go; None: CreateLead effects are refused
        self.replies = replies  # None: replies are returned only; else also stored (bot.shell.replies)
        self.now = now  # the time: when rows are written, and to drop guided flows left idle longer than flow_idle
        self.flow_idle = flow_idle
        self.database = database
        self.knowledge = knowledge  # each message is answered from the revision live when it starts
        self.today = today
        self.channel = channel
        self.retry = retry
        self._interactions_key: str | None = None  # links logged questions to their chat: see _chat_digest

    async def handle(
        self, inbound: Inbound, update_id: int | None = None, *, keep: Keep | None = None
    ) -> Outcome | None:
        """The outcome to send, or None if this update was handled before (send nothing).

        `update_id` None (the console) skips the duplicate check. `keep(connection, outcome)` runs in the
        message's transaction, after everything else: what a channel stores with it (the web chat keeps the
        replies it gave, so that the same message sent again gets them, however the process ended).
        """
        started = time.perf_counter()
        outcome = await self.retry.run(
            lambda: self._handle_once(inbound, update_id, keep), f"channel {self.channel}, update {update_id}"
        )
        self.metrics.handled(self.channel, outcome, time.perf_counter() - started)  # committed: GET /metrics
        return outcome

    async def _handle_once(self, inbound: Inbound, update_id: int | None, keep: Keep | None) -> Outcome | None:
        if self._interactions_key is None:  # once per process, in a transaction of its own (committed before use)
            async with self.database.transaction() as connection:
                self._interactions_key = await install_keys.get_or_create(
                    connection, install_keys.INTERACTIONS, self.now()
                )
        marks = sent_marks(self.replies, self.now)  # replies sent since the last commit (bot/shell/replies.py)
        async with marks as sent, self.database.transaction(short=True) as connection:  # statements: a few rows by key
            await sent.record(connection)
            if update_id is not None and not await updates.record(connection, self.channel, update_id, self.now()):
                log.info("update already handled (channel %s, update %s)", self.channel, update_id)
                return None
            session = await sessions.lock(connection, inbound.chat, self.now())
            knowledge = self.knowledge.current()  # one revision for the whole message, even if another goes live
            outcome = decide(
                inbound,
                session,
                knowledge.kb,
                self.today(),
                knowledge.matcher,
                now=self.now(),
                flow_idle=self.flow_idle,
            )
            if outcome.session is not None:
                await sessions.save(connection, outcome.session, self.now())
            added: list[Reply] = []
            for effect in outcome.effects:
                added.extend(await self._apply(connection, effect, inbound.chat, knowledge.kb))
            # The replies effects add (a lead's confirmation) speak to the citizen as the engine's do ("bác").
            outcome = addressed(replace(outcome, replies=(*outcome.replies, *added))) if added else outcome
            if keep is not None:
                await keep(connection, outcome)
            if self.replies is not None and update_id is not None:  # in this transaction: see bot/shell/replies.py
                key = f"{self.channel}:{update_id}"
                return await queue_replies(connection, outcome, inbound.chat, key, self.replies, self.now())
            return outcome

    async def _apply(
        self, connection: AsyncConnection, effect: Effect, chat: str, kb: KnowledgeBase
    ) -> tuple[Reply, ...]:
        """Carry out one effect in the message's transaction; replies it adds (a lead's confirmation)."""
        if isinstance(effect, LogInteraction):
            await interactions.log(connection, self.channel, effect, self.now(), self._chat_digest(chat))
        elif isinstance(effect, RecordInterest):
            await signals.record(connection, chat, SignalKind(effect.kind), effect.topic, self.now())
        elif isinstance(effect, CreateLead):
            return (await self._create_lead(connection, effect, chat, kb),)
        elif isinstance(effect, ShowMyData):
            stored = await leads.of_session(connection, chat) if self.leads else []
            context = self.leads
            area_name = context.area_name if context else str
            timezone = context.timezone if context else UTC
            return (my_data_reply(kb, stored, area_name, timezone),)
        elif isinstance(effect, EraseMyData):
            questions = await interactions.forget_chat(connection, self._chat_digest(chat))
            withdrawn = await leads.withdraw(connection, chat, self.leads, self.now()) if self.leads else []
            if self.replies is not None:  # what the bot told the chat may repeat a name or a phone number
                await forget_replies(connection, chat, self.replies)
            log.info(
                "personal data erased (channel %s): %d lead(s) withdrawn, %d question(s) deleted",
                self.channel,
                len(withdrawn),
                questions,
            )
        else:
            raise TypeError(f"no handler for effect {type(effect).__name__}")
        return ()

    def _chat_digest(self, chat: str) -> str:
        """The chat's link in the interaction log: a keyed hash, never the chat id (bot.storage.interactions)."""
        assert self._interactions_key is not None, "loaded by _handle_once before the message's transaction"
        return interactions.chat_digest(self._interactions_key, chat)

    async def _create_lead(
        self, connection: AsyncConnection, effect: CreateLead, chat: str, kb: KnowledgeBase
    ) -> Reply:
        """Store the lead with its proof of consent, route it and queue the agent's notification (outbox)."""
        setup = kb.leads
        if self.leads is None or setup is None:
            raise TypeError("a lead was taken but this service has no lead routing")
        now = self.now()
        consent_at = datetime.fromisoformat(effect.consent_at) if effect.consent_at else now
        channel = consent_channel(self.channel)
        new = NewLead(
            session_key=chat,
            area_code=effect.area_code,
            name=effect.name,
            phone_e164=effect.phone_e164,
            interest=Interest(effect.interest),
            consent=Consent(setup.consent_proof(), consent_at, channel),
            call_time=effect.call_time,
            calculator={"summary": effect.calculation} if effect.calculation else None,
            call_on=date.fromisoformat(effect.call_on) if effect.call_on else None,
            call_part=effect.call_part,
            place_typed=effect.place_typed,
        )
        due = self.leads.contact_due(now)
        created = await leads.create(connection, new, self.leads, now, due, CITIZEN)
        log.info(
            "lead %s created (channel %s, area %s, %s)",
            created.lead.id,
            self.channel,
            effect.area_code,
            f"agent {created.agent.id}" if created.agent else "office queue",
        )
        return confirmation(
            kb,
            agent_name=created.agent.name if created.agent else None,
            area_name=self.leads.area_name(effect.area_code),
            phone_e164=effect.phone_e164,
            call_time=effect.call_time,
            due=due,
            timezone=self.leads.timezone,
            place_typed=effect.place_typed,
            office_chat=self.leads.office_chat_id is not None,
            time_as_typed=not effect.call_part,
        )
