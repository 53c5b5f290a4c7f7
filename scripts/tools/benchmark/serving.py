"""Serving: /api/suggest over HTTP, for latency, throughput and a full rebuild under load;
writes through the API, and how soon searches see them."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import Any

from ..instruments.http_client import KeepAliveClient
from ..instruments.http_load import run_load, run_load_during, run_sequential
from ..instruments.processes import children, memory_kib, memory_shares_kib
from ..instruments.served import served
from ..instruments.stats import percentiles
from ..paths import REPO
from .indexing import index_once
from .queries import QuerySupply
from .session import Bench
from .writes import write_visibility

WARMUP_SECONDS = 5.0
# The full rebuild under load: clients sending suggestions meanwhile, and how long the
# load runs before the rebuild starts and after it has swapped indices (longer than the
# Elasticsearch backend waits before it deletes the old index).
REINDEX_LOAD_CLIENTS = 4
REINDEX_LOAD_SETTLE_S = 10.0


def warm_up(port: int, workers: int, texts: list[str]) -> dict[str, Any]:
    """Concurrent requests for a few seconds, so that every worker has answered some.

    Which worker accepts a connection is up to the kernel; concurrent connections keep
    every worker busy, so none is left cold for the first measured request.
    """
    return run_load("127.0.0.1", port, 4 * workers, WARMUP_SECONDS, QuerySupply(texts))


def latency_runs(bench: Bench, port: int, supply: QuerySupply) -> list[dict[str, Any]]:
    """Per run: fresh distinct queries (cache misses), then the same texts again (hits).

    Both passes use one keep-alive connection, so they reach the same worker and the
    second pass finds every query embedding in that worker's cache.
    """
    runs = []
    for n in range(1, bench.args.runs + 1):
        texts = supply.take(bench.args.requests)
        client = KeepAliveClient("127.0.0.1", port)
        with bench.phase(f"suggest latency #{n}"):
            miss = run_sequential(client, texts)
            hit = run_sequential(client, texts)
        client.close()
        runs.append(
            {
                "miss_ms": percentiles(miss.latencies, 1000),
                "hit_ms": percentiles(hit.latencies, 1000),
                "errors": miss.errors + hit.errors,
                "reconnects": miss.reconnects + hit.reconnects,
                "share_with_suggestions": miss.with_suggestions / len(texts),
                "texts": texts,
                "miss_latencies_ms": [round(s * 1000, 3) for s in miss.latencies],
                "hit_latencies_ms": [round(s * 1000, 3) for s in hit.latencies],
            }
        )
    return runs


def throughput_runs(bench: Bench, port: int, supply: QuerySupply) -> dict[str, list]:
    """Each concurrency level once per run, levels interleaved so that the other
    sessions' load on the machine spreads over all of them alike."""
    levels: dict[str, list] = {str(c): [] for c in bench.args.concurrency}
    for n in range(1, bench.args.runs + 1):
        for concurrency in bench.args.concurrency:
            with bench.phase(f"throughput c={concurrency} #{n}"):
                result = run_load("127.0.0.1", port, concurrency, bench.args.duration, supply)
            levels[str(concurrency)].append(result)
    return levels


def run_serving(bench: Bench, supply: QuerySupply, warmup: list[str]) -> dict[str, Any]:
    """Start the server, warm it up, measure latency and throughput, read its memory."""
    with contextlib.ExitStack() as stack:
        with bench.phase("server start"):
            server = stack.enter_context(
                served(
                    REPO, bench.data_dir, bench.args.workers, bench.env, bench.work / "serve.log"
                )
            )
            port, master = server.port, server.pid
        with bench.phase("warm-up"):
            warm_up(port, bench.args.workers, warmup)
        latency = latency_runs(bench, port, supply)
        throughput = throughput_runs(bench, port, supply)
        with bench.phase("writes"):
            writes = write_visibility(port, bench.api_key)
        # Now, with the index and the model mapped and the caches warm: a rebuild would
        # swap the index under the workers.
        shares = {
            "master": memory_shares_kib(master),
            "workers": [memory_shares_kib(pid) for pid in children(master)],
            **bench.target.process_memory(),
        }
        if bench.args.serving_only:
            rebuild = bench.earlier.get("serving", {}).get("reindex_under_load")
        else:
            with bench.phase("reindex under load"):
                rebuild = reindex_under_load(bench, port, supply)
        peaks = [memory_kib(pid).get("VmHWM", 0) / 1024 for pid in children(master)]
        master_peak = memory_kib(master).get("VmHWM", 0) / 1024
    return {
        "latency": latency,
        "throughput": throughput,
        "writes": writes,
        **({"reindex_under_load": rebuild} if rebuild else {}),
        "workers_peak_rss_mib": peaks,
        "master_peak_rss_mib": master_peak,
        "memory_after_load_kib": shares,
        "queries_wrapped": supply.wrapped,
    }


def reindex_under_load(bench: Bench, port: int, supply: QuerySupply) -> dict[str, Any]:
    """A full rebuild of the served index while suggestions keep coming.

    ``askfind index`` of the same corpus: every thread carried over unchanged into a new
    index (Elasticsearch: a new versioned index, the alias swapped, the old one deleted;
    embedded: a new generation). No request may fail meanwhile.
    """
    corpus = Path(bench.results["corpus"]["path"])
    log = bench.work / "reindex-under-load.log"
    rebuild, load = run_load_during(
        "127.0.0.1",
        port,
        REINDEX_LOAD_CLIENTS,
        supply,
        lambda: index_once(corpus, bench.data_dir, bench.env, log),
        REINDEX_LOAD_SETTLE_S,
    )
    print(
        f"  rebuilt in {rebuild['seconds']:.0f} s under load: {load['requests']} requests, "
        f"{load['failed']} failed",
        file=sys.stderr,
    )
    return {"rebuild": rebuild, "load": load}
