"""Greetings, thanks and the citizen's form of address through the pure engine on the real knowledge base:
thanks get a thank-you, the full greeting is given once per conversation, and a citizen who calls themself
"bác" is called "bác"."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.address import address, self_address
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind, Outcome, Session
from tests.factories import TODAY

CHAT = "test:conversation"
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)
YOU = re.compile(r"(?<!\w)[bB]ạn(?!\w)")


class Chat:
    def __init__(self, kb: KnowledgeBase, matcher: Matcher) -> None:
        self.kb, self.matcher, self.session, self.now = kb, matcher, Session(CHAT), START

    def send(self, inbound: Inbound) -> Outcome:
        outcome = decide(inbound, self.session, self.kb, TODAY, self.matcher, now=self.now, flow_idle=IDLE)
        assert outcome.session is not None
        self.session = outcome.session
        return outcome

    def say(self, text: str) -> str:
        return self.send(Inbound(CHAT, InboundKind.TEXT, text=text)).replies[-1].text


@pytest.fixture
def chat(real_kb: KnowledgeBase, real_matcher: Matcher) -> Chat:
    return Chat(real_kb, real_matcher)


def full_greeting(kb: KnowledgeBase) -> str:
    return kb.entries["chao"].short.split("!")[0]


def thanks(kb: KnowledgeBase) -> str:
    return kb.entries["chao"].variants[0].short.split(",")[0]


# -- thanks ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text", ["cảm ơn", "cam on", "cảm ơn, hiểu rồi", "ok", "oke cảm ơn ad", "bye", "thôi chào nhé", "camon", "tks"]
)
def test_thanks_and_goodbyes_get_the_thank_you_not_a_greeting(chat: Chat, text: str) -> None:
    reply = chat.say(text)
    assert reply.startswith(thanks(chat.kb))
    assert not reply.startswith(full_greeting(chat.kb))


def test_thanks_after_a_greeting_still_get_the_thank_you(chat: Chat) -> None:
    chat.say("xin chào")
    assert chat.say("cảm ơn nhiều nha").startswith(thanks(chat.kb))


# -- greeting once per conversation ------------------------------------------------------------------------


def test_a_greeting_twice_gets_the_full_greeting_then_a_short_word(chat: Chat) -> None:
    first = chat.say("chào")
    second = chat.say("xin chào ad")
    assert first.startswith(full_greeting(chat.kb))
    assert second == chat.kb.message("greeting_again")


def test_after_start_a_greeting_gets_the_short_word(chat: Chat) -> None:
    chat.send(Inbound(CHAT, InboundKind.START))
    assert chat.say("hello") == chat.kb.message("greeting_again")


def test_a_greeting_after_a_quiet_spell_starts_a_new_conversation_greeted_in_full(chat: Chat) -> None:
    chat.say("chào")
    chat.now += IDLE - timedelta(minutes=1)
    assert chat.say("chào") == chat.kb.message("greeting_again")
    chat.now += IDLE + timedelta(minutes=1)
    assert chat.say("chào").startswith(full_greeting(chat.kb))


def test_questions_between_greetings_do_not_end_the_conversation(chat: Chat) -> None:
    chat.say("chào")
    for _ in range(3):
        chat.now += timedelta(minutes=20)
        chat.say("bhxh tự nguyện đóng bao nhiêu")
    assert chat.say("chào") == chat.kb.message("greeting_again")


# -- the citizen's form of address ---------------------------------------------------------------------


def test_a_citizen_who_says_cho_bac_hoi_is_answered_as_bac(chat: Chat) -> None:
    reply = chat.say("cho bác hỏi lương hưu thì cần điều kiện gì")
    assert chat.session.last_entry == "huu.dieu-kien"
    assert chat.session.address == "bác"
    assert "bác" in reply.lower() and not YOU.search(reply)


def test_the_form_of_address_is_kept_for_the_rest_of_the_conversation(chat: Chat) -> None:
    chat.say("ông muốn hỏi về bhyt hộ gia đình")
    later = chat.send(Inbound(CHAT, InboundKind.ACTION, action="f:household"))
    text = "\n".join(reply.text for reply in later.replies)
    assert chat.session.address == "ông"
    assert "ông" in text and not YOU.search(text)


@pytest.mark.parametrize(
    "text",
    [
        "tôi năm nay 70 tuổi có được rút bhxh không",
        "bà tôi năm nay 70 tuổi có được hưởng trợ cấp không",
        "chào bác",
        "cháu hỏi bác chút",
        "cho ba hoi luong huu",  # "ba" without diacritics: three, or a father
        "co muon hoi bhyt",  # "có", not "cô"
    ],
)
def test_words_that_do_not_name_the_speaker_leave_bạn(chat: Chat, text: str) -> None:
    assert self_address(text, chat.kb.lexicon.self_address) == ""
    chat.say(text)
    assert chat.session.address == ""


@pytest.mark.parametrize(
    ("text", "word"),
    [("cho bac hoi", "bác"), ("Bà xin hỏi về thẻ bhyt", "bà"), ("chú hỏi chút", "chú"), ("cô muốn hỏi", "cô")],
)
def test_the_speaker_s_own_word_is_found_with_or_without_diacritics_where_safe(
    real_kb: KnowledgeBase, text: str, word: str
) -> None:
    assert self_address(text, real_kb.lexicon.self_address) == word


def test_the_address_replaces_bạn_as_you_and_leaves_bạn_as_a_friend() -> None:
    text = "Bạn đóng theo tháng. Cảm ơn bạn! Bạn bè, người bạn, bạn đời của bạn cũng được."
    assert address(text, "bác") == "Bác đóng theo tháng. Cảm ơn bác! Bạn bè, người bạn, bạn đời của bác cũng được."


def test_every_sentence_the_bot_says_reads_with_bac_without_a_bạn_left_as_you(real_kb: KnowledgeBase) -> None:
    texts = [*real_kb.messages.values()]
    for entry in real_kb.entries.values():
        short, details = entry.render(real_kb.policy, TODAY)
        texts += [short.text, details.text, *(variant.short for variant in entry.variants)]
    for text in texts:
        addressed = address(text, "bác")
        assert not YOU.search(addressed), addressed
        assert len(YOU.findall(text)) == len(re.findall(r"(?<!\w)[bB]ác(?!\w)", addressed)) - len(
            re.findall(r"(?<!\w)[bB]ác(?!\w)", text)
        )


def test_erasing_my_data_forgets_the_form_of_address(chat: Chat) -> None:
    chat.say("cho bác hỏi bhyt")
    chat.send(Inbound(CHAT, InboundKind.ERASE))
    assert chat.session.address == ""
