"""Finding the entry a citizen's question is about: answer, "did you mean", or a polite fallback."""

from __future__ import annotations

import dataclasses
import gc
import weakref

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.knowledge import Entry, KnowledgeBase
from bot.core.matcher import NUMBER, Decision, Matcher, MatcherConfig, Scored, Signals, apply_rule
from bot.core.text import fold, normalise
from tests.factories import PHONE_KEYBOARD, build_kb, entry, faq_file

LEXICON = {
    "abbreviations": {
        "bhxh": "bhxh",
        "bảo hiểm xã hội": "bhxh",
        "bhyt": "bhyt",
        "bảo hiểm y tế": "bhyt",
        "tn": "tự nguyện",
    },
    "teencode": {"ko": "không", "bn": "bao nhiêu"},
    "stopwords": ["thì", "là", "có", "không", "được", "tôi", "em"],
    "out_of_scope": ["nhân thọ", "giá vàng"],
}


def small_kb(lexicon: dict | None = None) -> KnowledgeBase:
    return build_kb(
        faq_file(
            "tn",
            [
                entry(
                    "tn.muc-dong",
                    [
                        "Đóng BHXH tự nguyện mỗi tháng bao nhiêu tiền?",
                        "mức đóng bhxh tự nguyện thấp nhất",
                        "bhxh tự nguyện đóng ít nhất bao nhiêu",
                    ],
                    title="Mức đóng BHXH tự nguyện",
                    keywords=["mức đóng", "bao nhiêu tiền"],
                ),
                entry(
                    "tn.dang-ky",
                    [
                        "Đăng ký tham gia BHXH tự nguyện ở đâu?",
                        "muốn tham gia bhxh tự nguyện thì làm hồ sơ gì",
                        "đăng ký bhxh tự nguyện cần giấy tờ gì",
                    ],
                    title="Đăng ký BHXH tự nguyện",
                    keywords=["đăng ký", "hồ sơ", "giấy tờ"],
                ),
            ],
        ),
        faq_file(
            "bhyt",
            [
                entry(
                    "bhyt.the-tre-em",
                    [
                        "thẻ bhyt cho trẻ em dưới 6 tuổi",
                        "làm thẻ bảo hiểm y tế cho con nhỏ",
                        "bé mới sinh có thẻ bhyt không",
                    ],
                    title="Thẻ BHYT trẻ em",
                    keywords=["trẻ em", "con nhỏ"],
                ),
                entry(
                    "bhyt.the-hoc-sinh",
                    [
                        "thẻ bhyt cho học sinh sinh viên",
                        "học sinh mua bảo hiểm y tế ở trường",
                        "sinh viên đóng bhyt bao nhiêu",
                    ],
                    title="Thẻ BHYT học sinh",
                    keywords=["học sinh", "sinh viên"],
                ),
                entry(
                    "bhyt.mat-the",
                    ["mất thẻ bhyt thì làm sao", "làm lại thẻ bảo hiểm y tế bị mất", "thẻ bhyt bị rách xin cấp lại"],
                    title="Mất thẻ BHYT",
                    keywords=["mất thẻ", "cấp lại"],
                ),
            ],
        ),
        faq_file(
            "huu",
            [
                entry(
                    "huu.tuoi",
                    ["bao nhiêu tuổi thì được nghỉ hưu", "tuổi nghỉ hưu của nam năm nay", "tuổi về hưu của phụ nữ"],
                    title="Tuổi nghỉ hưu",
                    keywords=["tuổi nghỉ hưu"],
                )
            ],
        ),
        faq_file(
            "ngoai",
            [
                {
                    "id": "ngoai.vay",
                    "kind": "none",
                    "questions": ["vay tiền ngân hàng lãi suất", "vay vốn làm ăn", "cho vay tín chấp"],
                    "keywords": ["vay tiền", "lãi suất"],
                }
            ],
        ),
        lexicon=LEXICON if lexicon is None else lexicon,
    )


