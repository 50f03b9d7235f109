"""/dulieu and its typed words, and the typed request to erase, through the pure engine on the real knowledge
base: the engine asks the shell to list what it keeps (ShowMyData), asks once before a typed erase, and the
listing masks the phone number."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.core.actions import ERASE, KEEP, parse_action
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.consent import ConsentChannel
from bot.core.leads.my_data import masked_phone, my_data_reply
from bot.core.leads.records import LeadRecord, LeadStatus
from bot.core.matcher import Matcher
from bot.core.types import EraseMyData, Inbound, InboundKind, Outcome, Session, ShowMyData
from tests.factories import TODAY

CHAT = "telegram:1"
OFFICE_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def send(kb: KnowledgeBase, matcher: Matcher, inbound: Inbound, session: Session | None = None) -> Outcome:
    return decide(inbound, session or Session(CHAT), kb, TODAY, matcher)


def typed(text: str) -> Inbound:
    return Inbound(CHAT, InboundKind.TEXT, text=text)


def lead(**fields: object) -> LeadRecord:
    at = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)
    values: dict[str, object] = {
        "id": 12,
        "session_key": CHAT,
        "area_code": "qn-tien-yen",
        "agent_id": None,
        "status": LeadStatus.NEW,
        "name": "Nguyễn Thị Lan",
        "phone_e164": "+84912345678",
        "interest": None,
        "call_time": None,
        "calculator": None,
        "consent_version": "v",
        "consent_at": at,
        "consent_channel": ConsentChannel.TELEGRAM,
        "consent_oral": False,
        "created_at": at,
        "updated_at": at,
        "due_at": None,
        "first_contact_at": None,
        "escalated_at": None,
        "anonymised_at": None,
    }
    values.update(fields)
    return LeadRecord(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "text",
    [
        "tôi đã để lại những thông tin gì",
        "toi da de lai nhung thong tin gi",
        "bot lưu gì về tôi",
        "Xem dữ liệu của tôi",
        "xem du lieu cua toi nhe",
        "dạ cho tôi xem dữ liệu của tôi ạ",
    ],
)
def test_asking_what_the_bot_keeps_lets_the_shell_list_it(
    real_kb: KnowledgeBase, real_matcher: Matcher, text: str
) -> None:
    outcome = send(real_kb, real_matcher, typed(text))
    assert ShowMyData() in outcome.effects
    assert outcome.replies == ()  # the shell adds the listing: only it can read the stored requests


def test_the_dulieu_command_lets_the_shell_list_it(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    outcome = send(real_kb, real_matcher, Inbound(CHAT, InboundKind.MY_DATA))
    assert ShowMyData() in outcome.effects


def test_a_longer_question_about_stored_data_is_answered_from_the_knowledge_base(
    real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    outcome = send(real_kb, real_matcher, typed("bot có lưu thông tin của tôi không, xóa được không"))
    assert ShowMyData() not in outcome.effects and EraseMyData() not in outcome.effects
    assert outcome.replies and outcome.replies[0].text


@pytest.mark.parametrize("text", ["xóa dữ liệu của tôi", "xoa du lieu", "Xoá thông tin cá nhân của tôi nhé"])
def test_typing_erase_asks_once_and_erases_only_on_xoa(
    real_kb: KnowledgeBase, real_matcher: Matcher, text: str
) -> None:
    asked = send(real_kb, real_matcher, typed(text))
    assert EraseMyData() not in asked.effects
    (question,) = asked.replies
    assert [b.label for b in question.buttons] == ["Xóa", "Không"]
    assert [parse_action(b.action) for b in question.buttons] == [ERASE, KEEP]
    erased = send(real_kb, real_matcher, Inbound(CHAT, InboundKind.ACTION, action=question.buttons[0].action))
    assert EraseMyData() in erased.effects
    erased_by_command = send(real_kb, real_matcher, Inbound(CHAT, InboundKind.ERASE))
    assert erased.replies == erased_by_command.replies  # exactly as /xoadulieu


def test_answering_khong_keeps_everything(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    asked = send(real_kb, real_matcher, typed("xóa dữ liệu của tôi"))
    session = asked.session
    kept = send(real_kb, real_matcher, Inbound(CHAT, InboundKind.ACTION, action=KEEP.data()), session)
    assert EraseMyData() not in kept.effects
    assert "không xóa" in kept.replies[0].text
    assert session is not None and kept.session == replace(session, turns=session.turns + 1)  # all else stays


def test_the_phone_number_is_shown_masked_with_its_last_two_digits() -> None:
    assert masked_phone("+84912345678") == "+84 91* *** *78"
    assert masked_phone(None) == "(đã xóa)"


def test_the_listing_shows_each_request_masked_with_how_to_erase(real_kb: KnowledgeBase) -> None:
    reply = my_data_reply(real_kb, [lead()], lambda code: "Xã Tiên Yên", OFFICE_TZ)
    assert "#12 ngày 01/12/2026: Nguyễn Thị Lan, +84 91* *** *78, Xã Tiên Yên. Tình trạng: Mới." in reply.text
    assert "+84912345678" not in reply.text  # never in full
    assert "0912 345 678" not in reply.text and "/xoadulieu" in reply.text
    assert any(parse_action(b.action) == ERASE for b in reply.buttons)


def test_with_nothing_stored_the_listing_says_so(real_kb: KnowledgeBase) -> None:
    reply = my_data_reply(real_kb, [], lambda code: code, OFFICE_TZ)
    assert "chưa lưu yêu cầu gọi lại nào" in reply.text and "/xoadulieu" in reply.text
    assert len(reply.text) <= 900


def test_the_keep_button_reads_back_beside_the_erase_button() -> None:
    assert (ERASE.data(), KEEP.data()) == ("x:erase", "x:keep")
    assert (parse_action("x:erase"), parse_action("x:keep")) == (ERASE, KEEP)
