"""Typed words work like a flow's Cancel and Back buttons at every step, through the pure engine on the real
knowledge base (with leads.yaml and areas.yaml, as the composition root builds it)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.core.flows import FLOWS
from bot.core.flows.base import BACK, CANCEL
from bot.core.flows.runner import typed_command
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind
from tests.core.chats import Chat

CHAT = "test:typed"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)
CANCEL_WORDS = ["hủy", "huy", "Hủy", "HUỶ", "thôi", "thoi", "không tính nữa", "ko tinh nua", "thôi ạ", "dạ hủy nhé"]
BACK_WORDS = ["quay lại", "quay lai", "« Quay lại", "trở lại", "sửa lại", "cho mình quay lại nhé"]
# How to reach a step past the first of each flow (the answers before it), that step's key and the one before.
# The call-back flow is taken past its name step: there "Huy" is a name (test_huy_at_the_name_step_is_a_name).
SECOND_STEP = {
    "voluntary": ("f:voluntary", ("3 triệu",), "group", "income"),
    "household": ("f:household", ("3 người",), "months", "members"),
    "pension": ("f:pension", ("nam",), "birth", "gender"),
    "lead": ("a:lead.tu-van", ("đồng ý", "Nguyễn Văn An"), "phone", "name"),
}


def at_second_step(kb: KnowledgeBase, matcher: Matcher, flow: str) -> Chat:
    start, answers, second_step, _ = SECOND_STEP[flow]
    chat = Chat(kb, matcher, CHAT)
    chat.press(start)
    for answer in answers:
        chat.say(answer)
    assert chat.session.flow is not None and chat.session.flow.name == flow and chat.step == second_step
    return chat


@pytest.mark.parametrize("flow", sorted(SECOND_STEP))
@pytest.mark.parametrize("word", CANCEL_WORDS)
def test_a_typed_cancel_word_cancels_the_flow_like_its_button(
    kb: KnowledgeBase, matcher: Matcher, flow: str, word: str
) -> None:
    chat = at_second_step(kb, matcher, flow)
    outcome = chat.say(word)
    assert chat.session.flow is None
    assert outcome.replies[-1].text == kb.message(FLOWS[flow].cancelled)


@pytest.mark.parametrize("flow", sorted(SECOND_STEP))
@pytest.mark.parametrize("word", BACK_WORDS)
def test_a_typed_back_word_asks_the_previous_question_again_like_its_button(
    kb: KnowledgeBase, matcher: Matcher, flow: str, word: str
) -> None:
    chat = at_second_step(kb, matcher, flow)
    previous = SECOND_STEP[flow][3]
    outcome = chat.say(word)
    assert chat.step == previous
    assert chat.session.flow is not None and previous not in chat.session.flow.answered()
    step = FLOWS[flow].step(previous)
    assert step is not None and step.text(kb) in outcome.replies[-1].text


def test_huy_at_the_name_step_is_a_name_and_hủy_cancels(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher, CHAT)
    chat.press("a:lead.tu-van")
    chat.say("đồng ý")
    assert chat.step == "name"
    chat.say("Huy")
    assert chat.step == "phone" and chat.session.flow is not None and chat.session.flow.answer("name") == "Huy"
    chat.say("quay lai")
    assert chat.step == "name"
    chat.say("hủy")
    assert chat.session.flow is None


def test_typing_back_at_the_first_question_asks_it_again(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher, CHAT)
    chat.press("f:household")
    outcome = chat.say("quay lại")
    assert chat.step == "members"
    assert outcome.replies[-1].text.startswith(kb.message("flow_first_step"))


def test_thoi_inside_an_answer_does_not_cancel_but_is_read_as_the_answer(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher, CHAT)
    chat.press("f:household")
    chat.say("thôi thì 4 người")
    assert chat.session.flow is not None and chat.session.flow.answer("members") == 4
    assert chat.step == "months"


def test_a_question_with_a_cancel_word_inside_is_not_a_cancel(kb: KnowledgeBase) -> None:
    for text in ("thôi việc có được rút bhxh không", "hủy thẻ bhyt thế nào", "quay lại đóng bhxh được không"):
        assert typed_command(Inbound(CHAT, InboundKind.TEXT, text=text), kb) is None


def test_the_buttons_own_labels_typed_are_commands(kb: KnowledgeBase) -> None:
    cancel = Inbound(CHAT, InboundKind.TEXT, text=kb.message("flow_cancel"))
    back = Inbound(CHAT, InboundKind.TEXT, text=kb.message("flow_back"))
    assert (typed_command(cancel, kb), typed_command(back, kb)) == (CANCEL, BACK)


def test_a_typed_choice_label_selects_it(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher, CHAT)
    chat.press("f:pension")
    chat.say("Nữ")
    assert chat.session.flow is not None and chat.session.flow.answer("gender") == "female"
