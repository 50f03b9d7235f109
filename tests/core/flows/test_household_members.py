"""The household BHYT calculator asks who is in the household, and a follow-up right after a result computes it
again with the changes (issue 14, items 2 and 3). Through the pure engine on the real knowledge base; every
amount expected comes from the calculators (hand-computed cases: tests/core/calc/test_household.py)."""

from __future__ import annotations

import pytest

from bot.core.calc.household import household_contribution, near_poor_contribution
from bot.core.calc.voluntary import voluntary_contribution
from bot.core.flows.parsing import people
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.render import money
from bot.core.types import Session
from bot.storage.sessions import from_json, to_json
from tests.core.flows.test_calculator_flows import Chat, labels
from tests.factories import TODAY

FIVE = "tính bhyt cho cả nhà 5 người: 2 vợ chồng, mẹ chồng 70 tuổi, con 8 tuổi đi học và con 3 tuổi"


@pytest.fixture
def chat(real_kb: KnowledgeBase, real_matcher: Matcher) -> Chat:
    return Chat(real_kb, real_matcher)


def total_line(members: int, months: int, kb: KnowledgeBase) -> str:
    return f"Tổng cộng: {money(household_contribution(kb.policy, TODAY, members, months).total)}"


# -- members described in words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "5 người: 2 vợ chồng, mẹ chồng 70 tuổi, con 8 tuổi đi học và con 3 tuổi",
            [("Vợ", None, ""), ("Chồng", None, ""), ("Mẹ chồng", 70, ""), ("Con", 8, "student"), ("Con", 3, "")],
        ),
        (
            "5 nguoi: 2 vo chong, me chong 70 tuoi, con 8 tuoi di hoc va con 3 tuoi",
            [("Vợ", None, ""), ("Chồng", None, ""), ("Mẹ chồng", 70, ""), ("Con", 8, "student"), ("Con", 3, "")],
        ),
        ("bố đang hưởng lương hưu", [("Bố", None, "pension")]),
        ("chồng làm công ty có BHYT", [("Chồng", None, "employee")]),
        ("bà nội 80 tuổi hưởng trợ cấp hưu trí xã hội", [("Bà nội", 80, "social")]),
        ("ba con 2 tuoi 4 tuoi 7 tuoi", [("Con", 2, ""), ("Con", 4, ""), ("Con", 7, "")]),
        ("2 con 8 tuổi đi học", [("Con", 8, "student"), ("Con", 8, "student")]),
        ("bé mới sinh", [("Bé", 0, "")]),
        ("nhà 4 người", []),
        ("nhà 6 người mà chỉ mua cho 2 ông bà", [("Ông", None, ""), ("Bà", None, "")]),  # "mà" is no "má"
        ("bé út dưới 6 tuổi", [("Bé", 5, "")]),
        (  # a member named again is the one named before, now with what is said about them
            "bố mẹ, vợ chồng em và 2 đứa con. Bố em có lương hưu, bé út 3 tuổi, còn lại mẹ em",
            [
                ("Bố", None, "pension"),
                ("Mẹ", None, ""),
                ("Vợ", None, ""),
                ("Chồng", None, ""),
                ("Con", 3, ""),
                ("Con", None, ""),
            ],
        ),
        ("còn hộ cận nghèo thì sao", []),  # "còn" folds to "con" but is no child
    ],
)
def test_household_members_are_read_with_or_without_diacritics(
    real_kb: KnowledgeBase, text: str, expected: list[tuple[str, int | None, str]]
) -> None:
    found = people(text, real_kb.lexicon.lexicon)
    assert [(person.role, person.age, person.status) for person in found] == expected