# The decision rule and weights these tests were written against, pinned so that tuning the defaults
# for the real knowledge base does not change what the small one decides.
PINNED = MatcherConfig(
    answer_threshold=0.45,
    answer_margin=0.05,
    suggest_threshold=0.25,
    max_suggestions=3,
    candidates=20,
    weight_phrasing=0.5,
    weight_entry=0.3,
    weight_fuzzy=0.2,
    tie_answer_threshold=1.0,  # close entries are suggested, never answered
    clear_threshold=1.0,  # nor an entry below the answer threshold
)


@pytest.fixture(scope="module")
def matcher() -> Matcher:
    return Matcher(small_kb(), PINNED)


# -- on a small knowledge base ---------------------------------------------------------------


def test_a_question_asked_as_written_is_answered(matcher: Matcher) -> None:
    decision = matcher.match("Đóng BHXH tự nguyện mỗi tháng bao nhiêu tiền?")
    assert (decision.kind, decision.entry_id) == ("answer", "tn.muc-dong")
    assert decision.ranked[0].id == "tn.muc-dong"


@pytest.mark.parametrize(
    "question",
    [
        "dong bhxh tu nguyen moi thang bao nhieu tien",
        "ĐÓNG BẢO HIỂM XÃ HỘI TỰ NGUYỆN MỖI THÁNG HẾT BAO NHIÊU TIỀN VẬY",
        "bhxh tn dong bn tien 1 thang",
    ],
)
def test_the_same_question_without_diacritics_or_abbreviated_is_answered_alike(matcher: Matcher, question: str) -> None:
    decision = matcher.match(question)
    assert (decision.kind, decision.entry_id) == ("answer", "tn.muc-dong")


def test_a_paraphrase_close_to_one_entry_is_answered(matcher: Matcher) -> None:
    decision = matcher.match("mat the bhyt thi lam sao")
    assert (decision.kind, decision.entry_id) == ("answer", "bhyt.mat-the")


def test_a_question_of_unknown_words_falls_back(matcher: Matcher) -> None:
    decision = matcher.match("qwerty zxcvb")
    assert decision.kind == "fallback"
    assert decision.entry_id is None
    assert decision.ranked == ()


@pytest.mark.parametrize("question", ["", "   ", "?!...", "😀👍", "thì là có không"])
def test_a_question_with_no_content_words_falls_back(matcher: Matcher, question: str) -> None:
    assert matcher.match(question).kind == "fallback"


def test_an_out_of_scope_phrase_forces_a_fallback_even_with_a_strong_match(matcher: Matcher) -> None:
    in_scope = matcher.match("đóng bảo hiểm tự nguyện bao nhiêu tiền")
    out_of_scope = matcher.match("đóng bảo hiểm nhân thọ bao nhiêu tiền")
    assert in_scope.kind == "answer"
    assert out_of_scope.kind == "fallback"
    assert out_of_scope.reason == "out of scope: nhan tho"


def test_an_out_of_scope_phrase_is_recognised_without_diacritics(matcher: Matcher) -> None:
    assert matcher.match("gia vang hom nay bao nhieu").reason == "out of scope: gia vang"


def test_an_out_of_scope_entry_ranked_first_forces_a_fallback(matcher: Matcher) -> None:
    decision = matcher.match("vay tiền ngân hàng lãi suất bao nhiêu")
    assert decision.kind == "fallback"
    assert decision.reason == "out of scope: ngoai.vay"


def test_out_of_scope_entries_are_never_offered_as_choices(matcher: Matcher) -> None:
    decision = matcher.match("vay vốn làm ăn")
    assert "ngoai.vay" not in {s.id for s in decision.ranked}


def test_a_question_between_two_close_entries_suggests_up_to_three_choices(matcher: Matcher) -> None:
    decision = matcher.match("thẻ bhyt")
    assert decision.kind == "suggest"
    assert decision.entry_id is None
    assert 2 <= len(decision.ranked) <= 3
    assert {"bhyt.the-tre-em", "bhyt.mat-the"} <= {s.id for s in decision.ranked}


def test_suggested_choices_all_reach_the_suggest_threshold(matcher: Matcher) -> None:
    decision = matcher.match("đóng bhxh tự nguyện ở đâu")
    assert decision.kind == "suggest"
    assert all(s.score >= matcher.config.suggest_threshold for s in decision.ranked)


