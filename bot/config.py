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
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "INFO"

    # Matcher decision rule, chosen from measurements on ../shared/eval/dev.jsonl (see README).
    match_answer_threshold: float = Field(_MATCH.answer_threshold, ge=0, le=1)
    match_answer_margin: float = Field(_MATCH.answer_margin, ge=0, le=1)
    match_suggest_threshold: float = Field(_MATCH.suggest_threshold, ge=0, le=1)
    match_candidates: int = Field(_MATCH.candidates, ge=1)

    max_answer_chars: int = Field(900, ge=200)
