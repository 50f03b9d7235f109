"""Matcher benchmark: speed on the real and inflated knowledge base, accuracy against two baselines.

Prints its figures (it never asserts) and writes bench/results/matcher.json.
    .venv/bin/python bench/bench_matcher.py [--eval PATH] [--json] [--profile] [--cpu N] [--budget S]
--json prints the JSON on stdout (the readable report then goes to stderr); --profile adds a
cProfile of a cold build and of Matcher.match on the 5,000-entry knowledge base.

Speed, per knowledge base (the real one, 1,000 and 5,000 entries): the index build time, cold (as the first
build in a process) and for a rebuild (the next revision: the same knowledge base with one entry changed, as
when office staff publish), then matching: every question as new (the matcher's decision and the message
caches forgotten before each, untimed; the word corrections stay warm, as in a running bot), q/s and latencies.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import dataclasses
import datetime
import gc
import itertools
import json
import math
import os
import platform
import pstats
import random
import re
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

import rapidfuzz
from rapidfuzz import fuzz, process

from bot.core import matcher as matcher_module
from bot.core import text as text_module
from bot.core.evaluation import Example, Report, evaluate, format_table
from bot.core.knowledge import KnowledgeBase
from bot.core.matcher import Decision, Matcher, MatcherConfig, Scored, Signals, apply_rule
from bot.core.text import fold, normalise
from bot.storage.knowledge_files import load_knowledge

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "matcher.json"
SIZES = (1_000, 5_000)
P99_TARGET_MS = {1_000: 2.0, 5_000: 10.0}
QPS_TARGET = 1_000
BUILD_TARGET_MS = {1_000: 1_500, 5_000: 4_000}  # and REAL_BUILD_TARGET_MS for the real knowledge base
REAL_BUILD_TARGET_MS = 500
TOP1_GAIN_TARGET = 10.0
MIN_QUERIES = 2_000
GRID_ANSWER = [round(0.05 * i, 2) for i in range(1, 20)]  # 0.05 .. 0.95
GRID_MARGIN = [0.0, 0.01, 0.02, 0.03, 0.05, 0.075, 0.10, 0.15, 0.20]
GRID_SUGGEST = [0.05, 0.10, 0.15, 0.20, 0.25, 0.35, 0.45, 0.55, 0.65]
Ranking = list[Scored]


def git(*arguments: str) -> str:
    try:
        return subprocess.run(["git", *arguments], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return ""


def environment_and_pin(cpu_number: int | None) -> dict[str, str]:
    """Describe the machine and pin this process to one CPU, by default the first it may use."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    cpu = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    pinned = "not supported"
    if hasattr(os, "sched_setaffinity"):
        pinned = str(min(os.sched_getaffinity(0)) if cpu_number is None else cpu_number)
        os.sched_setaffinity(0, {int(pinned)})
    dirty = " + uncommitted changes in bot/ or knowledge/" if git("status", "--porcelain", "bot", "knowledge") else ""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu.group(1) if cpu else "unknown",
        "pinned_cpu": pinned,
        "rapidfuzz": rapidfuzz.__version__,
        "git": (git("rev-parse", "--short", "HEAD").strip() or "unknown") + dirty,
        "date": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
    }


# -- speed ----------------------------------------------------------------------------------------


