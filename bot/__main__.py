"""Command line: python -m bot run | chat | ask | match | eval | kb validate | db upgrade."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from datetime import date
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from bot.app import CONSOLE, App, build
from bot.channels.console import chat_loop, render
from bot.channels.telegram import CHANNEL as TELEGRAM
from bot.channels.telegram import build_application, serve
from bot.config import PROJECT_ROOT, Settings
from bot.core.evaluation import Example, evaluate, format_table
from bot.core.knowledge import KnowledgeError, required_topic_ids
from bot.core.types import Inbound, InboundKind, Outcome, Reply, Session
from bot.core.validate import validate
from bot.service import StorageUnavailable
from bot.storage.db import DatabaseUrlError

DEFAULT_TOPICS = PROJECT_ROOT.parent / "shared" / "knowledge" / "topics.tsv"
BUSY = "(Hệ thống đang bận, bạn thử lại sau giây lát nhé.)"


def _iso_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ngày phải có dạng YYYY-MM-DD, không phải {text!r}") from None


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
