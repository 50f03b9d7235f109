"""Scoring the matcher on labelled questions (`python -m bot eval`)."""

from __future__ import annotations

from bot.core.evaluation import Example, Tally, evaluate, format_table
from bot.core.matcher import Decision, Scored


def decision(kind: str, entry_id: str | None = None, *ranked: str) -> Decision:
    return Decision(kind, entry_id, 0.5, tuple(Scored(i, 0.5) for i in ranked), "")


def test_a_line_without_expect_is_out_of_scope() -> None:
    example = Example.from_json({"q": "giá vàng"})
    assert example.expect == ("none",)
    assert not example.in_scope


def test_a_line_with_expected_ids_is_in_scope() -> None:
    example = Example.from_json({"q": "mất thẻ", "expect": ["bhyt.mat-the", "dv.vssid"], "style": "dau"})
    assert example.in_scope
    assert (example.expect, example.style) == (("bhyt.mat-the", "dv.vssid"), "dau")


def test_a_right_answer_counts_for_top1_top3_and_answered_right() -> None:
    tally = Tally()
    tally.add(Example("q", ("a",)), decision("answer", "a", "a", "b"))
    assert tally.rates() == {
        "in_scope": 1,
        "top1": 100.0,
        "top3": 100.0,
        "answered_right": 100.0,
        "answered_wrong": 0.0,
        "suggested": 0.0,
        "none_lines": 0,
        "none_fallback": None,
    }


def test_an_expected_id_in_second_place_counts_for_top3_only() -> None:
    tally = Tally()
    tally.add(Example("q", ("b",)), decision("suggest", None, "a", "b"))
    rates = tally.rates()
    assert (rates["top1"], rates["top3"], rates["suggested"], rates["answered_wrong"]) == (0.0, 100.0, 100.0, 0.0)


def test_a_wrong_answer_counts_as_answered_wrong() -> None:
    tally = Tally()
    tally.add(Example("q", ("b",)), decision("answer", "a", "a"))
    assert tally.rates()["answered_wrong"] == 100.0


def test_out_of_scope_lines_count_how_often_the_bot_fell_back() -> None:
    tally = Tally()
    tally.add(Example("q1", ("none",)), decision("fallback"))
    tally.add(Example("q2", ("none",)), decision("answer", "a", "a"))
    assert (tally.rates()["none_lines"], tally.rates()["none_fallback"]) == (2, 50.0)
    assert tally.rates()["in_scope"] == 0
    assert tally.rates()["top1"] is None


def test_evaluate_groups_by_style_and_lists_misses() -> None:
    answers = {
        "right": decision("answer", "a", "a"),
        "wrong": decision("answer", "b", "b"),
        "off": decision("answer", "a"),
    }
    examples = [
        Example("right", ("a",), "dau"),
        Example("wrong", ("a",), "khongdau"),
        Example("off", ("none",), "dau"),
    ]
    report = evaluate(examples, answers.__getitem__)
    assert sorted(report.by_style) == ["dau", "khongdau"]
    assert [example.question for example, _ in report.misses] == ["wrong", "off"]
    assert report.as_dict()["overall"]["answered_right"] == 50.0


def test_the_table_has_a_header_a_rule_a_row_per_style_and_a_total() -> None:
    report = evaluate([Example("q", ("a",), "dau")], lambda _: decision("answer", "a", "a"))
    lines = format_table(report).splitlines()
    assert lines[0].split()[:2] == ["style", "n"]
    assert set(lines[1].replace(" ", "")) == {"-"}
    assert [line.split()[0] for line in lines[2:]] == ["dau", "ALL"]