def test_the_five_person_household_pays_for_three_and_says_why_the_others_do_not(chat: Chat) -> None:
    question = chat.say(FIVE)
    assert chat.step == "months"  # the members are taken from the question
    result = chat.press_label(question, "12 tháng")
    assert total_line(3, 12, chat.kb) in result.text
    amounts = [money(member.amount) for member in household_contribution(chat.kb.policy, TODAY, 3, 12).members]
    assert f"• Người thứ 1 – Vợ: {amounts[0]}" in result.text
    assert f"• Người thứ 3 – Mẹ chồng 70 tuổi (60% người thứ nhất): {amounts[2]}" in result.text
    assert "• Con 8 tuổi: học sinh, sinh viên mua BHYT ở trường" in result.text
    assert "• Con 3 tuổi: trẻ em dưới 6 tuổi (*) được Nhà nước cấp thẻ BHYT miễn phí" in result.text  # a caveat
    assert chat.session.calculation.startswith("BHYT hộ gia đình, 5 người (3 mua theo hộ), 12 tháng")


def test_members_may_be_described_when_the_calculator_asks(chat: Chat) -> None:
    chat.press("f:household")
    chat.say("vợ, bố đang hưởng lương hưu, chồng làm công ty có bhyt")
    result = chat.say("6 tháng")
    assert total_line(1, 6, chat.kb) in result.text and "• Người thứ 1 – Vợ:" in result.text
    assert "• Bố: người hưởng lương hưu" in result.text
    assert "• Chồng: người đi làm có đóng BHXH bắt buộc" in result.text


def test_a_member_of_75_is_asked_about_a_pension_only_when_it_decides(chat: Chat) -> None:
    question = chat.say("tính bhyt cho cả nhà: bà nội 80 tuổi, 2 vợ chồng, đóng 12 tháng")
    assert chat.step == "elder" and "Bà nội 80 tuổi có đang hưởng lương hưu" in question.text
    assert labels(question)[:2] == ["Có, đang hưởng", "Không"]
    covered = chat.press_label(question, "Có, đang hưởng")
    assert total_line(2, 12, chat.kb) in covered.text and "• Bà nội 80 tuổi: đang hưởng lương hưu" in covered.text

    question = chat.say("tính bhyt cho cả nhà: bà nội 80 tuổi, 2 vợ chồng, đóng 12 tháng")
    paying = chat.press_label(question, "Không")
    assert total_line(3, 12, chat.kb) in paying.text and "trợ cấp hưu trí xã hội tại UBND xã" in paying.text


def test_a_household_where_nobody_buys_at_the_household_rate_says_so(chat: Chat) -> None:
    result = chat.say("tính bhyt cho cả nhà: con 3 tuổi, chồng làm công ty có bhyt, 12 tháng")
    assert chat.kb.message("calc_hgd_nobody") in result.text and "Tổng cộng" not in result.text
    assert {"Tính lại", "Hỏi cán bộ tư vấn"} <= set(labels(result))


# -- figures in the first message fill the steps, for each calculator ------------------------------------------


def test_a_near_poor_household_with_members_and_period_goes_straight_to_the_result(chat: Chat) -> None:
    result = chat.say("tính tiền bhyt cho cả nhà, hộ cận nghèo 3 người 3 tháng")
    assert chat.session.flow is None
    assert money(near_poor_contribution(chat.kb.policy, TODAY, 3).amount) in result.text
    assert "• 3 người: hộ cận nghèo mua BHYT theo diện cận nghèo" in result.text


@pytest.mark.parametrize(
    "question",
    ["tính bhxh tự nguyện hộ cận nghèo 3 triệu 3 tháng", "tinh bhxh tu nguyen ho can ngheo 3 trieu 3 thang"],
)
def test_near_poor_3_million_3_months_skips_every_voluntary_step(chat: Chat, question: str) -> None:
    result = chat.say(question)
    assert chat.session.flow is None
    expected = voluntary_contribution(chat.kb.policy, TODAY, 3_000_000, ("near-poor",), 3)
    assert f"• Bạn nộp: {money(expected.citizen_pays)}" in result.text


def test_the_pension_calculator_takes_gender_and_time_paid_from_the_question(chat: Chat) -> None:
    chat.say("tính giúp tôi rút bhxh một lần, tôi là nữ, đóng 10 năm")
    assert chat.session.flow is not None and chat.session.flow.name == "pension"
    answers = chat.session.flow.answered()
    assert answers.get("gender") == "female" and answers.get("total") == 120
    assert chat.step not in {"gender", "total"}


