"""Knowledge files checked against their models: every fault in words for staff, at its file and line."""

from __future__ import annotations

from typing import Any

import pytest

from bot.core.areas import AreaError, parse_areas
from bot.core.file_schema import Fault, KnowledgeFileError, LocatedDict, LocatedList, line_of, model_at, validated
from bot.core.knowledge import KnowledgeError, parse_knowledge, parse_lexicon
from bot.core.knowledge_schema import EntrySpec, FaqFile, ParamSpec, PolicyFile
from bot.core.policy import PolicyError, parse_policy
from tests.factories import bot_document, entry, faq_file, policy_document

QUESTIONS = ["câu hỏi thứ nhất", "câu hỏi thứ hai", "câu hỏi thứ ba"]


def faults_of(document: Any, model: type = FaqFile, file: str = "faq/tn.yaml") -> list[str]:
    with pytest.raises(KnowledgeFileError) as caught:
        validated(model, document, file, KnowledgeFileError)
    return [str(fault) for fault in caught.value.faults]


def located(lines: dict[str, int], **values: Any) -> LocatedDict:
    mapping = LocatedDict(values)
    mapping.key_lines = lines
    return mapping


def test_a_misspelt_key_suggests_the_key_meant() -> None:
    document = faq_file("tn", [entry("tn.a", QUESTIONS, keyword=["mức đóng"])])
    assert faults_of(document) == ['faq/tn.yaml: khóa không hợp lệ "keyword" (có thể là "keywords"?)']


def test_a_key_like_no_other_lists_the_keys_that_may_be_used() -> None:
    document = faq_file("tn", [entry("tn.a", QUESTIONS, answer="…")])
    (fault,) = faults_of(document)
    assert fault.startswith('faq/tn.yaml: khóa không hợp lệ "answer" (các khóa dùng được: id, kind, title, questions')


def test_a_misspelt_required_key_is_one_fault_not_two() -> None:
    document = {"subjet": "tn", "entries": []}
    assert faults_of(document) == ['faq/tn.yaml: khóa không hợp lệ "subjet" (có thể là "subject"?)']


def test_a_missing_required_key_is_named() -> None:
    assert faults_of({"subject": "tn", "entries": [{"title": "x"}]}) == ['faq/tn.yaml: thiếu "id"']


@pytest.mark.parametrize(
    ("fields", "said"),
    [
        ({"keywords": 5}, '"keywords" phải là một danh sách (mỗi dòng bắt đầu bằng "- "), không phải 5'),
        ({"keywords": [{"a": 1}]}, 'mỗi dòng của "keywords" phải là chữ'),
        ({"situation": "bat-buoc"}, '"situation" phải là một bảng "khóa: giá trị", không phải \'bat-buoc\''),
        ({"effective": "01/07/2025"}, "\"effective\": ngày phải có dạng YYYY-MM-DD, không phải '01/07/2025'"),
        ({"title": ["a", "b"]}, '"title" phải là chữ'),
        ({"variants": [{"when": [], "short": "x"}]}, '"when" không được để trống'),
    ],
)
def test_a_value_of_the_wrong_type_is_a_fault_that_says_what_is_expected(fields: dict[str, Any], said: str) -> None:
    document = faq_file("tn", [entry("tn.a", QUESTIONS, **fields)])
    assert faults_of(document) == [f"faq/tn.yaml: {said}"]


def test_a_wrong_type_in_the_policy_names_the_parameter_and_key() -> None:
    document = policy_document()
    document["params"]["luong_co_so"]["values"][0]["uncertain"] = "có lẽ"
    assert faults_of(document, PolicyFile, "policy.yaml") == [
        "policy.yaml: \"uncertain\" phải là true hoặc false, không phải 'có lẽ'"
    ]


def test_a_number_stands_for_text_and_a_single_phrase_for_a_list() -> None:
    spec = validated(EntrySpec, {"id": "tn.a", "title": 2026, "keywords": "mức đóng"}, "x", KnowledgeFileError)
    assert (spec.title, spec.keywords) == ("2026", ("mức đóng",))


def test_an_empty_value_is_as_if_the_key_were_left_out() -> None:
    spec = validated(EntrySpec, {"id": "tn.a", "details": None, "questions": ["a", None, " "]}, "x", KnowledgeFileError)
    assert (spec.details, spec.questions) == ("", ("a",))


