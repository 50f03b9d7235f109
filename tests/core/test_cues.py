"""Cues in a question: the situation it signals, subjects not covered, the field, greetings around it."""

from __future__ import annotations

from bot.core.cues import contradicted, covers
from bot.core.knowledge import parse_lexicon
from bot.core.text import normalise

LEXICON = parse_lexicon(
    {
        "teencode": {"ko": "không", "cty": "công ty"},
        "situations": {
            "scheme": {
                "bat-buoc": {"label": "BHXH bắt buộc", "cues": ["công ty", "bắt buộc"]},
                "tu-nguyen": {"label": "BHXH tự nguyện", "cues": ["tự nguyện"]},
            },
            "pension": {
                "dang-huong": {"label": "người đang hưởng lương hưu", "cues": ["có lương hưu"]},
                "khong-huong": {"label": "người không có lương hưu", "cues": ["không có lương hưu"]},
            },
        },
        "not_covered": {"chế độ người có công": ["thương binh", "người có công"]},
        "field": ["bhxh", "thai sản"],
        "courtesy": ["chào bạn", "cảm ơn", "cảm ơn nhiều", "dạ"],
    }
)
CUES = LEXICON.cues


def words(text: str) -> list[str]:
    return normalise(text, LEXICON.lexicon)


def test_a_cue_signals_its_situation_with_or_without_diacritics_and_abbreviated() -> None:
    assert CUES.signalled(words("Thai sản đóng ở công ty")) == {"scheme": {"bat-buoc"}}
    assert CUES.signalled(words("thai san dong o cty")) == {"scheme": {"bat-buoc"}}
    assert CUES.signalled(words("đóng tự nguyện")) == {"scheme": {"tu-nguyen"}}


def test_a_question_can_signal_both_values_of_a_dimension() -> None:
    assert CUES.signalled(words("nghỉ công ty rồi đóng tự nguyện tiếp")) == {"scheme": {"bat-buoc", "tu-nguyen"}}


def test_a_cue_inside_a_longer_cue_of_the_same_dimension_does_not_count() -> None:
    assert CUES.signalled(words("ông em ko có lương hưu")) == {"pension": {"khong-huong"}}
    assert CUES.signalled(words("ông em có lương hưu")) == {"pension": {"dang-huong"}}


def test_an_entry_is_contradicted_only_when_the_question_signals_another_value_and_not_its_own() -> None:
    voluntary = {"scheme": "tu-nguyen"}
    assert contradicted(voluntary, {"scheme": {"bat-buoc"}}) == ("scheme", "bat-buoc")
    assert contradicted(voluntary, {"scheme": {"bat-buoc", "tu-nguyen"}}) is None
    assert contradicted(voluntary, {}) is None
    assert contradicted({}, {"scheme": {"bat-buoc"}}) is None


def test_an_entry_about_an_explicit_situation_needs_a_question_that_says_so() -> None:
    explicit = {("scheme", "tu-nguyen")}
    voluntary = {"scheme": "tu-nguyen"}
    assert contradicted(voluntary, {}, explicit) == ("scheme", "")
    assert contradicted(voluntary, {"scheme": {"tu-nguyen"}}, explicit) is None
    assert contradicted({"scheme": "bat-buoc"}, {}, explicit) is None


def test_a_value_is_explicit_only_when_the_lexicon_marks_it() -> None:
    lexicon = parse_lexicon(
        {
            "situations": {
                "scheme": {"tu-nguyen": {"cues": ["tự nguyện"], "explicit": True}, "bat-buoc": {"cues": ["công ty"]}}
            }
        }
    )
    assert lexicon.cues.explicit == {("scheme", "tu-nguyen")}


def test_the_label_of_a_situation_is_what_the_citizen_is_told() -> None:
    assert CUES.label("scheme", "bat-buoc") == "BHXH bắt buộc"


def test_a_subject_not_covered_is_found_with_the_phrase_that_named_it() -> None:
    found = CUES.not_covered_in(words("Bố tôi là thương binh"))
    assert found is not None
    subject, phrase = found
    assert (subject.label, phrase) == ("chế độ người có công", ("thuong", "binh"))
    assert CUES.not_covered_in(words("thẻ bhyt hết hạn")) is None


def test_an_entry_covers_a_phrase_its_own_phrasings_contain() -> None:
    phrasings = [words("thương binh đi khám bhyt"), words("người có công")]
    assert covers(phrasings, ("thuong", "binh"))
    assert not covers(phrasings, ("liet", "si"))


def test_field_words_place_a_question_in_the_field() -> None:
    assert CUES.in_field(words("thai sản bao lâu"))
    assert not CUES.in_field(words("giá vàng hôm nay"))


def test_greetings_and_thanks_around_a_question_are_dropped() -> None:
    question = words("chào bạn, dạ, đóng tự nguyện bao nhiêu tiền, cảm ơn nhiều")
    assert CUES.without_courtesy(question) == words("đóng tự nguyện bao nhiêu tiền")


def test_a_message_that_is_only_courtesy_is_kept_as_it_is() -> None:
    assert CUES.without_courtesy(words("cảm ơn nhiều")) == words("cảm ơn nhiều")
    assert CUES.without_courtesy([]) == []
