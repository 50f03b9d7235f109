"""The unanswered-questions inbox: which logged questions staff see, and how similar ones are grouped."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from bot.core.inbox import (
    FALLBACK,
    SUGGEST,
    UNCOVERED,
    Cluster,
    Logged,
    Mark,
    Question,
    clusters,
    signature,
    unanswered,
)
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def asked(matcher: Matcher, text: str, at: datetime = T0, chat: str = "c1", decision: str = FALLBACK) -> Question:
    """The question as the bot logs it: normalised by the real matcher, with the entry it ranked first."""
    decided = matcher.match(text)
    nearest = decided.ranked[0].id if decided.ranked else None
    return Question(decided.normalised, decision, at, chat, decided.topic, nearest)


def cluster_of(found: list[Cluster], normalised: str) -> Cluster:
    [cluster] = [c for c in found if normalised in c.examples or c.representative == normalised]
    return cluster


def test_phone_typed_maternity_questions_cluster_together_and_the_pension_one_does_not(
    real_matcher: Matcher, real_kb: KnowledgeBase
) -> None:
    texts = [
        "thai san nghi may thang",
        "nghỉ thai sản được mấy tháng",
        "che do thai san bao lau",
        "lương hưu tối thiểu",
        "luong huu toi thieu bao nhieu",
    ]
    questions = [asked(real_matcher, text, T0 + i * timedelta(minutes=5), f"c{i}") for i, text in enumerate(texts)]
    found = clusters(questions, real_kb.lexicon.stopwords)
    maternity = cluster_of(found, questions[0].normalised)
    assert maternity.count == 3
    assert set(maternity.examples) == {q.normalised for q in questions[:3]}
    pension = cluster_of(found, questions[3].normalised)
    assert pension.count == 2 and pension is not maternity
    assert len(found) == 2


def test_questions_sharing_only_a_nearest_entry_stay_apart() -> None:
    weather = Question("thoi tiet mai the nao", FALLBACK, T0, "c1", nearest="bb.thai-san")
    maternity = Question("thai san nghi may thang", FALLBACK, T0, "c2", nearest="bb.thai-san")
    assert len(clusters([weather, maternity])) == 2


def test_word_order_stopwords_masked_numbers_and_repeats_do_not_change_the_signature(real_kb: KnowledgeBase) -> None:
    stopwords = real_kb.lexicon.stopwords
    assert signature("thai san nghi duoc may thang", stopwords) == "may nghi san thai thang"
    assert signature("nghi thai san may thang thang #", stopwords) == "may nghi san thai thang"
    assert signature("ok", stopwords) == "ok" and signature("a # nhe", stopwords) == ""


def test_a_cluster_counts_questions_chats_and_decisions_and_knows_when_it_was_asked() -> None:
    questions = [
        Question("thuong binh kham bhyt", UNCOVERED, T0, "c1", "chế độ người có công", "bhyt.dung-tuyen"),
        Question("thuong binh kham bhyt", UNCOVERED, T0 + DAY, "c2", "chế độ người có công", "bhyt.dung-tuyen"),
        Question("kham bhyt thuong binh mien phi", FALLBACK, T0 + 3 * DAY, "c1", "", "bhyt.dung-tuyen"),
        Question("thuong binh kham bhyt", SUGGEST, T0 + 2 * DAY, None, "", "bhyt.dung-tuyen"),
    ]
    [cluster] = clusters(questions)
    assert (cluster.count, cluster.chats) == (4, 2)
    assert (cluster.first_seen, cluster.last_seen) == (T0, T0 + 3 * DAY)
    assert dict(cluster.decisions) == {UNCOVERED: 2, FALLBACK: 1, SUGGEST: 1}
    assert cluster.representative == "thuong binh kham bhyt"
    assert cluster.examples == ("kham bhyt thuong binh mien phi", "thuong binh kham bhyt")
    assert (cluster.topic, cluster.nearest) == ("chế độ người có công", "bhyt.dung-tuyen")
    assert cluster.key == hashlib.sha256(b"bhyt binh kham thuong").hexdigest()[:10]
    assert cluster.as_json()["first_seen"] == "2026-11-20T02:00:00+00:00"


def test_examples_are_distinct_wordings_most_recent_first_at_most_five() -> None:
    wordings = [f"dong bhxh tu nguyen o {place}" for place in ("ha noi", "hue", "da nang", "can tho", "vinh", "hue")]
    questions = [Question(text, FALLBACK, T0 + i * DAY, f"c{i}") for i, text in enumerate(wordings)]
    [cluster] = clusters(questions)
    newest_first = ("hue", "vinh", "can tho", "da nang", "ha noi")
    assert cluster.examples == tuple(f"dong bhxh tu nguyen o {place}" for place in newest_first)
    assert cluster.representative == "dong bhxh tu nguyen o hue"  # asked twice


def test_the_most_asked_cluster_comes_first_and_a_question_without_words_is_left_out() -> None:
    questions = [
        Question("the bhyt het han gia han", FALLBACK, T0, "c1"),
        Question("gia han the bhyt het han", FALLBACK, T0, "c2"),
        Question("rut bhxh mot lan online", FALLBACK, T0 + DAY, "c3"),
        Question("#", FALLBACK, T0, "c4"),
        Question("", FALLBACK, T0, "c5"),
    ]
    found = clusters(questions)
    assert [c.count for c in found] == [2, 1]
    assert found[1].representative == "rut bhxh mot lan online"


def test_an_ignored_signature_is_left_out_and_one_done_shows_again_when_asked_after() -> None:
    maternity = [Question("thai san nghi may thang", FALLBACK, T0 + i * DAY, f"c{i}") for i in range(3)]
    pension = [Question("luong huu thieu", FALLBACK, T0, "c9")]
    [first, _] = clusters(maternity + pension)
    [done_digest] = first.digests
    done_at = T0 + DAY + timedelta(hours=1)  # after the second question, before the third
    left = clusters(maternity + pension, marks={done_digest: Mark("done", done_at)})
    assert sorted((c.representative, c.count) for c in left) == [("luong huu thieu", 1), ("thai san nghi may thang", 1)]
    ignored = clusters(maternity + pension, marks={done_digest: Mark("ignored", done_at)})
    assert [c.representative for c in ignored] == ["luong huu thieu"]


def _row(decision: str, minutes: float, chat: str | None = "c1", matched: str | None = None) -> Logged:
    """A logged row `minutes` after T0; a suggestion offered the maternity and sickness entries."""
    top = ("bb.thai-san", "bb.om-dau") if decision == SUGGEST else ()
    return Logged("thai san chong", decision, matched, top, T0 + timedelta(minutes=minutes), chat)


def test_a_suggestion_nobody_pressed_within_30_minutes_is_unanswered() -> None:
    until = T0 + DAY
    cases = {
        "pressed in time": [_row(SUGGEST, 0), _row("action", 2, matched="bb.om-dau")],
        "never pressed": [_row(SUGGEST, 0)],
        "pressed too late": [_row(SUGGEST, 0), _row("action", 31, matched="bb.thai-san")],
        "another entry opened": [_row(SUGGEST, 0), _row("action", 1, matched="bb.tu-tuat")],
        "pressed after asking again": [_row(SUGGEST, 0), _row("answer", 1), _row("action", 2, matched="bb.om-dau")],
        "another chat pressed": [_row(SUGGEST, 0), _row("action", 1, chat="c2", matched="bb.thai-san")],
        "pressed after a menu": [_row(SUGGEST, 0), _row("menu", 1), _row("action", 3, matched="bb.thai-san")],
        "no chat to tell": [_row(SUGGEST, 0, chat=None), _row("action", 1, chat=None, matched="bb.thai-san")],
    }
    unanswered_cases = {name for name, rows in cases.items() if unanswered(rows, T0, until)}
    assert unanswered_cases == {"never pressed", "pressed too late", "another entry opened",
                                "pressed after asking again", "another chat pressed"}  # fmt: skip
    [question] = unanswered(cases["never pressed"], T0, until)
    assert (question.decision, question.nearest, question.chat_digest) == (SUGGEST, "bb.thai-san", "c1")


def test_only_uncovered_fallback_and_unpressed_suggestions_in_the_period_are_unanswered() -> None:
    rows = [
        _row(FALLBACK, -1),  # before the period
        _row(FALLBACK, 0),
        _row(UNCOVERED, 1),
        _row("answer", 2),
        _row("action", 3, matched="bb.thai-san"),
        _row("menu", 4),
        _row(FALLBACK, 60),  # at `until`: not in the period
    ]
    found = unanswered(rows, T0, T0 + timedelta(minutes=60))
    assert [(q.decision, q.asked_at) for q in found] == [(FALLBACK, T0), (UNCOVERED, T0 + timedelta(minutes=1))]


def test_twenty_thousand_questions_are_all_counted_once() -> None:
    subjects = ["thai san", "luong huu", "bhyt hoc sinh", "that nghiep", "tu tuat", "om dau", "rut mot lan"]
    extras = ["bao nhieu", "o dau", "the nao", "may thang", "ho so", "thu tuc", "nam nay", "mien phi"]
    questions = [
        Question(f"{subjects[i % 7]} {extras[i % 8]} {extras[(i // 8) % 8]} tu{i % 500}", FALLBACK, T0, f"c{i}")
        for i in range(20_000)
    ]
    found = clusters(questions)
    assert sum(c.count for c in found) == 20_000
    assert all(c.count >= 1 and len(c.examples) <= 5 for c in found)
    assert len({c.key for c in found}) == len(found)
