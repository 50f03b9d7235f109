"""The bot as `python -m bot run` builds it (bot.app.build over knowledge/), on a test's database.

Loading knowledge/ and indexing it for the matcher take most of a second and give the same immutable
knowledge base and matcher every time, so `build` runs once per distinct settings in a test run; each test
gets its own App (cached properties and all) on its own database.
"""

from __future__ import annotations

import functools

from bot.app import App, build
from bot.config import Settings
from tests.databases import Store
from tests.factories import KNOWLEDGE_DIR


@functools.cache
def _built(settings: tuple[tuple[str, object], ...]) -> App:
    return build(Settings(_env_file=None, knowledge_dir=KNOWLEDGE_DIR, **dict(settings)))  # type: ignore[arg-type]


def app_on(store: Store, **settings: object) -> App:
    """build(Settings(database_url=store.url, knowledge_dir=knowledge/, **settings)), on `store.open()`."""
    built = _built(tuple(sorted(settings.items())))
    configured = built.settings.model_copy(update={"database_url": store.url})
    return built.on(store.open(), configured)
