"""Short answers with the legal basis one tap away (issue 14, item 5), on the real knowledge base: every answer
and every calculator result fits a phone screen with one short "Căn cứ" line, and "Xem căn cứ pháp lý" lists
every citation once, each naming its law or decree, with the date it applies from."""

from __future__ import annotations

import re
from datetime import date

import pytest

from bot.core.actions import MAX_ACTION_BYTES, FlowStep, ShowBasis, parse_action
from bot.core.citations import INSTRUMENT, Citation, distinct, short_line, split_citations
from bot.core.engine import answer_citations, answer_reply, decide
from bot.core.flows import CALCULATORS
from bot.core.flows.base import BACK, CANCEL
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Matcher
from bot.core.types import Inbound, InboundKind, Outcome, Reply, Session
from tests.factories import TODAY

HARD_LIMIT = 1500  # characters: the most an answer or a result may take (aim: 900)
CHAT = "test:basis"
BASIS_LINE = re.compile(r"^Căn cứ: (.+)\.$", re.MULTILINE)
# Typical answers typed at the calculators' steps that take typed input (the others are answered by a button).
TYPED = {
    "income": "5 triệu",
    "birth": "15/03/1975",
    "total": "12 năm",
    "before": "2 năm",
    "stopped": "06/2026",
    "members": "4",
    "months": "12",
}


def key(citation: str) -> str:
    return " ".join(citation.casefold().split())


def basis_lines(text: str) -> list[str]:
    return BASIS_LINE.findall(text)


def assert_short_basis_line(text: str) -> None:
    """At most one "Căn cứ" line, of one or two citations each naming its law, none twice."""
    found = basis_lines(text)
    assert len(found) <= 1, found
    for line in found:
        cited = split_citations(line)
        assert 1 <= len(cited) <= 2, line
        assert len({key(c) for c in cited}) == len(cited), line
        assert all(INSTRUMENT.search(c) for c in cited), line


def test_every_answer_fits_a_phone_screen_with_one_short_basis_line(real_kb: KnowledgeBase) -> None:
    for entry in real_kb.entries.values():
        text = answer_reply(entry, real_kb, TODAY).text
        assert len(text) <= HARD_LIMIT, (entry.id, len(text))
        assert_short_basis_line(text)


def test_every_citation_of_every_answer_names_its_law_and_is_listed_once(real_kb: KnowledgeBase) -> None:
    for entry in real_kb.entries.values():
        citations = answer_citations(entry, real_kb, TODAY)
        texts = [key(c.text) for c in citations]
        assert len(texts) == len(set(texts)), entry.id
        unnamed = [c.text for c in citations if not INSTRUMENT.search(c.text)]
        assert unnamed == [], entry.id


def test_an_answer_with_a_legal_basis_has_the_button_that_shows_it_all(real_kb: KnowledgeBase) -> None:
    for entry in real_kb.entries.values():
        reply = answer_reply(entry, real_kb, TODAY)
        actions = [parse_action(b.action) for b in reply.buttons]
        has_basis = bool(answer_citations(entry, real_kb, TODAY)) and entry.kind != "smalltalk"
        assert (ShowBasis(entry.id) in actions) == has_basis, entry.id
        assert all(len(b.action.encode()) <= MAX_ACTION_BYTES for b in reply.buttons)


def press(kb: KnowledgeBase, matcher: Matcher, action: str, session: Session | None = None) -> Outcome:
    return decide(Inbound(CHAT, InboundKind.ACTION, action=action), session or Session(CHAT), kb, TODAY, matcher)


def test_the_basis_button_lists_every_source_and_figure_basis_once_with_its_date(
    real_kb: KnowledgeBase, real_matcher: Matcher
) -> None:
    entry = real_kb.entries["tn.muc-dong"]
    (listing,) = press(real_kb, real_matcher, ShowBasis(entry.id).data()).replies
    lines = [line.removeprefix("• ") for line in listing.text.splitlines() if line.startswith("• ")]
    cited = [re.sub(r" \(áp dụng từ \d{2}/\d{2}/\d{4}\)$", "", line) for line in lines]
    assert all(re.search(r"\(áp dụng từ \d{2}/\d{2}/\d{4}\)$", line) for line in lines)
    assert len({key(c) for c in cited}) == len(cited)
    _, details = entry.render(real_kb.policy, TODAY)
    short, _ = entry.render(real_kb.policy, TODAY)
    every_basis = [c for basis in (*short.bases, *details.bases) for c in split_citations(basis)]
    every_source = [c for source in entry.sources if "{{" not in source for c in split_citations(source)]
    assert {key(c) for c in (*every_basis, *every_source)} <= {key(c) for c in cited}
    assert len(listing.text) <= HARD_LIMIT
    assert parse_action(listing.buttons[0].action) == parse_action(f"a:{entry.id}")  # back to the answer


