"""The call-back request and the interest signals through the pure engine, on the real knowledge base with
leads.yaml and areas.yaml (as the composition root builds it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.core.flows.base import Context, Invalid
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.capture import parse_name
from bot.core.leads.interest import InterestRule, SignalKind
from bot.core.matcher import Matcher
from bot.core.types import CreateLead, EraseMyData, Inbound, InboundKind, Outcome, RecordInterest, Reply, Session
from tests.core.chats import Chat
from tests.factories import TODAY

CHAT = "test:lead"
NOW = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def chat_kb(kb: KnowledgeBase, matcher: Matcher) -> tuple[KnowledgeBase, Matcher]:
    return kb, matcher


def labels(outcome: Outcome) -> list[str]:
    return [b.label for r in outcome.replies for b in r.buttons]


def effects(outcome: Outcome, kind: type) -> list:
    return [effect for effect in outcome.effects if isinstance(effect, kind)]


def consent(chat: Chat) -> Outcome:
    return chat.say("cho tôi gặp cán bộ tư vấn, gọi lại cho tôi")


def test_nothing_personal_is_asked_before_consent_and_the_consent_step_has_only_its_two_answers(chat_kb) -> None:
    kb, matcher = chat_kb
    outcome = consent(Chat(kb, matcher, CHAT))
    assert "91/2025/QH15" in outcome.replies[-1].text and "Nghị định 356/2025/NĐ-CP" in outcome.replies[-1].text
    assert labels(outcome) == ["Đồng ý", "Không, cảm ơn", "Hủy"]
    assert effects(outcome, RecordInterest) == [RecordInterest(SignalKind.ASKED_FOR_ADVICE.value, "lead.tu-van")]


def test_typing_yes_in_other_words_is_not_consent(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    consent(chat)
    outcome = chat.say("ok")
    assert chat.session.flow is not None and chat.session.flow.step == "consent"
    assert "Đồng ý" in outcome.replies[-1].text  # asked again, nothing taken


def test_typing_the_agree_label_is_consent_and_its_time_is_kept(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    consent(chat)
    chat.say("đồng ý")
    assert chat.session.flow is not None and chat.session.flow.step == "name"
    assert chat.session.flow.answer("consent_at") == NOW.isoformat()


def test_the_whole_request_ends_in_one_create_lead_effect(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    chat.say("trần văn nam")
    asked_area = chat.send(Inbound(CHAT, InboundKind.CONTACT, text="84912345678"))
    assert asked_area.replies[0] == Reply(chat.kb.message("flow_contact_taken"), clear_keyboard=True)
    interest = chat.say("Đặc khu Vân Đồn")
    when = chat.say("bảo hiểm y tế cho cả nhà")
    done = chat.say("sau 3h chiều")  # NOW is Monday 07/12/2026, 09:00 in Hà Nội
    (lead,) = effects(done, CreateLead)
    assert lead == CreateLead(
        name="Trần Văn Nam",
        phone_e164="+84912345678",
        area_code="qn-van-don",
        interest="bhyt-ho-gia-dinh",
        call_time="Sau 15h thứ Hai 07/12/2026",
        consent_at=NOW.isoformat(),
        call_on="2026-12-07",
        call_part="h15",
    )
    assert labels(interest)[:3] == ["BHXH tự nguyện", "BHYT hộ gia đình", "Cả hai"] and when.replies
    assert chat.session.flow is None and chat.session.callback_offered


def test_back_or_cancel_at_the_phone_step_takes_the_contact_button_away(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    phone = chat.say("Hoàng Thị Thu")
    assert [r.contact_request for r in phone.replies][-1] == "📱 Gửi số điện thoại của tôi"
    back = chat.choose(phone, "« Quay lại")
    assert back.replies[0].clear_keyboard and chat.session.flow.step == "name"  # type: ignore[union-attr]
    phone = chat.say("Hoàng Thị Thu")
    cancelled = chat.choose(phone, "Hủy")
    assert cancelled.replies[0].clear_keyboard and chat.session.flow is None


def test_an_unknown_area_can_go_to_the_office_as_somewhere_else(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    chat.say("Hoàng Thị Thu")
    chat.say("0987654321")
    unknown = chat.say("quận 1 sài gòn")
    assert chat.kb.message("lead_area_unknown") in unknown.replies[0].text
    chat.choose(unknown, "Nơi khác (không có trong danh sách)")
    assert chat.session.flow is not None and chat.session.flow.answer("area") == "other"


@pytest.mark.parametrize("typed", ["nguyễn văn an", "Lê Thị Hồng Nhung", "y moan ênuôl", "Ksor H'Hen"])
def test_names_people_have_are_taken(typed: str, chat_kb) -> None:
    name = parse_name(Inbound(CHAT, InboundKind.TEXT, text=typed), Context(chat_kb[0], TODAY))
    assert isinstance(name, str) and name.lower() == typed.lower() and name[0].isupper()


@pytest.mark.parametrize(
    "typed", ["0912345678", "a", "bhxh tự nguyện đóng bao nhiêu một tháng vậy ad ơi", "@lan", "bhyt là gì", "sao vậy"]
)
def test_what_is_not_a_name_is_refused(typed: str, chat_kb) -> None:
    with pytest.raises(Invalid):
        parse_name(Inbound(CHAT, InboundKind.TEXT, text=typed), Context(chat_kb[0], TODAY))


def test_a_new_question_in_the_middle_is_answered_with_a_way_back(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    chat.say("Hoàng Thị Thu")
    answer = chat.say("thẻ bhyt hết hạn thì gia hạn thế nào")
    assert "Tiếp tục đăng ký gọi lại" in labels(answer)
    assert chat.session.flow is not None and chat.session.flow.step == "phone"


def test_the_call_back_is_offered_once_when_the_signals_weigh_enough(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    first = chat.say("mức đóng bhxh tự nguyện bao nhiêu")
    assert "Tư vấn cho tôi" not in labels(first)
    second = chat.say("đăng ký bhxh tự nguyện ở đâu")
    assert "Tư vấn cho tôi" in labels(second)
    assert RecordInterest(SignalKind.OFFERED.value) in second.effects
    third = chat.say("bhyt hộ gia đình đóng bao nhiêu")
    assert "Tư vấn cho tôi" not in labels(third)


def test_the_threshold_is_configuration(chat_kb) -> None:
    kb, matcher = chat_kb
    assert kb.leads is not None
    strict = replace(kb, leads=replace(kb.leads, rule=InterestRule(threshold=99)))
    chat = Chat(strict, matcher, CHAT)
    chat.say("mức đóng bhxh tự nguyện bao nhiêu")
    assert "Tư vấn cho tôi" not in labels(chat.say("đăng ký bhxh tự nguyện ở đâu"))


def test_the_same_question_twice_is_one_signal(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.say("mức đóng bhxh tự nguyện bao nhiêu")
    again = chat.say("bhxh tự nguyện đóng bao nhiêu một tháng")
    assert effects(again, RecordInterest) == []


def test_erase_drops_a_flow_in_progress_and_asks_the_shell_to_erase(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    chat.say("Hoàng Thị Thu")
    erased = chat.send(Inbound(CHAT, InboundKind.ERASE))
    assert effects(erased, EraseMyData) == [EraseMyData()]
    assert chat.session == Session(CHAT, turns=chat.session.turns, callback_offered=True)


def test_without_lead_setup_the_request_is_answered_as_an_faq(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    chat = Chat(real_kb, real_matcher, CHAT)
    outcome = consent(chat)
    assert chat.session.flow is None and effects(outcome, RecordInterest) == []
    assert "1900 9068" in outcome.replies[0].text


def test_an_idle_request_forgets_the_name(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    chat.say("Hoàng Thị Thu")
    chat.now += timedelta(hours=1)
    chat.say("bhyt học sinh")
    assert "Thu" not in repr(chat.session)


@pytest.mark.parametrize(
    ("typed", "name"),
    [("tên tôi là nguyễn văn an", "Nguyễn Văn An"), ("mình là Lan", "Lan"), ("em tên Hoa", "Hoa")],
)
def test_a_name_given_in_a_sentence_is_the_name_alone(typed: str, name: str, chat_kb) -> None:
    assert parse_name(Inbound(CHAT, InboundKind.TEXT, text=typed), Context(chat_kb[0], TODAY)) == name


def test_a_phone_number_inside_a_sentence_is_found(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    chat.say("Hoàng Thị Thu")
    chat.say("số của mình là 0912 345 678 nha")
    assert chat.session.flow is not None and chat.session.flow.answer("phone") == "+84912345678"


def test_a_short_question_at_the_name_step_is_answered_not_taken_as_a_name(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    chat.choose(consent(chat), "Đồng ý")
    answer = chat.say("thẻ bhyt hết hạn thì sao")
    assert "Tiếp tục đăng ký gọi lại" in labels(answer)
    assert chat.session.flow is not None and chat.session.flow.answer("name") is None


# -- someone else's contact card at the phone step ------------------------------------------------------


def at_the_phone_step(chat: Chat) -> None:
    chat.choose(consent(chat), "Đồng ý")
    chat.say("Trần Văn Nam")
    assert chat.session.flow is not None and chat.session.flow.step == "phone"


def test_the_citizens_own_contact_card_is_taken_without_a_question(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    at_the_phone_step(chat)
    chat.send(Inbound(CHAT, InboundKind.CONTACT, text="84912345678"))
    assert chat.session.flow is not None and chat.session.flow.step == "area"
    assert chat.session.flow.answer("phone") == "+84912345678"


def test_someone_elses_contact_card_is_taken_as_a_typed_number_the_citizen_confirms(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    at_the_phone_step(chat)
    asked = chat.send(Inbound(CHAT, InboundKind.OTHER_CONTACT, text="+84 987 654 321"))
    assert chat.session.flow is not None and chat.session.flow.step == "phone_confirm"
    assert "0987 654 321" in asked.replies[-1].text
    assert labels(asked) == ["Đúng, đây là số của tôi", "Không, tôi nhập số khác", "« Quay lại", "Hủy"]
    chat.choose(asked, "Đúng, đây là số của tôi")
    assert chat.session.flow is not None and chat.session.flow.step == "area"
    chat.say("Đặc khu Vân Đồn")
    chat.say("bhyt")
    (lead,) = effects(chat.say("buổi sáng"), CreateLead)
    assert lead.phone_e164 == "+84987654321"


def test_someone_elses_number_refused_by_the_citizen_asks_for_theirs_again(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    at_the_phone_step(chat)
    asked = chat.send(Inbound(CHAT, InboundKind.OTHER_CONTACT, text="+84987654321"))
    again = chat.choose(asked, "Không, tôi nhập số khác")
    assert chat.session.flow is not None and chat.session.flow.step == "phone"
    assert chat.session.flow.answer("phone") is None
    assert again.replies[-1].contact_request == "📱 Gửi số điện thoại của tôi"  # the own-number button again
    chat.send(Inbound(CHAT, InboundKind.CONTACT, text="84912345678"))
    assert chat.session.flow is not None and chat.session.flow.step == "area"
    assert chat.session.flow.answer("phone") == "+84912345678"


@pytest.mark.parametrize(("typed", "step"), [("đúng rồi", "area"), ("không phải", "phone")])
def test_the_confirmation_may_be_typed(typed: str, step: str, chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    at_the_phone_step(chat)
    chat.send(Inbound(CHAT, InboundKind.OTHER_CONTACT, text="0987654321"))
    chat.say(typed)
    assert chat.session.flow is not None and chat.session.flow.step == step


def test_a_contact_card_outside_a_request_is_not_read(chat_kb) -> None:
    chat = Chat(*chat_kb, CHAT)
    outcome = chat.send(Inbound(CHAT, InboundKind.OTHER_CONTACT, text="0987654321"))
    assert outcome.replies[-1].text.startswith(chat.kb.message("unsupported"))
