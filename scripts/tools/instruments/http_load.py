"""Load on /api/suggest: requests one after another, or from many connections at once.

Every text comes from a supply that hands out each once, so every request misses the query
cache; latencies are taken on the client side.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .http_client import KeepAliveClient, suggest_path
from .processes import own_cpu_seconds
from .stats import percentiles


class TextSupply(Protocol):
    """Where the clients take their next query text from (shared by their threads)."""

    def next(self) -> str: ...


@dataclass
class Sequential:
    """Latencies of requests sent one after another on one connection."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    reconnects: int = 0
    with_suggestions: int = 0  # answers with at least one item above the confidence floor


def run_sequential(client: KeepAliveClient, texts: Sequence[str]) -> Sequential:
    """Send one suggestion request per text, in order, timing each on the client side."""
    result = Sequential()
    before = client.reconnects
    for text in texts:
        status, seconds, body = client.get(suggest_path(text))
        result.latencies.append(seconds)
        result.errors += status != 200
        result.with_suggestions += status == 200 and bool(json.loads(body)["items"])
    result.reconnects = client.reconnects - before
    return result


def run_load(
    host: str, port: int, concurrency: int, duration_s: float, supply: TextSupply
) -> dict[str, Any]:
    """``concurrency`` clients, each on its own keep-alive connection, for ``duration_s``."""
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency
    reconnects = [0] * concurrency
    start = threading.Barrier(concurrency + 1)
    deadline = [0.0]

    def client_loop(n: int) -> None:
        client = KeepAliveClient(host, port)
        start.wait()
        while time.perf_counter() < deadline[0]:
            status, seconds, _ = client.get(suggest_path(supply.next()))
            latencies[n].append(seconds)
            errors[n] += status != 200
        reconnects[n] = client.reconnects
        client.close()

    workers = [threading.Thread(target=client_loop, args=(n,)) for n in range(concurrency)]
    for worker in workers:
        worker.start()
    deadline[0] = time.perf_counter() + duration_s
    began, cpu_before = time.perf_counter(), own_cpu_seconds()
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    client_cpu = own_cpu_seconds() - cpu_before
    every = list(itertools.chain.from_iterable(latencies))
    return {
        "concurrency": concurrency,
        "seconds": elapsed,
        "requests": len(every),
        "requests_per_s": len(every) / elapsed,
        "errors": sum(errors),
        "reconnects": sum(reconnects),
        "latency_ms": percentiles(every, 1000),
        # The load generator shares the two cores with the server: what it took of them.
        "client_cpu_cores": client_cpu / elapsed,
    }


def run_load_during(
    host: str,
    port: int,
    concurrency: int,
    supply: TextSupply,
    action: Callable[[], Any],
    settle_s: float,
) -> tuple[Any, dict[str, Any]]:
    """Send suggestions from ``concurrency`` clients while ``action`` runs: from
    ``settle_s`` before it starts until ``settle_s`` after it ends. Returns what the
    action returned, and the load's figures; every answer but a 200 counts as failed
    (status 0: no answer at all)."""
    stop = threading.Event()
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    statuses: list[dict[int, int]] = [{} for _ in range(concurrency)]

    def client_loop(n: int) -> None:
        client = KeepAliveClient(host, port)
        while not stop.is_set():
            status, seconds, _ = client.get(suggest_path(supply.next()))
            latencies[n].append(seconds)
            statuses[n][status] = statuses[n].get(status, 0) + 1
        client.close()

    workers = [threading.Thread(target=client_loop, args=(n,)) for n in range(concurrency)]
    began = time.perf_counter()
    for worker in workers:
        worker.start()
    try:
        time.sleep(settle_s)
        outcome = action()
        time.sleep(settle_s)
    finally:
        stop.set()
        for worker in workers:
            worker.join()
    counted: dict[int, int] = {}
    for per_client in statuses:
        for status, count in per_client.items():
            counted[status] = counted.get(status, 0) + count
    every = list(itertools.chain.from_iterable(latencies))
    return outcome, {
        "concurrency": concurrency,
        "seconds": time.perf_counter() - began,
        "requests": len(every),
        "failed": sum(count for status, count in counted.items() if status != 200),
        "statuses": {str(status): count for status, count in sorted(counted.items())},
        "latency_ms": percentiles(every, 1000),
    }
