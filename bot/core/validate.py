"""Checks staff run after editing the knowledge base (`python -m bot kb validate`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from bot.core.actions import MAX_ACTION_BYTES, OpenEntry
from bot.core.citations import INSTRUMENT, split_citations
from bot.core.file_schema import KnowledgeFileError
from bot.core.flows import FLOWS, message_keys
from bot.core.knowledge import KINDS, KnowledgeBase
from bot.core.policy import DEFAULT_CAVEAT, Policy, PolicyError
from bot.core.render import PLACEHOLDER, day, render_source
from bot.core.text import fold, normalise

ID_PATTERN = re.compile(r"^[a-z]+(\.[a-z0-9-]+)?$")
# A figure typed by hand instead of rendered from policy.yaml: money or a percentage.
HAND_TYPED_FIGURE = re.compile(
    r"\d+(?:[.,]\d+)?\s*(?:%|phần trăm)"
    r"|\d{1,3}(?:\.\d{3})+"
    r"|\d+(?:[.,]\d+)?\s*(?:đồng|đ\b|vnđ|vnd|triệu|tr\b|nghìn|ngàn|k\b|tỷ)",
    re.IGNORECASE,
)
MIN_QUESTIONS = 3
MAX_TITLE_CHARS = 40
# Every caveat in policy.yaml is shown to citizens under the answer: these words belong to notes for
# editors ("chưa đối chiếu văn bản", "theo tài liệu thứ cấp"), not to a sentence for a citizen.
EDITORIAL_WORDS = ("đối chiếu", "thứ cấp", "văn bản", "kiểm chứng", "fact sheet", "todo")


@dataclass(frozen=True)
class Issue:
    level: str  # "error" or "warning"
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.level.upper():7} {where}{self.message}"


def file_issues(error: KnowledgeFileError) -> list[Issue]:
    """The faults that keep a knowledge file from loading, as errors placed at their file and line."""
    return [Issue("error", fault.where, fault.message) for fault in error.faults]


def hand_typed_figures(template: str) -> list[str]:
    """Money amounts or percentages written literally in a template (outside {{placeholders}})."""
    return [m.group(0) for m in HAND_TYPED_FIGURE.finditer(PLACEHOLDER.sub(" ", template))]


def editorial_words(caveat: str) -> list[str]:
    """The words of a caveat that belong to an editor's note rather than to a citizen (with or without
    diacritics)."""
    folded = fold(caveat)
    return [word for word in EDITORIAL_WORDS if re.search(rf"\b{re.escape(fold(word))}\b", folded)]


def policy_issues(policy: Policy) -> list[Issue]:
    """Caveats a citizen reads: each uncertain value has one, written for a citizen."""
    issues = []
    for param in policy.params.values():
        for value in param.values:
            if not value.uncertain:
                continue
            where = f"policy.yaml {param.name} từ {day(value.start)}"
            if not value.caveat.strip():
                issues.append(
                    Issue("warning", where, f"uncertain nhưng chưa có caveat; bot sẽ nói: “{DEFAULT_CAVEAT}”")
                )
            elif words := editorial_words(value.caveat):
                issues.append(
                    Issue(
                        "warning",
                        where,
                        f"caveat có chữ dành cho người biên soạn ({', '.join(words)}): người dân đọc câu này, hãy "
                        "viết điều họ cần biết (ví dụ “mức dự kiến, chờ hướng dẫn chính thức”, “số liệu các năm "
                        "trước, chỉ dùng để tham khảo”, “bạn hỏi lại cơ quan BHXH”)",
                    )
                )
    return issues


def validate(
    kb: KnowledgeBase,
    today: date,
    required_ids: Iterable[str] = (),
    max_answer_chars: int = 900,
) -> list[Issue]:
    issues: list[Issue] = []

    def error(where: str, message: str) -> None:
        issues.append(Issue("error", where, message))

    def warning(where: str, message: str) -> None:
        issues.append(Issue("warning", where, message))

    for entry_id in required_ids:
        if entry_id not in kb.entries:
            error(entry_id, "chủ đề bắt buộc (topics.tsv) chưa có mục trả lời")

    seen_questions: dict[tuple[str, ...], str] = {}
    situations = {(s.dimension, s.value) for s in kb.lexicon.cues.situations}
    for entry in kb.entries.values():
        where = entry.id
        if not ID_PATTERN.match(entry.id):
            error(where, "id chỉ gồm chữ thường không dấu, số, dấu chấm và gạch ngang")
        try:
            OpenEntry(entry.id).data()
        except ValueError:
            error(where, f"id quá dài cho nút bấm (tối đa {MAX_ACTION_BYTES} byte)")
        if entry.kind not in KINDS:
            error(where, f"kind phải là một trong {', '.join(sorted(KINDS))}")
        if len(entry.questions) < MIN_QUESTIONS:
            error(where, f"cần ít nhất {MIN_QUESTIONS} cách hỏi (questions)")
        for question in entry.questions:
            key = tuple(normalise(question, kb.lexicon.lexicon))
            other = seen_questions.setdefault(key, entry.id)
            if other != entry.id:
                warning(where, f"câu hỏi {question!r} trùng với một câu của {other}")
        for dimension, value in entry.situation.items():
            if (dimension, value) not in situations:
                known = ", ".join(f"{d}: {v}" for d, v in sorted(situations)) or "chưa có"
                error(where, f"situation {dimension}: {value} không có trong lexicon.yaml (situations: {known})")
        if entry.flow and entry.flow not in FLOWS:
            error(where, f"flow '{entry.flow}' không có; chọn một trong: {', '.join(sorted(FLOWS))}")
        if not entry.answerable:
            continue
        if not entry.title:
            error(where, "thiếu title")
        elif len(entry.title) > MAX_TITLE_CHARS:
            warning(where, f"title dài hơn {MAX_TITLE_CHARS} ký tự, sẽ bị cắt trên nút bấm")
        if not entry.short:
            error(where, "thiếu câu trả lời ngắn (short)")
        if not entry.keywords:
            warning(where, "chưa có keywords")
        if entry.kind == "faq" and not entry.sources:
            error(where, "thiếu căn cứ pháp lý (sources)")
        if entry.effective is None:
            error(where, "thiếu ngày hiệu lực (effective)")
        if entry.reviewed is None:
            error(where, "thiếu ngày rà soát (reviewed)")
        due = entry.review_due()
        if due is not None and due < today:
            warning(where, f"đã quá hạn rà soát ({day(due)})")
        for followup in entry.followups:
            target = kb.entries.get(followup)
            if target is None or not target.answerable:
                error(where, f"followups có id không tồn tại: {followup}")
        templates = [("short", entry.short), ("details", entry.details)]
        templates += [(f"variants[{n}]", f"{v.short} {v.details}") for n, v in enumerate(entry.variants, 1)]
        for field_name, template in templates:
            for figure in hand_typed_figures(template):
                error(where, f"{field_name} có con số gõ tay {figure!r}: hãy dùng {{{{tên}}}} trong policy.yaml")
        try:
            short, details = entry.render(kb.policy, today)
            for source in entry.sources:
                for citation in split_citations(render_source(source, kb.policy, today)):
                    if not INSTRUMENT.search(citation):  # "Xem căn cứ pháp lý" lists it: it must name its law
                        warning(
                            where, f"căn cứ {citation!r} chưa ghi tên và số hiệu văn bản (ví dụ Luật BHYT 25/2008/QH12)"
                        )
        except PolicyError as exc:
            error(where, str(exc))
            continue
        length = len(short.text) + len(details.text)
        if length > max_answer_chars:
            error(where, f"câu trả lời dài {length} ký tự, tối đa {max_answer_chars} để đọc trên điện thoại")

    if any(entry.flow for entry in kb.entries.values()):  # the flows are reachable: they must be able to speak
        for message_key in sorted(message_keys() - set(kb.messages)):
            error("bot.yaml", f"thiếu câu '{message_key}' trong messages (các bước tính toán dùng câu này)")

    if kb.leads is not None:
        for entry_id, kind in kb.leads.signal_topics.items():
            if entry_id not in kb.entries or not kb.entries[entry_id].answerable:
                error("leads.yaml", f"signals.{kind.value} có mã câu hỏi không tồn tại: {entry_id}")

    for subject in kb.subjects:
        if not subject.entry_ids:
            warning(subject.code, "chủ đề chưa có mục nào")
    issues += policy_issues(kb.policy)
    return issues