def test_a_word_one_edit_away_from_an_indexed_word_is_corrected(matcher: Matcher) -> None:
    assert matcher.query_words(["nguyrn"]) == ["nguyen"]
    decision = matcher.match("dong bhxh tu nguyrn bao nhieu tien")
    assert (decision.kind, decision.entry_id) == ("answer", "tn.muc-dong")
    assert "nguyen" in decision.normalised.split()


def test_a_short_word_two_edits_away_is_not_corrected(matcher: Matcher) -> None:
    assert matcher.query_words(["tuoxx"]) == ["tuoxx"]


def test_numbers_are_matched_as_a_number_placeholder(matcher: Matcher) -> None:
    assert matcher.query_words(["tre", "em", "6", "tuoi"]) == ["tre", NUMBER, "tuoi"]


def test_the_normalised_question_contains_neither_stopwords_nor_digits(matcher: Matcher) -> None:
    decision = matcher.match("Tôi gọi 0912345678 thì có được làm lại thẻ bhyt không?")
    assert "0912345678" not in decision.normalised
    assert not {"toi", "thi", "co", "duoc", "khong"} & set(decision.normalised.split())


def test_ranked_entries_are_best_first(matcher: Matcher) -> None:
    ranked = matcher.match("thẻ bhyt cho học sinh").ranked
    assert [s.score for s in ranked] == sorted((s.score for s in ranked), reverse=True)


def test_a_matcher_built_without_lexicon_still_answers_an_exact_phrasing() -> None:
    decision = Matcher(small_kb(lexicon={}), PINNED).match("tuổi nghỉ hưu của nam năm nay")
    assert (decision.kind, decision.entry_id) == ("answer", "huu.tuoi")


def test_a_very_long_question_is_cut_to_the_token_limit(matcher: Matcher) -> None:
    decision = matcher.match("mất thẻ bhyt thì làm sao " * 100)
    assert decision.entry_id == "bhyt.mat-the"
    assert len(decision.normalised.split()) <= matcher.config.max_query_tokens


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=PHONE_KEYBOARD, max_size=200))
def test_scores_are_between_0_and_1_for_any_question(matcher: Matcher, text: str) -> None:
    decision = matcher.match(text)
    assert 0.0 <= decision.score <= 1.0
    assert all(0.0 <= s.score <= 1.0 for s in decision.ranked)
    assert len(decision.ranked) <= 3
    assert (decision.entry_id is not None) == (decision.kind == "answer")


# -- the decision rule -----------------------------------------------------------------------

KINDS = {"a": "faq", "b": "faq", "c": "faq", "d": "faq", "x": "none"}
CONFIG = MatcherConfig(
    answer_threshold=0.45,
    answer_margin=0.05,
    suggest_threshold=0.25,
    max_suggestions=3,
    tie_answer_threshold=0.55,
    clear_threshold=1.0,  # no clear-lead answers unless a test asks for them
)


def rule(*scores: tuple[str, float], phrase: str | None = None, **signals) -> Decision:
    return apply_rule([Scored(i, s) for i, s in scores], KINDS, CONFIG, "q", Signals(out_of_scope=phrase, **signals))


def test_rule_answers_a_clear_winner() -> None:
    decision = rule(("a", 0.6), ("b", 0.5))
    assert (decision.kind, decision.entry_id, decision.score) == ("answer", "a", 0.6)


def test_rule_suggests_when_the_winner_lacks_the_margin() -> None:
    decision = rule(("a", 0.5), ("b", 0.48), ("c", 0.3), ("d", 0.29))
    assert decision.kind == "suggest"
    assert [s.id for s in decision.ranked] == ["a", "b", "c"]


def test_rule_answers_the_better_of_two_close_entries_when_both_are_strong_and_offers_the_other() -> None:
    decision = rule(("a", 0.6), ("b", 0.58), ("c", 0.3))
    assert (decision.kind, decision.entry_id, decision.also) == ("answer", "a", ("b",))


