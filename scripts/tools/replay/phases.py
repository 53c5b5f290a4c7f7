"""The replay's phases: warm-up, the cache-hit latency, then the replay with its outage.

The outage (Redis killed, or Elasticsearch restarted) runs in a thread beside the typists,
at a set time into the replay; its figures say what people saw meanwhile and after.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from collections.abc import Callable
from typing import Any

from ..elasticsearch_node import ElasticsearchServer
from ..instruments.machine import LoadMonitor
from ..redis_node import RedisServer
from .figures import cache_hit_latency, outage_figures, redis_keys, summary
from .load import WARMUP_SECONDS, replay
from .typists import TitleSupply


def run_phases(
    args: argparse.Namespace,
    port: int,
    redis: RedisServer,
    elasticsearch: ElasticsearchServer | None,
    titles: list[str],
    monitor: LoadMonitor,
    results: dict[str, Any],
) -> None:
    phases = results["phases"]
    with monitor.phase("warm-up", phases):
        replay(port, args.people, WARMUP_SECONDS, TitleSupply(titles, args.seed + 1), args)
    with monitor.phase("cache hit", phases):
        results["cache_hit"] = cache_hit_latency(port, args.hit_requests)
    times: dict[str, float] = {}

    def chaos(began: float) -> None:
        if args.kill_redis_after is not None:
            outage(began, args.kill_redis_after, "Redis", redis_outage)
        elif args.restart_elasticsearch_after is not None and elasticsearch is not None:
            outage(began, args.restart_elasticsearch_after, "Elasticsearch", elasticsearch.restart)

    def redis_outage() -> None:
        redis.kill()
        time.sleep(args.redis_down_for)
        redis.start()

    def outage(began: float, after: float, what: str, action: Callable[[], object]) -> None:
        time.sleep(max(0.0, began + after - time.perf_counter()))
        times["killed"] = time.perf_counter()
        print(f"# {what} gone at {times['killed'] - began:.1f} s", file=sys.stderr)
        action()
        times["returned"] = time.perf_counter()
        print(f"# {what} back at {times['returned'] - began:.1f} s", file=sys.stderr)

    cpu_before = resource.getrusage(resource.RUSAGE_SELF)
    with monitor.phase("replay", phases):
        answers, began, ended = replay(
            port, args.people, args.duration, TitleSupply(titles, args.seed), args, chaos
        )
    cpu_after = resource.getrusage(resource.RUSAGE_SELF)
    results["replay"] = summary(answers, ended - began)
    # The simulated people share the machine's cores with the server: what they took.
    client_cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (
        cpu_before.ru_utime + cpu_before.ru_stime
    )
    results["replay"]["client_cpu_cores"] = round(client_cpu / (ended - began), 2)
    if times:
        results["outage"] = outage_figures(
            answers, began, ended, times["killed"], times["returned"]
        )
        results["outage"]["of"] = "Redis" if args.kill_redis_after is not None else "Elasticsearch"
        # Redis came back empty: answers stored in it since show the workers reconnected.
        results["outage"]["redis_keys_after_return"] = redis_keys(redis.url)
    print(json.dumps({k: results[k] for k in ("cache_hit", "replay")}), file=sys.stderr)
