"""Command line: python -m bot run | chat | ask | match | eval | kb | calc | db | agents | areas | leads | inbox
| staff (command groups in bot/cli/)."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import re
import sys
from collections import Counter
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any, NoReturn, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.app import system_clock, today_in
from bot.channels.console import render
from bot.cli.common import app_or_exit, day, in_transaction, started
from bot.cli.inbox import inbox_parsers
from bot.cli.knowledge import kb_parsers
from bot.cli.run import run_parsers
from bot.cli.staff import staff_parsers
from bot.cli.webhook import webhook_parsers
from bot.cli.zalo_oa import zalo_oa_parsers
from bot.config import Settings
from bot.core.areas import Area, MatchKind, match_area
from bot.core.calc import CalcError
from bot.core.calc.chart import pension_chart
from bot.core.calc.common import Gender, Scheme
from bot.core.calc.household import household_contribution
from bot.core.calc.money import parse_money
from bot.core.calc.pension import ContributionRecord, PensionComparison, lump_sum_versus_pension
from bot.core.calc.support import SupportGroup
from bot.core.calc.text import as_json, household_text, pension_text, voluntary_text
from bot.core.calc.voluntary import voluntary_contribution
from bot.core.evaluation import Example, evaluate, format_table
from bot.core.knowledge import KnowledgeBase, KnowledgeError
from bot.core.leads.export import HEADERS as LEAD_HEADERS
from bot.core.leads.export import Cell, csv_cells, export_row
from bot.core.leads.records import CLI, STATUS_LABELS, LeadStatus
from bot.core.leads.routing import LeadContext
from bot.core.policy import PolicyError
from bot.core.types import Inbound, InboundKind, Session
from bot.shell.charts import save_png
from bot.shell.lead_exports import xlsx_bytes
from bot.storage import agents as agent_store
from bot.storage import leads as lead_store
from bot.storage.agents import Agent, AgentExists
from bot.storage.knowledge_files import load_knowledge
from bot.storage.leads import LeadNotFound

T = TypeVar("T")


# -- the parser in Vietnamese, and the arguments office staff most often get wrong ------------------------
# Staff read `--help` and argparse's errors: `VietnameseParser` writes argparse's own words in Vietnamese too.
# `chat_id` refuses a phone number typed where a Telegram chat id belongs (the commonest slip when adding an
# agent); `day` takes a date as people write it here (dd/mm/yyyy) or as ISO (yyyy-mm-dd).

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


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày phải có dạng YYYY-MM-DD, không phải {text!r}") from None


def _money(text: str) -> int:
    try:
        return parse_money(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _duration(text: str) -> int:
    """YEARS[:MONTHS] -> months: "10" -> 120, "5:3" -> 63."""
    years, _, months = text.partition(":")
    try:
        whole, odd = int(years), int(months or 0)
    except ValueError:
        whole, odd = -1, 0
    if whole < 0 or not 0 <= odd < 12:
        raise argparse.ArgumentTypeError(f"thời gian phải có dạng NĂM hoặc NĂM:THÁNG (ví dụ 5:3), không phải {text!r}")
    return whole * 12 + odd


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise argparse.ArgumentTypeError(f"tháng phải có dạng YYYY-MM, không phải {text!r}") from None


def _groups(text: str) -> list[SupportGroup]:
    try:
        return [SupportGroup(code.strip()) for code in text.split(",") if code.strip()]
    except ValueError:
        valid = ", ".join(group.value for group in SupportGroup)
        raise argparse.ArgumentTypeError(f"nhóm phải là một trong: {valid}; không phải {text!r}") from None


def _utf8_streams() -> None:
    for stream in (sys.stdin, sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(encoding="utf-8")


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    app = app_or_exit(settings)
    outcome = app.handle(Inbound("cli", InboundKind.TEXT, text=" ".join(args.question)), Session("cli"), args.date)
    print("\n\n".join(render(reply) for reply in outcome.replies))
    return 0


def cmd_match(settings: Settings, _: argparse.Namespace) -> int:
    app = app_or_exit(settings)
    for line in sys.stdin:
        question = line.rstrip("\n")
        decision = app.matcher.match(question)
        record = {
            "q": question,
            "id": decision.entry_id,
            "score": decision.score,
            "decision": decision.kind,
            "alternatives": [{"id": s.id, "score": s.score} for s in decision.ranked],
            "also": list(decision.also),
            "topic": decision.topic,
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    app = app_or_exit(settings)
    with Path(args.file).open(encoding="utf-8") as handle:
        examples = [Example.from_json(json.loads(line)) for line in handle if line.strip()]
    report = evaluate(examples, app.matcher.match)
    if args.json:
        print(json.dumps(report.as_dict(), ensure_ascii=False, indent=2))
        return 0
    if args.misses:
        for example, decision in report.misses:
            got = decision.entry_id or decision.kind
            ranked = ", ".join(f"{s.id}:{s.score}" for s in decision.ranked)
            print(f"[{example.style}] expect={'/'.join(example.expect)} got={got} ({ranked}) {example.question}")
        print()
    print(format_table(report))
    return 0


def calc_voluntary(kb: KnowledgeBase, on: date, args: argparse.Namespace) -> tuple[object, str]:
    result = voluntary_contribution(kb.policy, on, args.income, args.group, args.months)
    return result, voluntary_text(result)


def calc_household(kb: KnowledgeBase, on: date, args: argparse.Namespace) -> tuple[object, str]:
    result = household_contribution(kb.policy, on, args.members, args.months)
    return result, household_text(result, kb.messages.get("calc_household_note", ""))


def calc_pension(kb: KnowledgeBase, on: date, args: argparse.Namespace) -> tuple[object, str]:
    record = ContributionRecord(
        gender=Gender(args.gender),
        birth=args.birth,
        months_before_2014=args.before_2014,
        months_from_2014=args.from_2014,
        average_income=args.income,
        scheme=Scheme(args.scheme),
        groups=frozenset(args.group),
        started_before_2025_07=None if args.started_before_2025_07 is None else args.started_before_2025_07 == "yes",
        stopped=args.stopped,
    )
    result = lump_sum_versus_pension(kb.policy, on, record)
    if args.chart is not None:
        _write_chart(kb, result, args.chart)
    return result, pension_text(result)


def _write_chart(kb: KnowledgeBase, result: PensionComparison, path: Path) -> None:
    """`calc pension --chart FILE.png`: the picture, and on stderr where it went (stdout stays the result)."""
    chart = pension_chart(result, lambda key, **values: kb.message(key).format(**values))
    if chart is None:
        print(kb.message("chart_huu_none"), file=sys.stderr)
        return
    save_png(chart, path)
    print(kb.message("chart_huu_saved").format(path=path), file=sys.stderr)


def cmd_calc(settings: Settings, args: argparse.Namespace) -> int:
    """One calculator, for the date given or today; a calculator error is a message and exit code 2."""
    try:
        kb = load_knowledge(settings.knowledge_dir)
    except KnowledgeError as exc:
        sys.exit(f"Không tải được kho kiến thức: {exc}\nChạy `python -m bot kb validate` để xem chi tiết.")
    try:
        result, text = args.calculate(kb, args.date or today_in(settings.timezone), args)
    except (CalcError, PolicyError) as exc:
        print(f"Lỗi: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(as_json(result), ensure_ascii=False, indent=2) if args.json else text)
    return 0


def calc_parser(commands: argparse._SubParsersAction) -> None:
    calc = commands.add_parser("calc", help="máy tính: voluntary (BHXH tự nguyện) | household (BHYT hộ) | pension")
    kinds = calc.add_subparsers(dest="calc_command", required=True, metavar="LỆNH")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--date", type=_iso_date, help="tính như vào ngày này, YYYY-MM-DD (mặc định hôm nay)")
    common.add_argument("--json", action="store_true", help="in kết quả dạng JSON")
    group_help = f"nhóm được hỗ trợ, ghi nhiều lần hoặc cách nhau dấu phẩy: {', '.join(g.value for g in SupportGroup)}"
    voluntary = kinds.add_parser("voluntary", parents=[common], help="tiền đóng BHXH tự nguyện")
    voluntary.add_argument("--income", type=_money, required=True, help='thu nhập tháng: "3tr", "3.000.000", …')
    voluntary.add_argument("--group", type=_groups, action="extend", default=[], help=group_help)
    voluntary.add_argument("--months", type=int, default=1, help="kỳ đóng: 1, 3, 6 hoặc 12 tháng (mặc định 1)")
    voluntary.set_defaults(func=cmd_calc, calculate=calc_voluntary)
    household = kinds.add_parser("household", parents=[common], help="tiền mua BHYT hộ gia đình")
    household.add_argument("--members", type=int, required=True, help="số người cùng mua BHYT theo hộ")
    household.add_argument("--months", type=int, default=12, help="kỳ đóng: 3, 6 hoặc 12 tháng (mặc định 12)")
    household.set_defaults(func=cmd_calc, calculate=calc_household)
    pension = kinds.add_parser("pension", parents=[common], help="lump sum versus pension")
    pension.add_argument("--gender", choices=[g.value for g in Gender], required=True)
    pension.add_argument("--birth", type=_iso_date, required=True, help="date of birth, YYYY-MM-DD")
    pension.add_argument("--before-2014", type=_duration, default=0, help="time paid before 2014, YEARS[:MONTHS]")
    pension.add_argument("--from-2014", type=_duration, default=0, help="time paid from 2014, YEARS[:MONTHS]")
    pension.add_argument("--income", type=_money, required=True, help="average monthly salary or income paid on")
    pension.add_argument("--scheme", choices=[s.value for s in Scheme], required=True)
    pension.add_argument("--group", type=_groups, action="extend", default=[], help=group_help + " (voluntary)")
    pension.add_argument("--started-before-2025-07", choices=["yes", "no"], help="paid anything before 01/07/2025")
    pension.add_argument("--stopped", type=_month, help="the last month paid, YYYY-MM (default last month)")
    pension.add_argument("--chart", type=Path, metavar="FILE.png", help="also draw the comparison as a PNG picture")
    pension.set_defaults(func=cmd_calc, calculate=calc_pension)


def cmd_db_upgrade(settings: Settings, _: argparse.Namespace) -> int:
    app = app_or_exit(settings)
    with asyncio.Runner() as runner:
        revision = started(runner, app)
        runner.run(app.close())
    print(f"{app.database.describe()}: revision {revision} (mới nhất).")
    return 0


# -- enrolment leads: agents, areas, export, stats, purge ---------------------------------------------


def _areas(settings: Settings) -> tuple[Area, ...]:
    """The areas of the live knowledge revision (what lead routing uses), not of the knowledge folder: an area
    published from the console is known to `agents add` at once."""
    app = app_or_exit(settings)
    with asyncio.Runner() as runner:
        started(runner, app)  # migrations, knowledge/ as revision 1 on a fresh database, the live revision
        runner.run(app.close())
    return app.areas


def _area_argument(areas: tuple[Area, ...], text: str) -> Area:
    """The area named by code or name (diacritics and "xã"/"phường" optional); exits naming close ones."""
    match = match_area(text, areas)
    if match.kind == MatchKind.EXACT and match.area is not None:
        return match.area
    close = ", ".join(f"{area.name} [{area.code}]" for area in match.choices)
    hint = f" Có phải: {close}?" if close else " Xem danh sách: python -m bot areas list"
    sys.exit(f"Không tìm thấy đúng một xã/phường {text!r} trong areas.yaml.{hint}")


def _lead_context(settings: Settings, areas: tuple[Area, ...]) -> LeadContext:
    names = {area.code: area.name for area in areas}
    return LeadContext(names, ZoneInfo(settings.timezone), settings.office_chat_id)


def cmd_agents_add(settings: Settings, args: argparse.Namespace) -> int:
    area = _area_argument(_areas(settings), args.area)
    try:
        agent = in_transaction(
            settings, lambda c: agent_store.add(c, args.chat_id, args.name.strip(), area.code, system_clock())
        )
    except AgentExists as exc:
        sys.exit(f"Lỗi: {exc}. Gỡ trước bằng: python -m bot agents remove --chat-id {args.chat_id}")
    print(f"Đã thêm đại lý {agent.name} (chat {agent.chat_id}) phụ trách {area.name} [{area.code}].")
    return 0


def cmd_agents_list(settings: Settings, args: argparse.Namespace) -> int:
    names = {area.code: area.name for area in _areas(settings)}
    loads = in_transaction(settings, lambda c: agent_store.loads(c, include_removed=args.all))
    if not loads:
        print("Chưa có đại lý nào. Thêm: python -m bot agents add --chat-id N --name TÊN --area XÃ")
        return 0
    for load in loads:
        agent = load.agent
        removed = "" if agent.active else "  (đã gỡ)"
        area = names.get(agent.area_code, f"{agent.area_code} (không còn trong areas.yaml)")
        print(f"{agent.chat_id:>14}  {agent.name:<28} {area} [{agent.area_code}]  đang mở: {load.open_leads}{removed}")
    return 0


def cmd_agents_remove(settings: Settings, args: argparse.Namespace) -> int:
    context = _lead_context(settings, _areas(settings))

    async def remove(connection: AsyncConnection) -> tuple[Agent | None, list[int]]:
        agent = await agent_store.deactivate(connection, args.chat_id)
        moved = await lead_store.release_agent(connection, agent.id, context, system_clock()) if agent else []
        return agent, moved

    agent, moved = in_transaction(settings, remove)
    if agent is None:
        sys.exit(f"Không có đại lý nào dùng chat {args.chat_id}. Xem: python -m bot agents list")
    print(f"Đã gỡ đại lý {agent.name} (chat {agent.chat_id}).")
    if moved:
        print(f"{len(moved)} yêu cầu đang mở được chuyển về hàng chờ văn phòng: {', '.join(f'#{i}' for i in moved)}")
    return 0


def cmd_areas_list(settings: Settings, _: argparse.Namespace) -> int:
    areas = _areas(settings)
    agent_counts = Counter(load.agent.area_code for load in in_transaction(settings, lambda c: agent_store.loads(c)))
    for area in areas:
        aliases = f"  (còn gọi: {', '.join(area.aliases)})" if area.aliases else ""
        print(f"{area.code:<20} {area.name:<28} đại lý: {agent_counts.get(area.code, 0)}{aliases}")
    print(f"{len(areas)} xã/phường/đặc khu.")
    return 0


def _write_csv(path: Path | None, rows: list[tuple[Cell, ...]]) -> None:
    """Every text cell inert (bot.core.leads.export); the csv module quotes the quotes and commas inside."""
    cells = [LEAD_HEADERS, *(csv_cells(row) for row in rows)]
    if path is None:
        csv.writer(sys.stdout).writerows(cells)
        return
    with path.open("w", encoding="utf-8-sig", newline="") as handle:  # the BOM makes Excel read UTF-8
        csv.writer(handle).writerows(cells)


EXPORT_DEFAULT_DAYS = 7  # `leads export` without --since: the leads of the last week


def cmd_leads_export(settings: Settings, args: argparse.Namespace) -> int:
    areas = _areas(settings)
    area = _area_argument(areas, args.area) if args.area else None
    timezone = ZoneInfo(settings.timezone)
    args.since = args.since or today_in(settings.timezone) - timedelta(days=EXPORT_DEFAULT_DAYS)
    if args.until is not None and args.until < args.since:
        sys.exit(f"Lỗi: --until ({args.until:%d/%m/%Y}) trước --since ({args.since:%d/%m/%Y}).")
    since = datetime.combine(args.since, time.min, tzinfo=timezone)
    # --until is the last day included: leads created before the next midnight, office time
    until = datetime.combine(args.until + timedelta(days=1), time.min, tzinfo=timezone) if args.until else None
    found = in_transaction(settings, lambda c: lead_store.export(c, since, area.code if area else None, until))
    names = {a.code: a.name for a in areas}
    rows = [export_row(r.lead, names.get(r.lead.area_code, r.lead.area_code), r.agent_name, timezone) for r in found]
    output = Path(args.output) if args.output else None
    if args.format == "xlsx":
        output = output or Path(f"leads-{args.since:%Y%m%d}.xlsx")
        output.write_bytes(xlsx_bytes(rows))
    else:
        _write_csv(output, rows)
    if output is not None:
        print(f"Đã ghi {len(rows)} yêu cầu vào {output}.")
    return 0


def _duration_text(value: timedelta | None) -> str:
    if value is None:
        return "chưa có"
    hours, remainder = divmod(int(value.total_seconds()), 3600)
    return f"{hours} giờ {remainder // 60} phút"


def cmd_leads_stats(settings: Settings, _: argparse.Namespace) -> int:
    names = {area.code: area.name for area in _areas(settings)}
    stats = in_transaction(settings, lead_store.stats)
    by_area: dict[str, dict[LeadStatus, int]] = {}
    for (code, status), count in sorted(stats.by_area_status.items()):
        by_area.setdefault(code, {})[status] = count
    for code, counts in by_area.items():
        parts = ", ".join(f"{STATUS_LABELS[s]}: {n}" for s, n in counts.items())
        print(f"{names.get(code, code)} [{code}]: {sum(counts.values())} ({parts})")
    print(f"Tổng: {stats.total} yêu cầu.")
    median = _duration_text(stats.median_first_contact)
    print(f"Thời gian tới lần liên hệ đầu (trung vị, {stats.contacted} yêu cầu): {median}")
    return 0


def cmd_leads_purge(settings: Settings, args: argparse.Namespace) -> int:
    days = args.older_than_days if args.older_than_days is not None else settings.lead_retention_days
    now = system_clock()
    report = in_transaction(settings, lambda c: lead_store.purge(c, now - timedelta(days=days), now))
    print(f"Đã xóa dữ liệu cá nhân của {report.leads} yêu cầu và {report.signals} tín hiệu cũ hơn {days} ngày.")
    return 0


MAX_LEAD_ID = 2**63 - 1  # the id column is a 64-bit integer


def cmd_leads_erase(settings: Settings, args: argparse.Namespace) -> int:
    """Erase the personal data of the leads an agent registered orally (--agent CHAT_ID), or of given leads
    (--lead N, repeatable), as /xoadulieu does; their agents are told not to call."""
    if args.agent is None and not args.lead:
        print("python -m bot leads erase: cần --agent CHAT_ID hoặc --lead N (xem --help)", file=sys.stderr)
        return 2
    context = _lead_context(settings, _areas(settings))
    for lead_id in args.lead or ():
        if not 1 <= lead_id <= MAX_LEAD_ID:
            sys.exit(f"Không có yêu cầu #{lead_id}.")

    async def erase(connection: AsyncConnection) -> list[int]:
        chosen = list(args.lead or ())
        if args.agent is not None:
            chosen += await lead_store.oral_leads_taken_in(connection, args.agent)
        return await lead_store.erase(connection, sorted(set(chosen)), CLI, context, system_clock())

    try:
        erased = in_transaction(settings, erase)
    except LeadNotFound as exc:
        sys.exit(f"Lỗi: {exc}; không xóa gì. Xem: python -m bot leads export --since YYYY-MM-DD")
    if not erased:
        print("Không có yêu cầu nào còn dữ liệu cá nhân để xóa.")
        return 0
    listed = ", ".join(f"#{lead_id}" for lead_id in erased)
    print(f"Đã xóa dữ liệu cá nhân của {len(erased)} yêu cầu: {listed}. Đại lý phụ trách được báo không liên hệ nữa.")
    return 0


def leads_parsers(commands: argparse._SubParsersAction) -> None:
    agents = commands.add_parser("agents", help="đại lý thu nhận yêu cầu gọi lại của xã/phường mình")
    agent_commands = agents.add_subparsers(dest="agents_command", required=True, metavar="LỆNH")
    add = agent_commands.add_parser("add", help="thêm một đại lý cho một xã/phường")
    add.add_argument(
        "--chat-id",
        type=chat_id,
        required=True,
        metavar="MÃ_CHAT",
        help="mã chat Telegram của đại lý (đại lý gõ /leads với bot để biết), không phải số điện thoại",
    )
    add.add_argument("--name", required=True, metavar="TÊN", help="họ tên đại lý")
    add.add_argument("--area", required=True, metavar="XÃ", help="mã hoặc tên xã/phường trong knowledge/areas.yaml")
    add.set_defaults(func=cmd_agents_add)
    listing = agent_commands.add_parser("list", help="các đại lý và số yêu cầu đang mở của họ")
    listing.add_argument("--all", action="store_true", help="kể cả đại lý đã gỡ")
    listing.set_defaults(func=cmd_agents_list)
    remove = agent_commands.add_parser("remove", help="gỡ một đại lý; yêu cầu đang mở về hàng chờ văn phòng")
    remove.add_argument("--chat-id", type=chat_id, required=True, metavar="MÃ_CHAT", help="mã chat Telegram của đại lý")
    remove.set_defaults(func=cmd_agents_remove)
    areas = commands.add_parser("areas", help="các xã/phường văn phòng phụ trách (knowledge/areas.yaml)")
    area_commands = areas.add_subparsers(dest="areas_command", required=True, metavar="LỆNH")
    area_commands.add_parser("list", help="liệt kê, kèm số đại lý").set_defaults(func=cmd_areas_list)
    lead = commands.add_parser("leads", help="yêu cầu gọi lại: xuất file, thống kê, xóa dữ liệu")
    lead_commands = lead.add_subparsers(dest="leads_command", required=True, metavar="LỆNH")
    export = lead_commands.add_parser("export", help="xuất yêu cầu ra CSV hoặc Excel, tiêu đề cột tiếng Việt")
    export.add_argument("--format", choices=["csv", "xlsx"], default="csv", help="csv (mặc định) hoặc xlsx")
    export.add_argument(
        "--since",
        type=day,
        metavar="NGÀY",
        help=f"yêu cầu tạo từ ngày này, dd/mm/yyyy (mặc định: {EXPORT_DEFAULT_DAYS} ngày trước)",
    )
    export.add_argument("--until", type=day, metavar="NGÀY", help="đến hết ngày này, dd/mm/yyyy (mặc định: hôm nay)")
    export.add_argument("--area", metavar="XÃ", help="chỉ xã/phường này (mã hoặc tên)")
    export.add_argument("--output", metavar="FILE", help="file ghi ra (CSV mặc định in ra màn hình)")
    export.set_defaults(func=cmd_leads_export)
    lead_commands.add_parser(
        "stats", help="số yêu cầu theo xã/phường và trạng thái, thời gian tới lần gọi đầu"
    ).set_defaults(func=cmd_leads_stats)
    purge = lead_commands.add_parser("purge", help="xóa dữ liệu cá nhân quá thời hạn lưu giữ")
    purge.add_argument("--older-than-days", type=int, metavar="SỐ_NGÀY", help="mặc định LEAD_RETENTION_DAYS")
    purge.set_defaults(func=cmd_leads_purge)
    erase = lead_commands.add_parser(
        "erase", help="xóa dữ liệu cá nhân của yêu cầu do một đại lý ghi, hoặc của một yêu cầu"
    )
    chosen = erase.add_argument_group("yêu cầu nào (ít nhất một)")
    chosen.add_argument("--agent", type=chat_id, metavar="MÃ_CHAT", help="các yêu cầu đại lý này ghi bằng /themlead")
    chosen.add_argument("--lead", type=int, action="append", metavar="N", help="yêu cầu số N (ghi nhiều lần được)")
    erase.set_defaults(func=cmd_leads_erase)


def parser() -> argparse.ArgumentParser:
    main = VietnameseParser(prog="python -m bot", description="Bot hỏi đáp BHXH, BHYT cho người dân")
    commands = main.add_subparsers(dest="command", required=True, metavar="LỆNH")
    run_parsers(commands)
    ask = commands.add_parser("ask", help="in ra điều người dân sẽ thấy khi hỏi một câu")
    ask.add_argument("question", nargs="+", metavar="CÂU_HỎI")
    ask.add_argument(
        "--date", type=_iso_date, metavar="NGÀY", help="trả lời như vào ngày này, YYYY-MM-DD (mặc định hôm nay)"
    )
    ask.set_defaults(func=cmd_ask)
    commands.add_parser("match", help="câu hỏi từ đầu vào, mỗi dòng in một quyết định JSON").set_defaults(
        func=cmd_match
    )
    ev = commands.add_parser("eval", help="chấm độ chính xác trên một file .jsonl có nhãn")
    ev.add_argument("file", metavar="FILE")
    ev.add_argument("--json", action="store_true", help="in số liệu dạng JSON")
    ev.add_argument("--misses", action="store_true", help="liệt kê các câu trả lời sai")
    ev.set_defaults(func=cmd_eval)
    kb_parsers(commands)
    calc_parser(commands)
    leads_parsers(commands)
    inbox_parsers(commands)
    staff_parsers(commands)
    webhook_parsers(commands)
    zalo_oa_parsers(commands)
    db = commands.add_parser("db", help="công cụ cơ sở dữ liệu")
    db_commands = db.add_subparsers(dest="db_command", required=True, metavar="LỆNH")
    db_commands.add_parser(
        "upgrade", help="áp dụng các bản nâng cấp cơ sở dữ liệu (run và chat tự làm khi khởi động)"
    ).set_defaults(func=cmd_db_upgrade)
    return main


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    args = parser().parse_args(argv)
    return args.func(Settings(), args)


if __name__ == "__main__":
    sys.exit(main())