def test_rule_answers_below_the_answer_threshold_when_one_entry_leads_clearly() -> None:
    clear = dataclasses.replace(CONFIG, clear_threshold=0.3, clear_margin=0.1)
    long = Signals(words=clear.clear_min_words)
    decided = apply_rule([Scored("a", 0.4), Scored("b", 0.25)], KINDS, clear, "q", long)
    close = apply_rule([Scored("a", 0.4), Scored("b", 0.35)], KINDS, clear, "q", long)
    short = apply_rule([Scored("a", 0.4), Scored("b", 0.25)], KINDS, clear, "q", Signals(words=3))
    assert (decided.kind, decided.entry_id, decided.reason) == ("answer", "a", "clear lead")
    assert close.kind == "suggest"
    assert short.kind == "suggest"  # a few stray words never clearly fit


def test_rule_says_a_subject_listed_as_not_covered_is_not_covered_whatever_the_scores() -> None:
    decision = rule(("a", 0.9), not_covered="chế độ người có công")
    assert (decision.kind, decision.entry_id, decision.topic) == ("uncovered", None, "chế độ người có công")


def test_rule_never_answers_from_an_entry_the_question_s_situation_rules_out() -> None:
    decision = rule(("a", 0.8), ("b", 0.2), ruled_out={"a": "BHXH bắt buộc"})
    assert (decision.kind, decision.topic) == ("uncovered", "BHXH bắt buộc")
    assert "a" not in {s.id for s in decision.ranked}


def test_rule_offers_the_entries_left_when_the_situation_rules_out_the_best() -> None:
    decision = rule(("a", 0.8), ("b", 0.3), ruled_out={"a": "BHXH bắt buộc"})
    assert (decision.kind, [s.id for s in decision.ranked]) == ("suggest", ["b"])


def test_rule_answers_from_the_next_entry_when_it_fits_the_situation_on_its_own() -> None:
    decision = rule(("a", 0.8), ("b", 0.7), ("c", 0.2), ruled_out={"a": "BHXH bắt buộc"})
    assert (decision.kind, decision.entry_id) == ("answer", "b")


def test_rule_says_not_covered_rather_than_fall_back_on_a_weak_question_in_the_field() -> None:
    assert rule(("a", 0.2), in_field=True).kind == "uncovered"
    assert rule(("a", 0.2), in_field=False).kind == "fallback"


def test_rule_falls_back_on_an_out_of_scope_phrase_even_in_the_field() -> None:
    assert rule(("a", 0.9), phrase="nhan tho", in_field=True).kind == "fallback"


def test_rule_suggests_below_the_answer_threshold() -> None:
    assert rule(("a", 0.4)).kind == "suggest"


def test_rule_offers_only_choices_above_the_suggest_threshold() -> None:
    decision = rule(("a", 0.3), ("b", 0.29), ("c", 0.1))
    assert [s.id for s in decision.ranked] == ["a", "b"]


def test_rule_falls_back_below_the_suggest_threshold() -> None:
    decision = rule(("a", 0.2), ("b", 0.1))
    assert (decision.kind, decision.reason) == ("fallback", "low score")


def test_rule_falls_back_when_an_out_of_scope_entry_comes_first() -> None:
    decision = rule(("x", 0.5), ("a", 0.49))
    assert decision.kind == "fallback"
    assert decision.ranked == (Scored("a", 0.49),)


def test_rule_answers_when_an_out_of_scope_entry_is_only_second() -> None:
    assert rule(("a", 0.7), ("x", 0.69), ("b", 0.3)).kind == "answer"


def test_rule_falls_back_on_an_out_of_scope_phrase_whatever_the_scores() -> None:
    decision = rule(("a", 0.99), phrase="gia vang")
    assert (decision.kind, decision.reason) == ("fallback", "out of scope: gia vang")


def test_rule_falls_back_with_no_candidates() -> None:
    assert rule().kind == "fallback"


# -- cues on a small knowledge base ------------------------------------------------------------

CUE_LEXICON = {
    **LEXICON,
    "situations": {
        "scheme": {
            "bat-buoc": {"label": "BHXH bắt buộc", "cues": ["công ty", "bắt buộc"]},
            "tu-nguyen": {"label": "BHXH tự nguyện", "cues": ["tự nguyện"]},
        }
    },
    "not_covered": {"chế độ người có công": ["thương binh", "người có công"]},
    "field": ["bhxh", "bhyt", "thai sản"],
    "courtesy": ["chào bạn", "cảm ơn", "dạ"],
}


