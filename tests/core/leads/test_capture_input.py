"""What the call-back request takes as a name and a time to call, through the pure engine on the real
knowledge base: tidied where it is typed, bounded, and never something a spreadsheet would run."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import CreateLead
from tests.core.chats import Chat

CHAT = "test:lead-input"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


def at_the_call_time(kb: KnowledgeBase, matcher: Matcher, name: str = "Trần Văn Nam") -> Chat:
    chat = Chat(kb, matcher, CHAT)
    chat.say("cho tôi gặp cán bộ tư vấn, gọi lại cho tôi")
    chat.say("đồng ý")
    chat.say(name)
    chat.say("0912 345 678")
    chat.say("Tiên Yên")
    chat.say("bhyt")
    assert chat.step == "call_time"
    return chat


@pytest.mark.parametrize(
    "typed",
    ['=HYPERLINK("http://e.example/x","Gọi")', "@SUM(1)", "+1 sáng", "sau 17 giờ " * 6],
    ids=["hyperlink", "at", "plus", "too-long"],
)
def test_a_call_time_that_is_a_formula_or_too_long_is_asked_again_politely(
    kb: KnowledgeBase, matcher: Matcher, typed: str
) -> None:
    chat = at_the_call_time(kb, matcher)
    outcome = chat.say(typed)
    assert chat.step == "call_time"
    assert [effect for effect in outcome.effects if isinstance(effect, CreateLead)] == []
    assert kb.message("lead_invalid_time") in outcome.replies[-1].text
    assert "60 ký tự" in kb.message("lead_invalid_time")


def test_the_name_and_call_time_are_kept_without_invisible_or_control_characters(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    chat = at_the_call_time(kb, matcher, name="trần\u200b văn\x00 nam\u202e")
    [lead] = [effect for effect in chat.say("sau\tgiờ làm\u2066").effects if isinstance(effect, CreateLead)]
    assert (lead.name, lead.call_time) == ("Trần Văn Nam", "sau giờ làm")
