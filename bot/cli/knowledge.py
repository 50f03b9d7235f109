"""`python -m bot kb …`: check the knowledge files, publish them as a revision, see and undo revisions.

kb validate                       the knowledge folder's faults, file by file and line by line
kb publish DIR --by NAME          validate, replay questions, store a new revision and make it live
kb history | kb diff A B | kb rollback N --by NAME | kb export DIR [--revision N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError

from bot.app import DEFAULT_TOPICS, App, knowledge_builder, publishing_checks, system_clock, today_in
from bot.cli.common import app_or_exit, started
from bot.config import Settings
from bot.core.file_schema import KnowledgeFileError
from bot.core.knowledge_diff import summary
from bot.core.regression import CHANGE_LABELS, RegressionReport
from bot.core.validate import Issue
from bot.shell.publishing import (
    Checks,
    PublishOutcome,
    Request,
    bundle_issues,
    diff,
    publish_checked,
)
from bot.storage import knowledge_revisions
from bot.storage.knowledge_files import (
    FAQ_DIR,
    TOP_FILES,
    Bundle,
    read_folder,
    write_folder,
)
from bot.storage.knowledge_revisions import Revision, RevisionNotFound

SHOWN_DIFFERENCES = 20
T = TypeVar("T")


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày phải có dạng YYYY-MM-DD, không phải {text!r}") from None


def _read(directory: Path) -> tuple[Bundle | None, list[Issue]]:
    try:
        return read_folder(directory), []
    except KnowledgeFileError as exc:
        return None, [Issue("error", fault.where, fault.message) for fault in exc.faults]


def _checks(settings: Settings, today: date, topics: Path = DEFAULT_TOPICS) -> Checks:
    try:
        return publishing_checks(settings, today, topics)
    except KnowledgeFileError as exc:  # a line of the development set that is not a question: named
        fault = exc.faults[0]
        sys.exit(f"KNOWLEDGE_CHECK_QUESTIONS: {settings.knowledge_check_questions}:{fault.line}: {fault.message}")


def _print_issues(issues: Sequence[Issue]) -> int:
    """Print the issues; how many are errors."""
    for issue in issues:
        print(issue)
    return sum(issue.level == "error" for issue in issues)


# -- validate ----------------------------------------------------------------------------------------------


def cmd_kb_validate(settings: Settings, args: argparse.Namespace) -> int:
    today = args.date or today_in(settings.timezone)
    directory = Path(args.directory) if args.directory else settings.knowledge_dir
    bundle, unreadable = _read(directory)
    checks = _checks(settings, today, Path(args.topics) if args.topics else DEFAULT_TOPICS)
    issues, knowledge = bundle_issues(bundle, knowledge_builder(settings), checks) if bundle else (unreadable, None)
    errors = _print_issues(issues)
    if knowledge is None:
        print(f"Không tải được kho kiến thức: {errors} lỗi (ngày {today:%d/%m/%Y}).")
        return 1
    warnings = len(issues) - errors
    print(f"{len(knowledge.kb.entries)} mục, {errors} lỗi, {warnings} cảnh báo (ngày {today:%d/%m/%Y}).")
    return 1 if errors else 0


# -- revisions ---------------------------------------------------------------------------------------------


def _with_app(settings: Settings, work: Callable[[App], Coroutine[Any, Any, T]]) -> T:
    """Migrate, publish knowledge/ as revision 1 if there is none, load the live revision, then `work`."""
    app = app_or_exit(settings)
    with asyncio.Runner() as runner:
        started(runner, app)
        try:
            return runner.run(work(app))
        except (OSError, SQLAlchemyError) as exc:
            sys.exit(f"Không mở được cơ sở dữ liệu {app.database.describe()}: {type(exc).__name__}: {exc}")
        finally:
            runner.run(app.close())


def _when(revision: Revision, settings: Settings) -> str:
    return f"{revision.published_at.astimezone(ZoneInfo(settings.timezone)):%d/%m/%Y %H:%M}"


def _report_lines(report: RegressionReport) -> list[str]:
    counts = report.counts()
    sources = ", ".join(f"{n} {name}" for name, n in sorted(report.by_source.items()))
    lines = [
        f"Kiểm tra hồi quy: {counts['questions']} câu ({sources}); {counts['changed']} câu đổi quyết định"
        f" ({', '.join(f'{counts[k]} {label}' for k, label in CHANGE_LABELS.items())}).",
        f"Câu có nhãn: {counts['worse']} kém hơn, {counts['better']} tốt hơn; đúng {counts['right_before']}"
        f" → {counts['right_after']} trên {counts['labelled']} (cho phép kém hơn: {counts['allowed_worse']}).",
    ]
    for difference in report.differences[:SHOWN_DIFFERENCES]:
        verdict = {"worse": "KÉM HƠN", "better": "tốt hơn"}.get(difference.verdict, "")
        tag = f"{verdict:8} " if verdict else ""
        lines.append(
            f"  {tag}[{difference.question.source}] {difference.question.text[:80]!r}: "
            f"{difference.before.describe()} → {difference.after.describe()}"
        )
    if len(report.differences) > SHOWN_DIFFERENCES:
        lines.append(f"  … và {len(report.differences) - SHOWN_DIFFERENCES} câu nữa (xem --json).")
    return lines


def _print_outcome(outcome: PublishOutcome, args: argparse.Namespace) -> int:
    if args.json:
        print(json.dumps(_outcome_json(outcome), ensure_ascii=False, indent=2))
    else:
        errors = _print_issues(outcome.issues)
        if errors:
            print(f"Không công bố: {errors} lỗi trong các tệp kiến thức (sửa rồi chạy lại).")
        elif outcome.unchanged:
            print("Không có gì để công bố: các tệp giống hệt bản đang chạy.")
        if outcome.report is not None:
            print("\n".join(_report_lines(outcome.report)))
        if outcome.published:
            forced = " (ép công bố dù kiểm tra từ chối)" if outcome.report and outcome.report.refused else ""
            print(f"Đã công bố bản {outcome.number}{forced}. Mọi bot đang chạy trả lời theo bản này trong vài giây.")
        elif outcome.report is not None and outcome.report.refused:
            print(
                f"Không công bố: {len(outcome.report.worse)} câu có nhãn trả lời kém hơn"
                f' (cho phép {outcome.report.allowed_worse}). Sửa lại, hoặc thêm --force --note "lý do".'
            )
    return 0 if outcome.published or outcome.unchanged else 1


def _outcome_json(outcome: PublishOutcome) -> dict[str, Any]:
    return {
        "published": outcome.number,
        "unchanged": outcome.unchanged,
        "issues": [{"level": i.level, "where": i.where, "message": i.message} for i in outcome.issues],
        "report": outcome.report.as_dict() if outcome.report else None,
    }


def _request(args: argparse.Namespace, restored_from: int | None = None) -> Request:
    by, note = args.by.strip(), (args.note or "").strip()
    if not by:
        sys.exit("--by: cần tên người công bố.")
    if getattr(args, "force", False) and not note:
        sys.exit("--force cần --note nói lý do công bố dù kiểm tra hồi quy từ chối.")
    return Request(by, note, force=getattr(args, "force", False), restored_from=restored_from)


def cmd_kb_publish(settings: Settings, args: argparse.Namespace) -> int:
    bundle, unreadable = _read(Path(args.directory))
    if bundle is None:
        _print_issues(unreadable)
        print(f"Không công bố: không đọc được {args.directory}.")
        return 1
    request = _request(args)
    checks = _checks(settings, today_in(settings.timezone))

    async def publish(app: App) -> PublishOutcome:
        live = app.knowledge.current()
        build = app.knowledge.build
        return await publish_checked(app.database, live, bundle, build, request, checks, system_clock())

    return _print_outcome(_with_app(settings, publish), args)


def cmd_kb_rollback(settings: Settings, args: argparse.Namespace) -> int:
    """A new revision with the files of revision N (the check runs and is shown; it does not stop a rollback)."""
    request = _request(args, restored_from=args.revision)
    request = replace(request, force=True)
    checks = _checks(settings, today_in(settings.timezone))

    async def rollback(app: App) -> PublishOutcome:
        async with app.database.transaction() as connection:
            bundle = await knowledge_revisions.files_of(connection, args.revision)
        live = app.knowledge.current()
        return await publish_checked(app.database, live, bundle, app.knowledge.build, request, checks, system_clock())

    try:
        return _print_outcome(_with_app(settings, rollback), args)
    except RevisionNotFound:
        sys.exit(f"Không có bản {args.revision}. Xem: python -m bot kb history")


def cmd_kb_history(settings: Settings, args: argparse.Namespace) -> int:
    async def read(app: App) -> list[Revision]:
        async with app.database.transaction() as connection:
            return await knowledge_revisions.history(connection, args.limit)

    revisions = _with_app(settings, read)
    if args.json:
        rows = [
            {
                "number": r.number,
                "published_at": r.published_at.isoformat(),
                "published_by": r.published_by,
                "drafted_by": r.drafted_by,
                "note": r.note,
                "restored_from": r.restored_from,
                "forced": r.forced,
                "check": r.check_summary,
            }
            for r in revisions
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    print(f"{'Bản':>5}  {'Công bố lúc':16}  {'Người công bố':20}  Ghi chú")
    for position, r in enumerate(revisions):
        live = "*" if position == 0 else " "
        notes = [r.note] if r.note else []
        if r.restored_from:
            notes.append(f"khôi phục bản {r.restored_from}")
        if r.forced:
            notes.append("ép công bố dù kiểm tra từ chối")
        if r.check_summary:
            notes.append(f"{r.check_summary.get('changed', 0)} câu đổi, {r.check_summary.get('worse', 0)} kém hơn")
        print(f"{r.number:>4}{live}  {_when(r, settings):16}  {r.published_by[:20]:20}  {'; '.join(notes)}")
    print("(* bản đang chạy)")
    return 0


def cmd_kb_diff(settings: Settings, args: argparse.Namespace) -> int:
    async def read(app: App) -> tuple[Bundle, Bundle]:
        async with app.database.transaction() as connection:
            return (
                await knowledge_revisions.files_of(connection, args.old),
                await knowledge_revisions.files_of(connection, args.new),
            )

    try:
        old, new = _with_app(settings, read)
    except RevisionNotFound as exc:
        sys.exit(f"Không có bản {exc.args[0]}. Xem: python -m bot kb history")
    changes = diff(old, new)
    if args.json:
        print(json.dumps([change.as_dict() for change in changes], ensure_ascii=False, indent=2))
        return 0
    overview = summary(changes)
    print(
        f"Bản {args.old} → bản {args.new}: {len(overview['entries'])} mục hỏi đáp, {len(overview['figures'])} con số,"
        f" {len(overview['other'])} phần khác thay đổi."
    )
    for label, names in (("Mục hỏi đáp", overview["entries"]), ("Con số", overview["figures"])):
        if names:
            print(f"{label}: {', '.join(names)}")
    for change in changes:
        print(f"  {change.describe()}")
    return 0


def cmd_kb_export(settings: Settings, args: argparse.Namespace) -> int:
    """The files of a revision (default: the live one) in DIR, to edit and publish again."""
    directory = Path(args.directory)
    known = {*TOP_FILES, *(f"{FAQ_DIR}/{p.name}" for p in (directory / FAQ_DIR).glob("*.yaml"))}
    present = sorted(name for name in known if (directory / name).exists())
    if present and not args.overwrite:
        sys.exit(
            f"{directory} đã có tệp kiến thức ({', '.join(present[:3])}…). Chọn thư mục trống hoặc thêm --overwrite."
        )

    async def read(app: App) -> tuple[int, Bundle]:
        async with app.database.transaction() as connection:
            number = args.revision or await knowledge_revisions.live_number(connection)
            assert number is not None, "start() publishes the folder as revision 1"
            return number, await knowledge_revisions.files_of(connection, number)

    try:
        number, bundle = _with_app(settings, read)
    except RevisionNotFound:
        sys.exit(f"Không có bản {args.revision}. Xem: python -m bot kb history")
    for stale in present:
        if stale not in bundle:  # the folder becomes exactly the revision's files
            (directory / stale).unlink()
    written = write_folder(bundle, directory)
    print(f"Đã ghi {len(written)} tệp của bản {number} vào {directory}.")
    print(f"Sửa xong thì công bố: python -m bot kb publish {directory} --by TÊN --note GHI_CHÚ")
    return 0


# -- the parser --------------------------------------------------------------------------------------------


def kb_parsers(commands: argparse._SubParsersAction) -> None:
    kb = commands.add_parser("kb", help="kho kiến thức: kiểm tra, công bố, lịch sử, khôi phục")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True, metavar="LỆNH")
    check = kb_commands.add_parser("validate", help="kiểm tra các file kiến thức")
    check.add_argument("directory", nargs="?", metavar="THƯ_MỤC", help="mặc định KNOWLEDGE_DIR (knowledge/)")
    check.add_argument(
        "--topics",
        metavar="FILE",
        help=f"một topics.tsv, hoặc thư mục chứa topics*.tsv, liệt kê các mã bắt buộc (mặc định {DEFAULT_TOPICS})",
    )
    check.add_argument(
        "--date", type=_iso_date, metavar="NGÀY", help="kiểm tra như vào ngày này, YYYY-MM-DD (mặc định hôm nay)"
    )
    check.set_defaults(func=cmd_kb_validate)

    publish = kb_commands.add_parser(
        "publish", help="kiểm tra rồi công bố một thư mục kiến thức thành bản mới, mọi bot trả lời theo nó"
    )
    publish.add_argument("directory", metavar="THƯ_MỤC")
    _who(publish)
    publish.add_argument("--force", action="store_true", help="công bố dù kiểm tra hồi quy từ chối (cần --note)")
    publish.add_argument("--json", action="store_true", help="in kết quả và báo cáo kiểm tra dạng JSON")
    publish.set_defaults(func=cmd_kb_publish)

    history = kb_commands.add_parser("history", help="các bản đã công bố, mới nhất trước")
    history.add_argument("--limit", type=int, default=30, metavar="N")
    history.add_argument("--json", action="store_true")
    history.set_defaults(func=cmd_kb_history)

    changes = kb_commands.add_parser("diff", help="những gì đổi từ bản A sang bản B")
    changes.add_argument("old", type=int, metavar="A")
    changes.add_argument("new", type=int, metavar="B")
    changes.add_argument("--json", action="store_true")
    changes.set_defaults(func=cmd_kb_diff)

    rollback = kb_commands.add_parser("rollback", help="công bố lại nội dung của bản N thành một bản mới")
    rollback.add_argument("revision", type=int, metavar="N")
    _who(rollback)
    rollback.add_argument("--json", action="store_true")
    rollback.set_defaults(func=cmd_kb_rollback)

    export = kb_commands.add_parser("export", help="ghi các tệp của một bản ra thư mục để sửa")
    export.add_argument("directory", metavar="THƯ_MỤC")
    export.add_argument("--revision", type=int, metavar="N", help="mặc định bản đang chạy")
    export.add_argument("--overwrite", action="store_true", help="ghi đè các tệp kiến thức đã có trong thư mục")
    export.set_defaults(func=cmd_kb_export)


def _who(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--by", required=True, metavar="TÊN", help="người công bố (ghi vào lịch sử)")
    parser.add_argument("--note", metavar="GHI_CHÚ", help="vì sao thay đổi (ghi vào lịch sử)")
