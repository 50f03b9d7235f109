"""What the bot keeps about a citizen, shown to them (/dulieu), and the typed request to erase it.

/dulieu, or a whole message such as "tôi đã để lại những thông tin gì" (lexicon.yaml `data_requests.show`),
lists the chat's call-back requests still holding personal data: number, date, name, phone number masked
("+84 91* *** *78": someone looking over the citizen's shoulder learns little), area and status; then how long
requests and questions are kept and how to erase them. The engine emits ShowMyData; the shell reads the
requests and adds `my_data_reply`.

A typed "xóa dữ liệu của tôi" (`data_requests.erase`) is asked once ("Xóa" / "Không"); "Xóa" erases exactly
as /xoadulieu does.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from datetime import tzinfo
from enum import StrEnum

from bot.core.actions import ERASE, KEEP, MENU
from bot.core.knowledge import KnowledgeBase, without_polite
from bot.core.leads.consent import DEFAULT_INTERACTION_RETENTION_DAYS
from bot.core.leads.records import STATUS_LABELS, LeadRecord
from bot.core.render import day
from bot.core.text import tokens
from bot.core.types import Button, Inbound, InboundKind, Reply

DEFAULT_RETENTION_DAYS = 180  # the consent text's period when leads.yaml is not loaded (bot.config's default)
SHOWN_DIGITS = 2  # digits of the phone number left visible at each end


class DataRequest(StrEnum):
    SHOW = "show"
    ERASE = "erase"


def typed_request(inbound: Inbound, kb: KnowledgeBase) -> DataRequest | None:
    """SHOW or ERASE when the whole message (polite words around it allowed) is one of lexicon.yaml's
    `data_requests`; None for anything else, a longer question included."""
    if inbound.kind is not InboundKind.TEXT:
        return None
    lexicon = kb.lexicon
    typed = tuple(lexicon.lexicon.expand(tokens(inbound.text)))
    if not typed:
        return None
    said = without_polite(typed, lexicon.flow_words.polite)
    if said in lexicon.data_requests.show:
        return DataRequest.SHOW
    if said in lexicon.data_requests.erase:
        return DataRequest.ERASE
    return None


def masked_phone(e164: str | None) -> str:
    """ "+84912345678" -> "+84 91* *** *78": the country code, the first and last two digits."""
    if not e164:
        return "(đã xóa)"
    country, rest = ("+84", e164[3:]) if e164.startswith("+84") else ("", e164.lstrip("+"))
    digits = re.sub(r"\D", "", rest)
    if len(digits) <= 2 * SHOWN_DIGITS:
        return f"{country} {'*' * len(digits)}".strip()
    hidden = digits[:SHOWN_DIGITS] + "*" * (len(digits) - 2 * SHOWN_DIGITS) + digits[-SHOWN_DIGITS:]
    groups = " ".join(hidden[i : i + 3] for i in range(0, len(hidden), 3))
    return f"{country} {groups}".strip()


def my_data_reply(
    kb: KnowledgeBase, leads: Sequence[LeadRecord], area_name: Callable[[str], str], timezone: tzinfo
) -> Reply:
    """The chat's stored call-back requests (those still holding personal data), how long things are kept
    and how to erase them."""
    setup = kb.leads
    kept = kb.message("my_data_kept").format(
        retention_days=setup.retention_days if setup else DEFAULT_RETENTION_DAYS,
        interaction_days=setup.interaction_retention_days if setup else DEFAULT_INTERACTION_RETENTION_DAYS,
    )
    shown = [lead for lead in leads if lead.name or lead.phone_e164]
    if not shown:
        return Reply(f"{kb.message('my_data_none')}\n\n{kept}", (_menu(kb),))
    lines = [kb.message("my_data_intro")]
    lines += [
        kb.message("my_data_lead").format(
            id=lead.id,
            date=day(lead.created_at.astimezone(timezone).date()),
            name=lead.name or "(đã xóa)",
            phone=masked_phone(lead.phone_e164),
            area=area_name(lead.area_code),
            status=STATUS_LABELS[lead.status],
        )
        for lead in shown
    ]
    buttons = (Button(kb.message("lead_erase_button"), ERASE.data()), _menu(kb))
    return Reply("\n".join(lines) + f"\n\n{kept}", buttons)


def erase_confirmation(kb: KnowledgeBase) -> Reply:
    """Asked once before a typed "xóa dữ liệu của tôi" erases anything."""
    buttons = (Button(kb.message("lead_erase_yes"), ERASE.data()), Button(kb.message("lead_erase_no"), KEEP.data()))
    return Reply(kb.message("lead_erase_confirm"), buttons)


def _menu(kb: KnowledgeBase) -> Button:
    return Button(kb.message("menu_button"), MENU.data())
