"""The calculator flows through the pure engine: decide(..., now=, flow_idle=) on the real knowledge base.

Every figure expected here comes from the calculators (which read knowledge/policy.yaml), never typed by hand.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.core.actions import MAX_ACTION_BYTES, FlowStep, parse_action
from bot.core.calc.common import Figures, Gender, Scheme
from bot.core.calc.household import household_contribution
from bot.core.calc.pension import ContributionRecord, lump_sum_versus_pension
from bot.core.calc.text import household_text, pension_text, voluntary_text
from bot.core.calc.voluntary import income_range, voluntary_contribution
from bot.core.engine import decide
from bot.core.flows import FLOWS, message_keys
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.render import money, sentence
from bot.core.types import Inbound, InboundKind, LogInteraction, Outcome, Reply, Session
from tests.factories import TODAY

CHAT = "test:flows"
START = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
IDLE = timedelta(minutes=30)


class Chat:
    """One citizen talking to the bot; the session is carried along and the clock moves as the test says."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher, today: date = TODAY) -> None:
        self.kb, self.matcher, self.today, self.now = kb, matcher, today, START
        self.session = Session(CHAT)

    def send(self, inbound: Inbound) -> Reply:
        outcome = self.outcome(inbound)
        assert len(outcome.replies) == 1
        return outcome.replies[0]

    def outcome(self, inbound: Inbound) -> Outcome:
        outcome = decide(inbound, self.session, self.kb, self.today, self.matcher, now=self.now, flow_idle=IDLE)
        assert outcome.session is not None
        self.session = outcome.session
        return outcome

    def say(self, text: str) -> Reply:
        return self.send(Inbound(CHAT, InboundKind.TEXT, text=text))

    def press(self, action: str) -> Reply:
        return self.send(Inbound(CHAT, InboundKind.ACTION, action=action))

    def press_label(self, reply: Reply, label: str) -> Reply:
        return self.press(action_of(reply, label))

    @property
    def step(self) -> str | None:
        return self.session.flow.step if self.session.flow else None


def action_of(reply: Reply, label: str) -> str:
    matches = [button.action for button in reply.buttons if button.label == label]
    assert matches, f"no button {label!r} in {[b.label for b in reply.buttons]}"
    return matches[0]


def labels(reply: Reply) -> list[str]:
    return [button.label for button in reply.buttons]


@pytest.fixture
def chat(real_kb: KnowledgeBase, real_matcher: Matcher) -> Chat:
    return Chat(real_kb, real_matcher)


def voluntary_result(kb: KnowledgeBase, on: date, income: int, groups: tuple[str, ...], months: int) -> str:
    """The calculator's result as the flow starts it: the figures, before its "Cách tính" and legal bases."""
    return voluntary_text(voluntary_contribution(kb.policy, on, income, groups, months)).split("\nCăn cứ: ")[0]


# -- the household BHYT flow, step by step -------------------------------------------------------------


def test_the_household_flow_asks_members_then_the_period_then_shows_the_result(chat: Chat) -> None:
    first = chat.press("f:household")
    assert first.text.startswith(chat.kb.message("calc_hgd_intro"))
    assert chat.kb.message("calc_hgd_members_q") in first.text
    assert labels(first) == ["1 người", "2 người", "3 người", "4 người", "5 người", "Hủy"]

    months = chat.press_label(first, "4 người")
    assert months.text == chat.kb.message("calc_hgd_months_q")
    assert labels(months) == ["3 tháng", "6 tháng", "12 tháng", "« Quay lại", "Hủy"]

    result = chat.press_label(months, "12 tháng")
    expected = household_contribution(chat.kb.policy, TODAY, 4, 12)
    assert result.text.startswith(household_text(expected).splitlines()[0])
    assert f"Tổng cộng: {money(expected.total)}" in result.text
    assert "Căn cứ:" in result.text and "23/11/2026" in result.text
    assert labels(result) == ["Tính lại", "Hỏi cán bộ tư vấn", "Xem căn cứ pháp lý", "Menu chính"]
    assert action_of(result, "Tính lại") == "f:household"
    assert action_of(result, "Hỏi cán bộ tư vấn") == "a:lead.tu-van"
    assert chat.session.flow is None


