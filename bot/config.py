"""Settings: the only place that reads the environment (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.core.matcher import MatcherConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
_MATCH = MatcherConfig()


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    # The Bot API's address up to the token: a self-hosted Bot API server or a test server can stand in.
    telegram_api_base_url: str = "https://api.telegram.org/bot"
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

    max_answer_chars: int = Field(900, ge=200)
