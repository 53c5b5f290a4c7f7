"""The command line of scripts/bench: its options, and the phases in the order they run."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..arguments import positive_float, positive_int
from ..instruments.eval_data import find_eval_data, read_real_query_titles, read_real_threads
from ..paths import REPO
from .corpus import SEED, build_corpus
from .in_process import IN_PROCESS_KEYS, in_process
from .indexing import indexing
from .queries import QuerySupply, query_pool
from .report import report
from .serving import run_serving
from .session import DEFAULT_WORK_DIR, MANY_THREADS, git_state, start
from .targets import TARGETS

WARMUP_QUERIES = 40


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--threads", type=positive_int, default=100000, help="corpus size (default 100000)")
    add("--runs", type=positive_int, default=3, help="repetitions of each measurement (default 3)")
    add("--requests", type=positive_int, default=500, help="requests per latency run (default 500)")
    add(
        "--index-runs",
        type=positive_int,
        default=None,
        help=f"fresh + unchanged indexing runs (default: --runs up to {MANY_THREADS:,} "
        "threads, else 1)",
    )
    add(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help=f"corpus, index and logs, never in the repository (default {DEFAULT_WORK_DIR})",
    )
    add(
        "--data",
        type=Path,
        default=None,
        help="evaluation data (default: env ASKFIND_EVAL_DATA, else ../shared/data)",
    )
    add("--backend", choices=sorted(TARGETS), default="embedded")
    add(
        "--elasticsearch-url",
        default=None,
        help="the Elasticsearch of --backend elasticsearch (indices askfind-bench-THREADS)",
    )
    add("--workers", type=positive_int, default=2, help="gunicorn workers (default 2)")
    add(
        "--concurrency",
        type=positive_int,
        nargs="+",
        default=[1, 10, 50],
        help="client connections of the throughput runs (default 1 10 50)",
    )
    add(
        "--duration",
        type=positive_float,
        default=20.0,
        help="seconds per throughput run (default 20)",
    )
    add(
        "--skip-index",
        action="store_true",
        help="serve the index already in the work dir (its indexing figures are reused)",
    )
    add(
        "--serving-only",
        action="store_true",
        help="measure latency, throughput and memory again on the index of the last run "
        "(implies --skip-index; its other figures are reused)",
    )
    add(
        "--embeddings-from",
        type=Path,
        default=None,
        metavar="DATA_DIR",
        help="start each fresh index with the embedding cache of this data dir (an earlier "
        "run on the same corpus): measures bulk indexing without the embedding work",
    )
    add("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    add("--json", type=Path, default=None, help="also write every raw number here")
    add(
        "--from-json",
        type=Path,
        default=None,
        metavar="FILE",
        help="measure nothing: write the report of the raw results in FILE (from --json)",
    )
    args = parser.parse_args()
    args.skip_index = args.skip_index or args.serving_only
    return args


def main(description: str) -> int:
    """Run every phase and write the report; ``description`` is the entry point's help."""
    args = parse_args(description)
    # Measure the askfind next to this script in-process too, as the subprocesses do
    # (they run with the repository as working directory).
    sys.path.insert(0, str(REPO))
    if args.from_json:
        return report(json.loads(args.from_json.read_text()), args.output)
    data = find_eval_data(args.data)
    bench = start(args)
    results = bench.results
    real = read_real_threads(data)
    with bench.phase("corpus"):
        results["corpus"] = build_corpus(args, bench.work, real, bench.earlier)
    titles = [thread["title"] for thread in real]
    pool = query_pool(titles + read_real_query_titles(data), set(titles), SEED)
    warmup, supply = pool[:WARMUP_QUERIES], QuerySupply(pool[WARMUP_QUERIES:])

    results["indexing"] = indexing(bench)
    bench.save()
    results["serving"] = run_serving(bench, supply, warmup)
    bench.save()
    if args.serving_only:
        earlier = bench.earlier
        results["reused"] = earlier.get("reused") or earlier.get("started")
        results.update({key: earlier[key] for key in IN_PROCESS_KEYS if key in earlier})
    else:
        measured = [text for run in results["serving"]["latency"] for text in run["texts"]]
        in_process(bench, real, measured, warmup)
    bench.monitor.stop()
    results["askfind_at_end"] = git_state()

    bench.save(args.json)
    return report(results, args.output)
