"""Whole conversations through the pure engine: decide(inbound, session, kb, today, matcher) -> Outcome."""

from __future__ import annotations

import re
from dataclasses import fields
from datetime import date

import pytest

from bot.core.actions import MAX_ACTION_BYTES, MENU
from bot.core.engine import answer_reply, decide, menu_buttons, subject_reply
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Button, Inbound, InboundKind, LogInteraction, Outcome, Reply, Session
from tests.factories import BEFORE_RAISE, TODAY, build_kb, entry, faq_file, policy_document

CHAT = "test:1"
MENU_ACTION = MENU.data()
MENU_LABELS = [
    "BHXH tự nguyện",
    "BHXH bắt buộc, chế độ",
    "BHYT hộ gia đình",
    "Lương hưu",
    "Rút BHXH một lần",
    "Tra cứu & dịch vụ",
]
HOTLINE = "1900 9068"


class Conversation:
    """One citizen talking to the bot on the real knowledge base; the session is carried along."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher, today: date = TODAY) -> None:
        self.kb, self.matcher, self.today = kb, matcher, today
        self.session = Session(CHAT)

    def send(self, inbound: Inbound) -> Outcome:
        outcome = decide(inbound, self.session, self.kb, self.today, self.matcher)
        assert outcome.session is not None
        self.session = outcome.session
        return outcome

    def say(self, text: str) -> Outcome:
        return self.send(Inbound(CHAT, InboundKind.TEXT, text=text))

    def press(self, action: str) -> Outcome:
        return self.send(Inbound(CHAT, InboundKind.ACTION, action=action))

    def command(self, kind: InboundKind) -> Outcome:
        return self.send(Inbound(CHAT, kind))


@pytest.fixture
def chat(real_kb: KnowledgeBase, real_matcher: Matcher) -> Conversation:
    return Conversation(real_kb, real_matcher)


def only_reply(outcome: Outcome) -> Reply:
    assert len(outcome.replies) == 1
    return outcome.replies[0]


def labels(reply: Reply) -> list[str]:
    return [button.label for button in reply.buttons]


def log_of(outcome: Outcome) -> LogInteraction:
    (effect,) = outcome.effects
    assert isinstance(effect, LogInteraction)
    return effect


def is_menu(reply: Reply, kb: KnowledgeBase) -> bool:
    return reply.buttons == menu_buttons(kb)


# -- menu ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [InboundKind.START, InboundKind.MENU])
def test_start_and_menu_greet_and_show_the_main_topics(chat: Conversation, kind: InboundKind) -> None:
    reply = only_reply(chat.command(kind))
    assert reply.text == chat.kb.message("greeting")
    assert labels(reply)[: len(MENU_LABELS)] == MENU_LABELS


def test_the_menu_button_shows_the_same_menu_as_the_menu_command(chat: Conversation) -> None:
    assert chat.press(MENU_ACTION).replies == chat.command(InboundKind.MENU).replies


def test_help_explains_what_to_do_and_gives_the_hotline(chat: Conversation) -> None:
    reply = only_reply(chat.command(InboundKind.HELP))
    assert HOTLINE in reply.text
    assert is_menu(reply, chat.kb)


def test_a_menu_item_pointing_to_a_missing_subject_is_left_out() -> None:
    kb = build_kb(
        faq_file("tn", [entry("tn.muc-dong", ["a b c", "d e f", "g h i"])]),
        menu=[{"label": "Tự nguyện", "subject": "tn"}, {"label": "Cũ", "subject": "khong-co"}],
    )
    assert [b.label for b in menu_buttons(kb)] == ["Tự nguyện"]


# -- answers ---------------------------------------------------------------------------------


def test_an_answer_gives_the_short_answer_then_sources_and_review_date(chat: Conversation) -> None:
    reply = only_reply(chat.say("Làm mất thẻ bảo hiểm y tế thì xin cấp lại thế nào?"))
    entry_ = chat.kb.entries["bhyt.mat-the"]
    short, _ = entry_.render(chat.kb.policy, TODAY)
    assert reply.text.startswith(short.text)
    assert "\nCăn cứ: " in reply.text
    assert re.search(r"\nCập nhật: \d{2}/\d{2}/\d{4}", reply.text)
    assert f"Cập nhật: {entry_.reviewed:%d/%m/%Y}" in reply.text


def test_an_answer_offers_its_followups_then_its_legal_basis_then_the_main_menu(chat: Conversation) -> None:
    reply = only_reply(chat.press("a:bhyt.mat-the"))
    followups = [chat.kb.entries[i] for i in chat.kb.entries["bhyt.mat-the"].followups]
    assert reply.buttons[:-2] == tuple(Button(e.title, f"a:{e.id}") for e in followups)
    assert reply.buttons[-2] == Button("Xem căn cứ pháp lý", "b:bhyt.mat-the")
    assert reply.buttons[-1] == Button("Menu chính", MENU_ACTION)


def test_an_answer_on_household_bhyt_offers_the_calculator_first_instead_of_a_followup_to_it(
    chat: Conversation,
) -> None:
    reply = only_reply(chat.press("a:bhyt.muc-dong-hgd"))
    followups = [chat.kb.entries[i] for i in chat.kb.entries["bhyt.muc-dong-hgd"].followups]
    others = tuple(Button(e.title, f"a:{e.id}") for e in followups if e.id != "calc.bhyt-hgd")
    basis = Button("Xem căn cứ pháp lý", "b:bhyt.muc-dong-hgd")
    assert reply.buttons == (Button("Tính cho tôi", "f:household"), *others, basis, Button("Menu chính", MENU_ACTION))


def test_every_followup_button_leads_to_an_answer(chat: Conversation) -> None:
    reply = only_reply(chat.press("a:tn.muc-dong"))
    assert reply.buttons[0].action == "f:voluntary"  # "Tính cho tôi" comes first
    for button in reply.buttons[1:-2]:  # then the follow-ups; the last two: the legal basis, the menu
        outcome = chat.press(button.action)
        assert log_of(outcome).decision == "action"
        assert chat.session.last_entry == button.action.removeprefix("a:")


def test_an_answer_to_typed_text_remembers_the_entry_in_the_session(chat: Conversation) -> None:
    outcome = chat.say("Tra cứu mã số bảo hiểm xã hội ở đâu?")
    assert log_of(outcome).decision == "answer"
    assert outcome.session == Session(CHAT, last_entry="dv.tra-cuu", offered=(), turns=1, last_entry_turn=1)


def test_smalltalk_has_no_review_date(chat: Conversation) -> None:
    reply = only_reply(chat.press("a:chao"))
    assert "Cập nhật" not in reply.text


def test_uncertain_figures_carry_a_mark_and_a_caveat_under_the_answer(real_kb: KnowledgeBase) -> None:
    reply = answer_reply(real_kb.entries["tn.muc-dong"], real_kb, date(2027, 1, 1))
    assert "2.200.000 đồng (*)" in reply.text
    assert reply.text.splitlines()[-1].startswith("(*) ")


def _kb_with_caveat(caveat: str) -> KnowledgeBase:
    policy = policy_document()
    policy["params"]["luong_co_so"]["values"][-1].update(uncertain=True, caveat=caveat)
    return build_kb(
        faq_file("bhyt", [entry("bhyt.muc-dong", ["a b c", "d e f", "g h i"], short="Mức {{bhyt_hgd_nguoi_1_nam}}.")]),
        policy=policy,
    )


def test_the_caveat_line_starts_with_a_capital_and_ends_with_a_full_stop() -> None:
    kb = _kb_with_caveat("số liệu dự kiến")
    reply = answer_reply(kb.entries["bhyt.muc-dong"], kb, TODAY)
    assert "Mức 1.366.200 đồng (*)." in reply.text
    assert reply.text.endswith("\n\n(*) Số liệu dự kiến.")


def test_the_caveat_keeps_acronyms_and_proper_names_as_written() -> None:
    kb = _kb_with_caveat("dự kiến, chờ BHXH Việt Nam hướng dẫn theo Nghị định mới")
    reply = answer_reply(kb.entries["bhyt.muc-dong"], kb, TODAY)
    assert reply.text.endswith("(*) Dự kiến, chờ BHXH Việt Nam hướng dẫn theo Nghị định mới.")


def _kb_with_two_caveats(short: str, details: str) -> KnowledgeBase:
    policy = policy_document()
    policy["params"]["bhyt_ty_le_dong"]["values"][-1].update(uncertain=True, caveat="tỷ lệ dự kiến")
    policy["params"]["luong_co_so"]["values"][-1].update(uncertain=True, caveat="lương cơ sở dự kiến")
    questions = ["a b c", "d e f", "g h i"]
    return build_kb(faq_file("bhyt", [entry("bhyt.muc-dong", questions, short=short, details=details)]), policy=policy)


def test_one_caveat_in_the_answer_is_marked_with_a_star() -> None:
    kb = _kb_with_caveat("số liệu dự kiến")
    entry_ = kb.entries["bhyt.muc-dong"]
    reply = answer_reply(entry_, kb, TODAY)
    assert "(1)" not in reply.text
    assert reply.text.count("(*)") == 2  # beside the figure, and before its caveat


def test_two_caveats_are_numbered_in_the_order_they_first_appear_in_short_then_details() -> None:
    kb = _kb_with_two_caveats("Mỗi tháng đóng {{bhyt_ty_le_dong}}.", "Lương cơ sở là {{luong_co_so}}.")
    reply = answer_reply(kb.entries["bhyt.muc-dong"], kb, TODAY)
    assert reply.text.startswith("Mỗi tháng đóng 4,5% (1).\n\nLương cơ sở là 2.530.000 đồng (2).")
    assert reply.text.endswith("\n\n(1) Tỷ lệ dự kiến.\n(2) Lương cơ sở dự kiến.")
    assert "(*)" not in reply.text


def test_the_same_figure_twice_carries_the_same_number_and_a_figure_on_both_carries_both() -> None:
    kb = _kb_with_two_caveats(
        "Lương cơ sở {{luong_co_so}}, mỗi người {{bhyt_hgd_nguoi_1_nam}} một năm.",
        "Tính trên {{luong_co_so}} nhân {{bhyt_ty_le_dong}}.",
    )
    reply = answer_reply(kb.entries["bhyt.muc-dong"], kb, TODAY)
    assert reply.text.startswith("Lương cơ sở 2.530.000 đồng (1), mỗi người 1.366.200 đồng (1, 2) một năm.")
    assert "Tính trên 2.530.000 đồng (1) nhân 4,5% (2)." in reply.text
    assert reply.text.endswith("\n\n(1) Lương cơ sở dự kiến.\n(2) Tỷ lệ dự kiến.")


# -- figures follow the date -----------------------------------------------------------------


def test_household_health_insurance_figures_follow_the_base_salary_raise(
    real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    after = only_reply(Conversation(real_kb, real_matcher, TODAY).press("a:bhyt.muc-dong-hgd")).text
    before = only_reply(Conversation(real_kb, real_matcher, BEFORE_RAISE).press("a:bhyt.muc-dong-hgd")).text
    assert "người thứ nhất 1.366.200 đồng" in after
    assert "người thứ hai 956.340 đồng" in after
    assert "người thứ nhất 1.263.600 đồng" in before
    assert "1.366.200 đồng" not in before


def test_the_engine_gives_the_same_outcome_for_the_same_input_and_day(
    real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    def run() -> list[Outcome]:
        chat = Conversation(real_kb, real_matcher)
        return [
            chat.command(InboundKind.START),
            chat.say("mua bảo hiểm y tế cho cả nhà hết bao nhiêu"),
            chat.press("s:huu"),
            chat.say("thẻ bhyt"),
        ]

    assert run() == run()


# -- subjects and stale buttons --------------------------------------------------------------


def test_a_subject_button_lists_the_answers_of_that_subject(chat: Conversation) -> None:
    reply = only_reply(chat.press("s:bhyt"))
    subject = chat.kb.subject("bhyt")
    assert subject is not None
    assert reply.text == f"Các câu hỏi về {subject.title}:"
    assert [b.action for b in reply.buttons] == [f"a:{i}" for i in subject.entry_ids] + [MENU_ACTION]
    assert labels(reply)[:-1] == [chat.kb.entries[i].title for i in subject.entry_ids]


def test_a_subject_leaves_out_its_out_of_scope_entries() -> None:
    kb = build_kb(
        faq_file(
            "tn",
            [
                entry("tn.muc-dong", ["a b c", "d e f", "g h i"]),
                {"id": "tn.nhan-tho", "kind": "none", "questions": ["nhân thọ", "bảo hiểm nhân thọ", "prudential"]},
            ],
        )
    )
    reply = subject_reply("tn", kb)
    assert reply is not None
    assert [b.action for b in reply.buttons] == ["a:tn.muc-dong", MENU_ACTION]


@pytest.mark.parametrize("action", ["a:does.not-exist", "xyz", "s:khong-co", "", "a:", "a:" + "x" * 200])
def test_a_stale_or_unknown_button_gets_an_apology_and_the_menu(chat: Conversation, action: str) -> None:
    outcome = chat.press(action)
    reply = only_reply(outcome)
    assert reply.text == chat.kb.message("stale")
    assert is_menu(reply, chat.kb)
    assert log_of(outcome).decision == "stale"


def test_a_button_for_an_out_of_scope_entry_is_treated_as_stale() -> None:
    kb = build_kb(faq_file("x", [{"id": "x.vay", "kind": "none", "questions": ["vay", "vay vốn", "vay tiền"]}]))
    outcome = decide(Inbound(CHAT, InboundKind.ACTION, action="a:x.vay"), Session(CHAT), kb, TODAY, Matcher(kb))
    assert only_reply(outcome).text == kb.message("stale")


def test_every_button_of_the_real_knowledge_base_fits_in_64_bytes(real_kb: KnowledgeBase) -> None:
    replies = [Reply("menu", menu_buttons(real_kb))]
    replies += [answer_reply(e, real_kb, TODAY) for e in real_kb.entries.values() if e.answerable]
    replies += [subject_reply(s.code, real_kb) for s in real_kb.subjects]
    actions = [button.action for reply in replies if reply is not None for button in reply.buttons]
    assert len(actions) > len(real_kb.entries)
    too_long = [action for action in actions if len(action.encode("utf-8")) > MAX_ACTION_BYTES]
    assert too_long == []


def test_every_entry_id_makes_a_short_enough_button(real_kb: KnowledgeBase) -> None:
    assert [i for i in real_kb.entries if len(f"a:{i}".encode()) > MAX_ACTION_BYTES] == []
    assert [s.code for s in real_kb.subjects if len(f"s:{s.code}".encode()) > MAX_ACTION_BYTES] == []


# -- free text that cannot be answered -------------------------------------------------------


def test_an_out_of_scope_question_falls_back_with_the_hotline_and_menu(chat: Conversation) -> None:
    outcome = chat.say("Giá vàng hôm nay bao nhiêu?")
    reply = only_reply(outcome)
    assert HOTLINE in reply.text
    assert is_menu(reply, chat.kb)
    assert log_of(outcome).decision == "out-of-scope"  # logged apart: not for the staff's unanswered inbox
    assert log_of(outcome).matched_id is None


def test_a_question_not_understood_is_logged_as_a_fallback(chat: Conversation) -> None:
    outcome = chat.say("xyzzy qwerty")
    assert HOTLINE in only_reply(outcome).text
    assert log_of(outcome).decision == "fallback"


def test_a_question_in_the_field_that_no_entry_answers_is_told_so_with_the_hotline(chat: Conversation) -> None:
    outcome = chat.say("mẹ tôi là vợ liệt sĩ thì thẻ bhyt được chi trả mấy phần trăm")
    reply = only_reply(outcome)
    assert reply.text.startswith("Câu hỏi về chế độ người có công")
    assert "chưa có câu trả lời chắc chắn" in reply.text
    assert HOTLINE in reply.text
    assert is_menu(reply, chat.kb)
    assert (log_of(outcome).decision, log_of(outcome).matched_id) == ("uncovered", None)
    assert log_of(outcome).topic.startswith("chế độ người có công")


def test_a_worker_at_a_company_is_never_given_the_voluntary_scheme_s_maternity_answer(chat: Conversation) -> None:
    outcome = chat.say("em làm công nhân nhà máy, sinh con được nghỉ mấy tháng, lãnh bao nhiêu tiền")
    assert log_of(outcome).matched_id == "bb.thai-san"
    assert only_reply(outcome).text.startswith("Người đóng BHXH bắt buộc")


def test_a_question_that_does_not_say_voluntary_is_not_answered_from_a_voluntary_only_entry(chat: Conversation) -> None:
    outcome = chat.say("ba tôi về hưu được 8 năm vừa qua đời, gia đình được nhận tiền gì")
    assert log_of(outcome).matched_id == "bb.tu-tuat"


def test_a_second_question_in_a_message_is_offered_as_the_first_button(chat: Conversation) -> None:
    reply = only_reply(chat.say("Mất sổ bảo hiểm xã hội thì xin lại ở đâu? Còn thẻ bhyt bị mất thì làm lại sao?"))
    assert labels(reply)[0] == chat.kb.entries["bhyt.mat-the"].title
    assert reply.text.startswith(chat.kb.entries["bb.so-bhxh"].short.split()[0])


def test_thanks_get_a_thank_you_not_a_greeting(chat: Conversation) -> None:
    thanks = chat.say("ok cảm ơn bạn nhiều nhé")
    hello = chat.say("xin chào bạn")
    assert log_of(thanks).matched_id == log_of(hello).matched_id == "chao"
    assert only_reply(thanks).text.startswith("Không có gì")
    assert only_reply(hello).text.startswith("Chào bạn")


def test_an_ambiguous_question_offers_choices_and_a_way_back_to_the_menu(chat: Conversation) -> None:
    outcome = chat.say("thẻ bhyt")
    reply = only_reply(outcome)
    assert log_of(outcome).decision == "suggest"
    assert reply.text == chat.kb.message("suggest")
    assert 2 <= len(reply.buttons) <= 4
    assert reply.buttons[-1] == Button(chat.kb.message("suggest_none"), MENU_ACTION)
    offered = tuple(b.action.removeprefix("a:") for b in reply.buttons[:-1])
    assert outcome.session is not None
    assert outcome.session.offered == offered


def test_choosing_a_suggestion_answers_it_and_forgets_the_offer(chat: Conversation) -> None:
    suggestion = only_reply(chat.say("thẻ bhyt")).buttons[0]
    chat.press(suggestion.action)
    assert chat.session.offered == ()
    assert chat.session.last_entry == suggestion.action.removeprefix("a:")


def test_a_sticker_gets_a_polite_reply_and_the_menu(chat: Conversation) -> None:
    outcome = chat.command(InboundKind.UNSUPPORTED)
    reply = only_reply(outcome)
    assert reply.text == chat.kb.message("unsupported")
    assert is_menu(reply, chat.kb)
    assert log_of(outcome).decision == "unsupported"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_message_gets_a_polite_reply_and_the_menu(chat: Conversation, text: str) -> None:
    reply = only_reply(chat.say(text))
    assert reply.text == chat.kb.message("empty")
    assert is_menu(reply, chat.kb)


def test_a_4000_character_message_gets_a_reply(chat: Conversation) -> None:
    text = ("Cho em hỏi về bảo hiểm, nhà em ở quê, làm ruộng, không có lương, " * 70)[:4000]
    outcome = chat.say(text)
    reply = only_reply(outcome)
    assert reply.text
    assert reply.buttons


def test_a_long_message_the_bot_cannot_place_is_asked_to_be_shorter_rather_than_given_choices(
    chat: Conversation,
) -> None:
    outcome = chat.say("xyzzy " * 800)
    reply = only_reply(outcome)
    assert reply.text == chat.kb.message("too_long")
    assert is_menu(reply, chat.kb)
    assert chat.session.offered == ()


# -- effects and session ---------------------------------------------------------------------


def test_the_log_effect_holds_the_decision_and_scores_of_a_question(chat: Conversation) -> None:
    outcome = chat.say("Thẻ bảo hiểm y tế hết hạn thì gia hạn ở đâu?")
    log = log_of(outcome)
    assert log.decision == "answer"
    assert log.matched_id == "bhyt.gia-han"
    assert log.top[0].id == "bhyt.gia-han"
    assert all(0 <= alternative.score <= 1 for alternative in log.top)


def test_the_log_effect_keeps_only_the_normalised_question(chat: Conversation) -> None:
    raw = "Tôi là Trần Thị Bích, SĐT 0912 345 678, thẻ bảo hiểm y tế hết hạn thì gia hạn ở đâu ạ?"
    log = log_of(chat.say(raw))
    # the topic of an "uncovered" question is a label from the knowledge base, never the citizen's words
    assert [f.name for f in fields(LogInteraction)] == ["normalised", "decision", "matched_id", "top", "topic"]
    assert log.normalised.isascii()
    assert log.normalised == log.normalised.lower()
    assert not re.search(r"\d", log.normalised)
    text_held = " ".join([log.normalised, log.decision, log.matched_id or "", log.topic, *(a.id for a in log.top)])
    for piece in ["Tôi", "Trần", "Bích", "0912", "345", "678", "SĐT", "?"]:
        assert piece not in text_held


@pytest.mark.parametrize(
    ("send", "decision"),
    [
        (lambda c: c.command(InboundKind.START), "menu"),
        (lambda c: c.command(InboundKind.HELP), "help"),
        (lambda c: c.press("s:tn"), "subject"),
        (lambda c: c.press("a:tn.muc-dong"), "action"),
        (lambda c: c.say(""), "empty"),
    ],
)
def test_every_message_produces_exactly_one_log_effect(chat: Conversation, send, decision: str) -> None:
    assert log_of(send(chat)).decision == decision


def test_every_message_counts_one_turn(chat: Conversation) -> None:
    chat.command(InboundKind.START)
    chat.say("mất thẻ bhyt")
    chat.press("xyz")
    chat.command(InboundKind.UNSUPPORTED)
    assert chat.session.turns == 4


def test_the_engine_does_not_change_the_session_it_was_given(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    session = Session(CHAT)
    outcome = decide(Inbound(CHAT, InboundKind.TEXT, text="mất thẻ bhyt"), session, real_kb, TODAY, real_matcher)
    assert session == Session(CHAT)
    assert outcome.session is not None
    assert outcome.session.turns == 1
