"""One benchmark run: its options, backend and folders, the results so far, and its start.

The results are saved after each phase, so a phase that fails loses nothing measured
before it; what was measured where (machine, commit, settings) is recorded first.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import secrets
import shlex
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from widget.auth import digest_of

from ..instruments.machine import LoadMonitor, PhaseLoad, machine
from ..paths import REPO
from .targets import TARGETS, Target

DEFAULT_WORK_DIR = Path.home() / ".cache" / "askfind" / "bench"
MANY_THREADS = 20000  # above this, one indexing run by default: each takes many minutes


@dataclass
class Bench:
    """One benchmark run: its options, backend, folders, and the results so far."""

    args: argparse.Namespace
    target: Target
    work: Path
    monitor: LoadMonitor
    results: dict[str, Any]

    @property
    def data_dir(self) -> Path:
        return self.work / "data"

    @property
    def env(self) -> dict[str, str]:
        # The load generator is one client (127.0.0.1): a per-client rate limit would
        # answer most of its requests with 429. Set the variable to measure with one.
        no_rate_limit = {"ASKFIND_RATE_LIMIT_PER_SECOND": "0"}
        write_key = {"ASKFIND_API_KEYS": digest_of(self.api_key)}
        return {**no_rate_limit, **os.environ, **self.target.env(), **write_key}

    @functools.cached_property
    def api_key(self) -> str:
        """The key of this run's writes through the API (made anew for every run)."""
        return secrets.token_hex(16)

    @property
    def index_runs(self) -> int:
        if self.args.index_runs:
            return int(self.args.index_runs)
        return self.args.runs if self.args.threads <= MANY_THREADS else 1

    @property
    def saved(self) -> Path:
        return self.work / "results.json"

    @functools.cached_property
    def earlier(self) -> dict[str, Any]:
        """The results of the last run in this work dir (empty if there was none), as they
        were before this run saved its own."""
        return json.loads(self.saved.read_text()) if self.saved.is_file() else {}

    def phase(self, name: str) -> PhaseLoad:
        return self.monitor.phase(name, self.results["phases"])

    def save(self, also: Path | None = None) -> None:
        """Write the results so far: a later phase that fails loses nothing before it."""
        raw = json.dumps(self.results, indent=1, ensure_ascii=False)
        self.saved.write_text(raw)
        if also:
            also.write_text(raw)


def git_state() -> dict[str, Any]:
    def git(*arguments: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *arguments], capture_output=True, text=True, check=False
        ).stdout

    modified = [line[3:] for line in git("status", "--porcelain", "-uno").splitlines()]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "modified": modified}


def settings_in_effect(workers: int) -> dict[str, Any]:
    from indexer.settings import load_settings
    from widget.server import THREADS_PER_WORKER

    settings = load_settings()
    names = (
        "backend",
        "embedding_model",
        "embedding_runtime",
        "embedding_max_tokens",
        "embedding_batch_size",
        "embedding_threads",
        "ann_min_threads",
        "ann_rescored",
        "lexical_candidates",
        "vector_candidates",
        *(("elasticsearch_num_candidates",) if settings.backend == "elasticsearch" else ()),
    )
    chosen = {name: getattr(settings, name) for name in names}
    chosen["embedding_model"] = chosen["embedding_model"] or "all-MiniLM-L6-v2 (bundled)"
    chosen.update(workers=workers, threads_per_worker=THREADS_PER_WORKER)
    return chosen


def start(args: argparse.Namespace) -> Bench:
    """Set up the work dir and record what is measured where, before anything runs."""
    target = TARGETS[args.backend](args)
    os.environ.update(target.env())  # the in-process phases read the same settings
    work = args.work_dir.expanduser().resolve() / f"{target.name}-{args.threads}"
    if work.is_relative_to(REPO):
        raise SystemExit(f"--work-dir must be outside the repository ({REPO})")
    work.mkdir(parents=True, exist_ok=True)
    bench = Bench(args, target, work, LoadMonitor(), {})
    bench.results.update(
        backend=target.name,
        threads=args.threads,
        duration=args.duration,
        command=shlex.join(["scripts/bench", *sys.argv[1:]]),
        started=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        machine={**machine(), "python": sys.version.split()[0]},
        askfind=git_state(),
        settings=settings_in_effect(args.workers),
        phases={},
    )
    return bench
