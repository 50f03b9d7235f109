# The bot: migrations are applied on start, then Telegram long polling (TELEGRAM_BOT_TOKEN set) runs.
# Build: docker build -t bhxh-bot .      Run: see compose.yaml, or
#   docker run -e TELEGRAM_BOT_TOKEN=... -v bhxh-data:/app/data bhxh-bot
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PTB_TIMEDELTA=true

RUN groupadd --system bot && useradd --system --gid bot --home-dir /app --shell /usr/sbin/nologin bot
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
COPY knowledge ./knowledge

# SQLite lives here by default (DATABASE_URL=sqlite+aiosqlite:///data/bot.db, relative to /app).
RUN mkdir -p /app/data && chown bot:bot /app/data
VOLUME ["/app/data"]
USER bot

ENV KNOWLEDGE_DIR=/app/knowledge \
    WEB_HOST=0.0.0.0 \
    WEB_PORT=8080
# The web server: the office console (/admin), /healthz, /metrics, the web chat and the webhooks.
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8080/healthz', timeout=4)"
# `run` applies the migrations itself before it starts polling; `db upgrade` first keeps a failed
# migration visible as its own step in the container's log.
CMD ["sh", "-c", "python -m bot db upgrade && exec python -m bot run"]
