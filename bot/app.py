"""Composition root: build(settings) -> App. The only module that knows every part."""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp

from bot.channels.telegram.application import telegram_chat_id
from bot.channels.telegram.render import split_reply
from bot.channels.zalo_bot import CHANNEL as ZALO_BOT
from bot.channels.zalo_bot import Quota, ZaloBotChannel, ZaloBotClient
from bot.channels.zalo_oa import CHANNEL as ZALO_OA
from bot.channels.zalo_oa.client import ZaloOaClient
from bot.config import PROJECT_ROOT, Settings
from bot.core.areas import Area
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase, required_topic_ids
from bot.core.leads.capture import OTHER_AREA
from bot.core.leads.interest import InterestRule, parse_weights
from bot.core.leads.notifications import Sender
from bot.core.leads.office_hours import CallPolicy
from bot.core.leads.routing import LeadContext
from bot.core.leads.setup import LeadSetup
from bot.core.matcher import Matcher, MatcherConfig
from bot.core.types import Clock, Inbound, Outcome, Session
from bot.shell.calendar import ContactDeadline, contact_deadline, office_hours, vietnam_holidays
from bot.shell.desk import Desk
from bot.shell.live_knowledge import Builder, Knowledge, LiveKnowledge
from bot.shell.publishing import Checks, labelled_questions, seed
from bot.shell.replies import ReplyLedger, ReplyRouting
from bot.shell.service import Service
from bot.shell.staff_auth import LoginPolicy, StaffAuth
from bot.shell.transactions import StorageUnavailable
from bot.shell.zalo_oa_tokens import TokenKeeper
from bot.storage.db import Database
from bot.storage.knowledge_files import (
    CHECKS_FILE,
    Bundle,
    areas_of,
    bundle_digest,
    checks_of,
    leads_of,
    parse_bundle,
    read_folder,
)
from bot.storage.migrations import migrate
from bot.storage.zalo_bot import ZaloBotStore
from bot.web.app import web_app
from bot.web.context import WebContext, ZaloOaIntake
from bot.web.server import serving
from bot.web.webhooks import TelegramWebhookHandler
from bot.web.zalo_bot_webhooks import ZaloBotWebhookHandler
from bot.workers.background import background
from bot.workers.inbound_events import ZaloOaEvents
from bot.workers.outbox import OutboxPolicy
from bot.workers.retention import Retention
from bot.workers.zalo_bot_events import ZaloBotEvents

log = logging.getLogger(__name__)

CONSOLE = "console"  # the console's channel name, and its one chat's session key
DEFAULT_TOPICS = PROJECT_ROOT.parent / "shared" / "knowledge"  # every topics*.tsv in it: the ids required


def matcher_config(settings: Settings) -> MatcherConfig:
    return MatcherConfig(
        answer_threshold=settings.match_answer_threshold,
        answer_margin=settings.match_answer_margin,
        suggest_threshold=settings.match_suggest_threshold,
        candidates=settings.match_candidates,
        tie_answer_threshold=settings.match_tie_threshold,
        clear_threshold=settings.match_clear_threshold,
        clear_margin=settings.match_clear_margin,
        clear_min_words=settings.match_clear_min_words,
    )


def system_clock() -> datetime:
    """The time now, in UTC: the bot's one reading of the system clock. The core is given `now` and `today`;
    the service, the desk, the durable replies, the workers and the command line are given this clock."""
    return datetime.now(UTC)


def today_in(timezone: str, clock: Clock = system_clock) -> date:
    """Today's date where the office is (the core never reads the clock: the shell passes it in)."""
    return clock().astimezone(ZoneInfo(timezone)).date()