def test_members_may_be_typed_as_a_number_or_a_phrase(chat: Chat) -> None:
    chat.press("f:household")
    chat.say("7 người")
    assert chat.session.flow is not None and chat.session.flow.answer("members") == 7
    chat.press("f:household")
    chat.say("7")
    assert chat.session.flow is not None and chat.session.flow.answer("members") == 7


def test_an_invalid_answer_gets_a_friendly_word_and_the_same_question_again(chat: Chat) -> None:
    chat.press("f:household")
    chat.say("3")
    reply = chat.say("2 tháng")
    assert reply.text == "\n\n".join(
        ["BHYT hộ gia đình đóng theo kỳ 3, 6 hoặc 12 tháng.", chat.kb.message("calc_hgd_months_q")]
    )
    assert labels(reply)[:3] == ["3 tháng", "6 tháng", "12 tháng"]
    assert chat.step == "months"


def test_gibberish_is_not_an_answer_and_the_question_is_asked_again(chat: Chat) -> None:
    chat.press("f:household")
    reply = chat.say("asdfgh")
    assert reply.text.endswith(chat.kb.message("calc_hgd_members_q"))
    assert reply.text.startswith(chat.kb.message("calc_hgd_invalid_members"))
    assert chat.step == "members"


def test_back_undoes_the_last_answer_and_asks_it_again(chat: Chat) -> None:
    first = chat.press("f:household")
    months = chat.press_label(first, "2 người")
    again = chat.press_label(months, "« Quay lại")
    assert chat.kb.message("calc_hgd_members_q") in again.text
    assert chat.step == "members" and chat.session.flow is not None and chat.session.flow.answers == ()
    months = chat.press_label(again, "5 người")
    result = chat.press_label(months, "6 tháng")
    assert money(household_contribution(chat.kb.policy, TODAY, 5, 6).total) in result.text


def test_cancel_ends_the_flow_and_offers_to_start_again(chat: Chat) -> None:
    first = chat.press("f:household")
    reply = chat.press_label(first, "Hủy")
    assert reply.text == chat.kb.message("flow_cancelled")
    assert labels(reply) == ["Tính lại", "Menu chính"]
    assert chat.session.flow is None
    assert chat.kb.message("calc_hgd_members_q") in chat.press_label(reply, "Tính lại").text


# -- stale buttons and expiry ---------------------------------------------------------------------------


def test_a_step_button_of_a_finished_flow_is_answered_politely(chat: Chat) -> None:
    first = chat.press("f:household")
    old = action_of(first, "3 người")
    chat.press_label(chat.press(old), "12 tháng")
    reply = chat.press(old)
    assert reply.text == chat.kb.message("flow_stale")
    assert labels(reply) == ["Tính lại", "Menu chính"]


def test_a_button_of_an_earlier_step_repeats_the_question_that_is_waiting(chat: Chat) -> None:
    first = chat.press("f:household")
    chat.press_label(first, "3 người")
    reply = chat.press(action_of(first, "4 người"))
    assert reply.text == "\n\n".join([chat.kb.message("flow_stale_step"), chat.kb.message("calc_hgd_months_q")])
    assert chat.session.flow is not None and chat.session.flow.answer("members") == 3


def test_an_idle_flow_expires_and_its_buttons_say_so(chat: Chat) -> None:
    first = chat.press("f:household")
    chat.now += IDLE + timedelta(seconds=1)
    reply = chat.press(action_of(first, "3 người"))
    assert reply.text == chat.kb.message("flow_expired")
    assert chat.session.flow is None


def test_a_flow_answered_within_the_idle_time_goes_on(chat: Chat) -> None:
    first = chat.press("f:household")
    chat.now += IDLE - timedelta(seconds=1)
    chat.press(action_of(first, "3 người"))
    chat.now += IDLE - timedelta(seconds=1)
    assert chat.say("6 tháng").buttons[0].label == "Tính lại"


def test_after_expiry_free_text_is_an_ordinary_question(chat: Chat) -> None:
    chat.press("f:household")
    chat.now += IDLE * 2
    outcome = chat.outcome(Inbound(CHAT, InboundKind.TEXT, text="mất thẻ bhyt thì làm sao"))
    [effect] = outcome.effects
    assert isinstance(effect, LogInteraction) and effect.decision == "answer"
    assert chat.session.flow is None


