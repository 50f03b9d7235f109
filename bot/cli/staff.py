"""`python -m bot staff …`: the office console's accounts.

staff add USERNAME --role editor|approver|admin [--name "Họ tên"]   password from standard input or prompted
staff list | staff disable USERNAME | staff enable USERNAME | staff password USERNAME
"""

from __future__ import annotations

import argparse
import getpass
import re
import sys
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import system_clock
from bot.cli.common import in_transaction
from bot.config import Settings
from bot.shell.staff_auth import MIN_PASSWORD_CHARS, PasswordTooShort, hash_password
from bot.storage import staff as staff_store
from bot.storage.staff import ROLES, StaffAccount, StaffExists

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
ROLE_NAMES = {"editor": "biên tập", "approver": "duyệt và công bố", "admin": "quản trị"}
CLI_ACTOR = "cli"
T = TypeVar("T")


def username(text: str) -> str:
    name = text.strip().lower()
    if not USERNAME.match(name):
        raise argparse.ArgumentTypeError(
            f"tên đăng nhập gồm chữ không dấu, số, dấu chấm, gạch (2-64 ký tự), không phải {text!r}"
        )
    return name


def _password() -> str:
    """The new password: prompted twice at a terminal, else the first line of standard input."""
    if sys.stdin.isatty():
        first = getpass.getpass(f"Mật khẩu mới (ít nhất {MIN_PASSWORD_CHARS} ký tự): ")
        if getpass.getpass("Nhập lại mật khẩu: ") != first:
            sys.exit("Hai lần nhập không giống nhau.")
        return first
    return sys.stdin.readline().rstrip("\r\n")


def _hash_or_exit() -> str:
    try:
        return hash_password(_password())
    except PasswordTooShort as exc:
        sys.exit(f"Không được: {exc}.")


def _run(settings: Settings, work: Callable[[AsyncConnection], Coroutine[Any, Any, T]]) -> T:
    return in_transaction(settings, work)


def cmd_staff_add(settings: Settings, args: argparse.Namespace) -> int:
    password_hash = _hash_or_exit()
    name = (args.name or args.username).strip()

    async def add(connection: AsyncConnection) -> StaffAccount:
        now = system_clock()
        account = await staff_store.add(connection, args.username, name, args.role, password_hash, now)
        await staff_store.audit(
            connection, CLI_ACTOR, "staff.add", now, args.username, after={"role": args.role, "name": name}
        )
        return account

    try:
        account = _run(settings, add)
    except StaffExists:
        sys.exit(f"Đã có tài khoản {args.username}. Đổi mật khẩu: python -m bot staff password {args.username}")
    print(f"Đã tạo tài khoản {account.username} ({ROLE_NAMES[account.role]}).")
    return 0


def cmd_staff_list(settings: Settings, _: argparse.Namespace) -> int:
    accounts = _run(settings, staff_store.everyone)
    if not accounts:
        print("Chưa có tài khoản nào. Tạo: python -m bot staff add TÊN --role admin")
        return 0
    for account in accounts:
        state = "" if account.active else "  (đã khóa)"
        print(f"{account.username:<20} {ROLE_NAMES[account.role]:<18} {account.display_name}{state}")
    return 0


def _set_active(settings: Settings, name: str, active: bool) -> int:
    async def change(connection: AsyncConnection) -> bool:
        found = await staff_store.set_active(connection, name, active)
        if found:
            action = "staff.enable" if active else "staff.disable"
            await staff_store.audit(connection, CLI_ACTOR, action, system_clock(), name, after={"active": active})
        return found

    if not _run(settings, change):
        sys.exit(f"Không có tài khoản {name}. Xem: python -m bot staff list")
    print(
        f"Đã {'mở khóa' if active else 'khóa'} tài khoản {name}{'' if active else '; các phiên đăng nhập đã kết thúc'}."
    )
    return 0


def cmd_staff_disable(settings: Settings, args: argparse.Namespace) -> int:
    return _set_active(settings, args.username, False)


def cmd_staff_enable(settings: Settings, args: argparse.Namespace) -> int:
    return _set_active(settings, args.username, True)


def cmd_staff_password(settings: Settings, args: argparse.Namespace) -> int:
    password_hash = _hash_or_exit()

    async def change(connection: AsyncConnection) -> bool:
        now = system_clock()
        found = await staff_store.set_password(connection, args.username, password_hash, now)
        if found:
            await staff_store.audit(connection, CLI_ACTOR, "staff.password", now, args.username)
        return found

    if not _run(settings, change):
        sys.exit(f"Không có tài khoản {args.username}. Xem: python -m bot staff list")
    print(f"Đã đổi mật khẩu của {args.username}; các phiên đăng nhập cũ đã kết thúc.")
    return 0


def staff_parsers(commands: argparse._SubParsersAction) -> None:
    group = commands.add_parser("staff", help="tài khoản cán bộ của bảng điều khiển (/admin)")
    staff_commands = group.add_subparsers(dest="staff_command", required=True, metavar="LỆNH")
    add = staff_commands.add_parser("add", help="tạo tài khoản; mật khẩu nhập sau (hoặc từ đầu vào chuẩn)")
    add.add_argument("username", type=username, metavar="TÊN_ĐĂNG_NHẬP")
    add.add_argument(
        "--role", required=True, choices=ROLES, help="editor: soạn; approver: duyệt, công bố; admin: quản trị"
    )
    add.add_argument("--name", metavar="HỌ_TÊN", help="tên hiển thị (mặc định: tên đăng nhập)")
    add.set_defaults(func=cmd_staff_add)
    staff_commands.add_parser("list", help="các tài khoản").set_defaults(func=cmd_staff_list)
    for name, func, text in (
        ("disable", cmd_staff_disable, "khóa tài khoản (kết thúc mọi phiên đăng nhập)"),
        ("enable", cmd_staff_enable, "mở khóa tài khoản"),
        ("password", cmd_staff_password, "đặt mật khẩu mới (kết thúc mọi phiên đăng nhập)"),
    ):
        command = staff_commands.add_parser(name, help=text)
        command.add_argument("username", type=username, metavar="TÊN_ĐĂNG_NHẬP")
        command.set_defaults(func=func)