@dataclass
class App:
    settings: Settings
    knowledge: LiveKnowledge  # the knowledge folder until `start` loads the live revision from the database
    database: Database  # nothing connects until a service handles a message or `start` runs
    clock: Clock = system_clock
    # The knowledge folder's files as read by `build`: published as revision 1 by `start` on an empty database.
    seed_files: Bundle | None = None

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base answering now (read it once per use: a new revision may replace it)."""
        return self.knowledge.current().kb

    @property
    def matcher(self) -> Matcher:
        return self.knowledge.current().matcher

    def on(self, database: Database, settings: Settings | None = None) -> App:
        """This app on another database: the same knowledge to start from, then that database's revisions."""
        knowledge = LiveKnowledge(self.knowledge.current(), database, self.knowledge.build)
        return replace(self, settings=settings or self.settings, knowledge=knowledge, database=database)

    def today(self) -> date:
        return today_in(self.settings.timezone, self.clock)

    @property
    def flow_idle(self) -> timedelta:
        return timedelta(minutes=self.settings.flow_idle_minutes)

    def handle(self, inbound: Inbound, session: Session, today: date | None = None) -> Outcome:
        """One message decided without the database (`ask`): the session is the caller's to keep."""
        knowledge = self.knowledge.current()
        return decide(
            inbound,
            session,
            knowledge.kb,
            today or self.today(),
            knowledge.matcher,
            now=self.clock(),
            flow_idle=self.flow_idle,
        )

    def service(self, channel: str, replies: ReplyRouting | None = None) -> Service:
        """The service for one channel ("telegram", "console", …): persistent sessions, exactly-once updates,
        call-back requests routed to the area's agent; with `replies` (see telegram_replies), the replies are
        stored in the outbox in the message's transaction."""
        return Service(
            self.database,
            self.knowledge,
            self.today,
            channel,
            now=self.clock,
            flow_idle=self.flow_idle,
            leads=self.lead_context(),
            replies=replies,
        )

    def telegram_replies(self) -> tuple[ReplyRouting, ReplyLedger]:
        """Durable Telegram replies for this process: what the service stores them with, and the ledger the
        channel records their delivery in (bot/shell/replies.py)."""
        owner = uuid.uuid4().hex  # this process, in the rows it is sending
        ledger = ReplyLedger(self.database, owner, now=self.clock)
        return ReplyRouting(telegram_chat_id, split_reply, owner, ledger.lease, ledger), ledger

    async def start(self) -> str:
        """Apply the database migrations, publish the knowledge folder as revision 1 if the database has none
        yet, and answer from the live revision; the migration the database is at.

        The connections used are closed afterwards, so the service may run on another event loop than this.
        """
        revision = await migrate(self.database)
        files = self.seed_files if self.seed_files is not None else read_folder(self.settings.knowledge_dir)
        await seed(self.database, files, self.clock())
        await self.knowledge.follow()
        await self.database.dispose()
        return revision

    async def close(self) -> None:
        await self.database.dispose()

    # -- the office console -----------------------------------------------------------------------------

    def web(
        self,
        policy: LoginPolicy | None = None,
        telegram_webhook: TelegramWebhookHandler | None = None,
        zalo_bot_webhook: ZaloBotWebhookHandler | None = None,
    ) -> ASGIApp:
        """The web server's application: the office console under /admin and /healthz (logins throttled and
        sessions ended by `policy`, LoginPolicy() by default), /metrics, and POST /webhooks/telegram when
        `telegram_webhook` is given (bot/channels/telegram/webhook.py; checked against TELEGRAM_WEBHOOK_SECRET)."""
        secret = self.settings.telegram_webhook_secret
        zalo_secret = self.settings.zalo_bot_webhook_secret  # POST /webhooks/zalo-bot with `zalo_bot_webhook`
        context = WebContext(
            self.database,
            self.knowledge,
            StaffAuth(self.database, self.clock, policy),
            self.clock,
            ZoneInfo(self.settings.timezone),
            checks=lambda today: publishing_checks(self.settings, today),
            leads=self.lead_context,
            office_name=self.settings.office_name,
            telegram_webhook=telegram_webhook,
            telegram_webhook_secret=secret.get_secret_value() if secret else "",
            zalo_bot_webhook=zalo_bot_webhook,
            zalo_bot_webhook_secret=zalo_secret.get_secret_value() if zalo_secret else "",
            web_chat=self.service("web"),
            zalo_oa=self.zalo_oa_intake(),
            zalo_bot_quota=self.settings.zalo_bot_monthly_quota if self.settings.zalo_bot_token else None,
        )
        return web_app(context)

    @asynccontextmanager
    async def web_server(
        self,
        telegram_webhook: TelegramWebhookHandler | None = None,
        zalo_bot_webhook: ZaloBotWebhookHandler | None = None,
    ) -> AsyncIterator[str | None]:
        """The web server on WEB_HOST:WEB_PORT while entered; its console's address, or None when WEB_PORT is 0
        or the port is taken (logged: the bot answers citizens without its console)."""
        host, port = self.settings.web_host, self.settings.web_port
        async with AsyncExitStack() as stack:
            address = None
            if port:
                try:
                    web = self.web(telegram_webhook=telegram_webhook, zalo_bot_webhook=zalo_bot_webhook)
                    await stack.enter_async_context(serving(web, host, port))
                    address = f"http://{host}:{port}/admin"
                except OSError as exc:
                    log.error("the office console is not served: %s", exc)
            yield address

    # -- the Zalo Bot Platform channel -----------------------------------------------------------------------

    def zalo_bot(self, client: ZaloBotClient) -> ZaloBotChannel:
        """The Zalo Bot channel on `client` (ZALO_BOT_TOKEN, ZALO_BOT_API_BASE_URL): its service ("zalo_bot"),
        the choices shown last and the monthly count in the database, warnings at 80 % of ZALO_BOT_MONTHLY_QUOTA.
        Hand it to web(zalo_bot_webhook=…) or to bot.channels.zalo_bot.poll: they store each event, and the worker
        of background() (zalo_bot_workers) answers it."""
        quota = Quota(self.settings.zalo_bot_monthly_quota, ZoneInfo(self.settings.timezone))
        return ZaloBotChannel(
            client,
            ZaloBotStore(self.database),
            quota,
            now=self.clock,
            wake=self.zalo_bot_wake.set,
            unavailable=(StorageUnavailable, OSError, SQLAlchemyError),
        )

    @cached_property
    def zalo_bot_wake(self) -> asyncio.Event:
        """Set when the webhook or the poll stored an event: this instance's worker answers it at once."""
        return asyncio.Event()

    def zalo_bot_events(self, client: ZaloBotClient) -> ZaloBotEvents:
        """The worker answering the Zalo Bot's stored events (service "zalo_bot"), sending through `client`."""
        return ZaloBotEvents(self.database, self.service(ZALO_BOT), self.zalo_bot(client))

    def zalo_bot_workers(self) -> list[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]]:
        """The background worker of the Zalo Bot's events, when ZALO_BOT_TOKEN is set (every instance runs one)."""
        token = self.settings.zalo_bot_token
        if token is None:
            return []

        async def run(stop: asyncio.Event) -> None:
            async with ZaloBotClient(token.get_secret_value(), self.settings.zalo_bot_api_base_url) as client:
                await self.zalo_bot_events(client).run(stop, self.zalo_bot_wake)

        return [("zalo-bot-events", run)]

    # -- the Zalo Official Account channel ----------------------------------------------------------------

    @property
    def zalo_oa_configured(self) -> bool:
        return bool(self.settings.zalo_oa_app_id and self.settings.zalo_oa_secret_key)

    @cached_property
    def zalo_oa_wake(self) -> asyncio.Event:
        """Set by POST /webhooks/zalo-oa when it stored an event: this instance's worker handles it at once."""
        return asyncio.Event()

    def zalo_oa_client(self) -> ZaloOaClient:
        """The OA's HTTP client (ZALO_OA_APP_ID, ZALO_OA_SECRET_KEY, ZALO_OA_API_BASE_URL, ZALO_OA_OAUTH_BASE_URL)."""
        secret = self.settings.zalo_oa_secret_key
        return ZaloOaClient(
            self.settings.zalo_oa_app_id,
            secret.get_secret_value() if secret else "",
            self.settings.zalo_oa_api_base_url,
            self.settings.zalo_oa_oauth_base_url,
        )

    def zalo_oa_intake(self) -> ZaloOaIntake | None:
        """What POST /webhooks/zalo-oa checks events with, when the OA is configured."""
        secret = self.settings.zalo_oa_secret_key
        if not self.zalo_oa_configured or secret is None:
            return None
        max_age = timedelta(seconds=self.settings.zalo_oa_webhook_max_age_seconds)
        return ZaloOaIntake(self.settings.zalo_oa_app_id, secret.get_secret_value(), max_age, self.zalo_oa_wake.set)

    def zalo_oa_events(self, client: ZaloOaClient) -> ZaloOaEvents:
        """The worker handling the OA's stored events: service "zalo_oa", tokens refreshed through `client`."""
        keeper = TokenKeeper(self.database, client.refresh, self.clock)
        return ZaloOaEvents(self.database, self.service(ZALO_OA), client, keeper, self.clock)

    def zalo_oa_workers(self) -> list[tuple[str, Callable[[asyncio.Event], Awaitable[None]]]]:
        """The background worker of the OA's events, when the OA is configured (every instance runs one)."""
        if not self.zalo_oa_configured:
            return []

        async def run(stop: asyncio.Event) -> None:
            async with self.zalo_oa_client() as client:
                await self.zalo_oa_events(client).run(stop, self.zalo_oa_wake)

        return [("zalo-oa-events", run)]

    # -- enrolment leads: deadlines, the agents' desk, the background workers ----------------------------

    @property
    def areas(self) -> tuple[Area, ...]:
        """areas.yaml of the live revision, as lead capture reads it."""
        leads = self.kb.leads
        assert leads is not None, "build() gives every knowledge base its lead setup"
        return leads.areas

    def lead_context(self) -> LeadContext:
        """Area names, the office's time zone and OFFICE_CHAT_ID: what lead messages and routing need."""
        names = {area.code: area.name for area in self.areas}
        names[OTHER_AREA] = self.kb.message("lead_area_other")  # the citizen's "Nơi khác": the office queue
        return LeadContext(names, ZoneInfo(self.settings.timezone), self.settings.office_chat_id, self.contact_due)

    @cached_property
    def contact_deadline(self) -> ContactDeadline:
        """LEAD_CONTACT_WORKING_DAYS of office time (OFFICE_OPENS to OFFICE_CLOSES on working days; weekends
        and Vietnamese public holidays do not count)."""
        settings = self.settings
        return contact_deadline(
            settings.lead_contact_working_days, settings.office_opens, settings.office_closes, settings.timezone
        )

    def contact_due(self, created: datetime) -> datetime:
        """When a lead created at `created` must have been contacted: the `due_at` for storage.leads.create."""
        return self.contact_deadline(created)

    def desk(self, channel: str) -> Desk:
        """The agents' desk for one channel: buttons under leads, /leads, /ghichu, /themlead."""
        return Desk(
            self.database,
            self.lead_context(),
            self.areas,
            self.settings.staff_chat_ids,
            channel=channel,
            now=self.clock,
            themlead_per_hour=self.settings.themlead_per_hour,
        )

    def background(self, send: Sender) -> AbstractAsyncContextManager[None]:
        """The outbox, lead-deadline, retention and knowledge-reload workers, running while the returned context
        is entered."""
        policy = OutboxPolicy(
            poll_seconds=self.settings.outbox_poll_seconds,
            reply_max_age=timedelta(hours=self.settings.reply_retry_hours),
        )
        retention = Retention(
            self.settings.lead_retention_days, self.flow_idle, self.settings.interaction_retention_days
        )
        return background(
            self.database,
            send,
            self.lead_context(),
            clock=self.clock,
            policy=policy,
            retention=retention,
            follow_knowledge=self.knowledge.follow,
            knowledge_poll_seconds=self.settings.knowledge_poll_seconds,
            more=[*self.zalo_oa_workers(), *self.zalo_bot_workers()],
        )