@pytest.mark.parametrize("kind", [InboundKind.START, InboundKind.MENU])
def test_the_menu_in_the_middle_of_a_flow_offers_a_way_back_to_it(chat: Chat, kind: InboundKind) -> None:
    chat.press_label(chat.press("f:household"), "2 người")
    menu = chat.send(Inbound(CHAT, kind))
    assert menu.text == chat.kb.message("greeting")
    assert menu.buttons[0].label == "Quay lại phép tính"
    assert chat.press(menu.buttons[0].action).text == chat.kb.message("calc_hgd_months_q")


def test_a_sticker_in_the_middle_of_a_flow_repeats_the_question(chat: Chat) -> None:
    chat.press("f:household")
    reply = chat.send(Inbound(CHAT, InboundKind.UNSUPPORTED))
    assert reply.text.startswith(chat.kb.message("flow_unsupported"))
    assert chat.step == "members"


# -- a new question in the middle of a flow --------------------------------------------------------------


def test_a_new_question_mid_flow_is_answered_with_a_button_back_to_the_flow(chat: Chat) -> None:
    first = chat.press("f:household")
    chat.press_label(first, "3 người")
    answer = chat.say("mất thẻ bhyt thì phải làm sao")
    assert chat.session.last_entry == "bhyt.mat-the"
    assert answer.buttons[0].label == "Quay lại phép tính"
    resumed = chat.press(answer.buttons[0].action)
    assert resumed.text == chat.kb.message("calc_hgd_months_q")
    assert chat.press_label(resumed, "12 tháng").buttons[0].label == "Tính lại"


def test_a_question_for_another_calculator_mid_flow_starts_that_one(chat: Chat) -> None:
    chat.press("f:household")
    reply = chat.say("tính giúp em đóng bhxh tự nguyện mức 3 triệu một tháng hết bao nhiêu tiền ạ")
    assert chat.session.flow is not None and chat.session.flow.name == "voluntary"
    assert chat.kb.message("calc_group_q") in reply.text


# -- questions that already carry the numbers -----------------------------------------------------------


@pytest.mark.parametrize(
    "question",
    [
        "nhà 4 người mua bhyt 1 năm hết bao nhiêu",
        "nha 4 nguoi mua bhyt 1 nam het bao nhieu",
        "tính giúp em nhà 4 người mua bảo hiểm y tế 12 tháng hết nhiêu ạ",
        "nhà e 4 ng mua bhyt 1 năm hết bn, tính giúp e",
    ],
)
def test_a_household_question_with_members_and_period_goes_straight_to_the_result(chat: Chat, question: str) -> None:
    reply = chat.say(question)
    assert f"Tổng cộng: {money(household_contribution(chat.kb.policy, TODAY, 4, 12).total)}" in reply.text
    assert chat.session.flow is None


@pytest.mark.parametrize(
    "question", ["bhyt hộ gia đình 4 người 12 tháng", "mức đóng bảo hiểm y tế hộ gia đình cho 4 người, đóng 1 năm"]
)
def test_a_question_on_contribution_levels_with_the_figures_gets_the_citizens_own_result(
    chat: Chat, question: str
) -> None:
    reply = chat.say(question)
    assert chat.session.last_entry == "bhyt.muc-dong-hgd"  # the general answer would have been this one
    assert f"Tổng cộng: {money(household_contribution(chat.kb.policy, TODAY, 4, 12).total)}" in reply.text


def test_a_question_on_contribution_levels_with_only_a_period_gets_the_general_answer(chat: Chat) -> None:
    reply = chat.say("bhxh tu nguyen dong bao nhieu 1 thang")
    assert chat.session.flow is None and chat.session.last_entry == "tn.muc-dong"
    assert "Tính cho tôi" in labels(reply)


@pytest.mark.parametrize(
    "question", ["gia đình có 7 thành viên mua bh y tế thì tính tiền sao, tính giúp với", "tinh tien bhyt nha 7 nguoi"]
)
def test_a_household_question_with_only_members_asks_only_the_period(chat: Chat, question: str) -> None:
    reply = chat.say(question)
    assert chat.step == "months"
    assert chat.session.flow is not None and chat.session.flow.answer("members") == 7
    assert reply.text.endswith(chat.kb.message("calc_hgd_months_q"))
    assert "« Quay lại" in labels(reply)  # back to the number of members taken from the question


