"""The command line of scripts/replay: its options, the services it starts, the results."""

from __future__ import annotations

import argparse
import json
import os
import secrets
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from widget.auth import digest_of

from ..arguments import positive_float, positive_int
from ..elasticsearch_node import ElasticsearchServer
from ..instruments.eval_data import find_eval_data, read_real_query_titles
from ..instruments.machine import LoadMonitor, machine
from ..instruments.served import served
from ..paths import REPO
from ..ports import free_port
from ..redis_node import RedisServer
from .experiment import simulate
from .figures import HIT_REQUESTS
from .phases import run_phases
from .services import ELASTICSEARCH_PREFIX, prepare_index, server_env
from .typists import DEBOUNCE_MS

SEED = 20240601


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--data-dir", type=Path, help="index to serve (copied first; default: bench or demo)")
    add("--eval-data", type=Path, help="evaluation data with real question titles")
    add("--people", type=positive_int, default=50, help="people typing at once (default 50)")
    add("--duration", type=positive_float, default=30.0, help="seconds of replay (default 30)")
    add("--workers", type=positive_int, default=2, help="gunicorn workers (default 2)")
    add("--pace", choices=("closed", "real"), default="closed",
        help="closed: next request once answered (default); real: human pauses")  # fmt: skip
    add("--debounce", type=float, default=DEBOUNCE_MS, help="widget debounce in ms (150)")
    add("--rate-limit", type=float, default=None,
        help="ASKFIND_RATE_LIMIT_PER_SECOND for the server (default: the setting's)")  # fmt: skip
    add("--kill-redis-after", type=float, default=None, help="kill Redis S s into the replay")
    add("--redis-down-for", type=float, default=5.0, help="seconds Redis stays dead (5)")
    add("--backend", choices=("embedded", "elasticsearch"), default="embedded",
        help="elasticsearch: start a node of its own and serve the demo index from it")  # fmt: skip
    add("--elasticsearch-url", default=None, metavar="URLS",
        help="serve the index under --elasticsearch-index-prefix of this running cluster "
        "(comma-separated nodes) instead of starting a node with the demo index")  # fmt: skip
    add("--elasticsearch-index-prefix", default=ELASTICSEARCH_PREFIX,
        help=f"its index alias (default {ELASTICSEARCH_PREFIX})")  # fmt: skip
    add("--restart-elasticsearch-after", type=float, default=None,
        help="restart Elasticsearch S s into the replay (--backend elasticsearch)")  # fmt: skip
    add(
        "--hit-requests",
        type=positive_int,
        default=HIT_REQUESTS,
        help="requests of the cache-hit p95",
    )
    add("--experiment-effect", type=float, default=None, metavar="SHARE",
        help="instead of the load: customers in the deflection experiment, SHARE fewer "
        "of whom post their question when shown the widget; the report must find it")  # fmt: skip
    add("--holdout-share", type=float, default=0.2, help="sessions held back (0.2)")
    add("--sessions", type=positive_int, default=3000, help="customers of the experiment (3000)")
    add("--posted-rate", type=float, default=0.5,
        help="share of held-back customers who post their question (0.5)")  # fmt: skip
    add("--seed", type=int, default=SEED)
    add("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def main(description: str) -> int:
    """Start the services, replay, and print the results; ``description`` is the help's."""
    args = parse_args(description)
    # An index already in a running cluster, or one of the replay's own (a node it starts).
    args.serve_existing = args.elasticsearch_url is not None
    if args.serve_existing:
        args.backend = "elasticsearch"
        if args.restart_elasticsearch_after is not None:
            raise SystemExit(
                "--restart-elasticsearch-after restarts a node of its own, not --elasticsearch-url"
            )
    chaos_after = [
        s for s in (args.kill_redis_after, args.restart_elasticsearch_after) if s is not None
    ]
    if len(chaos_after) > 1:
        raise SystemExit("kill Redis or restart Elasticsearch, not both in one run")
    if chaos_after and chaos_after[0] >= args.duration:
        raise SystemExit("the outage must begin within --duration")
    if args.restart_elasticsearch_after is not None and args.backend != "elasticsearch":
        raise SystemExit("--restart-elasticsearch-after needs --backend elasticsearch")
    if args.data_dir is not None and args.backend == "elasticsearch":
        instead = (
            "--elasticsearch-url serves its own"
            if args.serve_existing
            else "--backend elasticsearch serves the demo"
        )
        raise SystemExit(f"--data-dir is an embedded index; {instead}")
    titles = read_real_query_titles(find_eval_data(args.eval_data))
    monitor = LoadMonitor(interval_s=1.0)
    results: dict[str, Any] = {
        "command": " ".join(["scripts/replay", *sys.argv[1:]]),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "load_before": os.getloadavg(),
        "people": args.people,
        "workers": args.workers,
        "pace": args.pace,
        "backend": args.backend,
        "titles": len(titles),
        "phases": {},
    }
    with tempfile.TemporaryDirectory(prefix="askfind-replay-") as scratch_name:
        scratch = Path(scratch_name)
        redis = RedisServer().start()
        elasticsearch = None
        try:
            if args.backend == "elasticsearch" and not args.serve_existing:
                elasticsearch = ElasticsearchServer(port=free_port(), heap="1g")
                args.elasticsearch_url = elasticsearch.start()
            data_dir, results["index"] = prepare_index(args, scratch)
            env = server_env(args, redis.url)
            api_key = experiment_env(args, env) if args.experiment_effect is not None else None
            with served(REPO, data_dir, args.workers, env, scratch / "serve.log") as server:
                if api_key is None:
                    run_phases(args, server.port, redis, elasticsearch, titles, monitor, results)
                else:
                    with monitor.phase("experiment", results["phases"]):
                        results["experiment"] = simulate(server.port, api_key, titles, args)
        finally:
            redis.stop()
            if elasticsearch is not None:
                elasticsearch.stop()
    monitor.stop()
    raw = json.dumps(results, indent=1, ensure_ascii=False)
    if args.experiment_effect is not None and not results["experiment"]["recovered"]:
        print(raw)
        print("the report's interval misses the true effect", file=sys.stderr)
        return 1
    if args.json:
        args.json.write_text(raw + "\n")
    print(raw)
    return 0


def experiment_env(args: argparse.Namespace, env: dict[str, str]) -> str:
    """Set up ``env`` for the experiment (named after the seed, an API key for its report,
    no rate limit: every customer comes from this machine); returns the key."""
    if not 0 < args.holdout_share <= 0.5 or not 0 <= args.experiment_effect < 1:
        raise SystemExit("--holdout-share must be in (0, 0.5], --experiment-effect in [0, 1)")
    key = secrets.token_hex(16)
    env |= {
        "ASKFIND_API_KEYS": digest_of(key),
        "ASKFIND_EXPERIMENT_HOLDOUT_SHARE": str(args.holdout_share),
        "ASKFIND_EXPERIMENT_NAME": f"replay-{args.seed}",  # the same arms for a seed
        "ASKFIND_RATE_LIMIT_PER_SECOND": "0",
    }
    return key