def test_every_basis_listing_fits_a_phone_screen(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    for entry in real_kb.entries.values():
        (listing,) = press(real_kb, real_matcher, ShowBasis(entry.id).data()).replies
        assert len(listing.text) <= HARD_LIMIT, (entry.id, len(listing.text))


def test_the_short_line_keeps_the_first_citation_and_one_of_another_law() -> None:
    same_law = [Citation("Luật BHXH 41/2024/QH15, Điều 31"), Citation("Luật BHXH 41/2024/QH15, Điều 36")]
    assert short_line(same_law) == "Luật BHXH 41/2024/QH15, Điều 31"
    other = [*same_law, Citation("Nghị định 159/2025/NĐ-CP, Điều 5")]
    assert short_line(other) == "Luật BHXH 41/2024/QH15, Điều 31; Nghị định 159/2025/NĐ-CP, Điều 5"
    assert short_line(distinct([Citation("Nghị định 1/2020/NĐ-CP"), Citation("nghị định  1/2020/NĐ-CP")])) == (
        "Nghị định 1/2020/NĐ-CP"
    )


def test_a_semicolon_inside_parentheses_does_not_split_a_citation() -> None:
    assert split_citations("Luật A 1/2020/QH14, Điều 3 (x; y); Nghị định 2/2021/NĐ-CP.") == (
        "Luật A 1/2020/QH14, Điều 3 (x; y)",
        "Nghị định 2/2021/NĐ-CP",
    )


def test_a_stale_or_unknown_basis_button_is_answered_politely(real_kb: KnowledgeBase, real_matcher: Matcher) -> None:
    (reply,) = press(real_kb, real_matcher, "b:no.such-entry").replies
    assert reply.text == real_kb.message("stale")


def is_choice(data: str, step: str) -> bool:
    action = parse_action(data)
    return isinstance(action, FlowStep) and action.step == step and action.code not in ("", BACK, CANCEL)


def finish(kb: KnowledgeBase, matcher: Matcher, flow: str, choice: int, today: date = TODAY) -> Reply:
    """The calculator run to its result: each button step answered by its choice number `choice` (or its last),
    each typed step with a typical value."""
    session = Session(CHAT)
    outcome = press(kb, matcher, FlowStep(flow).data())
    for _ in range(15):
        assert outcome.session is not None
        session = outcome.session
        if session.flow is None:
            return outcome.replies[-1]
        step = session.flow.step
        choices = [b.action for b in outcome.replies[-1].buttons if is_choice(b.action, step)]
        if step in TYPED:
            outcome = decide(Inbound(CHAT, InboundKind.TEXT, text=TYPED[step]), session, kb, today, matcher)
        else:
            assert choices, (flow, step, outcome.replies[-1].text)
            outcome = press(kb, matcher, choices[min(choice, len(choices) - 1)], session)
    raise AssertionError(f"{flow} did not finish")


@pytest.mark.parametrize("choice", [0, 1, 99])
@pytest.mark.parametrize("flow", sorted(CALCULATORS))
def test_every_calculator_result_fits_with_a_short_basis_line_and_the_basis_button(
    real_kb: KnowledgeBase, real_matcher: Matcher, flow: str, choice: int
) -> None:
    result = finish(real_kb, real_matcher, flow, choice)
    assert len(result.text) <= HARD_LIMIT, (flow, len(result.text))
    assert_short_basis_line(result.text)
    basis = [b.action for b in result.buttons if isinstance(parse_action(b.action), ShowBasis)]
    assert len(basis) == 1, (flow, [b.label for b in result.buttons])
    (listing,) = press(real_kb, real_matcher, basis[0]).replies
    assert listing.text.startswith("Căn cứ pháp lý") and "•" in listing.text


def test_the_basis_button_data_reads_back_and_leaves_the_existing_wire_strings_alone(real_kb: KnowledgeBase) -> None:
    for entry_id in real_kb.entries:
        data = ShowBasis(entry_id).data()
        assert data == f"b:{entry_id}" and parse_action(data) == ShowBasis(entry_id)
        assert len(data.encode()) <= MAX_ACTION_BYTES
    assert parse_action("a:tn.muc-dong") != ShowBasis("tn.muc-dong")  # "a:" still opens the answer
    assert parse_action("b:") is None
