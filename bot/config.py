"""Settings: the only place that reads the environment (and an optional .env file)."""

from __future__ import annotations

import re
from datetime import time
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.core.leads.consent import DEFAULT_INTERACTION_RETENTION_DAYS
from bot.core.leads.interest import DEFAULT_THRESHOLD, DEFAULT_WEIGHTS
from bot.core.matcher import MatcherConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_MATCH = MatcherConfig()
WEBHOOK_PATH = "/webhooks/telegram"
WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


class Settings(BaseSettings):
    # hide_input_in_errors: a setting refused is named, its value (a token, a secret) is never printed
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", hide_input_in_errors=True
    )

    telegram_bot_token: SecretStr | None = None
    # The Bot API's address up to the token: a self-hosted Bot API server or a test server can stand in.
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    # Telegram by webhook (issue 17): with TELEGRAM_WEBHOOK_URL set (the public https address ending in
    # /webhooks/telegram), `run` takes updates at POST /webhooks/telegram instead of long polling (WEB_PORT must
    # not be 0); Telegram sends TELEGRAM_WEBHOOK_SECRET with each one. `python -m bot webhook set` registers both,
    # once per deployment; TELEGRAM_WEBHOOK_MAX_CONNECTIONS (1-100, Telegram's default 40) goes with it.
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_webhook_max_connections: int | None = Field(None, ge=1, le=100)
    # Zalo Bot Platform (issue 17, bot/channels/zalo_bot): the bot's token from "Zalo Bot Manager", the API's
    # address up to the token (the host differs between deployments), and the webhook's secret: with it set, `run`
    # takes events at POST /webhooks/zalo-bot (registered with setWebhook beforehand); without it, long polling.
    # ZALO_BOT_MONTHLY_QUOTA: messages the plan sends per month (Basic: 3,000); a warning at 80 % and 100 %.
    zalo_bot_token: SecretStr | None = None
    zalo_bot_api_base_url: str = "https://bot-api.zaloplatforms.com/bot"
    zalo_bot_webhook_secret: SecretStr | None = None
    zalo_bot_monthly_quota: int = Field(3000, ge=1)
    # Zalo Official Account (issue 17, bot/channels/zalo_oa): the app's id and secret key from developers.zalo.me;
    # events come to POST /webhooks/zalo-oa, signed with them; `python -m bot zalo-oa connect CODE` stores the
    # first OAuth v4 tokens (refreshed in the database afterwards). Events older than the max age are refused.
    zalo_oa_app_id: str = ""
    zalo_oa_secret_key: SecretStr | None = None
    zalo_oa_api_base_url: str = "https://openapi.zalo.me"
    zalo_oa_oauth_base_url: str = "https://oauth.zaloapp.com"
    zalo_oa_webhook_max_age_seconds: int = Field(300, ge=1)
    # sqlite+aiosqlite:///data/bot.db is relative to the working directory (its folder is created on start);
    # several processes share one postgresql+asyncpg://user:password@host:5432/name.
    database_url: str = "sqlite+aiosqlite:///data/bot.db"
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "INFO"

    # Matcher decision rule, chosen from measurements on ../shared/eval/dev.jsonl (see README).
    match_answer_threshold: float = Field(_MATCH.answer_threshold, ge=0, le=1)
    match_answer_margin: float = Field(_MATCH.answer_margin, ge=0, le=1)
    match_suggest_threshold: float = Field(_MATCH.suggest_threshold, ge=0, le=1)
    match_candidates: int = Field(_MATCH.candidates, ge=1)
    match_tie_threshold: float = Field(_MATCH.tie_answer_threshold, ge=0, le=1)
    match_clear_threshold: float = Field(_MATCH.clear_threshold, ge=0, le=1)
    match_clear_margin: float = Field(_MATCH.clear_margin, ge=0, le=1)
    match_clear_min_words: int = Field(_MATCH.clear_min_words, ge=0)

    max_answer_chars: int = Field(900, ge=200)
    # The web server in the bot process: the office console under /admin, and /healthz. WEB_PORT=0: no web server.
    web_host: str = "127.0.0.1"
    web_port: int = Field(8080, ge=0, le=65535)
    # Published knowledge revisions (issue 15): how often a running bot checks for a new one (PostgreSQL also
    # tells it at once by NOTIFY; this is the fallback, and SQLite's only way).
    knowledge_poll_seconds: float = Field(3.0, gt=0)
    # The regression check before publishing: labelled questions (the development set, when the file exists),
    # how many of the latest distinct real questions are replayed too, and how many labelled questions may get
    # worse before `kb publish` refuses (unless --force with a note).
    knowledge_check_questions: Path | None = PROJECT_ROOT.parent / "shared" / "eval" / "dev.jsonl"
    knowledge_check_real_questions: int = Field(500, ge=0)
    knowledge_check_allowed_worse: int = Field(0, ge=0)
    # A guided flow (calculator) left this long without an answer is dropped; the next message starts afresh.
    flow_idle_minutes: int = Field(30, ge=1)

    # Enrolment leads. Chat ids are Telegram chat ids. OFFICE_CHAT_ID gets the leads of areas without an
    # agent and the overdue ones; STAFF_CHAT_IDS ("111,222") see and act on every lead.
    office_chat_id: int | None = None
    staff_chat_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    # How long a lead's personal data is kept (`leads purge`); the consent text promises it. A design choice:
    # the law sets no number (../shared/knowledge/facts.md §11.2 suggests 90-180 days).
    lead_retention_days: int = Field(180, ge=1)
    # How long the interaction log keeps a question (a name may be typed in it), and how long an idle chat's
    # session and a sent outbox row are kept; the consent text states it.
    interaction_retention_days: int = Field(DEFAULT_INTERACTION_RETENTION_DAYS, ge=1)
    lead_contact_working_days: int = Field(2, ge=0)  # first contact due within this much office time
    # Leads one agent (one chat) may register with /themlead in a sliding hour; counted in the database.
    themlead_per_hour: int = Field(20, ge=1)
    office_opens: time = time(7, 30)
    office_closes: time = time(17, 0)
    # Whether agents call back outside office hours (evenings, weekends, holidays) when a citizen asks for it;
    # false: such a time is refused and the next office slot offered.
    lead_calls_outside_hours: bool = False
    # The office named in the consent text and the call-back confirmations; empty: `office` of leads.yaml.
    office_name: str = ""
    # The call-back is offered once the chat's interest signals weigh this much (bot.core.leads.interest).
    lead_interest_threshold: int = Field(DEFAULT_THRESHOLD, ge=1)
    lead_interest_weights: dict[str, int] = Field(
        default_factory=lambda: {k.value: w for k, w in DEFAULT_WEIGHTS.items()}
    )
    outbox_poll_seconds: float = Field(2.0, gt=0)
    # A citizen's reply that Telegram keeps refusing (5xx, 429, network down) is retried this long, then given up.
    reply_retry_hours: float = Field(24.0, gt=0)

    @field_validator("telegram_webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme != "https" or not parts.hostname or not parts.path.endswith(WEBHOOK_PATH):
            example = f"https://bot.example.vn{WEBHOOK_PATH}"
            raise ValueError(f"phải là địa chỉ https công khai kết thúc bằng {WEBHOOK_PATH}, ví dụ {example}")
        return value

    @field_validator("telegram_webhook_secret")
    @classmethod
    def _webhook_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if not WEBHOOK_SECRET.fullmatch(value.get_secret_value()):
            raise ValueError("gồm 1-256 ký tự A-Z, a-z, 0-9, _ và - (quy định của Telegram)")
        return value

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.telegram_webhook_url and self.telegram_webhook_secret is None:
            raise ValueError("TELEGRAM_WEBHOOK_URL cần kèm TELEGRAM_WEBHOOK_SECRET (1-256 ký tự A-Z, a-z, 0-9, _, -)")
        return self

    @field_validator("zalo_bot_token", "zalo_bot_webhook_secret")
    @classmethod
    def _unset_when_empty(cls, value: SecretStr | None) -> SecretStr | None:
        return value if value is not None and value.get_secret_value() else None

    @field_validator("zalo_bot_webhook_secret")
    @classmethod
    def _zalo_bot_secret(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not 8 <= len(value.get_secret_value()) <= 256:
            raise ValueError("gồm 8-256 ký tự (quy định của Zalo Bot Platform)")
        return value

    @field_validator("staff_chat_ids", mode="before")
    @classmethod
    def _comma_separated(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.replace(";", ",").split(",") if part.strip()]
        return value
