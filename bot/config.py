"""Settings: the only place that reads the environment (and an optional .env file)."""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    telegram_bot_token: SecretStr | None = None
    knowledge_dir: Path = PROJECT_ROOT / "knowledge"
    timezone: str = "Asia/Ho_Chi_Minh"
    log_level: str = "INFO"

    # Matcher decision rule, chosen from measurements on ../shared/eval/dev.jsonl (see README).
    match_answer_threshold: float = Field(0.30, ge=0, le=1)
    match_answer_margin: float = Field(0.03, ge=0, le=1)
    match_suggest_threshold: float = Field(0.22, ge=0, le=1)
    match_candidates: int = Field(20, ge=1)

    max_answer_chars: int = Field(900, ge=200)
