"""What routing and the agents' messages need to know about the office: the areas' names, its time zone,
its chat (the queue of leads no agent serves) and when a lead must have been called (bot.shell.calendar
counts working time; the composition root passes it in)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, tzinfo


def no_deadline(_: datetime) -> datetime | None:
    return None


@dataclass(frozen=True)
class LeadContext:
    area_names: Mapping[str, str]  # area code -> official name
    timezone: tzinfo
    office_chat_id: int | None = None
    contact_due: Callable[[datetime], datetime | None] = no_deadline  # created at -> to be called by

    def area_name(self, code: str) -> str:
        return self.area_names.get(code, code)