# -- follow-ups right after a result --------------------------------------------------------------------------


def test_a_follow_up_changes_the_members_and_the_period_of_the_last_result(chat: Chat) -> None:
    chat.say(FIVE + ", 12 tháng")
    again = chat.say("vậy tính lại 3 người thôi, đóng 6 tháng")
    assert total_line(3, 6, chat.kb) in again.text
    assert chat.kb.message("calc_hgd_intro") not in again.text  # nothing asked again


def test_a_follow_up_on_a_near_poor_household_keeps_the_members_and_the_period(chat: Chat) -> None:
    chat.say("nhà 4 người mua bhyt 1 năm hết bao nhiêu")
    again = chat.say("còn hộ cận nghèo thì sao")
    assert "• 4 người: hộ cận nghèo" in again.text
    assert money(near_poor_contribution(chat.kb.policy, TODAY, 12).amount) in again.text


def test_a_follow_up_naming_one_more_member_adds_them(chat: Chat) -> None:
    chat.say("tinh tien the bhyt cho 2 vo chong dong 12 thang")
    again = chat.say("mẹ chồng chị 70 tuổi thì sao")
    assert total_line(3, 12, chat.kb) in again.text and "Mẹ chồng 70 tuổi" in again.text


def test_a_follow_up_changes_the_period_and_the_group_of_a_voluntary_result(chat: Chat) -> None:
    chat.say("tự nguyện 3tr hộ cận nghèo 3 tháng")
    yearly = chat.say("nếu 12 tháng thì sao")
    near_poor = voluntary_contribution(chat.kb.policy, TODAY, 3_000_000, ("near-poor",), 12)
    assert f"• Bạn nộp: {money(near_poor.citizen_pays)}" in yearly.text
    poor = chat.say("còn hộ nghèo thì sao")
    expected = voluntary_contribution(chat.kb.policy, TODAY, 3_000_000, ("poor",), 12)
    assert f"• Bạn nộp: {money(expected.citizen_pays)}" in poor.text


def test_a_new_question_after_a_result_is_answered_as_usual(chat: Chat) -> None:
    chat.say("nhà 4 người mua bhyt 1 năm hết bao nhiêu")
    chat.say("rút bhxh 1 lần được không")
    assert chat.session.flow is None and chat.session.last_entry != "calc.bhyt-hgd"
    assert chat.session.last_entry is not None and chat.session.last_entry.startswith("motlan.")


def test_a_change_long_after_the_result_is_not_a_follow_up(chat: Chat) -> None:
    chat.say("nhà 4 người mua bhyt 1 năm hết bao nhiêu")
    chat.say("thẻ bhyt trẻ em dùng được đến mấy tuổi")
    chat.say("hotline bhxh là số mấy")
    late = chat.say("nếu 6 tháng thì sao")
    assert total_line(4, 6, chat.kb) not in late.text
    assert chat.session.last_inputs == (("members", 4), ("months", 12))


def test_the_last_result_inputs_survive_the_session_store(chat: Chat) -> None:
    chat.say(FIVE + ", 12 tháng")
    stored = from_json(chat.session.chat, to_json(chat.session))
    assert stored.last_flow == "household" and stored.last_inputs == chat.session.last_inputs
    assert stored.last_result_turn == chat.session.last_result_turn
    assert from_json("old", '{"turns": 3}') == Session("old", turns=3)  # sessions stored before still load


# -- figures kept while the citizen picks a suggestion; follow-ups after an answer ------------------------------


def test_picking_the_calculator_among_suggestions_keeps_the_figures_of_the_question(chat: Chat) -> None:
    suggestions = chat.say("hộ cận nghèo 3 triệu 3 tháng")
    assert "Tính tiền đóng BHXH tự nguyện" in labels(suggestions)  # the question alone is not sure enough
    result = chat.press_label(suggestions, "Tính tiền đóng BHXH tự nguyện")
    expected = voluntary_contribution(chat.kb.policy, TODAY, 3_000_000, ("near-poor",), 3)
    assert f"• Bạn nộp: {money(expected.citizen_pays)}" in result.text
    assert chat.session.flow is None