def inflated_kbs(kb: KnowledgeBase, sizes: tuple[int, ...], seed: int = 2026) -> list[KnowledgeBase]:
    """The real entries plus synthetic FAQ entries recombined from real phrasings, one KB per size.

    A synthetic question is a long random span of one real question, half the time followed by a
    short span of another, then the entry's topic (two real words, distinct per entry), so the
    vocabulary, question length and postings-list lengths grow as in a larger real KB. Smaller
    KBs are prefixes of the largest.
    """
    rng = random.Random(seed)
    real = list(kb.entries.values())
    questions = [q.split() for e in real for q in e.questions if len(q.split()) >= 3]
    titles = [e.title.split() for e in real if e.title]
    keywords = [k for e in real for k in e.keywords]
    words = sorted({w for q in questions for w in re.findall(r"[^\W\d_]+", " ".join(q).lower())})
    topics: dict[str, None] = {}  # distinct, in the order drawn
    while len(topics) < max(sizes) - len(real):
        topics[f"{rng.choice(words)} {rng.choice(words)}"] = None

    def span(source: list[str], shortest: int, longest: int) -> str:
        length = rng.randint(min(shortest, len(source)), min(longest, len(source)))
        start = rng.randint(0, len(source) - length)
        return " ".join(source[start : start + length])

    def question(topic: str) -> str:
        first = rng.choice(questions)
        text = span(first, max(3, len(first) // 2), len(first))
        return f"{text} {span(rng.choice(questions), 2, 5)} {topic}" if rng.random() < 0.5 else f"{text} {topic}"

    synthetic = [
        dataclasses.replace(
            real[0],
            id=f"syn.{n:05d}",
            kind="faq",
            title=f"{span(rng.choice(titles), 3, 6)} {topic}",
            questions=tuple(question(topic) for _ in range(rng.randint(8, 12))),
            keywords=(*rng.sample(keywords, 4), topic),
            followups=(),
        )
        for n, topic in enumerate(topics, start=1)
    ]
    return [
        dataclasses.replace(kb, entries={**kb.entries, **{e.id: e for e in synthetic[: size - len(real)]}})
        for size in sizes
    ]


def words_per_question(kb: KnowledgeBase, synthetic: bool) -> float:
    lengths = [len(q.split()) for e in kb.entries.values() if e.id.startswith("syn.") == synthetic for q in e.questions]
    return round(sum(lengths) / len(lengths), 1)


def timing_queries(examples: list[Example]) -> list[str]:
    """The dev questions repeated to at least MIN_QUERIES, each followed by its copy without diacritics."""
    return [text for e in examples for text in (e.question, fold(e.question))] * math.ceil(MIN_QUERIES / len(examples))


def percentile_ms(sorted_ns: list[int], q: float) -> float:
    return round(sorted_ns[max(0, math.ceil(q / 100 * len(sorted_ns)) - 1)] / 1e6, 3)


def one_entry_changed(kb: KnowledgeBase) -> KnowledgeBase:
    """The next revision of `kb`: the same, but for one entry (in the middle) with a question reworded, and as
    if parsed again (an equal stopword set, but another object; Lexicon.from_pairs gives the same lexicon)."""
    entry = list(kb.entries.values())[len(kb.entries) // 2]
    questions = (*entry.questions[:-1], entry.questions[-1] + " vậy ạ") if entry.questions else ("câu hỏi mới",)
    lexicon = dataclasses.replace(kb.lexicon, stopwords=frozenset(set(kb.lexicon.stopwords)))
    entries = {**kb.entries, entry.id: dataclasses.replace(entry, questions=questions)}
    return dataclasses.replace(kb, entries=entries, lexicon=lexicon)


def forget_indexing() -> None:
    """As in a fresh process: no entry prepared by an earlier build, no word folded or repaired before."""
    matcher_module._latest_entries = {}
    for cached in (text_module._tokens, text_module._folded_word, text_module._repaired_word):
        cached.cache_clear()


def forget_messages(matcher: Matcher) -> None:
    """What a matcher and the text pipeline keep per message (decision, tokens, normalised words): a new
    message has none of them; per-word caches (corrections) stay warm, as in a running bot."""
    matcher._decisions.cache_clear()
    text_module._tokens.cache_clear()
    matcher.lexicon.lexicon._normalised.clear()


def timed_build(kb: KnowledgeBase) -> tuple[Matcher, float]:
    gc.collect()
    start = time.perf_counter_ns()
    matcher = Matcher(kb)
    return matcher, (time.perf_counter_ns() - start) / 1e6


def measure_speed(kb: KnowledgeBase, queries: list[str], budget_s: float) -> dict[str, float | int]:
    """Index build time, cold and for the next revision; first-sight latency (word-correction cache empty);
    then latencies and throughput with every question as new (see the module's docstring).

    The timed loop stops once it has timed MIN_QUERIES and used `budget_s`; `queries` says how many.
    """
    forget_indexing()
    matcher, cold_ms = timed_build(kb)
    _, rebuild_ms = timed_build(one_entry_changed(kb))
    first_sight = []
    for q in dict.fromkeys(queries):  # doubles as the warm-up
        start = time.perf_counter_ns()
        matcher.match(q)
        first_sight.append(time.perf_counter_ns() - start)
    gc.collect()
    latencies: list[int] = []
    began = time.perf_counter_ns()
    for q in queries:
        forget_messages(matcher)
        start = time.perf_counter_ns()
        matcher.match(q)
        latencies.append(time.perf_counter_ns() - start)
        if len(latencies) >= MIN_QUERIES and start - began > budget_s * 1e9:
            break
    latencies.sort()
    first_sight.sort()
    return {
        "entries": len(kb.entries),
        "build_cold_ms": round(cold_ms, 1),
        "build_rebuild_ms": round(rebuild_ms, 1),
        "queries": len(latencies),
        "qps": round(len(latencies) / (sum(latencies) / 1e9)),
        **{f"p{q}_ms": percentile_ms(latencies, q) for q in (50, 95, 99, 100)},
        "first_sight_p99_ms": percentile_ms(first_sight, 99),
    }


def print_speed_row(row: dict, real: bool) -> None:
    target = P99_TARGET_MS.get(row["entries"])
    p99 = f"p99 ≤ {target} ms {'ok' if row['p99_ms'] <= target else 'MISSED'}, " if target else ""
    qps = f"≥ {QPS_TARGET} q/s {'ok' if row['qps'] >= QPS_TARGET else 'MISSED'}"
    build_target = REAL_BUILD_TARGET_MS if real else BUILD_TARGET_MS.get(row["entries"])
    build = ""
    if build_target:
        verdicts = [
            f"{what} {'ok' if row[f'build_{what}_ms'] <= build_target else 'MISSED'}" for what in ("cold", "rebuild")
        ]
        build = f", build ≤ {build_target} ms: {' '.join(verdicts)}"
    print("".join(f"{v!s:>9}" for v in row.values()) + f"  {p99}{qps}{build}")


# -- accuracy: our matcher and two baselines, ranked once, decided by the shared rule --------------


def phrasings(kb: KnowledgeBase) -> tuple[list[str], list[str]]:
    """Every title, question and keyword, and the id of its entry, as two parallel lists."""
    pairs = [(e.id, t) for e in kb.entries.values() for t in (e.title, *e.questions, *e.keywords) if t]
    return [i for i, _ in pairs], [t for _, t in pairs]


def best_per_entry(scores: dict[int, float], entry_of: list[str]) -> Ranking:
    best: dict[str, float] = defaultdict(float)
    for doc, score in scores.items():
        best[entry_of[doc]] = max(best[entry_of[doc]], score)
    return sorted((Scored(i, round(s, 4)) for i, s in best.items()), key=lambda s: -s.score)


def matcher_rankings(matcher: Matcher, questions: list[str]) -> tuple[list[Ranking], list[Signals]]:
    """What Matcher.match passes to apply_rule for the whole message: the ranking and the question's cues
    (out-of-scope phrase, subject not covered, situation, field)."""
    rankings, signals = [], []
    for q in questions:
        words = matcher.without_courtesy(normalise(q, matcher.lexicon.lexicon)[: matcher.config.max_query_tokens])
        ranked = matcher.rank(words)[0]
        rankings.append(ranked)
        signals.append(matcher.signals(words, ranked))
    return rankings, signals


def signals_for(matcher: Matcher, question: str, ranked: Ranking) -> Signals:
    """The question's cues for another method's ranking (entries it ranks that the situation rules out)."""
    words = matcher.without_courtesy(normalise(question, matcher.lexicon.lexicon)[: matcher.config.max_query_tokens])
    return matcher.signals(words, ranked)


def wratio_rankings(kb: KnowledgeBase, questions: list[str]) -> list[Ranking]:
    """Raw question against raw phrasings with fuzz.WRatio; an entry scores its best phrasing / 100."""
    entry_of, texts = phrasings(kb)
    rankings = []
    for q in questions:
        found = process.extract(q, texts, scorer=fuzz.WRatio, processor=None, limit=None)
        rankings.append(best_per_entry({doc: score / 100 for _, score, doc in found}, entry_of))
    return rankings


def syllables(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text))


class BM25:
    """Okapi BM25 over folded syllables, one document per phrasing."""

    def __init__(self, documents: list[list[str]], k1: float = 1.5, b: float = 0.75) -> None:
        self.k1, self.b = k1, b
        self.lengths = [len(d) for d in documents]
        self.average_length = sum(self.lengths) / len(documents)
        self.postings: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for doc, terms in enumerate(documents):
            for term, count in Counter(terms).items():
                self.postings[term].append((doc, count))
        n = len(documents)
        self.idf = {t: math.log(1 + (n - len(p) + 0.5) / (len(p) + 0.5)) for t, p in self.postings.items()}

    def scores(self, query: list[str]) -> dict[int, float]:
        scores: dict[int, float] = defaultdict(float)
        for term in query:  # a repeated query term counts each time, as in Okapi's sum
            for doc, tf in self.postings.get(term, ()):
                norm = self.k1 * (1 - self.b + self.b * self.lengths[doc] / self.average_length)
                scores[doc] += self.idf[term] * tf * (self.k1 + 1) / (tf + norm)
        return scores


def bm25_rankings(kb: KnowledgeBase, questions: list[str]) -> list[Ranking]:
    """BM25 of the best phrasing per entry, squashed to 0..1 as s / (s + k).

    k is the median best raw score over the evaluated questions, so a typical best match scores
    0.5 and the shared threshold grid covers this method as well as the others. The squash is
    monotone: top-1 and top-3 are those of the raw scores.
    """
    entry_of, texts = phrasings(kb)
    index = BM25([syllables(t) for t in texts])
    raw = [index.scores(syllables(q)) for q in questions]
    best = sorted(max(s.values(), default=0.0) for s in raw)
    k = best[len(best) // 2] or 1.0
    return [best_per_entry({d: s / (s + k) for d, s in scores.items()}, entry_of) for scores in raw]


def tune_thresholds(
    examples: list[Example], rankings: list[Ranking], vetoes: list[Signals], kinds: dict[str, str]
) -> tuple[int, MatcherConfig, Report]:
    """The grid point maximising right - 3 × wrong + none→fallback.

    Ties (common: a threshold below every top score changes nothing) go to the most cautious
    answer rule, highest threshold then widest margin, and to the lowest suggest threshold, since
    the objective does not reward suggesting over falling back on an in-scope question.
    """
    decided = {e.question: (r, v) for e, r, v in zip(examples, rankings, vetoes, strict=True)}
    best: tuple[int, MatcherConfig, Report] | None = None
    for answer, margin, suggest in itertools.product(GRID_ANSWER[::-1], GRID_MARGIN[::-1], GRID_SUGGEST):
        if suggest > answer:
            continue
        cfg = MatcherConfig(
            answer_threshold=answer,
            answer_margin=margin,
            suggest_threshold=suggest,
            tie_answer_threshold=max(answer, 0.40),
        )
        report = evaluate(examples, lambda q, c=cfg: apply_rule(decided[q][0], kinds, c, "", decided[q][1]))
        t = report.overall
        objective = t.answered_right - 3 * t.answered_wrong + t.fell_back
        if best is None or objective > best[0]:
            best = (objective, cfg, report)
    assert best is not None
    return best


def decided(decision: Decision) -> tuple:
    return decision.kind, decision.entry_id, decision.ranked


def measure_accuracy(kb: KnowledgeBase, examples: list[Example]) -> dict[str, dict]:
    """Every method ranks over the same entries; apply_rule decides, with the question's cues from the
    lexicon (out-of-scope phrases, subjects not covered, situations, field words) given to all three:
    they are knowledge data, like the phrasings. Matcher.match also splits messages with several
    questions; that step is ours alone and is not in the tuned comparison."""
    questions = [e.question for e in examples]
    matcher = Matcher(kb)
    kinds = {e.id: e.kind for e in kb.entries.values()}
    ours, signals = matcher_rankings(matcher, questions)
    same = sum(
        decided(apply_rule(ranked, kinds, matcher.config, "", cues)) == decided(matcher.match(q))
        for q, ranked, cues in zip(questions, ours, signals, strict=True)
    )
    print(f"\ncheck: ranking + apply_rule reproduces Matcher.match on {same}/{len(questions)} dev questions")
    print("(the rest are messages with several questions, which Matcher.match splits)")
    vetoed = Counter(e.in_scope for e, cues in zip(examples, signals, strict=True) if cues.out_of_scope)
    print(f"out-of-scope phrase veto (given to every method): {vetoed[False]} none lines, {vetoed[True]} in-scope\n")
    methods = {"matcher": ours, "rapidfuzz WRatio": wratio_rankings(kb, questions)}
    methods["BM25"] = bm25_rankings(kb, questions)
    results = {}
    for name, rankings in methods.items():
        cues = (
            signals
            if name == "matcher"
            else [signals_for(matcher, q, r) for q, r in zip(questions, rankings, strict=True)]
        )
        objective, cfg, report = tune_thresholds(examples, rankings, cues, kinds)
        chosen = {k: getattr(cfg, k) for k in ("answer_threshold", "answer_margin", "suggest_threshold")}
        print(f"{name}: thresholds {chosen}, objective {objective}\n{format_table(report)}\n")
        results[name] = {"thresholds": chosen, "objective": objective, **report.as_dict()}
    return results


def print_summary(results: dict[str, dict]) -> dict[str, float]:
    columns = ("top1", "top3", "answered_right", "answered_wrong", "none_fallback")
    print(f"{'method (%)':18}" + "".join(f"{c:>16}" for c in columns))
    for name, r in results.items():
        print(f"{name:18}" + "".join(f"{r['overall'][c]!s:>16}" for c in columns))
    ours = results["matcher"]["overall"]["top1"]
    gains = {name: round(ours - r["overall"]["top1"], 1) for name, r in results.items() if name != "matcher"}
    for name, gain in gains.items():
        verdict = "ok" if gain >= TOP1_GAIN_TARGET else "MISSED"
        print(f"matcher top-1 over {name}: {gain:+} points (target ≥ +{TOP1_GAIN_TARGET:g}) {verdict}")
    return gains


def profile_build(kb: KnowledgeBase) -> None:
    forget_indexing()
    profiler = cProfile.Profile()
    profiler.runcall(Matcher, kb)
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def profile_match(kb: KnowledgeBase, queries: list[str]) -> None:
    matcher = Matcher(kb)
    for q in dict.fromkeys(queries):
        matcher.match(q)
    profiler = cProfile.Profile()
    profiler.runcall(lambda: [matcher.match(q) for q in dict.fromkeys(queries)])
    pstats.Stats(profiler, stream=sys.stdout).sort_stats("tottime").print_stats(15)


def run(args: argparse.Namespace) -> dict:
    env = environment_and_pin(args.cpu)
    print("\n".join(f"{k:>11}: {v}" for k, v in env.items()) + "\n")
    kb = load_knowledge(ROOT / "knowledge")
    with args.eval.open(encoding="utf-8") as handle:
        examples = [Example.from_json(json.loads(line)) for line in handle if line.strip()]
    kbs = [kb, *inflated_kbs(kb, SIZES)]
    print(f"words per question: real {words_per_question(kb, False)}, synthetic {words_per_question(kbs[-1], True)}")
    queries = timing_queries(examples)
    print(f"{len(queries)} timing queries: {len(queries) // 2} dev questions as asked, as many without diacritics")
    headers = ("entries", "cold ms", "rebuild", "timed", "q/s", "p50", "p95", "p99", "max", "1st p99")
    print("".join(f"{h:>9}" for h in headers))
    speed = []
    for each in kbs:
        speed.append(measure_speed(each, queries, args.budget))
        print_speed_row(speed[-1], real=each is kb)
    print("(ms; cold: the first build in the process; rebuild: then the same knowledge base with one entry changed;")
    print(" q/s and p50-max: every question as new; 1st p99: each distinct query once on a fresh matcher, the")
    print(" word-correction cache empty)")
    accuracy = measure_accuracy(kb, examples)
    gains = print_summary(accuracy)
    if args.profile:
        print(f"\ncProfile of a cold build, {len(kbs[-1].entries)} entries:")
        profile_build(kbs[-1])
        print(f"\ncProfile of Matcher.match, {len(kbs[-1].entries)} entries, each distinct query once, warm:")
        profile_match(kbs[-1], queries)
    return {"environment": env, "speed": speed, "accuracy": accuracy, "top1_gain_points": gains}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval" / "dev.jsonl")
    parser.add_argument("--json", action="store_true", help="print the JSON results on stdout")
    parser.add_argument("--profile", action="store_true", help="cProfile a build and Matcher.match, 5,000 entries")
    parser.add_argument("--cpu", type=int, help="the CPU to pin to (default: the first allowed)")
    parser.add_argument("--budget", type=float, default=30, help="seconds of warm timing per KB, once 2,000 are timed")
    args = parser.parse_args()
    with contextlib.redirect_stdout(sys.stderr if args.json else sys.stdout):
        results = run(args)
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    if args.json:
        print(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