def cue_kb() -> KnowledgeBase:
    voluntary = entry(
        "tn.thai-san",
        ["đóng tự nguyện có được tiền thai sản không", "bhxh tự nguyện sinh con được bao nhiêu", "thai sản tự nguyện"],
        title="Thai sản BHXH tự nguyện",
        keywords=["thai sản", "sinh con"],
    )
    voluntary["situation"] = {"scheme": "tu-nguyen"}
    return build_kb(
        faq_file("tn", [voluntary]),
        faq_file(
            "bhyt",
            [
                entry(
                    "bhyt.muc-huong",
                    ["thẻ bhyt được hưởng bao nhiêu phần trăm", "mức hưởng bhyt", "đi khám bhyt trả mấy phần trăm"],
                )
            ],
        ),
        lexicon=CUE_LEXICON,
    )


@pytest.fixture(scope="module")
def cue_matcher() -> Matcher:
    return Matcher(cue_kb(), PINNED)


def test_an_entry_about_the_voluntary_scheme_does_not_answer_a_worker_at_a_company(cue_matcher: Matcher) -> None:
    assert cue_matcher.match("tự nguyện sinh con được bao nhiêu tiền thai sản").entry_id == "tn.thai-san"
    decision = cue_matcher.match("đóng ở công ty sinh con được bao nhiêu tiền thai sản")
    assert (decision.kind, decision.topic) == ("uncovered", "BHXH bắt buộc")


def test_a_question_naming_both_schemes_may_be_answered_from_either(cue_matcher: Matcher) -> None:
    decision = cue_matcher.match("trước đóng ở công ty, giờ đóng tự nguyện sinh con được bao nhiêu thai sản")
    assert decision.entry_id == "tn.thai-san"


def test_a_subject_not_covered_is_said_to_be_so_even_near_an_entry(cue_matcher: Matcher) -> None:
    decision = cue_matcher.match("thẻ bhyt người có công được hưởng bao nhiêu phần trăm")
    assert (decision.kind, decision.topic) == ("uncovered", "chế độ người có công")


def test_an_entry_that_names_a_not_covered_phrase_itself_covers_it() -> None:
    lexicon = {**CUE_LEXICON, "not_covered": {"mức hưởng": ["mức hưởng"]}}
    kb = build_kb(
        faq_file("bhyt", [entry("bhyt.muc-huong", ["mức hưởng bhyt", "bhyt trả bao nhiêu", "thẻ bhyt hưởng"])]),
        lexicon=lexicon,
    )
    assert Matcher(kb, PINNED).match("mức hưởng bhyt là bao nhiêu").entry_id == "bhyt.muc-huong"


def test_a_greeting_before_a_question_does_not_hide_it(cue_matcher: Matcher) -> None:
    plain = cue_matcher.match("tự nguyện sinh con được bao nhiêu tiền thai sản")
    greeted = cue_matcher.match("chào bạn, tự nguyện sinh con được bao nhiêu tiền thai sản, cảm ơn")
    assert (greeted.kind, greeted.entry_id, greeted.score) == (plain.kind, plain.entry_id, plain.score)


def test_a_message_of_courtesy_alone_is_matched_as_it_is() -> None:
    matcher = Matcher(small_kb(lexicon=CUE_LEXICON), PINNED)
    assert matcher.match("cảm ơn").normalised == "cam on"


def test_a_second_question_in_the_same_message_is_offered_as_a_button(cue_matcher: Matcher) -> None:
    decision = cue_matcher.match("Đóng tự nguyện có được tiền thai sản không? Thẻ bhyt được hưởng bao nhiêu phần trăm?")
    assert (decision.kind, decision.entry_id, decision.also) == ("answer", "tn.thai-san", ("bhyt.muc-huong",))


# -- on the real knowledge base (questions written for these tests) --------------------------

