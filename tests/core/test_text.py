"""Vietnamese normalisation: what a question typed on a phone becomes before matching."""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from bot.core.knowledge import KnowledgeBase
from bot.core.text import MAX_PASSES, Lexicon, fold, is_syllable, normalise, normalise_phrasing, repair_telex, tokens
from tests.factories import PHONE_KEYBOARD

# -- folding ---------------------------------------------------------------------------------


def test_fold_strips_tones_and_hats_and_lowers_case() -> None:
    assert fold("Đóng BHXH tự nguyện ở đâu") == "dong bhxh tu nguyen o dau"


@pytest.mark.parametrize("letter", ["đ", "Đ", "ð", "Ð"])
def test_fold_turns_every_d_with_stroke_into_plain_d(letter: str) -> None:
    assert fold(letter) == "d"


def test_decomposed_and_precomposed_input_give_the_same_tokens() -> None:
    precomposed = unicodedata.normalize("NFC", "Bảo hiểm y tế hộ gia đình")
    decomposed = unicodedata.normalize("NFD", precomposed)
    assert precomposed != decomposed
    assert tokens(decomposed) == tokens(precomposed) == ["bao", "hiem", "y", "te", "ho", "gia", "dinh"]


def test_upper_case_with_diacritics_folds_like_lower_case() -> None:
    assert (
        tokens("LƯƠNG HƯU ĐƯỢC BAO NHIÊU")
        == tokens("lương hưu được bao nhiêu")
        == [
            "luong",
            "huu",
            "duoc",
            "bao",
            "nhieu",
        ]
    )


def test_punctuation_and_emoji_are_dropped() -> None:
    assert tokens("BHYT... hết hạn rồi?!! 😭😭 (gấp)") == ["bhyt", "het", "han", "roi", "gap"]


def test_underscore_separates_words() -> None:
    assert tokens("bao_hiem_y_te") == ["bao", "hiem", "y", "te"]


# -- telex leftovers -------------------------------------------------------------------------


def test_telex_tone_and_hat_keys_left_in_words_are_removed() -> None:
    assert tokens("baor hieemr") == ["bao", "hiem"]


def test_telex_dd_and_horn_and_tone_keys_are_removed_together() -> None:
    assert tokens("dduowcj") == ["duoc"]


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("nguyeenj", "nguyen"),
        ("ddoongf", "dong"),
        ("truowngf", "truong"),
        ("thuwr", "thu"),
        ("nawm", "nam"),
        ("caanf", "can"),
    ],
)
def test_telex_leftover_becomes_the_intended_syllable(typed: str, meant: str) -> None:
    assert repair_telex(typed) == meant


@pytest.mark.parametrize(
    "syllable",
    ["bao", "hiem", "nghieng", "khuyen", "truong", "nguoi", "quyen", "gia", "thang", "xa", "hoi", "tu", "nguyen"],
)
def test_real_syllables_are_left_untouched(syllable: str) -> None:
    assert is_syllable(syllable)
    assert repair_telex(syllable) == syllable
    assert tokens(syllable) == [syllable]


@pytest.mark.parametrize("word", ["bhxh", "bhyt", "vssid", "hgd", "tks", "ntn", "dtts"])
def test_abbreviations_that_telex_cannot_turn_into_a_syllable_are_kept(word: str) -> None:
    assert tokens(word) == [word]


@given(st.from_regex(r"(ngh|ng|nh|ch|kh|ph|th|tr|[bcdhlmnstvx])?[aeiouy]{1,3}(ch|ng|nh|[cmnpt])?", fullmatch=True))
def test_anything_shaped_like_a_syllable_is_never_repaired(syllable: str) -> None:
    assume(is_syllable(syllable))  # doubled "a"/"e" are telex hats, not syllables
    assert repair_telex(syllable) == syllable


@pytest.mark.parametrize(("typed", "meant"), [("hieem", "hiem"), ("nhaan", "nhan"), ("tieen", "tien")])
def test_telex_hat_without_tone_key_is_repaired(typed: str, meant: str) -> None:
    assert tokens(typed) == [meant]


# -- repeated letters and numbers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("khongggg", ["khong"]),
        ("xinnnn chaoooo", ["xin", "chao"]),
        ("BHXHHHH", ["bhxh"]),
        ("đóngggg", ["dong"]),
    ],
)
def test_runs_of_three_or_more_letters_collapse_to_one(typed: str, expected: list[str]) -> None:
    assert tokens(typed) == expected


