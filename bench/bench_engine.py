"""The pure engine's cost per message: every dev question (../shared/eval/dev.jsonl) sent in turn through
`decide()` in one chat (its session carried on, so flows started by a question take the next ones as input),
on the real knowledge base as `python -m bot run` builds it. Prints the best of five passes (each message new
to the engine's per-message caches); never asserts.

    .venv/bin/python bench/bench_engine.py [--passes 5]
"""

from __future__ import annotations

import argparse
import gc
import json
import sys
import time
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import text  # noqa: E402
from bot.core.engine import decide  # noqa: E402
from bot.core.types import Inbound, InboundKind, Session  # noqa: E402

DEV_QUESTIONS = ROOT.parent / "shared" / "eval" / "dev.jsonl"
TODAY = date(2026, 11, 23)
NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    app = build(Settings(_env_file=None))
    questions = [json.loads(line)["q"] for line in DEV_QUESTIONS.read_text(encoding="utf-8").splitlines() if line]

    def one_pass() -> float:
        # Every message is new in production: what the engine keeps per message (tokens, normalised words, the
        # matcher's decision) is forgotten between passes; per-word caches stay warm, as in a running bot.
        text._tokens.cache_clear()
        app.kb.lexicon.lexicon._normalised.clear()
        app.matcher._decisions.cache_clear()
        session = Session("bench")
        started = time.perf_counter()
        for question in questions:
            outcome = decide(
                Inbound("bench", InboundKind.TEXT, text=question), session, app.kb, TODAY, app.matcher, now=NOW
            )
            session = outcome.session or session
        return (time.perf_counter() - started) / len(questions) * 1000

    gc.collect()
    gc.freeze()  # as `run` does with the long-lived knowledge base
    one_pass()  # warm caches
    best = min(one_pass() for _ in range(args.passes))
    print(f"decide(): {best:.3f} ms per message, best of {args.passes} passes over {len(questions)} dev questions")


if __name__ == "__main__":
    main()
