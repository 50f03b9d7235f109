"""The tables (SQLAlchemy Core). A change here needs a new migration in migrations/versions/."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    TypeDecorator,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A moment: written only with its time zone (a naive datetime is a bug: ValueError), stored in UTC, read
    back time-zone aware in UTC. The column is DateTime(timezone=True), timestamptz on PostgreSQL; SQLite keeps
    text without a zone, so every value must be stored in the same zone for comparisons to hold."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"times must carry their time zone: {value!r}")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# One row per chat: the dialog state of bot.core.types.Session, as JSON.
chat_sessions = Table(
    "chat_sessions",
    metadata,
    Column("key", String(255), primary_key=True),  # Inbound.chat, e.g. "telegram:123456" or "console"
    Column("state", Text, nullable=False),  # JSON, see sessions.to_json
    Column("turns", Integer, nullable=False, default=0),
    Column("updated_at", UTCDateTime(), nullable=False, index=True),
)

# Every update handled, so a replayed or duplicated update gets no second reply.
processed_updates = Table(
    "processed_updates",
    metadata,
    Column("channel", String(32), primary_key=True),
    Column("update_id", BigInteger, primary_key=True),
    Column("processed_at", UTCDateTime(), nullable=False, index=True),
)

# What the bot decided for each question. No names, phone numbers or chat ids: only the channel, and a keyed
# hash of the chat (bot.storage.interactions.chat_digest) so that /xoadulieu can delete the chat's rows.
# Rows older than INTERACTION_RETENTION_DAYS are deleted (bot.workers.retention).
interactions = Table(
    "interactions",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("channel", String(32), nullable=False),
    Column("normalised", Text, nullable=False),  # the question after normalisation, long numbers masked
    Column("decision", String(32), nullable=False),
    Column("matched_id", String(128), nullable=True),
    Column("top", Text, nullable=False),  # JSON: [{"id": ..., "score": ...}, ...] best first
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("topic", String(200), nullable=True),  # "uncovered": what the question was about, when known
    Column("chat_digest", String(32), nullable=True, index=True),  # None: logged before 0004
)

# Random values made once per installation (bot.storage.install_keys): the key of interactions.chat_digest.
install_keys = Table(
    "install_keys",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(128), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
)


def _id_column() -> Column:
    return Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True)


# Enrolment leads (issue 6). The personal fields of `leads` are nullable so a lead can be anonymised
# (/xoadulieu, retention purge) while its counts stay for the statistics.

# Collection agents (đại lý thu): the Telegram chat that receives the leads of one area (areas.yaml code).
agents = Table(
    "agents",
    metadata,
    _id_column(),
    Column("chat_id", BigInteger, nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("area_code", String(64), nullable=False, index=True),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
)

leads = Table(
    "leads",
    metadata,
    _id_column(),
    Column("session_key", String(255), nullable=True, index=True),  # the citizen's chat; None once anonymised
    Column("area_code", String(64), nullable=False, index=True),
    Column("agent_id", BigInteger, ForeignKey("agents.id"), nullable=True, index=True),  # None: office queue
    Column("status", String(32), nullable=False, index=True),
    Column("name", String(200), nullable=True),
    Column("phone_e164", String(20), nullable=True),
    Column("interest", String(32), nullable=True),
    Column("call_time", String(200), nullable=True),
    Column("call_on", Date, nullable=True),  # the day the citizen asked to be called, when they named one
    Column("call_part", String(8), nullable=True),  # am | pm | eve | any | h17 (bot.core.leads.call_times)
    Column("place_typed", String(200), nullable=True),  # "Nơi khác": the place as the citizen typed it
    Column("calculator", Text, nullable=True),  # JSON
    Column("consent_version", String(64), nullable=False),
    Column("consent_at", UTCDateTime(), nullable=False),
    Column("consent_channel", String(32), nullable=False),
    Column("consent_oral", Boolean, nullable=False, default=False),
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("first_contact_at", UTCDateTime(), nullable=True),
    Column("due_at", UTCDateTime(), nullable=True, index=True),
    Column("escalated_at", UTCDateTime(), nullable=True),
    Column("anonymised_at", UTCDateTime(), nullable=True),
)

# Every status change of a lead: who, when, from, to, note.
lead_history = Table(
    "lead_history",
    metadata,
    _id_column(),
    Column("lead_id", BigInteger, ForeignKey("leads.id"), nullable=False, index=True),
    Column("actor", String(64), nullable=False),  # "citizen", "agent:<chat id>", "staff:<chat id>", "system", "cli"
    Column("at", UTCDateTime(), nullable=False),
    Column("from_status", String(32), nullable=True),
    Column("to_status", String(32), nullable=False),
    Column("note", Text, nullable=True),
)

# What a chat did that shows interest (bot.core.leads.interest): no personal data.
interest_signals = Table(
    "interest_signals",
    metadata,
    _id_column(),
    Column("session_key", String(255), nullable=False, index=True),
    Column("kind", String(32), nullable=False),
    Column("topic", String(128), nullable=True),
    Column("at", UTCDateTime(), nullable=False, index=True),
)

# Messages to send (agents, office chat), written in the transaction that decided them and delivered by
# bot/workers/outbox.py. `next_attempt_at` is also the lease of a worker that claimed the row.
outbox = Table(
    "outbox",
    metadata,
    _id_column(),
    Column("dedupe_key", String(128), nullable=False, unique=True),
    Column("chat_id", BigInteger, nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", Text, nullable=False),  # JSON: bot.core.leads.notifications.Notification.payload()
    Column("lead_id", BigInteger, ForeignKey("leads.id"), nullable=True, index=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", UTCDateTime(), nullable=False, index=True),
    Column("sent_at", UTCDateTime(), nullable=True, index=True),  # pruned after INTERACTION_RETENTION_DAYS
    Column("failed_at", UTCDateTime(), nullable=True),
    Column("last_error", Text, nullable=True),
    # The process whose handler is sending a citizen's reply right after its commit (bot.shell.replies),
    # until next_attempt_at; None for rows the worker sends. Added by 0005.
    Column("claimed_by", String(64), nullable=True),
)
# Rows not yet sent nor given up (0005): the worker's due rows, and a chat's earlier replies still waiting
# (a chat's messages leave in the order written). Partial, so the sent rows kept for a while cost nothing.
_OUTBOX_PENDING = outbox.c.sent_at.is_(None) & outbox.c.failed_at.is_(None)
for _name, _first in (("ix_outbox_due", outbox.c.next_attempt_at), ("ix_outbox_chat_pending", outbox.c.chat_id)):
    Index(_name, _first, outbox.c.id, sqlite_where=_OUTBOX_PENDING, postgresql_where=_OUTBOX_PENDING)

# Knowledge as published revisions (bot.storage.knowledge_revisions). A revision is the whole knowledge folder
# (faq/*.yaml, policy.yaml, lexicon.yaml, bot.yaml, areas.yaml, leads.yaml, checks.jsonl): its files point at
# blobs by the SHA-256 of their text, so a revision that changes one file stores one new text. The live
# revision is the highest number; a rollback publishes an old revision's files again under a new number.
knowledge_blobs = Table(
    "knowledge_blobs",
    metadata,
    Column("digest", String(64), primary_key=True),  # SHA-256 of the UTF-8 text, in hex
    Column("content", Text, nullable=False),
)

knowledge_revisions = Table(
    "knowledge_revisions",
    metadata,
    Column("number", Integer, primary_key=True, autoincrement=False),
    Column("published_at", UTCDateTime(), nullable=False),
    Column("published_by", String(200), nullable=False),  # who made it live (the approver, in the console)
    Column("drafted_by", String(200), nullable=True),  # who wrote the change, when someone else approved it
    Column("note", Text, nullable=False, default=""),
    Column("digest", String(64), nullable=False),  # SHA-256 over the files' paths and digests: equal content
    Column("restored_from", Integer, nullable=True),  # a rollback: the revision whose files it publishes again
    Column("forced", Boolean, nullable=False, default=False),  # published although the check refused it
    Column("check_summary", Text, nullable=True),  # JSON: the regression check's counts at publishing
)

knowledge_revision_files = Table(
    "knowledge_revision_files",
    metadata,
    Column("revision", Integer, ForeignKey("knowledge_revisions.number"), primary_key=True),
    Column("path", String(255), primary_key=True),  # relative, with "/": "faq/tu-nguyen.yaml"
    Column("blob", String(64), ForeignKey("knowledge_blobs.digest"), nullable=False),
)

# What staff did with the unanswered questions (bot.storage.inbox, issue 15): one row per question signature
# (its content words, sorted: bot.core.inbox.signature) kept only as its SHA-256, never the text, so a mark
# holds no personal data and needs no retention. "ignored" hides the signature; "done" hides it as asked
# before `marked_at` (asked again afterwards, it shows again).
inbox_marks = Table(
    "inbox_marks",
    metadata,
    Column("signature_digest", String(64), primary_key=True),  # SHA-256 of the signature, in hex
    Column("status", String(16), nullable=False),  # "done" | "ignored"
    Column("marked_by", String(200), nullable=False),
    Column("marked_at", UTCDateTime(), nullable=False),
    Column("cluster_key", String(16), nullable=False),  # the cluster it was marked with (bot.core.inbox.Cluster.key)
)

# The office console (issue 16): staff accounts, their server-side sessions, failed logins (for throttling)
# and the audit log of every write made from the console or the staff commands (bot.storage.staff).
staff = Table(
    "staff",
    metadata,
    _id_column(),
    Column("username", String(64), nullable=False, unique=True),  # lower case
    Column("display_name", String(200), nullable=False),
    Column("role", String(16), nullable=False),  # editor | approver | admin
    Column("password_hash", String(255), nullable=False),  # argon2id (bot.shell.staff_auth)
    Column("active", Boolean, nullable=False, default=True),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("password_changed_at", UTCDateTime(), nullable=False),
)

staff_sessions = Table(
    "staff_sessions",
    metadata,
    Column("id_digest", String(64), primary_key=True),  # SHA-256 of the cookie's random id: never the id itself
    Column("staff_id", BigInteger, ForeignKey("staff.id"), nullable=False, index=True),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", UTCDateTime(), nullable=False),
    Column("last_seen_at", UTCDateTime(), nullable=False, index=True),
)

login_failures = Table(
    "login_failures",
    metadata,
    _id_column(),
    Column("username", String(64), nullable=False, index=True),  # as typed, lower case (may name no account)
    Column("address", String(64), nullable=False, index=True),  # the client's IP address
    Column("at", UTCDateTime(), nullable=False, index=True),
)

audit_log = Table(
    "audit_log",
    metadata,
    _id_column(),
    Column("at", UTCDateTime(), nullable=False, index=True),
    Column("actor", String(64), nullable=False),  # a staff username, "cli" or "system"
    Column("action", String(64), nullable=False),  # "staff.add", "knowledge.publish", "lead.status", …
    Column("target", String(200), nullable=False, default=""),
    Column("before", Text, nullable=True),  # JSON
    Column("after", Text, nullable=True),  # JSON
)

# Knowledge drafts of the office console (issue 16, bot.storage.knowledge_drafts): an editor's changes to the
# live revision, kept as the changed files only, until an approver publishes them, returns them with a comment,
# or the editor discards them.
knowledge_drafts = Table(
    "knowledge_drafts",
    metadata,
    _id_column(),
    Column("base_revision", Integer, nullable=True),  # the live revision it was edited from
    Column("files", Text, nullable=False),  # JSON {path: text}: only the files the draft changes
    Column("status", String(16), nullable=False, index=True),  # open | submitted | returned | published | discarded
    Column("created_by", String(64), nullable=False, index=True),  # a staff username
    Column("created_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
    Column("submitted_at", UTCDateTime(), nullable=True),
    Column("reviewed_by", String(64), nullable=True),
    Column("review_comment", Text, nullable=False, default=""),
    Column("published_revision", Integer, nullable=True),
)

# The web chat of the office's website (issue 17, bot.storage.web_chat): the replies given to each message a
# browser sent (so a retried request gets the same answer, and a reloaded page the conversation), and the
# messages waiting for a browser's event stream (an agent's answer, a reminder). Both kept for a day.
web_chat_replies = Table(
    "web_chat_replies",
    metadata,
    Column("session", String(80), primary_key=True),  # the chat's session key, "web:<session id>"
    Column("client_msg_id", String(64), primary_key=True),  # the browser's id of the message
    Column("said", Text, nullable=False, default=""),  # the text the citizen typed ("" for a button press)
    Column("replies", Text, nullable=False),  # JSON: the replies as the web chat shows them
    Column("created_at", UTCDateTime(), nullable=False, index=True),
)

web_chat_outbox = Table(
    "web_chat_outbox",
    metadata,
    _id_column(),
    Column("session", String(80), nullable=False, index=True),  # the chat's session key, "web:<session id>"
    Column("reply", Text, nullable=False),  # JSON: one reply as the web chat shows it
    Column("created_at", UTCDateTime(), nullable=False, index=True),
    Column("delivered_at", UTCDateTime(), nullable=True),  # first streamed to a browser
)

# Zalo Official Account (issue 17, bot.storage.zalo_oa): the OA's OAuth v4 tokens, one row (id 1). The refresh
# token is single-use and rotates: one instance at a time refreshes, holding this row's lock.
zalo_oa_tokens = Table(
    "zalo_oa_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("access_token", Text, nullable=False),
    Column("refresh_token", Text, nullable=False),
    Column("access_expires_at", UTCDateTime(), nullable=False),
    Column("refresh_expires_at", UTCDateTime(), nullable=False),
    Column("updated_at", UTCDateTime(), nullable=False),
)

# Events received by webhook (issue 17, bot.storage.inbound_events): stored before they are acknowledged, then
# handled by bot.workers.inbound_events in order per chat, on any instance (a claim is a lease).
inbound_events = Table(
    "inbound_events",
    metadata,
    _id_column(),
    Column("channel", String(32), nullable=False),
    Column("event_id", String(128), nullable=False),  # the platform's id of the event (deduplication)
    Column("chat", String(128), nullable=False, index=True),  # the session key, "zalo_oa:<user id>"
    Column("payload", Text, nullable=False),  # JSON: the event as received
    Column("received_at", UTCDateTime(), nullable=False),
    Column("processed_at", UTCDateTime(), nullable=True, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("claimed_until", UTCDateTime(), nullable=True),  # a worker's lease while it handles the event
    Column("replies", Text, nullable=True),  # JSON: the messages to send, kept until they are all sent
    Column("sent", Integer, nullable=False, default=0),  # how many of them were sent
    Column("shown", Text, nullable=True),  # JSON {key: action}: the choices the last reply numbered
    Index("ux_inbound_events_channel_event_id", "channel", "event_id", unique=True),
    Index("ix_inbound_events_chat_pending", "chat", "id"),
)

# The Zalo Bot Platform channel (issue 17, bot.storage.zalo_bot): the numbered choices last shown in each chat
# (Zalo has no buttons: "1" typed later presses the first), and the messages sent per month (the plan's quota).
zalo_bot_choices = Table(
    "zalo_bot_choices",
    metadata,
    Column("chat", String(80), primary_key=True),  # the chat's session key, "zalo_bot:<chat id>"
    Column("buttons", Text, nullable=False),  # JSON [[label, action], ...], in the order shown
    Column("updated_at", UTCDateTime(), nullable=False, index=True),
)

zalo_bot_sends = Table(
    "zalo_bot_sends",
    metadata,
    Column("month", String(7), primary_key=True),  # "2026-12", in the office's time zone
    Column("count", Integer, nullable=False),
)
