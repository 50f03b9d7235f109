"""The checks staff run after editing the knowledge files (`python -m bot kb validate`)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from bot.core.file_schema import Fault
from bot.core.knowledge import KnowledgeBase, KnowledgeError, required_topic_ids
from bot.core.policy import DEFAULT_CAVEAT
from bot.core.validate import Issue, editorial_words, file_issues, hand_typed_figures, validate
from tests.factories import TODAY, TOPICS_TSV, build_kb, entry, faq_file, policy_document

QUESTIONS = ["câu hỏi thứ nhất", "câu hỏi thứ hai", "câu hỏi thứ ba"]


def kb_with(*entries: dict[str, Any]) -> KnowledgeBase:
    return build_kb(faq_file("tn", list(entries)))


def issues_of(kb: KnowledgeBase, **kwargs: Any) -> list[Issue]:
    return validate(kb, kwargs.pop("today", TODAY), **kwargs)


def errors(issues: list[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.level == "error"]


def warnings(issues: list[Issue]) -> list[Issue]:
    return [issue for issue in issues if issue.level == "warning"]


def only_issue(kb: KnowledgeBase, **kwargs: Any) -> Issue:
    issues = issues_of(kb, **kwargs)
    assert len(issues) == 1, issues
    return issues[0]


def test_a_complete_entry_has_no_issues() -> None:
    assert issues_of(kb_with(entry("tn.muc-dong", QUESTIONS))) == []


# -- missing fields --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "message"),
    [
        ("title", "thiếu title"),
        ("short", "thiếu câu trả lời ngắn"),
        ("sources", "thiếu căn cứ pháp lý"),
        ("effective", "thiếu ngày hiệu lực"),
        ("reviewed", "thiếu ngày rà soát"),
    ],
)
def test_an_answer_missing_a_required_field_is_an_error(field: str, message: str) -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, **{field: None})))
    assert issue.level == "error"
    assert issue.where == "tn.muc-dong"
    assert message in issue.message


def test_a_title_too_long_for_a_button_is_a_warning() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, title="Mức đóng bảo hiểm xã hội tự nguyện hằng tháng")))
    assert issue.level == "warning"
    assert "40 ký tự" in issue.message


def test_fewer_than_three_phrasings_is_an_error() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS[:2])))
    assert issue.level == "error"
    assert "ít nhất 3 cách hỏi" in issue.message


def test_missing_keywords_is_only_a_warning() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, keywords=None)))
    assert issue.level == "warning"
    assert "keywords" in issue.message


def test_smalltalk_needs_no_legal_sources() -> None:
    assert issues_of(kb_with(entry("chao", QUESTIONS, kind="smalltalk", sources=None))) == []


def test_out_of_scope_entry_needs_only_its_phrasings() -> None:
    bare = {"id": "none.nhan-tho", "kind": "none", "questions": QUESTIONS}
    assert issues_of(kb_with(bare)) == []


def test_an_unknown_kind_is_an_error() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, kind="faqs")))
    assert issue.level == "error"
    assert "kind" in issue.message


@pytest.mark.parametrize("bad_id", ["TN.muc-dong", "tn.mức-đóng", "tn muc dong", "tn.muc_dong", "1tn"])
def test_an_id_that_is_not_lower_case_ascii_is_an_error(bad_id: str) -> None:
    issue = only_issue(kb_with(entry(bad_id, QUESTIONS)))
    assert issue.level == "error"
    assert issue.where == bad_id


def test_an_id_too_long_for_a_button_is_an_error() -> None:
    long_id = "tn." + "a" * 62  # "a:" + 65 characters = 67 bytes
    issue = only_issue(kb_with(entry(long_id, QUESTIONS, title="Mức đóng")))
    assert issue.level == "error"
    assert "64 byte" in issue.message


def test_an_id_that_just_fits_a_button_is_fine() -> None:
    assert (
        issues_of(kb_with(entry("tn." + "a" * 59, QUESTIONS, title="Mức đóng"))) == []
    )  # "a:" + 62 characters = 64 bytes


# -- follow-ups ------------------------------------------------------------------------------


def test_a_followup_to_an_unknown_id_is_an_error() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, followups=["tn.khong-co"])))
    assert issue.level == "error"
    assert "tn.khong-co" in issue.message


def test_a_followup_to_an_out_of_scope_entry_is_an_error() -> None:
    kb = kb_with(
        entry("tn.muc-dong", QUESTIONS, followups=["none.vay"]),
        {"id": "none.vay", "kind": "none", "questions": ["vay tiền", "vay vốn", "vay tín chấp"]},
    )
    assert [issue.message for issue in errors(issues_of(kb))] == ["followups có id không tồn tại: none.vay"]


def test_a_followup_to_another_entry_is_fine() -> None:
    kb = kb_with(
        entry("tn.muc-dong", QUESTIONS, followups=["tn.ho-tro"]),
        entry("tn.ho-tro", ["hỗ trợ bao nhiêu", "nhà nước hỗ trợ", "được hỗ trợ không"]),
    )
    assert issues_of(kb) == []


# -- figures ---------------------------------------------------------------------------------


def test_an_unknown_placeholder_is_an_error() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, short="Mức đóng {{muc_dong_khong_co}}.")))
    assert issue.level == "error"
    assert "muc_dong_khong_co" in issue.message


def test_known_placeholders_render_without_issues() -> None:
    short = "Người thứ hai đóng {{bhyt_hgd_nguoi_2_nam}}, trước 01/07/2026 là {{bhyt_hgd_nguoi_2_nam@2026-06-30}}."
    assert issues_of(kb_with(entry("bhyt.muc-dong", QUESTIONS, short=short))) == []


@pytest.mark.parametrize(
    ("field", "text", "figure"),
    [
        ("short", "Người thứ nhất đóng 330.000 đồng một tháng.", "330.000"),
        ("details", "• Tỷ lệ đóng là 22% thu nhập.", "22%"),
        ("details", "• Đóng 4,5% lương cơ sở.", "4,5%"),
        ("short", "Thấp nhất 330 nghìn mỗi tháng.", "330 nghìn"),
        ("short", "Khoảng 1,5 triệu.", "1,5 triệu"),
    ],
)
def test_a_figure_typed_by_hand_is_an_error(field: str, text: str, figure: str) -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, **{field: text})))
    assert issue.level == "error"
    assert issue.message.startswith(field)
    assert repr(figure) in issue.message


@pytest.mark.parametrize(
    "text",
    [
        "Gọi tổng đài 1900 9068.",
        "Luật BHXH 41/2024/QH15, Điều 22 khoản 1 điểm đ.",
        "Thẻ có giá trị sau 30 ngày, từ 01/07/2026.",
        "Đóng đủ 15 năm, theo kỳ 3, 6 hoặc 12 tháng.",
        "Mức đóng {{luong_co_so}} và {{bhyt_ty_le_dong}}.",
    ],
)
def test_dates_articles_durations_and_placeholders_are_not_hand_typed_figures(text: str) -> None:
    assert hand_typed_figures(text) == []


def test_an_answer_too_long_to_read_on_a_phone_is_an_error() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, details="• " + "chữ " * 300)))
    assert issue.level == "error"
    assert "tối đa 900" in issue.message


def test_the_length_limit_counts_short_and_details_after_rendering() -> None:
    short = "x" * 90
    details = "{{luong_co_so}}"  # 15 characters as typed, "2.530.000 đồng" (14) when rendered
    kb = kb_with(entry("tn.muc-dong", QUESTIONS, short=short, details=details))
    assert issues_of(kb, max_answer_chars=104) == []
    assert "dài 104 ký tự" in only_issue(kb, max_answer_chars=103).message


# -- review dates ----------------------------------------------------------------------------


def test_a_passed_review_date_is_a_warning_not_an_error() -> None:
    kb = kb_with(entry("tn.muc-dong", QUESTIONS, reviewed="2025-01-02"))
    issue = only_issue(kb, today=date(2026, 1, 3))
    assert issue.level == "warning"
    assert "quá hạn rà soát (02/01/2026)" in issue.message


def test_an_answer_is_due_for_review_one_year_after_it_was_reviewed() -> None:
    kb = kb_with(entry("tn.muc-dong", QUESTIONS, reviewed="2025-11-23"))
    assert issues_of(kb, today=date(2026, 11, 23)) == []
    assert warnings(issues_of(kb, today=date(2026, 11, 24)))


def test_review_by_overrides_the_default_review_period() -> None:
    kb = kb_with(entry("tn.muc-dong", QUESTIONS, reviewed="2026-11-23", review_by="2027-01-31"))
    assert issues_of(kb, today=date(2027, 1, 31)) == []
    assert warnings(issues_of(kb, today=date(2027, 2, 1)))


# -- required topics and the whole base ------------------------------------------------------


def test_a_required_topic_without_an_entry_is_an_error() -> None:
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS)), required_ids=["tn.muc-dong", "tn.ho-tro"])
    assert issue.level == "error"
    assert issue.where == "tn.ho-tro"


def test_required_topic_ids_skip_the_header_and_out_of_scope_rows() -> None:
    tsv = "id\tkind\twhat\ntn.muc-dong\tfaq\tmức đóng\ncalc.tn\tflow\ttính\nnone\tnone\tngoài phạm vi\n"
    assert required_topic_ids(tsv) == ["tn.muc-dong", "calc.tn"]


def test_the_same_question_in_two_entries_is_a_warning() -> None:
    kb = kb_with(
        entry("tn.muc-dong", [*QUESTIONS, "Đóng bao nhiêu?"]),
        entry("tn.ho-tro", ["hỗ trợ bao nhiêu", "nhà nước hỗ trợ", "dong bao nhieu"]),
    )
    issue = only_issue(kb)
    assert issue.level == "warning"
    assert issue.where == "tn.ho-tro"
    assert "tn.muc-dong" in issue.message


def test_a_situation_the_lexicon_does_not_define_is_an_error() -> None:
    lexicon = {"situations": {"scheme": {"tu-nguyen": {"label": "BHXH tự nguyện", "cues": ["tự nguyện"]}}}}
    known = entry("tn.muc-dong", QUESTIONS, situation={"scheme": "tu-nguyen"})
    unknown = entry(
        "tn.ho-tro", ["hỗ trợ bao nhiêu", "nhà nước hỗ trợ", "được hỗ trợ không"], situation={"scheme": "bat-buoc"}
    )
    issue = only_issue(build_kb(faq_file("tn", [known, unknown]), lexicon=lexicon))
    assert (issue.level, issue.where) == ("error", "tn.ho-tro")
    assert "scheme: bat-buoc" in issue.message


def test_a_figure_typed_by_hand_in_an_answer_variant_is_an_error() -> None:
    variant = {"when": ["cảm ơn"], "short": "Cảm ơn bạn, mức đóng là 330.000 đồng."}
    issue = only_issue(kb_with(entry("tn.muc-dong", QUESTIONS, variants=[variant])))
    assert (issue.level, issue.where) == ("error", "tn.muc-dong")
    assert "330.000" in issue.message


def test_a_subject_without_entries_is_a_warning() -> None:
    kb = build_kb(faq_file("tn", [entry("tn.muc-dong", QUESTIONS)]), faq_file("huu", []))
    issue = only_issue(kb)
    assert (issue.level, issue.where) == ("warning", "huu")


# -- caveats in policy.yaml: citizens read them -----------------------------------------------


def _kb_with_uncertain_base_salary(**value: Any) -> KnowledgeBase:
    policy = policy_document()
    policy["params"]["luong_co_so"]["values"][-1].update(uncertain=True, **value)
    return build_kb(faq_file("tn", [entry("tn.muc-dong", QUESTIONS)]), policy=policy)


@pytest.mark.parametrize(
    "caveat",
    [
        "số liệu lịch sử chưa đối chiếu văn bản",
        "theo tài liệu thứ cấp, chờ đối chiếu Nghị định 159/2025",
        "chua doi chieu van ban Dieu 22",
    ],
)
def test_a_caveat_written_as_an_editors_note_is_a_warning(caveat: str) -> None:
    issue = only_issue(_kb_with_uncertain_base_salary(caveat=caveat))
    assert (issue.level, issue.where) == ("warning", "policy.yaml luong_co_so từ 01/07/2026")
    assert "người dân đọc câu này" in issue.message


def test_a_caveat_written_for_a_citizen_passes() -> None:
    assert issues_of(_kb_with_uncertain_base_salary(caveat="mức dự kiến, chờ hướng dẫn chính thức")) == []


def test_an_uncertain_value_without_a_caveat_is_a_warning_that_quotes_what_the_bot_will_say() -> None:
    issue = only_issue(_kb_with_uncertain_base_salary())
    assert issue.level == "warning"
    assert DEFAULT_CAVEAT in issue.message


def test_no_caveat_in_the_shipped_policy_reads_like_an_editors_note(real_kb: KnowledgeBase) -> None:
    caveats = {value.caveat for param in real_kb.policy.params.values() for value in param.values if value.caveat}
    editorial = ("đối chiếu", "tài liệu thứ cấp", "thứ cấp", "văn bản")
    assert [caveat for caveat in sorted(caveats) if any(phrase in caveat.lower() for phrase in editorial)] == []
    assert [caveat for caveat in sorted(caveats) if editorial_words(caveat)] == []


def test_an_issue_prints_its_level_place_and_message() -> None:
    assert str(Issue("error", "tn.muc-dong", "thiếu title")) == "ERROR   tn.muc-dong: thiếu title"


def test_a_file_that_cannot_load_gives_one_error_per_fault_at_its_file_and_line() -> None:
    error = KnowledgeError(
        Fault("faq/bb.yaml", 42, 'khóa không hợp lệ "anwser" (có thể là "answer"?)'),
        Fault("policy.yaml", None, 'thiếu "params"'),
        "không có tệp nào trong knowledge/faq",
    )
    assert [str(issue) for issue in file_issues(error)] == [
        'ERROR   faq/bb.yaml:42: khóa không hợp lệ "anwser" (có thể là "answer"?)',
        'ERROR   policy.yaml: thiếu "params"',
        "ERROR   không có tệp nào trong knowledge/faq",
    ]


def test_the_real_knowledge_base_has_no_errors_today(real_kb: KnowledgeBase) -> None:
    required = required_topic_ids(TOPICS_TSV.read_text(encoding="utf-8")) if TOPICS_TSV.exists() else []
    assert [str(issue) for issue in errors(validate(real_kb, date.today(), required))] == []


def test_the_real_knowledge_base_renders_every_answer_a_year_from_now(real_kb: KnowledgeBase) -> None:
    later = date.today() + timedelta(days=365)
    assert [str(issue) for issue in errors(validate(real_kb, later))] == []


def test_an_interest_signal_on_an_entry_that_does_not_exist_is_an_error() -> None:
    from dataclasses import replace

    from bot.core.leads.consent import ConsentText
    from bot.core.leads.interest import SignalKind
    from bot.core.leads.setup import LeadSetup

    setup = LeadSetup(ConsentText("1", "Đồng ý cho {office} lưu {retention_days} ngày", "BHXH"), (), 180)
    kb = replace(
        kb_with(entry("tn.muc-dong", ["mức đóng", "đóng bao nhiêu", "bao nhiêu tiền"])),
        leads=replace(setup, signal_topics={"tn.khong-co": SignalKind.ASKED_CONTRIBUTION}),
    )
    issue = only_issue(kb)
    assert (issue.level, issue.where) == ("error", "leads.yaml") and "tn.khong-co" in issue.message


def test_a_source_that_does_not_name_its_law_with_its_number_is_warned_about() -> None:
    kb = kb_with(entry("tn.a", QUESTIONS, sources=["Luật BHYT, Điều 22; Nghị định 188/2025/NĐ-CP, Điều 18"]))
    issue = only_issue(kb)
    assert issue.level == "warning" and "'Luật BHYT, Điều 22'" in issue.message
    assert issues_of(kb_with(entry("tn.a", QUESTIONS, sources=["Luật BHYT 25/2008/QH12, Điều 22"]))) == []
