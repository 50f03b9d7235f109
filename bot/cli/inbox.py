"""`python -m bot inbox`: what the bot could not answer, for staff (bot.core.inbox, bot.shell.inbox).

python -m bot inbox [list] [--since NGÀY] [--limit N] [--json]   the clusters, most asked first
python -m bot inbox done MÃ --by TÊN                             answered now: hide what was asked so far
python -m bot inbox ignore MÃ --by TÊN                           not for the bot: hide it for good
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.app import system_clock, today_in
from bot.cli.common import app_or_exit, day, started
from bot.config import Settings
from bot.core.inbox import DONE, FALLBACK, IGNORED, SUGGEST, UNCOVERED, Cluster
from bot.shell.inbox import Marked, mark_cluster, open_clusters

DEFAULT_DAYS = 30  # `inbox` without --since: the questions of the last 30 days
DEFAULT_LIMIT = 20
DECISION_LABELS = {
    UNCOVERED: "chưa có câu trả lời",
    FALLBACK: "bot không hiểu",
    SUGGEST: "gợi ý không được chọn",
}
STATUS_LABELS = {DONE: "đã xử lý", IGNORED: "bỏ qua"}


def _since(settings: Settings, chosen: date | None) -> tuple[date, datetime]:
    """The first day listed (default DEFAULT_DAYS ago) and its midnight where the office is."""
    first = chosen or today_in(settings.timezone) - timedelta(days=DEFAULT_DAYS)
    return first, datetime.combine(first, time.min, tzinfo=ZoneInfo(settings.timezone))


def _day_text(moment: datetime, settings: Settings) -> str:
    return f"{moment.astimezone(ZoneInfo(settings.timezone)):%d/%m/%Y}"


def _listed(settings: Settings, since: datetime) -> list[Cluster]:
    app = app_or_exit(settings)
    with asyncio.Runner() as runner:
        started(runner, app)
        try:
            stopwords = app.kb.lexicon.stopwords
            return runner.run(open_clusters(app.database, since, system_clock(), stopwords))
        finally:
            runner.run(app.close())


def _describe(rank: int, cluster: Cluster, settings: Settings) -> list[str]:
    seen = f"{_day_text(cluster.first_seen, settings)} – {_day_text(cluster.last_seen, settings)}"
    lines = [
        f"{rank:>3}. [{cluster.key}] {cluster.count} lần hỏi, {cluster.chats} người hỏi, {seen}",
        f"     {cluster.representative}",
    ]
    kinds = ", ".join(f"{DECISION_LABELS.get(k, k)}: {n}" for k, n in sorted(cluster.decisions.items()))
    about = f"; chủ đề: {cluster.topic}" if cluster.topic else ""
    near = f"; gần nhất: {cluster.nearest}" if cluster.nearest else ""
    lines.append(f"     ({kinds}{about}{near})")
    lines += [f"       - {example}" for example in cluster.examples if example != cluster.representative]
    return lines


def cmd_inbox_list(settings: Settings, args: argparse.Namespace) -> int:
    first, since = _since(settings, args.since)
    found = _listed(settings, since)
    shown = found[: args.limit] if args.limit else found
    if args.json:
        document = {
            "since": since.isoformat(),
            "clusters": [c.as_json() for c in shown],
            "total_clusters": len(found),
            "total_questions": sum(c.count for c in found),
        }
        print(json.dumps(document, ensure_ascii=False, indent=2))
        return 0
    if not found:
        print(f"Không có câu hỏi nào bot chưa trả lời được từ ngày {first:%d/%m/%Y}.")
        return 0
    questions = sum(c.count for c in found)
    print(f"Câu hỏi bot chưa trả lời được từ ngày {first:%d/%m/%Y}: {questions} câu, {len(found)} nhóm.")
    for rank, cluster in enumerate(shown, start=1):
        print()
        print("\n".join(_describe(rank, cluster, settings)))
    print()
    if len(shown) < len(found):
        print(f"… và {len(found) - len(shown)} nhóm nữa (xem thêm: --limit {len(found)}).")
    print("Đã trả lời được: python -m bot inbox done MÃ --by TÊN; không thuộc việc của bot: inbox ignore MÃ --by TÊN")
    return 0


def cmd_inbox_mark(settings: Settings, args: argparse.Namespace) -> int:
    by = args.by.strip()
    if not by:
        sys.exit("Lỗi: --by cần tên người đánh dấu.")
    first, since = _since(settings, args.since)
    app = app_or_exit(settings)
    with asyncio.Runner() as runner:
        started(runner, app)
        try:
            stopwords = app.kb.lexicon.stopwords
            work = mark_cluster(app.database, args.key, args.status, by, system_clock(), since, stopwords)
            marked: Marked | None = runner.run(work)
        finally:
            runner.run(app.close())
    if marked is None:
        sys.exit(
            f"Không có nhóm {args.key.strip()!r} trong các câu hỏi chưa trả lời được từ ngày {first:%d/%m/%Y}. "
            "Xem mã các nhóm: python -m bot inbox (thêm --since NGÀY nếu nhóm cũ hơn)."
        )
    cluster = marked.cluster
    print(
        f"Đã đánh dấu nhóm [{cluster.key}] «{cluster.representative}» là {STATUS_LABELS[args.status]} "
        f"({cluster.count} lần hỏi, {marked.signatures} cách hỏi)."
    )
    return 0


def _list_options(parser: argparse.ArgumentParser, default: object = None) -> None:
    since_help = f"câu hỏi từ ngày này, dd/mm/yyyy (mặc định: {DEFAULT_DAYS} ngày trước)"
    parser.add_argument("--since", type=day, metavar="NGÀY", default=default, help=since_help)
    limit_help = f"in tối đa N nhóm, 0 là tất cả (mặc định {DEFAULT_LIMIT})"
    parser.add_argument("--limit", type=int, metavar="N", default=default, help=limit_help)
    parser.add_argument("--json", action="store_true", default=default, help="in dạng JSON")


def inbox_parsers(commands: argparse._SubParsersAction) -> None:
    inbox = commands.add_parser(
        "inbox", help="câu hỏi bot chưa trả lời được, gom theo nhóm câu giống nhau, nhiều nhất trước"
    )
    _list_options(inbox)
    inbox.set_defaults(func=cmd_inbox_list, since=None, limit=DEFAULT_LIMIT, json=False)
    actions = inbox.add_subparsers(dest="inbox_command", metavar="LỆNH")
    # the subcommands' own options default to nothing, so `inbox --since X list` keeps X
    listing = actions.add_parser("list", help="liệt kê các nhóm (như `inbox` không kèm lệnh)")
    _list_options(listing, default=argparse.SUPPRESS)
    listing.set_defaults(func=cmd_inbox_list)
    for status, help_text in (
        (DONE, "đánh dấu một nhóm đã xử lý (đã có câu trả lời): các câu đã hỏi không hiện nữa"),
        (IGNORED, "bỏ qua một nhóm (không thuộc việc của bot): không hiện nữa"),
    ):
        name = "done" if status == DONE else "ignore"
        mark = actions.add_parser(name, help=help_text)
        mark.add_argument("key", metavar="MÃ", help="mã nhóm, trong ngoặc vuông ở danh sách")
        mark.add_argument("--by", required=True, metavar="TÊN", help="tên người đánh dấu")
        since_help = f"nhóm trong danh sách từ ngày này, dd/mm/yyyy (mặc định: {DEFAULT_DAYS} ngày trước)"
        mark.add_argument("--since", type=day, metavar="NGÀY", default=argparse.SUPPRESS, help=since_help)
        mark.set_defaults(func=cmd_inbox_mark, status=status)
