"""The check before a knowledge revision goes live: the same questions through the live and the new matcher,
every changed decision reported, and labelled questions judged better or worse by the rank table of
bot.core.regression's docstring."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping

import pytest

from bot.core.matcher import Decision, Scored
from bot.core.regression import (
    MOVED,
    NEWLY_ANSWERED,
    NEWLY_UNANSWERED,
    SUGGESTIONS_CHANGED,
    Question,
    RegressionReport,
    Seen,
    compare,
    rank,
)


def answer(entry_id: str) -> Decision:
    return Decision("answer", entry_id, 0.7, (Scored(entry_id, 0.7),), "")


def suggest(*entry_ids: str) -> Decision:
    return Decision("suggest", None, 0.4, tuple(Scored(i, 0.4) for i in entry_ids), "")


def fallback() -> Decision:
    return Decision("fallback", None, 0.1, (), "", "low score")


def uncovered() -> Decision:
    return Decision("uncovered", None, 0.2, (), "", topic="chế độ người có công")


def matcher(decisions: Mapping[str, Decision], asked: Counter[str] | None = None) -> Callable[[str], Decision]:
    """A fake `Matcher.match`: the decision given for each text (fallback for any other), counting the calls."""

    def match(text: str) -> Decision:
        if asked is not None:
            asked[text] += 1
        return decisions.get(text, fallback())

    return match


def one_question(question: Question, before: Decision, after: Decision, allowed_worse: int = 0) -> RegressionReport:
    return compare([question], matcher({question.text: before}), matcher({question.text: after}), allowed_worse)


REAL = "real"
CHECKS = "checks"


# -- what changed --------------------------------------------------------------------------------------------


def test_a_question_decided_the_same_way_is_not_reported() -> None:
    report = one_question(Question("mức đóng", ("tn.muc-dong",), CHECKS), answer("tn.muc-dong"), answer("tn.muc-dong"))
    assert report.differences == ()
    assert (report.questions, report.labelled, report.right_before, report.right_after) == (1, 1, 1, 1)
    assert not report.refused


@pytest.mark.parametrize(
    ("before", "after", "change"),
    [
        (answer("tn.a"), answer("tn.b"), MOVED),
        (answer("tn.a"), fallback(), NEWLY_UNANSWERED),
        (answer("tn.a"), suggest("tn.a", "tn.b"), NEWLY_UNANSWERED),
        (uncovered(), answer("tn.a"), NEWLY_ANSWERED),
        (suggest("tn.a", "tn.b"), answer("tn.a"), NEWLY_ANSWERED),
        (suggest("tn.a", "tn.b"), suggest("tn.b", "tn.c"), SUGGESTIONS_CHANGED),
        (fallback(), uncovered(), SUGGESTIONS_CHANGED),
    ],
)
def test_a_changed_decision_is_classified_by_whether_it_was_and_is_answered(
    before: Decision, after: Decision, change: str
) -> None:
    [difference] = one_question(Question("câu hỏi thật", (), REAL), before, after).differences
    assert difference.change == change
    assert (difference.before, difference.after) == (Seen.of(before), Seen.of(after))


def test_a_difference_describes_both_decisions_in_words() -> None:
    [difference] = one_question(Question("hỏi gì đó", (), REAL), suggest("tn.a", "tn.b"), uncovered()).differences
    assert difference.as_dict() == {
        "q": "hỏi gì đó",
        "source": REAL,
        "expect": [],
        "before": "gợi ý tn.a, tn.b",
        "after": "chưa có câu trả lời",
        "change": SUGGESTIONS_CHANGED,
        "verdict": "",
    }
    assert Seen.of(fallback()).describe() == "không hiểu"
    assert Seen.of(answer("tn.a")).describe() == "tn.a"


# -- better or worse -----------------------------------------------------------------------------------------

IN_FIELD = Question("đóng tự nguyện bao nhiêu", ("tn.muc-dong", "tn.muc-dong-toi-thieu"), CHECKS)
OUT_OF_SCOPE = Question("giá vàng hôm nay", ("none",), CHECKS)


@pytest.mark.parametrize(
    ("decision", "expected_rank"),
    [
        (answer("tn.muc-dong"), 3),
        (answer("tn.muc-dong-toi-thieu"), 3),  # any of the entries that answer it
        (suggest("tn.khac", "tn.muc-dong"), 2),
        (suggest("tn.khac"), 1),
        (fallback(), 1),
        (uncovered(), 1),
        (answer("tn.khac"), 0),
    ],
)
def test_an_in_field_question_ranks_right_over_offered_over_unanswered_over_wrong(
    decision: Decision, expected_rank: int
) -> None:
    assert rank(IN_FIELD, Seen.of(decision)) == expected_rank


@pytest.mark.parametrize(
    ("decision", "expected_rank"),
    [(fallback(), 2), (uncovered(), 2), (suggest("tn.a"), 1), (answer("tn.a"), 0)],
)
def test_an_out_of_scope_question_ranks_unanswered_over_suggested_over_answered(
    decision: Decision, expected_rank: int
) -> None:
    assert rank(OUT_OF_SCOPE, Seen.of(decision)) == expected_rank


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        (answer("tn.muc-dong"), suggest("tn.muc-dong"), "worse"),
        (suggest("tn.muc-dong"), fallback(), "worse"),
        (fallback(), answer("tn.khac"), "worse"),
        (answer("tn.muc-dong"), answer("tn.khac"), "worse"),
        (answer("tn.khac"), fallback(), "better"),
        (fallback(), suggest("tn.khac", "tn.muc-dong"), "better"),
        (suggest("tn.muc-dong"), answer("tn.muc-dong-toi-thieu"), "better"),
        (answer("tn.muc-dong"), answer("tn.muc-dong-toi-thieu"), ""),  # moved, but to another right answer
        (suggest("tn.khac"), uncovered(), ""),  # unanswered either way
    ],
)
def test_a_labelled_in_field_question_is_judged_by_its_rank(before: Decision, after: Decision, verdict: str) -> None:
    [difference] = one_question(IN_FIELD, before, after).differences
    assert difference.verdict == verdict


@pytest.mark.parametrize(
    ("before", "after", "verdict"),
    [
        (fallback(), answer("tn.a"), "worse"),
        (fallback(), suggest("tn.a"), "worse"),
        (suggest("tn.a"), answer("tn.a"), "worse"),
        (answer("tn.a"), uncovered(), "better"),
        (suggest("tn.a"), fallback(), "better"),
        (uncovered(), fallback(), ""),
        (answer("tn.a"), answer("tn.b"), ""),  # answered wrongly either way
    ],
)
def test_a_labelled_out_of_scope_question_is_judged_by_its_rank(
    before: Decision, after: Decision, verdict: str
) -> None:
    [difference] = one_question(OUT_OF_SCOPE, before, after).differences
    assert difference.verdict == verdict


def test_right_answers_are_counted_before_and_after() -> None:
    questions = [IN_FIELD, OUT_OF_SCOPE, Question("hỏi lạ", (), REAL)]
    before = matcher({IN_FIELD.text: answer("tn.muc-dong"), OUT_OF_SCOPE.text: answer("tn.a")})
    after = matcher({IN_FIELD.text: fallback(), OUT_OF_SCOPE.text: fallback(), "hỏi lạ": answer("tn.a")})
    report = compare(questions, before, after, allowed_worse=5)
    assert (report.questions, report.labelled) == (3, 2)
    assert (report.right_before, report.right_after) == (1, 1)
    assert (len(report.worse), len(report.better)) == (1, 1)


# -- refusing ------------------------------------------------------------------------------------------------


def worse_questions(count: int) -> list[Question]:
    return [Question(f"câu {n}", (f"e.{n}",), CHECKS) for n in range(count)]


def test_publishing_is_refused_when_more_labelled_questions_get_worse_than_allowed() -> None:
    questions = worse_questions(2)
    before = matcher({q.text: answer(q.expect[0]) for q in questions})
    after = matcher({})
    assert compare(questions, before, after, allowed_worse=0).refused
    assert compare(questions, before, after, allowed_worse=1).refused
    assert not compare(questions, before, after, allowed_worse=2).refused


def test_better_answers_do_not_make_up_for_worse_ones() -> None:
    [worse] = worse_questions(1)
    better = Question("câu tốt hơn", ("e.tot",), CHECKS)
    before = matcher({worse.text: answer("e.0")})
    after = matcher({better.text: answer("e.tot")})
    report = compare([worse, better], before, after)
    assert (len(report.worse), len(report.better), report.refused) == (1, 1, True)


def test_unlabelled_real_questions_never_count_as_worse() -> None:
    real = [Question(f"câu thật {n}", (), REAL) for n in range(3)]
    before = matcher({q.text: answer("tn.a") for q in real})
    after = matcher({real[0].text: answer("tn.b"), real[1].text: suggest("tn.a")})
    report = compare(real, before, after, allowed_worse=0)
    assert [d.change for d in report.differences] == [MOVED, NEWLY_UNANSWERED, NEWLY_UNANSWERED]
    assert {d.verdict for d in report.differences} == {""}
    assert report.worse == () and not report.refused
    assert report.labelled == 0


# -- replaying -----------------------------------------------------------------------------------------------


def test_a_question_asked_twice_is_replayed_once_and_its_labelled_occurrence_is_kept() -> None:
    asked_before: Counter[str] = Counter()
    asked_after: Counter[str] = Counter()
    questions = [
        Question("Mức đóng  BHXH tự nguyện", ("tn.muc-dong",), "dev"),
        Question("mức đóng bhxh tự nguyện", ("tn.muc-dong",), CHECKS),
        Question("mức đóng bhxh  tự nguyện", (), REAL),
        Question("mức đóng bhyt", (), REAL),
        Question("mức đóng bhyt", (), REAL),
    ]
    report = compare(questions, matcher({}, asked_before), matcher({}, asked_after))
    assert asked_before == asked_after == Counter({"Mức đóng  BHXH tự nguyện": 1, "mức đóng bhyt": 1})
    assert (report.questions, report.labelled) == (2, 1)
    assert report.by_source == {"dev": 1, REAL: 1}


def test_worse_come_first_then_better_then_other_labelled_then_real_questions() -> None:
    questions = [
        Question("thật", (), REAL),
        Question("có nhãn, như trước", ("e.a", "e.b"), CHECKS),
        Question("tốt hơn", ("e.c",), CHECKS),
        Question("kém hơn", ("e.d",), CHECKS),
    ]
    before = matcher({"thật": answer("e.x"), "có nhãn, như trước": answer("e.a"), "kém hơn": answer("e.d")})
    after = matcher({"thật": answer("e.y"), "có nhãn, như trước": answer("e.b"), "tốt hơn": answer("e.c")})
    report = compare(questions, before, after)
    assert [d.question.text for d in report.differences] == ["kém hơn", "tốt hơn", "có nhãn, như trước", "thật"]


def test_the_counts_say_how_many_changed_in_each_way() -> None:
    questions = [
        Question("a", (), REAL),
        Question("b", (), REAL),
        Question("c", ("e.c",), CHECKS),
        Question("d", ("e.d",), CHECKS),
    ]
    before = matcher({"a": answer("e.a"), "b": answer("e.b"), "d": answer("e.d")})
    after = matcher({"a": answer("e.z"), "c": answer("e.c"), "d": answer("e.d")})
    report = compare(questions, before, after, allowed_worse=3)
    assert report.counts() == {
        "questions": 4,
        "labelled": 2,
        "changed": 3,
        MOVED: 1,
        NEWLY_UNANSWERED: 1,
        NEWLY_ANSWERED: 1,
        SUGGESTIONS_CHANGED: 0,
        "worse": 0,
        "better": 1,
        "right_before": 1,
        "right_after": 2,
        "allowed_worse": 3,
    }
    assert report.as_dict()["refused"] is False
    assert report.as_dict()["sources"] == {REAL: 2, CHECKS: 2}
