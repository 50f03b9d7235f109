"""Whether a message typed while a flow waits reads as a question rather than an answer.

"có mất phí không?", "đăng ký ở đâu", "bhyt hộ gia đình bao nhiêu" typed where the call-back form asks for a
phone number are questions: the engine answers them (or offers choices) with a button back to the form,
instead of "Số điện thoại chỉ gồm chữ số". Checked only after the step's parser refused the text, so "chiều
mai" at the time step or "Nguyễn Thị Hồng" at the name step are never taken for one.
"""

from __future__ import annotations

import re

from bot.core.text import fold

# Question words and phrases, folded; a phrase must be whole words of the message.
_QUESTION_PHRASES = (
    "bao nhieu", "bao nhieu tien", "the nao", "nhu the nao", "lam sao", "lam the nao", "o dau", "cho nao",
    "khi nao", "luc nao", "bao gio", "bao lau", "tai sao", "vi sao", "sao lai", "co phai", "la gi", "gi vay",
    "hay khong", "duoc khong", "duoc ko", "phai khong", "co can", "can gi", "nhung gi", "ai se", "the sao",
)  # fmt: skip
_QUESTION = re.compile(r"\b(?:" + "|".join(re.escape(p) for p in _QUESTION_PHRASES) + r")\b")
# A sentence that ends with "không"/"ko"/"chưa"/"nhỉ"/"ạ?": the particles of a yes-no question.
_TAIL = re.compile(r"\b(?:co|da|duoc|phai)\b.*\b(?:khong|ko|k|chua)\s*(?:a|vay|nhi|nhe)?$")


def looks_like_question(text: str) -> bool:
    """A question mark, question words ("bao nhiêu", "ở đâu", "làm sao") or a yes-no question's particles
    ("có … không"), with or without diacritics."""
    if "?" in text:
        return True
    folded = " ".join(re.sub(r"[^\w\s]", " ", fold(text)).split())
    return bool(_QUESTION.search(folded) or _TAIL.search(folded))
