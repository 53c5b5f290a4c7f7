"""Indexing: ``askfind index`` of the corpus into an empty index, then again unchanged.

Each run is a process of its own, timed from the outside; its resource usage comes from
wait4, its throughput from the summary line it prints.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from ..instruments.served import askfind
from ..paths import REPO
from .session import Bench

SUMMARY = re.compile(r"read (\d+), indexed (\d+), unchanged (\d+), skipped (\d+) in ([\d.]+) s")


def index_once(corpus: Path, data_dir: Path, env: dict[str, str], log: Path) -> dict[str, Any]:
    """Run ``askfind index`` to the end; its wall time, CPU time and peak RSS.

    The child is reaped with wait4, which returns that one process's resource usage.
    """
    command = askfind("index", str(corpus), "--data-dir", str(data_dir), "--no-progress")
    with log.open("w") as out:
        started = time.monotonic()
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=out)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    text = log.read_text()
    if process.returncode != 0:
        raise SystemExit(f"askfind index failed ({log}):\n{text[-3000:]}")
    summary = SUMMARY.search(text)
    if summary is None:
        raise SystemExit(f"askfind index printed no summary ({log})")
    read, indexed, unchanged = (int(summary[i]) for i in (1, 2, 3))
    return {
        "command": shlex.join(["askfind", *command[3:]]),
        "seconds": seconds,
        "threads_per_s": read / seconds,
        "pipeline_seconds": float(summary[5]),
        "pipeline_threads_per_s": read / float(summary[5]),
        "read": read,
        "indexed": indexed,
        "unchanged": unchanged,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "cpu_seconds": usage.ru_utime + usage.ru_stime,
    }


def run_indexing(bench: Bench, corpus: Path) -> dict[str, Any]:
    """Fresh index then unchanged re-index, ``index_runs`` times, each from nothing."""
    runs = []
    for n in range(1, bench.index_runs + 1):
        bench.target.reset(bench.data_dir)
        if bench.args.embeddings_from:
            seed_embedding_cache(bench.args.embeddings_from, bench.data_dir)
        with bench.phase(f"index #{n}"):
            fresh = index_once(corpus, bench.data_dir, bench.env, bench.work / "index.log")
        fresh.update(bench.target.footprint(bench.data_dir))
        with bench.phase(f"reindex #{n}"):
            again = index_once(corpus, bench.data_dir, bench.env, bench.work / "reindex.log")
        runs.append({"fresh": fresh, "unchanged": again})
        print(
            f"  fresh {fresh['threads_per_s']:.0f}/s, unchanged {again['threads_per_s']:.0f}/s",
            file=sys.stderr,
        )
    return {"runs": runs, "embeddings_cached": bool(bench.args.embeddings_from)}


def seed_embedding_cache(source: Path, data_dir: Path) -> None:
    """Copy an earlier run's embedding cache into the fresh data dir.

    The cache is keyed by model and content hash, so every thread of the same corpus is
    found there: the "fresh" run then measures the backend's bulk indexing without the
    embedding work, which is the same for every backend and measured on its own.
    """
    files = sorted(source.glob("embeddings.sqlite*"))
    if not files:
        raise SystemExit(f"--embeddings-from: no embeddings.sqlite in {source}")
    for path in files:
        shutil.copy2(path, data_dir / path.name)


def indexing(bench: Bench) -> dict[str, Any] | None:
    """Index afresh and again, or (--skip-index) reuse the figures of the run that built
    the index in the work dir."""
    if not bench.args.skip_index:
        return run_indexing(bench, Path(bench.results["corpus"]["path"]))
    if not bench.target.has_index(bench.data_dir):
        raise SystemExit(f"--skip-index: no {bench.target.name} index for {bench.data_dir}")
    earlier = bench.earlier
    figures = earlier.get("indexing")
    if figures and "reused_from" not in figures:
        figures["reused_from"] = earlier["started"]
    return figures
