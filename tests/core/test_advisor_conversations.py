"""Whole conversations, played as the citizens issue 14 describes, through the pure engine on the real knowledge
base (with leads.yaml and areas.yaml, as the running bot has it). Each asserts what an office advisor would do:
answer the question asked, keep what the citizen already said, and never leave them at a dead end."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.core.actions import ERASE, FlowStep, parse_action
from bot.core.calc.household import household_contribution
from bot.core.engine import decide
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.render import money
from bot.core.types import EraseMyData, Inbound, InboundKind, LogInteraction, Outcome, Session
from tests.factories import TODAY

CHAT = "test:advisor"
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
HARD_LIMIT = 1500  # characters: no reply longer than a phone screen allows


class Citizen:
    """One chat with the engine; every reply checked for length on the way."""

    def __init__(self, kb: KnowledgeBase, matcher: Matcher) -> None:
        self.kb, self.matcher, self.session = kb, matcher, Session(CHAT)

    def send(self, inbound: Inbound) -> Outcome:
        outcome = decide(inbound, self.session, self.kb, TODAY, self.matcher, now=NOW)
        assert outcome.session is not None and outcome.replies
        assert all(len(reply.text) <= HARD_LIMIT for reply in outcome.replies)
        self.session = outcome.session
        return outcome

    def says(self, text: str) -> Outcome:
        return self.send(Inbound(CHAT, InboundKind.TEXT, text=text))

    def presses(self, label: str, outcome: Outcome) -> Outcome:
        [action] = [b.action for reply in outcome.replies for b in reply.buttons if b.label == label]
        return self.send(Inbound(CHAT, InboundKind.ACTION, action=action))

    def answered(self, outcome: Outcome) -> list[str]:
        """The entries the engine answered from, as logged."""
        return [e.matched_id or "" for e in outcome.effects if isinstance(e, LogInteraction) and e.decision == "answer"]

    @property
    def step(self) -> str | None:
        return self.session.flow.step if self.session.flow else None


def labels(outcome: Outcome) -> list[str]:
    return [button.label for reply in outcome.replies for button in reply.buttons]


def test_a_farmer_typing_without_diacritics_gets_the_levels_then_his_own_figures_then_the_near_poor_case(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    farmer = Citizen(kb, matcher)
    first = farmer.says("bhxh tu nguyen dong bao nhieu 1 thang")
    assert farmer.answered(first) == ["tn.muc-dong"]
    assert "22%" in first.replies[0].text
    start = farmer.presses("Tính cho tôi", first)
    assert farmer.step == "income" and start.replies
    farmer.says("3 trieu")
    assert farmer.step == "group"
    result = farmer.send(Inbound(CHAT, InboundKind.ACTION, action=FlowStep("voluntary", "group", "other").data()))
    while farmer.session.flow is not None:  # the remaining steps: the first choice each time
        choices = [b.action for b in result.replies[-1].buttons if isinstance(parse_action(b.action), FlowStep)]
        result = farmer.send(Inbound(CHAT, InboundKind.ACTION, action=choices[0]))
    assert "3.000.000 đồng" in result.replies[-1].text
    near_poor = farmer.says("con ho can ngheo thi sao")
    assert "cận nghèo" in near_poor.replies[-1].text and "3.000.000 đồng" in near_poor.replies[-1].text
    thanks = farmer.says("cam on nhe")
    assert thanks.replies[0].text.startswith("Không có gì")


def test_a_factory_worker_asking_if_withdrawing_is_a_loss_mid_calculation_is_answered_and_can_go_back(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    worker = Citizen(kb, matcher)
    worker.send(Inbound(CHAT, InboundKind.ACTION, action=FlowStep("pension").data()))
    assert worker.step == "gender"
    answer = worker.says("rut bao hiem 1 lan co thiet khong")
    assert worker.answered(answer), "a question typed at a choice step is answered"
    assert worker.step == "gender"  # the calculator waits
    resume = worker.presses(kb.message("flow_resume"), answer)  # "Quay lại phép tính"
    assert worker.step == "gender" and "nam hay nữ" in resume.replies[-1].text


def test_a_mother_buying_bhyt_for_five_pays_for_the_three_who_buy_at_the_household_rate_then_for_six_months(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    mother = Citizen(kb, matcher)
    mother.says("mua bhyt ho gia dinh cho 5 nguoi: 2 vo chong, me chong 70 tuoi, con 8 tuoi di hoc va con 3 tuoi")
    assert mother.step == "months"
    result = mother.says("12 thang")
    text = result.replies[-1].text
    assert money(household_contribution(kb.policy, TODAY, 3, 12).total) in text
    assert "Con 8 tuổi" in text and "Con 3 tuổi" in text  # said why they are not counted
    again = mother.says("vay tinh lai 6 thang thoi")
    assert money(household_contribution(kb.policy, TODAY, 3, 6).total) in again.replies[-1].text


def test_a_man_of_76_without_a_pension_who_calls_himself_bac_is_told_about_the_social_pension(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    man = Citizen(kb, matcher)
    answer = man.says("cho bác hỏi bác 76 tuổi không có lương hưu thì được trợ cấp gì không")
    text = answer.replies[0].text
    assert "trợ cấp hưu trí xã hội" in text
    assert "bác" in text.lower() and "bạn" not in text.lower()  # addressed as he calls himself


def test_someone_who_pastes_nonsense_is_told_politely_what_the_bot_can_do(kb: KnowledgeBase, matcher: Matcher) -> None:
    someone = Citizen(kb, matcher)
    for nonsense in ("asdkjh qweoiu 12312 !!!", "ｘｘ" * 2000, "😀" * 50):
        outcome = someone.says(nonsense)
        assert "1900 9068" in outcome.replies[0].text or labels(outcome)


def test_someone_who_asks_to_delete_their_data_is_asked_once_then_everything_is_erased(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    someone = Citizen(kb, matcher)
    someone.says("bhyt hộ gia đình đóng bao nhiêu")
    question = someone.says("xoa du lieu cua toi")
    assert labels(question) == ["Xóa", "Không"] and not any(isinstance(e, EraseMyData) for e in question.effects)
    erased = someone.send(Inbound(CHAT, InboundKind.ACTION, action=ERASE.data()))
    assert any(isinstance(effect, EraseMyData) for effect in erased.effects)


def test_a_citizen_who_changes_topic_mid_calculation_is_answered_and_finds_the_calculation_waiting(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    citizen = Citizen(kb, matcher)
    citizen.send(Inbound(CHAT, InboundKind.ACTION, action=FlowStep("household").data()))
    citizen.says("4 người")
    assert citizen.step == "months"
    other = citizen.says("thủ tục đăng ký bhxh tự nguyện ở đâu")
    assert citizen.answered(other) and citizen.step == "months"
    resume = [b.action for b in other.replies[0].buttons if parse_action(b.action) == FlowStep("household", "months")]
    assert resume, "the answer carries the way back to the calculation"
    result = citizen.send(Inbound(CHAT, InboundKind.ACTION, action=resume[0]))
    assert citizen.step == "months" and result.replies
