"""The command line of scripts/cluster-failover: start the cluster and askfind, replay, break."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..arguments import positive_int
from ..elasticsearch_node import CLUSTER_HEAP, DEFAULT_NODES, ElasticsearchCluster
from ..instruments.eval_data import find_eval_data, read_real_query_titles
from ..instruments.machine import LoadMonitor, machine
from ..instruments.served import askfind, served
from ..paths import REPO
from ..replay.figures import summary, windows
from ..replay.load import WARMUP_SECONDS, replay
from ..replay.services import ELASTICSEARCH_PREFIX, prepare_index, server_env
from ..replay.typists import DEBOUNCE_MS, TitleSupply
from .scenarios import Scenario, Timeline, node_killed, rebuild_during_outage, rolling_restart

SEED = 20240601
SAMPLE = REPO / "indexer" / "data" / "sample_community.jsonl"
# Typing goes on this long after an outage has ended (the node back, the cluster green).
TAIL_S = 8.0
# The longest one scenario's replay may take (a rolling restart of three nodes takes ~90 s).
MAX_SCENARIO_S = 600.0
SCENARIOS = ("node-kill", "rolling-restart", "rebuild-during-outage")


def parse_args(description: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    add = parser.add_argument
    add("--nodes", type=positive_int, default=DEFAULT_NODES, help="Elasticsearch nodes (default 3)")
    add("--heap", default=CLUSTER_HEAP, help=f"JVM heap of each node (default {CLUSTER_HEAP})")
    add("--shards", type=positive_int, default=2, help="primary shards of the index (default 2)")
    add("--people", type=positive_int, default=30, help="people typing at once (default 30)")
    add("--workers", type=positive_int, default=2, help="gunicorn workers (default 2)")
    add("--pace", choices=("closed", "real"), default="closed",
        help="closed: next request once answered (default); real: human pauses")  # fmt: skip
    add("--scenario", choices=SCENARIOS, action="append",
        help="run only this scenario (repeatable; default: all three in turn)")  # fmt: skip
    add("--eval-data", type=Path, help="evaluation data with real question titles")
    add("--seed", type=int, default=SEED)
    add("--json", type=Path, help="also write the results here")
    return parser.parse_args()


def main(description: str) -> int:
    """Start everything, run the scenarios, print the results; ``description`` is the help's."""
    args = parse_args(description)
    # What the replay's helpers read besides these options.
    args.debounce, args.rate_limit, args.data_dir = DEBOUNCE_MS, None, None
    titles = read_real_query_titles(find_eval_data(args.eval_data))
    monitor = LoadMonitor(interval_s=1.0)
    results: dict[str, Any] = {
        "command": " ".join(["scripts/cluster-failover", *sys.argv[1:]]),
        "started": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "nodes": args.nodes,
        "heap": args.heap,
        "shards": args.shards,
        "people": args.people,
        "workers": args.workers,
        "pace": args.pace,
        "phases": {},
        "scenarios": {},
    }
    with tempfile.TemporaryDirectory(prefix="askfind-failover-") as scratch_name:
        scratch = Path(scratch_name)
        with ElasticsearchCluster(args.nodes, heap=args.heap) as cluster:
            args.elasticsearch_url = cluster.url
            os.environ["ASKFIND_ELASTICSEARCH_SHARDS"] = str(args.shards)  # for every askfind
            env = server_env(args, redis_url="")  # no Redis: every answer is searched anew
            data_dir, results["index"] = prepare_index(args, scratch)
            reindex = askfind("index", str(SAMPLE), "--data-dir", str(data_dir))
            scenarios: dict[str, Scenario] = {
                "node-kill": node_killed(cluster, ELASTICSEARCH_PREFIX),
                "rolling-restart": rolling_restart(cluster),
                "rebuild-during-outage": rebuild_during_outage(
                    cluster, ELASTICSEARCH_PREFIX, reindex, env, scratch / "reindex.log"
                ),
            }
            with served(REPO, data_dir, args.workers, env, scratch / "serve.log") as server:
                with monitor.phase("warm-up", results["phases"]):
                    replay(server.port, args.people, WARMUP_SECONDS, TitleSupply(titles, 1), args)
                for name in args.scenario or SCENARIOS:
                    results["scenarios"][name] = run_scenario(
                        name, scenarios[name], server.port, titles, args, monitor, results
                    )
    monitor.stop()
    raw = json.dumps(results, indent=1, ensure_ascii=False)
    if args.json:
        args.json.write_text(raw + "\n")
    print(raw)
    failed = sum(s["errors"] for s in results["scenarios"].values())
    return 1 if failed else 0


def run_scenario(
    name: str,
    scenario: Scenario,
    port: int,
    titles: list[str],
    args: argparse.Namespace,
    monitor: LoadMonitor,
    results: dict[str, Any],
) -> dict[str, Any]:
    """Replay while ``scenario`` runs; its answers summed up, with its timeline and load."""
    timelines: list[Timeline] = []
    failures: list[BaseException] = []

    def during(began: float) -> None:
        timelines.append(timeline := Timeline(began))
        try:
            scenario(timeline)
        except BaseException as error:  # reported after the typists stopped
            failures.append(error)

    print(f"# {name}", file=sys.stderr, flush=True)
    with monitor.phase(name, results["phases"]):
        answers, began, ended = replay(
            port, args.people, MAX_SCENARIO_S, TitleSupply(titles, args.seed), args,
            during, tail_s=TAIL_S,
        )  # fmt: skip
    if failures:
        raise failures[0]
    per_second = windows(answers, began, ended)
    return {
        **summary(answers, ended - began),
        "load": results["phases"][name],
        "timeline": timelines[0].events,
        "worst_second_p95_ms": max((w["p95_ms"] or 0.0) for w in per_second),
    }
