"""Command line: python -m bot run | chat | ask | match | eval | kb validate | calc | db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.app import CONSOLE, App, build, today_in
from bot.channels.console import chat_loop, render
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import build_application, serve
from bot.config import PROJECT_ROOT, Settings
from bot.core.calc import CalcError
from bot.core.calc.common import Gender, Scheme
from bot.core.calc.household import household_contribution
from bot.core.calc.money import parse_money
from bot.core.calc.pension import ContributionRecord, lump_sum_versus_pension
from bot.core.calc.support import SupportGroup
from bot.core.calc.text import as_json, household_text, pension_text, voluntary_text
from bot.core.calc.voluntary import voluntary_contribution
from bot.core.evaluation import Example, evaluate, format_table
from bot.core.knowledge import KnowledgeBase, KnowledgeError, required_topic_ids
from bot.core.policy import PolicyError
from bot.core.types import Inbound, InboundKind, Outcome, Reply, Session
from bot.core.validate import validate
from bot.service import StorageUnavailable
from bot.storage.db import DatabaseUrlError
from bot.storage.knowledge_files import load_knowledge

DEFAULT_TOPICS = PROJECT_ROOT.parent / "shared" / "knowledge" / "topics.tsv"
BUSY = "(Hệ thống đang bận, bạn thử lại sau giây lát nhé.)"


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


def _app(settings: Settings) -> App:
    try:
        return build(settings)
    except KnowledgeError as exc:
        sys.exit(f"Không tải được kho kiến thức: {exc}\nChạy `python -m bot kb validate` để xem chi tiết.")
    except DatabaseUrlError as exc:
        sys.exit(f"DATABASE_URL: {exc}")


def _migrated(runner: asyncio.Runner, app: App) -> str:
    """Apply the migrations on start; the revision the database is at. Exits with a message if it is away."""
    try:
        return runner.run(app.start())
    except (OSError, SQLAlchemyError) as exc:
        runner.run(app.close())
        sys.exit(f"Không mở được cơ sở dữ liệu {app.database.describe()}: {type(exc).__name__}: {exc}")


def cmd_chat(settings: Settings, _: argparse.Namespace) -> int:
    """The console conversation, kept in the database: it continues where it stopped after a restart."""
    app = _app(settings)
    with asyncio.Runner() as runner:
        _migrated(runner, app)
        service = app.service(CONSOLE)

        def handle(inbound: Inbound) -> Outcome:
            try:
                outcome = runner.run(service.handle(inbound))
            except StorageUnavailable:
                return Outcome((Reply(BUSY),))
            assert outcome is not None  # only a repeated update id gets None, and the console sends none
            return outcome

        try:
            chat_loop(handle, sys.stdin, sys.stdout, chat=CONSOLE)
        finally:
            runner.run(app.close())
    return 0


def cmd_run(settings: Settings, args: argparse.Namespace) -> int:
    """Telegram long polling when a token is set; otherwise the console chat."""
    if settings.telegram_bot_token is None:
        return cmd_chat(settings, args)
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    app = _app(settings)

    async def serve_telegram() -> None:
        try:
            await app.start()
        except (OSError, SQLAlchemyError) as exc:
            raise SystemExit(f"Không mở được cơ sở dữ liệu {app.database.describe()}: {type(exc).__name__}") from exc
        token = settings.telegram_bot_token.get_secret_value()
        application = build_application(token, settings.telegram_api_base_url, app.service(TELEGRAM).handle)
        try:
            await serve(application)
        finally:
            await app.close()

    asyncio.run(serve_telegram())
    return 0


def cmd_ask(settings: Settings, args: argparse.Namespace) -> int:
    app = _app(settings)
    outcome = app.handle(Inbound("cli", InboundKind.TEXT, text=" ".join(args.question)), Session("cli"), args.date)
    print("\n\n".join(render(reply) for reply in outcome.replies))
    return 0


def cmd_match(settings: Settings, _: argparse.Namespace) -> int:
    app = _app(settings)
    for line in sys.stdin:
        question = line.rstrip("\n")
        decision = app.matcher.match(question)
        record = {
            "q": question,
            "id": decision.entry_id,
            "score": decision.score,
            "decision": decision.kind,
            "alternatives": [{"id": s.id, "score": s.score} for s in decision.ranked],
        }
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
    return 0


def cmd_eval(settings: Settings, args: argparse.Namespace) -> int:
    app = _app(settings)
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


def cmd_kb_validate(settings: Settings, args: argparse.Namespace) -> int:
    app = _app(settings)
    today = args.date or app.today()
    topics = Path(args.topics) if args.topics else DEFAULT_TOPICS
    required = required_topic_ids(topics.read_text(encoding="utf-8")) if topics.exists() else []
    issues = validate(app.kb, today, required, settings.max_answer_chars)
    for issue in issues:
        print(issue)
    errors = sum(issue.level == "error" for issue in issues)
    warnings = len(issues) - errors
    print(f"{len(app.kb.entries)} mục, {errors} lỗi, {warnings} cảnh báo (ngày {today:%d/%m/%Y}).")
    return 1 if errors else 0


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
    return result, pension_text(result)


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
    calc = commands.add_parser("calc", help="calculators: voluntary | household | pension")
    kinds = calc.add_subparsers(dest="calc_command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--date", type=_iso_date, help="compute as on this date, YYYY-MM-DD (default today)")
    common.add_argument("--json", action="store_true", help="print the result as JSON")
    group_help = f"support group(s), repeat or separate by commas: {', '.join(g.value for g in SupportGroup)}"
    voluntary = kinds.add_parser("voluntary", parents=[common], help="voluntary BHXH contribution")
    voluntary.add_argument("--income", type=_money, required=True, help='monthly income: "3tr", "3.000.000", …')
    voluntary.add_argument("--group", type=_groups, action="extend", default=[], help=group_help)
    voluntary.add_argument("--months", type=int, default=1, help="payment period: 1, 3, 6 or 12 (default 1)")
    voluntary.set_defaults(func=cmd_calc, calculate=calc_voluntary)
    household = kinds.add_parser("household", parents=[common], help="household BHYT")
    household.add_argument("--members", type=int, required=True, help="members buying BHYT as one household")
    household.add_argument("--months", type=int, default=12, help="payment period: 3, 6 or 12 (default 12)")
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
    pension.set_defaults(func=cmd_calc, calculate=calc_pension)


def cmd_db_upgrade(settings: Settings, _: argparse.Namespace) -> int:
    app = _app(settings)
    with asyncio.Runner() as runner:
        revision = _migrated(runner, app)
        runner.run(app.close())
    print(f"{app.database.describe()}: revision {revision} (mới nhất).")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m bot", description="BHXH citizen Q&A bot")
    commands = main.add_subparsers(dest="command", required=True)
    commands.add_parser("run", help="Telegram when a token is set, otherwise the console chat").set_defaults(
        func=cmd_run
    )
    commands.add_parser("chat", help="a conversation in this terminal").set_defaults(func=cmd_chat)
    ask = commands.add_parser("ask", help="print what the citizen would see for one question")
    ask.add_argument("question", nargs="+")
    ask.add_argument("--date", type=_iso_date, help="answer as on this date, YYYY-MM-DD (default today)")
    ask.set_defaults(func=cmd_ask)
    commands.add_parser("match", help="questions on stdin, one JSON decision per line on stdout").set_defaults(
        func=cmd_match
    )
    ev = commands.add_parser("eval", help="score the matcher on a labelled .jsonl file")
    ev.add_argument("file")
    ev.add_argument("--json", action="store_true", help="print the figures as JSON")
    ev.add_argument("--misses", action="store_true", help="list the questions the matcher got wrong")
    ev.set_defaults(func=cmd_eval)
    kb = commands.add_parser("kb", help="knowledge base tools")
    kb_commands = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_commands.add_parser("validate", help="check the knowledge files")
    check.add_argument("--topics", help=f"topics.tsv listing the required ids (default {DEFAULT_TOPICS})")
    check.add_argument("--date", type=_iso_date, help="check as on this date, YYYY-MM-DD (default today)")
    check.set_defaults(func=cmd_kb_validate)
    calc_parser(commands)
    db = commands.add_parser("db", help="database tools")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser("upgrade", help="apply the migrations (run and chat apply them on start too)").set_defaults(
        func=cmd_db_upgrade
    )
    return main


def main(argv: list[str] | None = None) -> int:
    _utf8_streams()
    args = parser().parse_args(argv)
    return args.func(Settings(), args)


if __name__ == "__main__":
    sys.exit(main())
