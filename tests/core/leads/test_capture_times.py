"""The call-back form follows the citizen (issue 14, items 1 and 6), through the pure engine on the real
knowledge base: a question typed in the middle of the form is answered with a way back; the time to call
is offered as dated office slots or read from what is typed; a time the office does not call at is refused
with the next slot; the place of a citizen outside the areas served is kept."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.app import lead_setup, with_leads
from bot.config import Settings
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.leads.capture import OTHER_AREA
from bot.core.matcher import Matcher
from bot.core.types import CreateLead, Inbound, InboundKind, Outcome, Session

CHAT = "test:lead-times"
MONDAY_MORNING = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # Monday 07/12/2026, 09:00 in Hà Nội
FRIDAY_AFTERNOON = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)  # Friday 04/12/2026, 15:00
SATURDAY_MORNING = datetime(2026, 12, 5, 3, 0, tzinfo=UTC)  # Saturday 05/12/2026, 10:00
BEFORE_A_HOLIDAY = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)  # Monday 23/11/2026, 15:00; 24/11 is a holiday


def kb_with(real_kb: KnowledgeBase, **settings: object) -> KnowledgeBase:
    return with_leads(real_kb, lead_setup(Settings(_env_file=None, **settings)))  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def kb(real_kb: KnowledgeBase) -> KnowledgeBase:
    return kb_with(real_kb)


@pytest.fixture(scope="module")
def evenings_kb(real_kb: KnowledgeBase) -> KnowledgeBase:
    return kb_with(real_kb, lead_calls_outside_hours=True)


@pytest.fixture(scope="module")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


class Chat:
    def __init__(self, kb: KnowledgeBase, matcher: Matcher, now: datetime = MONDAY_MORNING) -> None:
        self.kb, self.matcher, self.session, self.now = kb, matcher, Session(CHAT), now

    def send(self, inbound: Inbound) -> Outcome:
        today = self.now.astimezone(self.kb.leads.calls.hours.timezone).date()  # type: ignore[union-attr]
        outcome = decide(inbound, self.session, self.kb, today, self.matcher, now=self.now)
        assert outcome.session is not None
        self.session = outcome.session
        return outcome

    def say(self, text: str) -> Outcome:
        return self.send(Inbound(CHAT, InboundKind.TEXT, text=text))

    def press(self, outcome: Outcome, label: str) -> Outcome:
        actions = {b.label: b.action for r in outcome.replies for b in r.buttons}
        assert label in actions, f"no {label!r} in {list(actions)}"
        return self.send(Inbound(CHAT, InboundKind.ACTION, action=actions[label]))

    @property
    def step(self) -> str | None:
        return self.session.flow.step if self.session.flow else None


def labels(outcome: Outcome) -> list[str]:
    return [b.label for r in outcome.replies for b in r.buttons]


def text_of(outcome: Outcome) -> str:
    return "\n".join(reply.text for reply in outcome.replies)


def lead_of(outcome: Outcome) -> CreateLead:
    (lead,) = [effect for effect in outcome.effects if isinstance(effect, CreateLead)]
    return lead


def at_the_phone_step(chat: Chat) -> Outcome:
    chat.say("nhờ cán bộ gọi lại tư vấn cho tôi")
    chat.say("đồng ý")
    outcome = chat.say("Trần Văn Nam")
    assert chat.step == "phone"
    return outcome


def at_the_time_step(chat: Chat) -> Outcome:
    at_the_phone_step(chat)
    chat.say("0912 345 678")
    chat.say("Tiên Yên")
    outcome = chat.say("bhyt")
    assert chat.step == "call_time"
    return outcome


# -- a question in the middle of the form ---------------------------------------------------------------


@pytest.mark.parametrize("question", ["có mất phí không?", "co mat phi ko", "đăng ký ở đâu"])
def test_a_question_typed_at_the_phone_step_is_answered_with_a_button_back_to_the_form(
    kb: KnowledgeBase, matcher: Matcher, question: str
) -> None:
    chat = Chat(kb, matcher)
    at_the_phone_step(chat)
    answered = chat.say(question)
    assert kb.message("lead_resume") in labels(answered)
    assert "Số điện thoại" not in text_of(answered)  # not "Số điện thoại chỉ gồm chữ số"
    assert chat.step == "phone"  # the form keeps waiting

    back = chat.press(answered, kb.message("lead_resume"))
    assert kb.message("lead_phone_q") in text_of(back)
    chat.say("0912 345 678")
    assert chat.step == "area"


def test_a_question_typed_at_the_time_step_is_not_taken_for_a_time(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher)
    at_the_time_step(chat)
    answered = chat.say("đại lý có thu phí không")
    assert not [effect for effect in answered.effects if isinstance(effect, CreateLead)]
    assert kb.message("lead_resume") in labels(answered) and chat.step == "call_time"


def test_a_wrong_phone_number_is_still_asked_again_not_answered(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher)
    at_the_phone_step(chat)
    again = chat.say("0912 34")
    assert kb.message("lead_phone_q") in text_of(again) and chat.step == "phone"


# -- the time buttons ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "slots"),
    [
        (MONDAY_MORNING, ["Chiều nay 07/12", "Sáng mai 08/12"]),
        (FRIDAY_AFTERNOON, ["Sáng thứ Hai 07/12", "Chiều thứ Hai 07/12"]),
        (SATURDAY_MORNING, ["Sáng thứ Hai 07/12", "Chiều thứ Hai 07/12"]),
        (BEFORE_A_HOLIDAY, ["Sáng thứ Tư 25/11", "Chiều thứ Tư 25/11"]),
    ],
    ids=["monday-morning", "friday-afternoon", "saturday", "before-a-holiday"],
)
def test_the_time_buttons_are_the_next_two_office_slots_with_their_dates(
    kb: KnowledgeBase, matcher: Matcher, now: datetime, slots: list[str]
) -> None:
    asked = at_the_time_step(Chat(kb, matcher, now))
    assert labels(asked) == [*slots, "Bất kỳ lúc nào", "« Quay lại", "Hủy"]


def test_a_pressed_slot_is_promised_with_the_same_date_the_button_showed(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher, FRIDAY_AFTERNOON)
    lead = lead_of(chat.press(at_the_time_step(chat), "Chiều thứ Hai 07/12"))
    assert (lead.call_time, lead.call_on, lead.call_part) == ("Chiều thứ Hai 07/12/2026", "2026-12-07", "pm")


def test_the_evening_is_offered_only_when_the_office_calls_outside_its_hours(
    evenings_kb: KnowledgeBase, matcher: Matcher
) -> None:
    chat = Chat(evenings_kb, matcher)
    asked = at_the_time_step(chat)
    assert labels(asked)[:4] == ["Chiều nay 07/12", "Sáng mai 08/12", "Tối (sau 19h)", "Bất kỳ lúc nào"]
    lead = lead_of(chat.press(asked, "Tối (sau 19h)"))
    assert (lead.call_time, lead.call_on, lead.call_part) == ("Tối thứ Hai 07/12/2026 (sau 19h)", "2026-12-07", "eve")


def test_any_time_names_no_day(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher)
    lead = lead_of(chat.press(at_the_time_step(chat), "Bất kỳ lúc nào"))
    assert (lead.call_time, lead.call_on, lead.call_part) == (kb.message("lead_time_any_text"), "", "any")


# -- typed times ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "text", "on", "part"),
    [
        ("chiều mai", "Chiều thứ Ba 08/12/2026", "2026-12-08", "pm"),
        ("chieu thu 2", "Chiều thứ Hai 07/12/2026", "2026-12-07", "pm"),
        ("sau 3h chiều", "Sau 15h thứ Hai 07/12/2026", "2026-12-07", "h15"),
        ("15/12 buổi sáng", "Sáng thứ Ba 15/12/2026", "2026-12-15", "am"),
        ("thứ 6", "Thứ Sáu 11/12/2026, giờ nào cũng được", "2026-12-11", "any"),
        ("Sáng mai 08/12", "Sáng thứ Ba 08/12/2026", "2026-12-08", "am"),
    ],
)
def test_a_typed_time_is_read_as_a_day_and_a_part_of_it(
    kb: KnowledgeBase, matcher: Matcher, typed: str, text: str, on: str, part: str
) -> None:
    chat = Chat(kb, matcher)
    at_the_time_step(chat)
    lead = lead_of(chat.say(typed))
    assert (lead.call_time, lead.call_on, lead.call_part) == (text, on, part)


def test_a_time_that_names_no_day_is_kept_as_typed_with_a_gentle_word(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher)
    at_the_time_step(chat)
    lead = lead_of(chat.say("sau giờ tan ca"))
    assert (lead.call_time, lead.call_on, lead.call_part) == ("sau giờ tan ca", "", "")


@pytest.mark.parametrize("typed", ["sau 5h chiều", "thứ bảy", "tối nay", "chủ nhật buổi sáng"])
def test_a_time_outside_office_hours_is_refused_and_the_next_office_slot_offered(
    kb: KnowledgeBase, matcher: Matcher, typed: str
) -> None:
    chat = Chat(kb, matcher)
    at_the_time_step(chat)
    refused = chat.say(typed)
    assert not [effect for effect in refused.effects if isinstance(effect, CreateLead)]
    assert chat.step == "call_time"
    assert "giờ làm việc (07:30–17:00" in text_of(refused) and "chiều thứ Hai 07/12/2026" in text_of(refused)
    assert labels(refused)[:2] == ["Chiều nay 07/12", "Sáng mai 08/12"]


@pytest.mark.parametrize(
    ("typed", "text"),
    [("sau 5h chiều", "Sau 17h thứ Hai 07/12/2026"), ("thứ bảy", "Thứ Bảy 12/12/2026, giờ nào cũng được")],
)
def test_a_time_outside_office_hours_is_taken_when_the_office_calls_then(
    evenings_kb: KnowledgeBase, matcher: Matcher, typed: str, text: str
) -> None:
    chat = Chat(evenings_kb, matcher)
    at_the_time_step(chat)
    assert lead_of(chat.say(typed)).call_time == text


def test_a_time_already_past_today_is_refused_with_the_next_slot(kb: KnowledgeBase, matcher: Matcher) -> None:
    chat = Chat(kb, matcher, FRIDAY_AFTERNOON)
    at_the_time_step(chat)
    refused = chat.say("sáng nay")
    assert chat.step == "call_time" and "sáng thứ Hai 07/12/2026" in text_of(refused)


# -- outside the areas served, and the office's name -----------------------------------------------------


def test_the_place_typed_by_a_citizen_outside_the_areas_served_is_kept_for_the_office(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    chat = Chat(kb, matcher)
    at_the_phone_step(chat)
    area = chat.say("0912 345 678")
    asked = chat.press(area, kb.message("lead_area_other"))
    assert kb.message("lead_place_q") in text_of(asked) and chat.step == "place"
    chat.say("phường Hà Đông, Hà Nội")
    chat.say("bhxh tự nguyện")
    lead = lead_of(chat.say("Bất kỳ lúc nào"))
    assert (lead.area_code, lead.place_typed) == (OTHER_AREA, "phường Hà Đông, Hà Nội")


def test_the_consent_names_the_office_of_the_settings(real_kb: KnowledgeBase, matcher: Matcher) -> None:
    kb = kb_with(real_kb, office_name="Bảo hiểm xã hội cơ sở Tiên Yên")
    asked = Chat(kb, matcher).say("nhờ cán bộ gọi lại tư vấn cho tôi")
    assert "Bảo hiểm xã hội cơ sở Tiên Yên lưu và dùng" in text_of(asked)
    assert "Quảng Ninh" not in text_of(asked)


def test_the_time_step_is_read_the_same_way_on_any_day_of_the_year(kb: KnowledgeBase) -> None:
    assert kb.leads is not None and date(2026, 9, 2) in kb.leads.calls.holidays  # holidays reach the core