def test_a_follow_up_after_an_answer_is_read_against_its_subject(chat: Chat) -> None:
    chat.say("bhxh tự nguyện đóng bao nhiêu 1 tháng")
    assert chat.session.last_entry == "tn.muc-dong"
    chat.say("còn hộ cận nghèo thì sao")
    assert chat.session.last_entry == "tn.ho-tro"  # the State's support of voluntary BHXH, not of BHYT


def test_the_same_follow_up_without_an_answer_before_it_is_matched_alone(chat: Chat, real_matcher: Matcher) -> None:
    chat.say("còn hộ cận nghèo thì sao")
    assert chat.session.last_entry == real_matcher.match("còn hộ cận nghèo thì sao").entry_id


def test_a_member_named_after_the_household_answer_starts_the_calculator_with_them(chat: Chat) -> None:
    chat.say("bhyt hộ gia đình đóng bao nhiêu")
    question = chat.say("mẹ chồng chị 70 tuổi thì sao")
    assert chat.step == "months"
    result = chat.press_label(question, "12 tháng")
    assert total_line(1, 12, chat.kb) in result.text and "• Người thứ 1 – Mẹ chồng 70 tuổi:" in result.text


def test_a_bare_period_right_after_a_result_computes_it_again(chat: Chat) -> None:
    chat.say("nhà 4 người mua bhyt 1 năm hết bao nhiêu")
    assert total_line(4, 6, chat.kb) in chat.say("6 tháng").text


def test_a_follow_up_with_a_period_the_calculator_cannot_take_asks_for_it_keeping_the_members(chat: Chat) -> None:
    chat.say("nhà 4 người mua bhyt 1 năm hết bao nhiêu")
    question = chat.say("nếu 1 tháng thì sao")
    assert question.text.startswith("BHYT hộ gia đình đóng theo kỳ 3, 6 hoặc 12 tháng.")
    assert chat.step == "months" and chat.session.flow is not None and chat.session.flow.answer("members") == 4
    assert total_line(4, 6, chat.kb) in chat.press_label(question, "6 tháng").text


def test_a_short_message_outside_the_calculator_after_a_result_is_not_a_change(chat: Chat) -> None:
    chat.say("nhà 4 người mua bhyt 1 năm hết bao nhiêu")
    reply = chat.say("vay 50 triệu một tháng")
    assert chat.session.flow is None and "BHYT hộ gia đình, kỳ đóng" not in reply.text
    assert chat.session.last_inputs == (("members", 4), ("months", 12))


def test_a_question_on_the_rules_that_describes_the_household_gets_the_answer_not_the_calculator(chat: Chat) -> None:
    chat.say("bố tôi có lương hưu thì mua bhyt hộ gia đình có phải kê khai bố vào không")
    assert chat.session.flow is None and chat.session.last_entry == "bhyt.doi-tuong-hgd"


@pytest.mark.parametrize(("typed", "paying"), [("có", 2), ("đang hưởng", 2), ("không", 3), ("chưa", 3)])
def test_the_pension_question_may_be_answered_in_words(chat: Chat, typed: str, paying: int) -> None:
    chat.say("tính bhyt cho cả nhà: bà nội 80 tuổi, 2 vợ chồng, đóng 12 tháng")
    assert total_line(paying, 12, chat.kb) in chat.say(typed).text


def test_a_follow_up_moves_the_household_between_groups_and_back(chat: Chat) -> None:
    chat.say("nhà 3 người mua bhyt 1 năm hết bao nhiêu")
    near_poor = chat.say("còn hộ cận nghèo thì sao")
    assert "• 3 người: hộ cận nghèo" in near_poor.text
    poor = chat.say("còn hộ nghèo thì sao")
    assert "• 3 người: người thuộc hộ nghèo được Nhà nước đóng BHYT" in poor.text
    back = chat.say("nếu không thuộc hộ nghèo thì sao")
    assert total_line(3, 12, chat.kb) in back.text