def test_a_fault_is_placed_at_the_line_of_its_key_or_item() -> None:
    entry_item = located({"id": 4, "keywrods": 9}, id="tn.a", keywrods=["x"])
    entries = LocatedList([entry_item])
    entries.item_lines = [4]
    document = located({"subject": 1, "entries": 3}, subject="tn", entries=entries)
    assert faults_of(document) == ['faq/tn.yaml:9: khóa không hợp lệ "keywrods" (có thể là "keywords"?)']


def test_a_missing_key_is_placed_at_the_line_of_the_mapping_that_lacks_it() -> None:
    item = located({"title": 5}, title="x")
    entries = LocatedList([item])
    entries.item_lines = [5]
    document = located({"subject": 1, "entries": 3}, subject="tn", entries=entries)
    assert faults_of(document) == ['faq/tn.yaml:5: thiếu "id"']


def test_faults_are_listed_in_line_order() -> None:
    document = located({"subject": 1, "titel": 2, "entries": 9}, subject="tn", titel="x", entries="none")
    lines = [fault.split(":")[1] for fault in faults_of(document)]
    assert lines == ["2", "9"]


def test_line_of_stops_at_the_deepest_place_it_knows() -> None:
    document = located({"a": 2}, a=[{"b": 1}])
    assert line_of(document, ("a", 0, "b")) == 2
    assert line_of(document, ("z",)) is None
    assert line_of({"a": 1}, ("a",)) is None


def test_model_at_follows_fields_lists_and_tables() -> None:
    assert model_at(FaqFile, ("entries", 3)) is EntrySpec
    assert model_at(PolicyFile, ("params", "luong_co_so")) is ParamSpec
    assert model_at(FaqFile, ("entries", 0, "situation")) is None  # free-form: {dimension: value}


def test_situations_of_the_lexicon_are_checked_too() -> None:
    lexicon = {"situations": {"scheme": {"tu-nguyen": {"label": "x", "cue": ["tự nguyện"]}}}}
    with pytest.raises(KnowledgeError, match=r'lexicon.yaml: khóa không hợp lệ "cue" \(có thể là "cues"\?\)'):
        parse_lexicon(lexicon)


def test_a_situation_value_left_empty_is_allowed() -> None:
    data = parse_lexicon({"situations": {"scheme": {"tu-nguyen": None}}})
    assert [(s.dimension, s.value, s.label) for s in data.cues.situations] == [("scheme", "tu-nguyen", "tu-nguyen")]


def test_the_knowledge_base_reports_the_faults_of_every_file_at_once() -> None:
    faq = faq_file("tn", [entry("tn.a", QUESTIONS, keyword=["x"])])
    policy = policy_document()
    policy["params"]["luong_co_so"]["unti"] = "dong"
    with pytest.raises(KnowledgeError) as caught:
        parse_knowledge([("faq/tn.yaml", faq)], policy, {"teencod": {}}, {**bot_document(), "menus": []})
    assert [fault.file for fault in caught.value.faults] == ["faq/tn.yaml", "policy.yaml", "lexicon.yaml", "bot.yaml"]


def test_an_id_used_twice_is_a_fault_of_the_second_file() -> None:
    first, second = faq_file("tn", [entry("tn.a", QUESTIONS)]), faq_file("bb", [entry("tn.a", QUESTIONS)])
    with pytest.raises(KnowledgeError) as caught:
        parse_knowledge([("faq/tn.yaml", first), ("faq/bb.yaml", second)], policy_document(), None, bot_document())
    assert str(caught.value) == "faq/bb.yaml: id tn.a đã có ở chủ đề tn"


def test_a_derived_figure_over_an_unknown_parameter_is_placed_at_its_formula() -> None:
    formula = located({"title": 3, "unit": 4, "formula": 5}, title="x", unit="dong", formula="khong_co * 2")
    document = located({"derived": 1}, derived=located({"nua": 2}, nua=formula))
    with pytest.raises(PolicyError) as caught:
        parse_policy(document)
    assert str(caught.value) == "policy.yaml:5: nua: công thức dùng tham số không có: khong_co"


def test_areas_yaml_may_name_its_province_for_the_staff_who_read_it() -> None:
    areas = parse_areas({"province": "Tỉnh Quảng Ninh", "areas": [{"code": "qn-a", "name": "Xã A"}]})
    assert [area.code for area in areas] == ["qn-a"]
    with pytest.raises(AreaError, match='khóa không hợp lệ "provice"'):
        parse_areas({"provice": "Tỉnh Quảng Ninh", "areas": []})


def test_an_error_made_of_a_plain_message_is_one_fault_without_a_place() -> None:
    error = KnowledgeError("không có tệp nào")
    assert error.faults == (Fault("", None, "không có tệp nào"),) and str(error) == "không có tệp nào"
