"""The command line's parser in Vietnamese, and the arguments office staff most often get wrong.

Staff read `--help` and argparse's error messages: `VietnameseParser` writes argparse's own words ("usage:",
"options:", "error:", "the following arguments are required") in Vietnamese too. `chat_id` refuses a phone
number typed where a Telegram chat id belongs (the commonest slip when adding an agent), and `day` takes a
date as people write it here (dd/mm/yyyy) or as ISO (yyyy-mm-dd).
"""

from __future__ import annotations

import argparse
import re
import sys
from datetime import date, datetime
from typing import Any, NoReturn

# argparse's own phrases in its error messages, and what staff read instead.
_ARGPARSE_PHRASES = (
    ("the following arguments are required: ", "thiếu tham số bắt buộc: "),
    ("unrecognized arguments: ", "tham số không hiểu được: "),
    ("expected one argument", "cần một giá trị"),
    ("invalid choice: ", "lựa chọn không hợp lệ: "),
    ("(choose from ", "(chọn một trong "),
    ("invalid int value: ", "không phải số nguyên: "),
    ("invalid float value: ", "không phải số: "),
    ("not allowed with argument ", "không dùng cùng với "),
    ("argument ", "tham số "),
)
PHONE_LIKE = re.compile(r"^(?:0\d{9}|\+84\d{8,10}|84[35789]\d{8})$")
HOW_TO_FIND_CHAT_ID = (
    "Mã chat Telegram là một dãy số (ví dụ 5123456789), không phải số điện thoại. Để biết mã chat của đại lý: "
    "đại lý mở cuộc trò chuyện với bot trên Telegram và gõ /leads; bot trả lời "
    '"Mã chat của anh/chị: …". Dùng số đó sau --chat-id.'
)


def vietnamese(message: str) -> str:
    """An argparse error message with argparse's own words in Vietnamese."""
    for english, translated in _ARGPARSE_PHRASES:
        message = message.replace(english, translated)
    return message


class VietnameseHelpFormatter(argparse.HelpFormatter):
    def add_usage(self, usage: str | None, actions: object, groups: object, prefix: str | None = None) -> None:
        super().add_usage(usage, actions, groups, "Cách dùng: " if prefix is None else prefix)  # type: ignore[arg-type]


class VietnameseParser(argparse.ArgumentParser):
    """An ArgumentParser whose headings, -h/--help and error messages are in Vietnamese (its subcommands'
    parsers are of this class too: argparse makes them with the parent's class)."""

    def __init__(self, *, add_help: bool = True, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", VietnameseHelpFormatter)
        super().__init__(add_help=False, **kwargs)
        self._positionals.title = "tham số"
        self._optionals.title = "tùy chọn"
        if add_help:
            self.add_argument("-h", "--help", action="help", help="xem hướng dẫn này rồi thoát")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(2, f"{self.prog}: lỗi: {vietnamese(message)}\n")


def chat_id(text: str) -> int:
    """A Telegram chat id (a person's: positive; a group's: negative). A Vietnamese phone number typed here
    instead ("0912345678", "+84912345678") is refused with how to find the chat id."""
    typed = text.strip()
    compact = re.sub(r"[\s.\-]", "", typed)
    if PHONE_LIKE.match(compact):
        raise argparse.ArgumentTypeError(f"{typed!r} giống số điện thoại. {HOW_TO_FIND_CHAT_ID}")
    if not re.fullmatch(r"-?[1-9]\d{0,18}", compact):
        raise argparse.ArgumentTypeError(f"{typed!r} không phải mã chat Telegram. {HOW_TO_FIND_CHAT_ID}")
    return int(compact)


def day(text: str) -> date:
    """A date typed as dd/mm/yyyy (also d/m/yyyy, dd-mm-yyyy, dd.mm.yyyy) or yyyy-mm-dd."""
    typed = text.strip()
    try:
        return date.fromisoformat(typed)
    except ValueError:
        pass
    found = re.fullmatch(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})", typed)
    if found:
        try:
            return datetime.strptime("/".join(found.groups()), "%d/%m/%Y").date()
        except ValueError:
            pass
    raise argparse.ArgumentTypeError(f"ngày phải có dạng dd/mm/yyyy (ví dụ 01/12/2026), không phải {typed!r}")
