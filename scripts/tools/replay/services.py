"""What the replay runs against: an index of its own, and askfind's environment to serve it."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

from ..paths import REPO

BENCH_INDEX = Path.home() / ".cache" / "askfind" / "bench" / "embedded-10000" / "data"
ELASTICSEARCH_PREFIX = "askfind-replay"


def prepare_index(args: argparse.Namespace, scratch: Path) -> tuple[Path, str]:
    """A data dir to serve: a copy of the given or benchmark index, else a new demo index
    (on Elasticsearch: the demo index, indexed into the script's own node, or the index a
    running cluster already holds, with an empty data dir beside it)."""
    target = scratch / "data"
    if args.serve_existing:
        target.mkdir()
        return target, f"{args.elasticsearch_index_prefix} on {args.elasticsearch_url}"
    source = args.data_dir or (BENCH_INDEX if (BENCH_INDEX / "index").is_dir() else None)
    if args.elasticsearch_url:
        source = None
    if source is not None:
        # A copy: the server may write (events, feedback) and the original is not ours.
        shutil.copytree(source.expanduser(), target, ignore=shutil.ignore_patterns("events*"))
        return target, str(source)
    command = [sys.executable, "-m", "widget.cli", "demo", "--no-serve", "--data-dir", str(target)]
    subprocess.run(command, cwd=REPO, env=server_env(args, ""), check=True)
    return target, "demo (bundled sample community, built here)"


def server_env(args: argparse.Namespace, redis_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "ASKFIND_REDIS_URL": redis_url,
        "ASKFIND_PROXY_HOPS": "1",  # each simulated person sends its own X-Forwarded-For
        "ASKFIND_LOG_LEVEL": "WARNING",
    }
    if args.rate_limit is not None:
        env["ASKFIND_RATE_LIMIT_PER_SECOND"] = str(args.rate_limit)
    if args.elasticsearch_url:
        env["ASKFIND_BACKEND"] = "elasticsearch"
        env["ASKFIND_ELASTICSEARCH_URL"] = args.elasticsearch_url
        env["ASKFIND_ELASTICSEARCH_INDEX_PREFIX"] = args.elasticsearch_index_prefix
    return env
