"""The command line of scripts/content-gaps: write a replayed event log, compute its content
gaps, score them against the ground truth, and (--fit) sweep gap_similarity."""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from indexer.analytics.gaps import build_gaps, nearest_threads, question_vectors
from indexer.analytics.report import query_key
from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from indexer.engine import Engine, open_engine
from indexer.settings import load_settings
from indexer.sources import read_source

from ..arguments import positive_int
from ..paths import REPO
from .event_log import write_log
from .score import score
from .topics import TOPICS

SEED = 20261206
SAMPLE = REPO / "indexer" / "data" / "sample_community.jsonl"
FIT_THRESHOLDS = [round(x, 2) for x in np.arange(0.40, 0.96, 0.05)]


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add(
        "--events",
        type=positive_int,
        default=10_000,
        help="events to write at least (default 10000)",
    )
    add("--seed", type=int, default=SEED)
    add("--data-dir", type=Path, help="an index to search (default: the demo index, built)")
    add("--out", type=Path, help="keep events.sqlite and ground-truth.json in this folder")
    add("--fit", action="store_true", help="sweep gap_similarity and report each threshold")
    add("--json", type=Path, help="also write the figures as JSON to this file")
    return parser.parse_args()


def main(description: str) -> int:
    args = parse_args(description)
    with tempfile.TemporaryDirectory(prefix="askfind-gaps-") as scratch:
        engine = _engine(args.data_dir or Path(scratch) / "index", build=args.data_dir is None)
        folder = args.out or Path(scratch) / "log"
        figures = run(engine, folder, args.events, args.seed, args.fit)
        engine.close()
    print(json.dumps(figures, indent=2, ensure_ascii=False))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
    return 0


def run(engine: Engine, folder: Path, events: int, seed: int, fit: bool) -> dict[str, Any]:
    """Write the log, compute its gaps (timed), score them; with ``fit``, at every
    threshold of FIT_THRESHOLDS too."""
    folder.mkdir(parents=True, exist_ok=True)
    store = SqliteEventStore(folder / EVENTS_FILE)
    started = time.perf_counter()
    summary = write_log(store, engine.search, events, seed)
    written_s = time.perf_counter() - started
    truth = summary.ground_truth()
    (folder / "ground-truth.json").write_text(json.dumps(truth, indent=2, ensure_ascii=False))
    started = time.perf_counter()
    report = build_gaps(
        store.read(),
        question_vectors(engine.search),
        nearest_threads(engine.search),
        engine.settings.gap_similarity,
    )
    computed_s = time.perf_counter() - started
    figures: dict[str, Any] = {
        "events": summary.total,
        "events_by_type": dict(summary.events),
        "sessions": sum(summary.sessions.values()),
        "write_s": round(written_s, 2),
        "gaps_s": round(computed_s, 2),
        "questions": report.questions,
        "groups": report.groups,
        "similarity": report.similarity,
        "no_match": [(g.question, g.sessions, g.gap_sessions) for g in report.no_match],
        "poor_match": [(g.question, g.sessions, g.gap_sessions) for g in report.poor_match],
        **score(report, truth).to_dict(),
    }
    if fit:
        figures["phrasing_cosines"] = phrasing_cosines(engine)
        figures["fit"] = [
            {"similarity": threshold, **_scored(store, engine, truth, threshold)}
            for threshold in FIT_THRESHOLDS
        ]
    store.close()
    return figures


def phrasing_cosines(engine: Engine) -> dict[str, float]:
    """The cosines between the topics' phrasings: the lowest within a topic and the
    highest across two, which a threshold should lie between."""
    texts = [(topic.name, query_key(text)) for topic in TOPICS for text in topic.phrasings]
    vectors = np.vstack([engine.search.query_vector(text) for _, text in texts])
    cosines = vectors @ vectors.T
    within, across = [], []
    for i, (topic_i, _) in enumerate(texts):
        for j in range(i + 1, len(texts)):
            (within if topic_i == texts[j][0] else across).append(float(cosines[i, j]))
    return {
        "within_min": round(min(within), 4),
        "within_median": round(float(np.median(within)), 4),
        "across_max": round(max(across), 4),
        "across_median": round(float(np.median(across)), 4),
    }


def _scored(
    store: SqliteEventStore, engine: Engine, truth: dict[str, Any], threshold: float
) -> dict[str, Any]:
    embed = question_vectors(engine.search)
    report = build_gaps(store.read(), embed, lambda text: [], threshold)
    figures = score(report, truth).to_dict()
    return {"groups": report.groups, **figures}


def _engine(data_dir: Path, build: bool) -> Engine:
    settings = load_settings(data_dir=data_dir)
    engine = open_engine(settings)
    if build:
        engine.indexer().run(read_source(SAMPLE))
    return engine