def test_two_identical_letters_in_a_row_are_kept() -> None:
    assert tokens("xoong") == ["xoong"]


def test_thousands_written_with_k_become_nghin() -> None:
    assert tokens("đóng 500k/tháng") == ["dong", "500", "nghin", "thang"]
    assert tokens("500 k") == ["500", "nghin"]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("3tr", ["3", "tr"]), ("1thang", ["1", "thang"]), ("nam2026", ["nam", "2026"]), ("4,5%", ["4", "5"])],
)
def test_digits_are_split_from_letters(typed: str, expected: list[str]) -> None:
    assert tokens(typed) == expected


# -- lexicon ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_lexicon() -> Lexicon:
    return Lexicon.from_pairs(
        [
            ("bh", "bảo hiểm"),
            ("bh xh", "bhxh"),
            ("bảo hiểm xã hội", "bhxh"),
            ("đc", "được"),
            ("ko", "không"),
            ("cho em hỏi", ""),
        ]
    )


def test_lexicon_expands_an_abbreviation_into_several_words(small_lexicon: Lexicon) -> None:
    assert normalise("bh y tế", small_lexicon) == ["bao", "hiem", "y", "te"]


def test_lexicon_prefers_the_longest_phrase(small_lexicon: Lexicon) -> None:
    assert normalise("bh xh tự nguyện", small_lexicon) == ["bhxh", "tu", "nguyen"]
    assert normalise("Bảo hiểm xã hội tự nguyện", small_lexicon) == ["bhxh", "tu", "nguyen"]


def test_lexicon_entry_with_empty_target_deletes_the_phrase(small_lexicon: Lexicon) -> None:
    assert normalise("Cho em hỏi bh xh ko đóng đc ko", small_lexicon) == [
        "bhxh",
        "khong",
        "dong",
        "duoc",
        "khong",
    ]


def test_lexicon_deletes_only_the_whole_phrase(small_lexicon: Lexicon) -> None:
    assert normalise("em hỏi", small_lexicon) == ["em", "hoi"]


def test_lexicon_keys_match_with_or_without_diacritics(small_lexicon: Lexicon) -> None:
    assert normalise("dc", small_lexicon) == normalise("ĐC", small_lexicon) == normalise("đc", small_lexicon)
    assert normalise("dc", small_lexicon) == ["duoc"]


def test_empty_lexicon_changes_nothing() -> None:
    assert normalise("bh xh ko") == ["bh", "xh", "ko"]


@pytest.fixture(scope="module")
def real_lexicon(real_kb: KnowledgeBase) -> Lexicon:
    return real_kb.lexicon.lexicon


def test_real_lexicon_reads_500k_as_thousands_not_as_teencode_for_khong(real_lexicon: Lexicon) -> None:
    assert normalise("500k", real_lexicon) == ["500", "nghin"]


def test_real_lexicon_still_reads_cccd_as_can_cuoc_although_the_run_of_c_collapses(real_lexicon: Lexicon) -> None:
    assert tokens("cccd") == ["cd"]
    assert normalise("CCCD", real_lexicon) == normalise("căn cước công dân", real_lexicon) == ["can", "cuoc"]


def test_real_lexicon_reads_3tr_as_three_million(real_lexicon: Lexicon) -> None:
    assert normalise("3tr", real_lexicon) == ["3", "trieu"]


def test_real_lexicon_spells_out_bhxh_however_it_is_typed(real_lexicon: Lexicon) -> None:
    typed = ["bảo hiểm xã hội", "bao hiem xa hoi", "BH XH", "baor hieemr xax hooij"]
    assert {tuple(normalise(text, real_lexicon)) for text in typed} == {("bhxh",)}


# -- properties ------------------------------------------------------------------------------


@given(st.text())
def test_normalise_never_raises_and_yields_clean_lower_case_words(text: str) -> None:
    for token in normalise(text):
        assert token
        assert token == token.lower()
        assert not any(ch.isspace() for ch in token)
        assert not any(unicodedata.category(ch) == "Mn" for ch in token)


@given(st.text(alphabet=PHONE_KEYBOARD))
def test_anything_typed_on_a_vietnamese_phone_keyboard_becomes_ascii_lowercase_alphanumeric(text: str) -> None:
    for token in normalise(text):
        assert token.isascii()
        assert token.isalnum()
        assert token == token.lower()