def lead_setup(settings: Settings, bundle: Bundle | None = None) -> LeadSetup:
    """What lead capture needs from leads.yaml, areas.yaml (of `bundle`, by default of the knowledge folder)
    and the settings."""
    bundle = read_folder(settings.knowledge_dir) if bundle is None else bundle
    rule = InterestRule(parse_weights(settings.lead_interest_weights), settings.lead_interest_threshold)
    leads = leads_of(bundle)
    consent = replace(leads.consent, office=settings.office_name) if settings.office_name else leads.consent
    hours = office_hours(settings.office_opens, settings.office_closes, settings.timezone)
    return LeadSetup(
        consent=consent,
        areas=areas_of(bundle),
        retention_days=settings.lead_retention_days,
        interaction_retention_days=settings.interaction_retention_days,
        rule=rule,
        signal_topics=leads.signal_topics,
        calls=CallPolicy(hours, vietnam_holidays(), settings.lead_calls_outside_hours),
    )


def with_leads(kb: KnowledgeBase, setup: LeadSetup) -> KnowledgeBase:
    """The knowledge base that takes leads: the consent's buttons say what leads.yaml's text tells to press."""
    messages = {**kb.messages, "lead_agree": setup.consent.agree, "lead_decline": setup.consent.decline}
    return replace(kb, leads=setup, messages=messages)


