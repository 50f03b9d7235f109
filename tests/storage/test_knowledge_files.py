"""Reading the knowledge folder: every file is checked against its model, and a fault names the file and line."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from bot.core.areas import AreaError
from bot.core.file_schema import KnowledgeFileError, LocatedDict, LocatedList
from bot.core.knowledge import KnowledgeError
from bot.core.leads.setup import LeadSetupError
from bot.storage.knowledge_files import load_areas, load_knowledge, load_leads, parse_yaml
from tests.factories import KNOWLEDGE_DIR


@pytest.fixture
def knowledge(tmp_path: Path) -> Path:
    """A copy of the real knowledge folder, for a test to break."""
    copy = tmp_path / "knowledge"
    shutil.copytree(KNOWLEDGE_DIR, copy)
    return copy


def edit(path: Path, old: str, new: str) -> int:
    """Replace the first `old` in the file; the line (1-based) where the replacement starts."""
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    at = text.index(old)
    path.write_text(text[:at] + new + text[at + len(old) :], encoding="utf-8")
    return text.count("\n", 0, at + len(old) - len(old.lstrip())) + 1


def only_fault(error: KnowledgeFileError) -> str:
    assert len(error.faults) == 1, error.faults
    return str(error.faults[0])


def test_the_real_knowledge_folder_loads_without_a_fault() -> None:
    kb = load_knowledge(KNOWLEDGE_DIR)
    assert len(kb.entries) >= 70 and kb.policy.params and kb.messages and kb.menu
    assert len(load_areas(KNOWLEDGE_DIR)) == 54
    leads = load_leads(KNOWLEDGE_DIR)
    assert leads.consent.office and "tn.muc-dong" in leads.signal_topics


def test_a_misspelt_key_in_an_faq_entry_names_the_file_the_line_and_the_key_meant(knowledge: Path) -> None:
    line = edit(knowledge / "faq" / "bb.yaml", "    keywords: [tỷ lệ đóng", "    keywrods: [tỷ lệ đóng")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'faq/bb.yaml:{line}: khóa không hợp lệ "keywrods" (có thể là "keywords"?)'


def test_an_unknown_key_with_no_close_match_lists_the_keys_an_entry_may_have(knowledge: Path) -> None:
    line = edit(knowledge / "faq" / "tn.yaml", "    short: ", "    anwser: x\n    short: ")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    message = only_fault(caught.value)
    assert message.startswith(f'faq/tn.yaml:{line}: khóa không hợp lệ "anwser" (các khóa dùng được: id, kind, title')


def test_a_misspelt_key_in_a_policy_parameter_names_the_file_and_line(knowledge: Path) -> None:
    line = edit(knowledge / "policy.yaml", "    title: Lương cơ sở\n", "    titel: Lương cơ sở\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'policy.yaml:{line}: khóa không hợp lệ "titel" (có thể là "title"?)'


def test_a_misspelt_key_in_a_dated_value_of_the_policy_names_its_line(knowledge: Path) -> None:
    line = edit(knowledge / "policy.yaml", "value: 2340000, basis:", "value: 2340000, basic:")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'policy.yaml:{line}: khóa không hợp lệ "basic" (có thể là "basis"?)'


def test_a_misspelt_section_of_the_lexicon_names_the_file_and_line(knowledge: Path) -> None:
    line = edit(knowledge / "lexicon.yaml", "\nteencode:\n", "\nteencod:\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'lexicon.yaml:{line}: khóa không hợp lệ "teencod" (có thể là "teencode"?)'


def test_a_misspelt_key_of_a_situation_in_the_lexicon_names_its_line(knowledge: Path) -> None:
    line = edit(knowledge / "lexicon.yaml", "      cues: [bắt buộc,", "      cue: [bắt buộc,")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'lexicon.yaml:{line}: khóa không hợp lệ "cue" (có thể là "cues"?)'


def test_a_misspelt_key_in_leads_yaml_names_the_file_and_line(knowledge: Path) -> None:
    line = edit(knowledge / "leads.yaml", "\noffice:", "\nofice:")
    with pytest.raises(LeadSetupError) as caught:
        load_leads(knowledge)
    assert only_fault(caught.value) == f'leads.yaml:{line}: khóa không hợp lệ "ofice" (có thể là "office"?)'


def test_a_misspelt_signal_kind_in_leads_yaml_names_its_line(knowledge: Path) -> None:
    line = edit(knowledge / "leads.yaml", "  asked-contribution:", "  asked-contributions:")
    with pytest.raises(LeadSetupError) as caught:
        load_leads(knowledge)
    assert str(caught.value).startswith(f'leads.yaml:{line}: khóa không hợp lệ "asked-contributions"')


def test_a_misspelt_key_in_areas_yaml_names_the_file_and_line(knowledge: Path) -> None:
    line = edit(knowledge / "areas.yaml", "{code: qn-ha-tu, name:", "{code: qn-ha-tu, nmae:")
    with pytest.raises(AreaError) as caught:
        load_areas(knowledge)
    assert only_fault(caught.value) == f'areas.yaml:{line}: khóa không hợp lệ "nmae" (có thể là "name"?)'


def test_a_value_of_the_wrong_type_names_the_key_and_the_line(knowledge: Path) -> None:
    line = edit(knowledge / "faq" / "bb.yaml", "    keywords: [tỷ lệ đóng", "    keywords: 5\n    unused: [tỷ lệ đóng")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert f'faq/bb.yaml:{line}: "keywords" phải là một danh sách' in str(caught.value)


def test_a_blank_phrasing_is_dropped_without_moving_the_line_of_a_fault_after_it(knowledge: Path) -> None:
    old = "    questions:\n      - Tỷ lệ đóng BHXH bắt buộc"
    line = edit(
        knowledge / "faq" / "bb.yaml", old, "    questions:\n      -\n      - {a: 1}\n      - Tỷ lệ đóng BHXH bắt buộc"
    )
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'faq/bb.yaml:{line + 2}: mỗi dòng của "questions" phải là chữ'


def test_a_date_that_is_not_a_date_names_the_key_and_the_line(knowledge: Path) -> None:
    line = edit(knowledge / "faq" / "bb.yaml", "    effective: 20", "    effective: hôm qua\n    x: 20")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert f"faq/bb.yaml:{line}: \"effective\": ngày phải có dạng YYYY-MM-DD, không phải 'hôm qua'" in str(caught.value)


def test_a_figure_typed_with_thousands_dots_names_its_line(knowledge: Path) -> None:
    line = edit(knowledge / "policy.yaml", "value: 2340000,", "value: 2.340.000,")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value).startswith(f'policy.yaml:{line}: "value": giá trị phải là số viết liền')


def test_faults_in_several_files_are_reported_together(knowledge: Path) -> None:
    edit(knowledge / "faq" / "bb.yaml", "    keywords: [tỷ lệ đóng", "    keywrods: [tỷ lệ đóng")
    edit(knowledge / "policy.yaml", "    title: Lương cơ sở\n", "    titel: Lương cơ sở\n")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert [fault.file for fault in caught.value.faults] == ["faq/bb.yaml", "policy.yaml"]


def test_a_key_written_twice_is_refused_with_both_lines(knowledge: Path) -> None:
    line = edit(knowledge / "faq" / "bb.yaml", "    kind: faq\n", "    kind: faq\n    kind: smalltalk\n") + 1
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value) == f'faq/bb.yaml:{line}: khóa "kind" viết hai lần (lần đầu ở dòng {line - 1})'


def test_broken_yaml_names_the_file_and_line(knowledge: Path) -> None:
    line = edit(knowledge / "bot.yaml", "  greeting: |-", "  greeting: [|-")
    with pytest.raises(KnowledgeError) as caught:
        load_knowledge(knowledge)
    assert only_fault(caught.value).startswith(f"bot.yaml:{line}: YAML sai cú pháp")


def test_yaml_is_read_with_the_line_of_every_key_and_item() -> None:
    document = parse_yaml("a: 1\nlist:\n  - b\n  - {c: 2}\n", "x.yaml")
    assert isinstance(document, LocatedDict) and isinstance(document["list"], LocatedList)
    assert document == {"a": 1, "list": ["b", {"c": 2}]}
    assert document.key_lines == {"a": 1, "list": 2}
    assert document["list"].item_lines == [3, 4]
    assert document["list"][1].key_lines == {"c": 4}


def test_yaml_merge_keys_still_work() -> None:
    assert parse_yaml("base: &base {a: 1}\nother:\n  <<: *base\n  b: 2\n", "x.yaml")["other"] == {"a": 1, "b": 2}