@given(st.text(alphabet=PHONE_KEYBOARD))
def test_normalise_is_idempotent_on_its_own_output_without_lexicon(text: str) -> None:
    once = normalise(text)
    assert normalise(" ".join(once)) == once


# -- the faster paths give what the plain pipeline gives ---------------------------------------


def tokens_folding_the_whole_text(text: str) -> list[str]:
    """Steps 1-5 as first written: the whole text folded at once, each token repaired as it comes."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"[^\w]+", " ", text).replace("_", " ")
    text = re.sub(r"(?<=\d)(?=[^\W\d_])|(?<=[^\W\d_])(?=\d)", " ", text)
    text = re.sub(r"(?<=\d) ?k\b", " nghin", re.sub(r"([a-z])\1{2,}", r"\1", fold(text)))
    return [repair_telex(token) for token in text.split()]


@given(st.text())
def test_folding_word_by_word_gives_the_tokens_of_folding_the_whole_text(text: str) -> None:
    assert tokens(text) == tokens_folding_the_whole_text(text)


@given(st.text(alphabet=PHONE_KEYBOARD + "  500kK3tr"))
def test_folding_typed_text_word_by_word_gives_the_tokens_of_folding_the_whole_text(text: str) -> None:
    assert tokens(text) == tokens_folding_the_whole_text(text)


def expanded_trying_every_length(lexicon: Lexicon, words: list[str]) -> list[str]:
    """Lexicon.expand as first written: every phrase length up to the longest is looked up, at every word."""
    for _ in range(MAX_PASSES):
        out: list[str] = []
        i = 0
        while i < len(words):
            for size in range(min(lexicon.longest_from.get(words[i], 0), len(words) - i), 0, -1):
                target = lexicon.replacements.get(tuple(words[i : i + size]))
                if target is not None:
                    out.extend(target)
                    i += size
                    break
            else:
                out.append(words[i])
                i += 1
        if out == words:
            break
        words = out
    return words


CHAINED = Lexicon.from_pairs(
    [("a", "b"), ("a b", "c"), ("b c", ""), ("c", "a b"), ("d e f", "d"), ("x", "x"), ("y x", "z z")]
)


@given(st.lists(st.sampled_from(["a", "b", "c", "d", "e", "f", "x", "y", "z"]), max_size=12))
def test_expanding_only_where_a_phrase_starts_gives_what_trying_every_length_gives(words: list[str]) -> None:
    assert CHAINED.expand(list(words)) == expanded_trying_every_length(CHAINED, list(words))


def test_the_real_lexicon_expands_every_phrasing_as_trying_every_length_does(real_kb: KnowledgeBase) -> None:
    lexicon = real_kb.lexicon.lexicon
    for entry in real_kb.entries.values():
        for text in (entry.title, *entry.questions, *entry.keywords):
            assert lexicon.expand(tokens(text)) == expanded_trying_every_length(lexicon, tokens(text))


@given(st.text(alphabet=PHONE_KEYBOARD))
def test_a_phrasing_is_normalised_as_a_message_is(text: str) -> None:
    lexicon = Lexicon.from_pairs([("bh", "bảo hiểm"), ("bh xh", "bhxh"), ("ko", "không"), ("cho em hỏi", "")])
    assert list(normalise_phrasing(text, lexicon)) == normalise(text, lexicon)


# -- one lexicon for the same pairs ----------------------------------------------------------------


def test_the_same_pairs_give_the_same_lexicon_and_other_pairs_another() -> None:
    pairs = [("bh", "bảo hiểm"), ("ko", "không")]
    same = Lexicon.from_pairs(list(pairs))
    assert Lexicon.from_pairs(pairs) is same
    other = Lexicon.from_pairs([("bh", "bệnh"), ("ko", "không")])
    assert other != same
    assert normalise_phrasing("bh ko", other) == ("benh", "khong")
    assert normalise_phrasing("bh ko", same) == ("bao", "hiem", "khong")


def test_equal_lexicons_hash_alike() -> None:
    made = Lexicon({("ko",): ("khong",)}, {"ko": 1})
    assert made == Lexicon.from_pairs([("ko", "không")])
    assert hash(made) == hash(Lexicon.from_pairs([("ko", "không")]))