CITIZEN_QUESTIONS = [
    ("Tôi muốn đóng bảo hiểm xã hội tự nguyện thì mỗi tháng phải nộp bao nhiêu tiền?", "tn.muc-dong"),
    ("Đóng bảo hiểm xã hội tự nguyện được nhà nước hỗ trợ bao nhiêu phần trăm?", "tn.ho-tro"),
    ("Cách cài ứng dụng VssID trên điện thoại", "dv.vssid"),
    ("Tra cứu mã số bảo hiểm xã hội ở đâu?", "dv.tra-cuu"),
    ("Làm mất thẻ bảo hiểm y tế thì xin cấp lại thế nào?", "bhyt.mat-the"),
    ("Thẻ bảo hiểm y tế hết hạn thì gia hạn ở đâu?", "bhyt.gia-han"),
    ("Đàn ông bao nhiêu tuổi thì được nghỉ hưu?", "huu.tuoi"),
    ("Số tổng đài của bảo hiểm xã hội là bao nhiêu?", "dv.tong-dai"),
]


@pytest.mark.parametrize(("question", "expected"), CITIZEN_QUESTIONS)
def test_real_kb_answers_a_citizen_question_with_diacritics(
    real_matcher: Matcher, question: str, expected: str
) -> None:
    decision = real_matcher.match(question)
    assert (decision.kind, decision.entry_id) == ("answer", expected), decision


@pytest.mark.parametrize(("question", "expected"), CITIZEN_QUESTIONS)
def test_real_kb_answers_the_same_question_typed_without_diacritics_alike(
    real_matcher: Matcher, question: str, expected: str
) -> None:
    with_marks = real_matcher.match(question)
    without_marks = real_matcher.match(fold(question))
    assert (without_marks.kind, without_marks.entry_id) == ("answer", expected)
    assert without_marks.ranked == with_marks.ranked


def test_real_kb_answers_teencode_and_telex_leftovers(real_matcher: Matcher) -> None:
    for typed in ["bhxh tn dong bn 1 thang z", "baor hieemr xax hooij tuwj nguyeejn ddongs bao nhieeu"]:
        assert real_matcher.match(typed).entry_id == "tn.muc-dong", typed


@pytest.mark.parametrize(
    "question",
    [
        "Giá vàng hôm nay bao nhiêu?",
        "Mua bảo hiểm nhân thọ Prudential có tốt không?",
        "dự báo thời tiết ngày mai",
        "vay vốn ngân hàng lãi suất bao nhiêu",
    ],
)
def test_real_kb_falls_back_on_questions_outside_social_insurance(real_matcher: Matcher, question: str) -> None:
    assert real_matcher.match(question).kind == "fallback"


# -- scale and typo correction ----------------------------------------------------------------