@pytest.mark.parametrize(
    "question",
    [
        "đóng tự nguyện mức 5 triệu thì mỗi tháng bao nhiêu",
        "dong tu nguyen muc 5 trieu thi moi thang bao nhieu",
        "tính giùm bhxh tự nguyện mức 5tr đóng hằng tháng",
    ],
)
def test_a_voluntary_question_with_income_and_period_asks_only_the_support_group(chat: Chat, question: str) -> None:
    reply = chat.say(question)
    assert chat.step == "group"
    result = chat.press_label(reply, "Không thuộc nhóm nào")
    assert result.text.startswith(voluntary_result(chat.kb, TODAY, 5_000_000, ("other",), 1).splitlines()[0])
    assert voluntary_result(chat.kb, TODAY, 5_000_000, ("other",), 1).splitlines()[4] in result.text


@pytest.mark.parametrize(
    "question",
    ["tinh giup toi dong bhxh tu nguyen muc 7 trieu, ho can ngheo, dong 3 thang", "tự nguyện 7tr hộ cận nghèo 3 tháng"],
)
def test_a_voluntary_question_with_everything_goes_straight_to_the_result(chat: Chat, question: str) -> None:
    reply = chat.say(question)
    assert reply.text.startswith(voluntary_result(chat.kb, TODAY, 7_000_000, ("near-poor",), 3))
    assert chat.session.flow is None


def test_an_income_out_of_range_in_the_question_is_explained_and_asked(chat: Chat) -> None:
    reply = chat.say("tính giùm bhxh tự nguyện mức 500 nghìn đóng 6 tháng")
    assert chat.step == "income"
    assert reply.text.splitlines()[2].startswith("Thu nhập chọn đóng phải từ")


# -- the voluntary flow: money typed as people type it, and dates --------------------------------------


@pytest.mark.parametrize("typed", ["3 triệu", "3tr", "3.000.000", "3000k", "3 củ", "3 trieu"])
def test_the_income_may_be_typed_as_people_type_money(chat: Chat, typed: str) -> None:
    chat.press("f:voluntary")
    chat.say(typed)
    assert chat.session.flow is not None and chat.session.flow.answer("income") == 3_000_000


@pytest.mark.parametrize("typed", ["3tr5", "3,5 triệu"])
def test_an_income_with_a_fraction_of_a_million(chat: Chat, typed: str) -> None:
    chat.press("f:voluntary")
    chat.say(typed)
    assert chat.session.flow is not None and chat.session.flow.answer("income") == 3_500_000


@pytest.mark.parametrize(
    ("today", "minimum"), [(date(2026, 12, 31), 1_500_000), (date(2027, 1, 1), 2_200_000)], ids=["before", "after"]
)
def test_the_lowest_income_follows_the_poverty_line_in_force_on_the_day(
    real_kb: KnowledgeBase, real_matcher: Matcher, today: date, minimum: int
) -> None:
    chat = Chat(real_kb, real_matcher, today)
    first = chat.press("f:voluntary")
    group = chat.press_label(first, "Mức thấp nhất")
    months = chat.press_label(group, "Hộ nghèo")
    result = chat.press_label(months, "12 tháng")
    assert result.text.startswith(voluntary_result(real_kb, today, minimum, ("poor",), 12))
    assert f"ngày {today:%d/%m/%Y}" in result.text
    assert f"Thu nhập chọn đóng: {money(minimum)}" in result.text