def required_topics(topics: Path) -> list[str]:
    """The topic ids every revision must answer: those of a topics.tsv, or of every topics*.tsv in a folder."""
    files = sorted(topics.glob("topics*.tsv")) if topics.is_dir() else [topics] if topics.exists() else []
    return [i for path in files for i in required_topic_ids(path.read_text(encoding="utf-8"))]


def publishing_checks(settings: Settings, today: date, topics: Path = DEFAULT_TOPICS) -> Checks:
    """What a revision is checked against before it is published on `today` (KnowledgeFileError naming the
    line of the development set that is not a question)."""
    labelled = []
    path = settings.knowledge_check_questions
    if path is not None and path.is_file():
        rows = checks_of({CHECKS_FILE: path.read_text(encoding="utf-8")})
        labelled = labelled_questions(rows, "dev")
    return Checks(
        today,
        required_topics(topics),
        settings.max_answer_chars,
        labelled,
        settings.knowledge_check_real_questions,
        settings.knowledge_check_allowed_worse,
    )


def knowledge_builder(settings: Settings) -> Builder:
    """Files -> their knowledge base (with the lead setup) and matcher index, under these settings; raises
    KnowledgeError, AreaError or LeadSetupError for files that cannot be loaded."""

    def build_knowledge(bundle: Bundle) -> Knowledge:
        kb = with_leads(parse_bundle(bundle), lead_setup(settings, bundle))
        return Knowledge(kb, Matcher(kb, matcher_config(settings)), digest=bundle_digest(bundle))

    return build_knowledge


def build(settings: Settings) -> App:
    """The app, answering from the knowledge folder until `start` loads the live revision."""
    database = Database(settings.database_url)
    builder = knowledge_builder(settings)
    files = read_folder(settings.knowledge_dir)
    return App(settings, LiveKnowledge(builder(files), database, builder), database, seed_files=files)