def _large_kb(size: int) -> KnowledgeBase:
    """`size` entries that all share common words ("đóng bảo hiểm"), each with one distinctive word."""
    syllables = ["ba", "ca", "da", "ga", "ha", "la", "ma", "na", "pa", "ta", "va", "xa"]
    entries = []
    for n in range(size):
        word = "".join(syllables[(n // 12**k) % 12] for k in range(3))
        entries.append(entry(f"lon.e{n}", [f"đóng bảo hiểm {word} thế nào", f"hỏi về {word} đóng bảo hiểm"]))
    return build_kb(faq_file("lon", entries))


def test_a_large_index_finds_the_entry_whose_rare_word_the_question_names() -> None:
    kb = _large_kb(600)  # "đóng", "bảo", "hiểm" are in every entry: the candidate stage skips them
    matcher = Matcher(kb, PINNED)
    target = kb.entries["lon.e437"]
    decision = matcher.match(target.questions[0].replace("thế nào", "ra sao"))
    assert decision.ranked[0].id == "lon.e437"


def test_the_candidate_stage_gives_the_same_best_entry_as_scoring_every_entry() -> None:
    kb = _large_kb(600)
    shortlisted = Matcher(kb, PINNED)
    exhaustive = Matcher(kb, dataclasses.replace(PINNED, candidates=600))
    for n in (3, 150, 599):
        question = f"cho hỏi đóng bảo hiểm {kb.entries[f'lon.e{n}'].questions[0].split()[3]} thế nào"
        assert shortlisted.match(question).ranked[0] == exhaustive.match(question).ranked[0]


def test_a_dropped_letter_is_preferred_when_correcting_a_typo() -> None:
    matcher = Matcher(small_kb(), PINNED)
    assert matcher.query_words(["thag"]) == ["thang"]


def test_a_real_syllable_the_index_does_not_know_is_not_corrected() -> None:
    matcher = Matcher(small_kb(), PINNED)
    assert matcher.query_words(["vang"]) == ["vang"]  # "vàng" (gold) must not become an indexed word


# -- a new knowledge revision -------------------------------------------------------------------


def revised(kb: KnowledgeBase, entry_id: str, question: str) -> KnowledgeBase:
    """The next revision: `kb` with one more question for one entry."""
    changed = dataclasses.replace(kb.entries[entry_id], questions=(*kb.entries[entry_id].questions, question))
    return dataclasses.replace(kb, entries={**kb.entries, entry_id: changed})


QUESTIONS = [
    "đóng bhxh tự nguyện bao nhiêu tiền",
    "làm lại thẻ bảo hiểm y tế bị mất",
    "bé mới sinh có thẻ bhyt ko",
    "bao nhiêu tuổi được nghỉ hưu",
    "vay tiền ngân hàng",
]


def test_a_rebuild_reuses_the_normalised_words_of_the_entries_a_revision_leaves_alone() -> None:
    first = Matcher(small_kb(), PINNED)
    second = Matcher(revised(small_kb(), "huu.tuoi", "mấy tuổi thì về hưu"), PINNED)  # the files parsed again
    assert second._index.words_of["tn.muc-dong"] is first._index.words_of["tn.muc-dong"]
    assert second._index.words_of["huu.tuoi"][-2:] == [("may", "tuoi", "thi", "ve", "huu"), ("tuoi", "nghi", "huu")]


def test_a_rebuild_decides_as_a_matcher_built_afresh() -> None:
    kb = revised(small_kb(), "huu.tuoi", "mấy tuổi thì về hưu")
    Matcher(small_kb(), PINNED)
    rebuilt = Matcher(kb, PINNED)
    Matcher(_large_kb(30), PINNED)  # another knowledge base in between: nothing of small_kb() is kept
    afresh = Matcher(kb, PINNED)
    assert [rebuilt.match(q) for q in [*QUESTIONS, "mấy tuổi về hưu"]] == [
        afresh.match(q) for q in [*QUESTIONS, "mấy tuổi về hưu"]
    ]


def test_a_rebuild_with_a_changed_lexicon_does_not_reuse_stale_words() -> None:
    Matcher(small_kb(), PINNED)
    lexicon = {**LEXICON, "abbreviations": {k: v for k, v in LEXICON["abbreviations"].items() if k != "bảo hiểm y tế"}}
    kb = small_kb(lexicon)
    words = Matcher(kb, PINNED)._index.words_of["bhyt.mat-the"]
    assert ("lam", "lai", "the", "bao", "hiem", "y", "te", "bi", "mat") in words  # no longer "bhyt"
    assert words == [tuple(normalise(t, kb.lexicon.lexicon)) for t in phrasings_of(kb.entries["bhyt.mat-the"])]


def test_a_rebuild_with_changed_stopwords_indexes_the_words_anew() -> None:
    before = Matcher(small_kb(), PINNED)
    after = Matcher(small_kb({**LEXICON, "stopwords": [*LEXICON["stopwords"], "thẻ"]}), PINNED)
    assert "the" in before._index.vocabulary
    assert "the" not in after._index.vocabulary


def test_a_replaced_matcher_is_freed_without_the_cyclic_collector() -> None:
    """The live index is swapped with the collector's objects frozen (bot.shell.live_knowledge): a matcher in a
    reference cycle would never be freed."""
    matcher = Matcher(small_kb(), PINNED)
    matcher.match("đóng bhxh tự nguyện bao nhiêu? còn thẻ bhyt cho trẻ em")
    alive = weakref.ref(matcher)
    collecting = gc.isenabled()
    gc.disable()
    try:
        del matcher
        assert alive() is None
    finally:
        if collecting:
            gc.enable()


def phrasings_of(entry: Entry) -> list[str]:
    return [entry.title, *entry.questions, *entry.keywords]