def test_an_income_under_the_announced_poverty_line_is_accepted_with_its_caveat_after_it(
    real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    after = Chat(real_kb, real_matcher, date(2027, 1, 1))
    after.press("f:voluntary")
    after.say("2 triệu")
    assert after.step == "group"
    after.press("f:voluntary:group:other")
    result = after.press("f:voluntary:months:1")
    (caveat,) = real_kb.policy.figure("tn_thu_nhap_toi_thieu", date(2027, 1, 1)).caveats
    assert f"Lưu ý: thu nhập thấp nhất dự kiến là {money(2_200_000)} (*), cao hơn mức bạn chọn." in result.text
    assert result.text.endswith(f"\n(*) {sentence(caveat)}")


def test_an_income_under_the_confirmed_poverty_line_is_refused(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    after = Chat(real_kb, real_matcher, date(2027, 1, 1))
    after.press("f:voluntary")
    reply = after.say("1 triệu")
    assert after.step == "income"
    assert reply.text.startswith(f"Thu nhập chọn đóng phải từ {money(1_500_000)}")


def test_a_12_month_period_from_late_2026_into_2027_keeps_an_income_under_the_announced_line(
    real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    chat = Chat(real_kb, real_matcher, date(2026, 11, 23))
    reply = chat.press("f:voluntary")
    reply = chat.say("1tr8")
    reply = chat.press_label(reply, "Không thuộc nhóm nào")
    result = chat.press_label(reply, "12 tháng")
    assert chat.session.flow is None  # a result, not the question again
    (caveat,) = real_kb.policy.figure("tn_thu_nhap_toi_thieu", date(2027, 1, 1)).caveats
    assert "kỳ đóng 12 tháng (từ tháng 11/2026 đến 10/2027)" in result.text
    assert f"Lưu ý: từ 01/01/2027 thu nhập thấp nhất dự kiến là {money(2_200_000)} (*)" in result.text
    assert result.text.endswith(f"\n(*) {sentence(caveat)}")


def test_a_one_month_period_in_late_2026_has_no_caveat(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    chat = Chat(real_kb, real_matcher, date(2026, 11, 23))
    chat.press("f:voluntary")
    chat.say("1tr8")
    chat.press("f:voluntary:group:other")
    result = chat.press("f:voluntary:months:1")
    assert "(*)" not in result.text and "Lưu ý" not in result.text


# -- the pension flow -----------------------------------------------------------------------------------


def test_the_pension_flow_from_start_to_result_with_buttons_and_typed_answers(chat: Chat) -> None:
    reply = chat.press("f:pension")
    reply = chat.press_label(reply, "Nữ")
    reply = chat.say("12/3/1986")
    reply = chat.press_label(reply, "Bắt buộc (đi làm)")
    assert chat.step == "total"
    reply = chat.say("10n6t")
    reply = chat.say("2 năm")
    reply = chat.say("5tr5")
    reply = chat.press_label(reply, "Đã dừng đóng")
    result = chat.say("3/2025")
    record = ContributionRecord(
        gender=Gender.FEMALE,
        birth=date(1986, 3, 12),
        months_before_2014=24,
        months_from_2014=102,
        average_income=5_500_000,
        scheme=Scheme.COMPULSORY,
        stopped=date(2025, 3, 1),
    )
    assert result.text == pension_text(lump_sum_versus_pension(chat.kb.policy, TODAY, record))
    assert labels(result) == ["Tính lại", "Hỏi cán bộ tư vấn", "Xem căn cứ pháp lý", "Menu chính"]


def test_the_pension_result_carries_its_chart_with_the_crossover_the_text_names(chat: Chat) -> None:
    chat.press("f:pension")
    reply = chat.say("tôi là nữ, sinh ngày 1/3/1980, đóng bhxh bắt buộc 10 năm, lương 8 triệu, đã nghỉ việc")
    reply = chat.press_label(reply, "Không có (đóng từ 2014)")
    result = chat.say("12/2025")
    assert result.chart is not None
    assert result.chart.lump_sum == 160_000_000
    assert f"từ tuổi {result.chart.crossover_age}, tổng lương hưu" in result.text
    assert result.chart.crossover_label == chat.kb.message("chart_huu_crossover").format(age=result.chart.crossover_age)


def test_the_pension_flow_asks_the_support_group_only_for_voluntary_contributors(chat: Chat) -> None:
    chat.press("f:pension")
    reply = chat.say("em là nữ, sinh năm 1980, đóng bhxh tự nguyện 8 năm, thu nhập 4 triệu, vẫn đang đóng")
    assert chat.step == "group"  # everything else was in the sentence
    reply = chat.press_label(reply, "Hộ cận nghèo")
    assert chat.step == "before_2014"
    result = chat.press_label(reply, "Không có (đóng từ 2014)")
    assert "BHXH tự nguyện" in result.text
    assert chat.kb.message("calc_huu_birth_assumed").format(day="01/07/1980") in result.text


@pytest.mark.parametrize(
    ("question", "total", "before"),
    [
        ("trước 2014 đóng 4 năm, từ 2014 đóng 7 năm, lương 6 triệu, nhờ tính tiền bhxh một lần giúp em ạ", 132, 48),
        ("tui đóng từ 2010 tới 2024 mức 5 triệu, lấy một lần được bao nhiêu", 168, 48),
        ("tinh thu rut bhxh 1 lan 10 nam luong 8 trieu", 120, None),
    ],
)
def test_the_time_paid_is_taken_from_the_question(chat: Chat, question: str, total: int, before: int | None) -> None:
    chat.say(question)
    assert chat.session.flow is not None and chat.session.flow.name == "pension"
    assert chat.session.flow.answer("total") == total
    assert chat.session.flow.answer("before_2014") == before


def test_time_before_2014_longer_than_the_total_is_refused(chat: Chat) -> None:
    reply = chat.press("f:pension")
    chat.press_label(reply, "Nam")
    reply = chat.say("1980")
    chat.press_label(reply, "Bắt buộc (đi làm)")
    chat.say("5 năm")
    reply = chat.say("6 năm")
    assert reply.text.startswith(chat.kb.message("calc_huu_before_range"))
    assert chat.step == "before_2014"


# -- the knowledge base and the flows agree ---------------------------------------------------------------


def test_every_message_the_flows_use_is_in_bot_yaml(real_kb: KnowledgeBase) -> None:
    assert message_keys() - set(real_kb.messages) == set()


def test_every_flow_button_fits_in_a_button_action(chat: Chat) -> None:
    for name, flow in FLOWS.items():
        for step in flow.steps:
            for code in [*(choice.code for choice in step.choices), "back", "cancel"]:
                action = f"f:{name}:{step.key}:{code}"
                assert len(action.encode()) <= MAX_ACTION_BYTES
                assert parse_action(action) == FlowStep(name, step.key, code)


@pytest.mark.parametrize(("entry", "flow"), [("calc.tn", "voluntary"), ("calc.bhyt-hgd", "household")])
def test_the_calculator_entries_start_their_flow_from_a_button(chat: Chat, entry: str, flow: str) -> None:
    chat.press(f"a:{entry}")
    assert chat.session.flow is not None and chat.session.flow.name == flow


def test_an_unknown_flow_button_is_stale(chat: Chat) -> None:
    assert chat.press("f:khong-co").text == chat.kb.message("stale")


# -- hostile input gets the answer for bad input, never "Hệ thống đang bận" -----------------------------


def test_a_question_with_a_number_of_29_digits_is_answered(chat: Chat) -> None:
    reply = chat.say(f"bhxh tự nguyện đóng bao nhiêu 1 tháng với thu nhập {'9' * 29} triệu")
    assert chat.session.last_entry == "tn.muc-dong"  # the number is no income: the general answer is given
    chat.press_label(reply, "Tính cho tôi")
    reply = chat.say("9" * 40)
    assert reply.text.startswith(chat.kb.message("calc_invalid_money")) and chat.step == "income"


@pytest.mark.parametrize("typed", ["³", "10³", "²"])
def test_a_superscript_digit_at_the_time_paid_is_asked_again(chat: Chat, typed: str) -> None:
    reply = chat.press("f:pension")
    chat.press_label(reply, "Nam")
    reply = chat.say("1980")
    chat.press_label(reply, "Bắt buộc (đi làm)")
    reply = chat.say(typed)
    assert reply.text.startswith(chat.kb.message("calc_huu_invalid_duration")) and chat.step == "total"
    chat.say("10 năm")
    reply = chat.say(typed)
    assert reply.text.startswith(chat.kb.message("calc_huu_invalid_duration")) and chat.step == "before_2014"


def test_an_average_income_above_the_highest_contribution_base_is_asked_again(chat: Chat) -> None:
    reply = chat.press("f:pension")
    chat.press_label(reply, "Nữ")
    reply = chat.say("1980")
    chat.press_label(reply, "Bắt buộc (đi làm)")
    chat.say("10 năm")
    chat.say("2 năm")
    assert chat.step == "income"
    reply = chat.say("900 triệu")
    highest = money(income_range(Figures(chat.kb.policy), TODAY)[1])
    assert reply.text.startswith(chat.kb.message("calc_huu_income_range").format(high=highest))
    assert chat.step == "income"


def test_an_answer_longer_than_a_question_may_be_is_asked_again_unread(chat: Chat) -> None:
    chat.press("f:voluntary")
    reply = chat.say("5 triệu " + "9" * 5000)
    assert reply.text.startswith(chat.kb.message("flow_too_long")) and chat.step == "income"
