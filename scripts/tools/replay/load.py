"""Many typists at once on keep-alive connections, each answer recorded as it arrived."""

from __future__ import annotations

import argparse
import itertools
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from ..instruments.http_client import KeepAliveClient, suggest_path
from .typists import TitleSupply, keystrokes, widget_requests

WARMUP_SECONDS = 5.0


@dataclass
class Answer:
    """One request's outcome, as the simulated person saw it."""

    done: float  # perf_counter when the answer arrived
    seconds: float
    status: int
    cache: str | None


def replay(
    port: int,
    people: int,
    duration_s: float,
    supply: TitleSupply,
    args: argparse.Namespace,
    during: Callable[[float], None] | None = None,
    tail_s: float | None = None,
) -> tuple[list[Answer], float, float]:
    """Run ``people`` typists for ``duration_s``; returns the answers, start and end.

    ``during`` runs beside them (the chaos), given the start time. With ``tail_s`` the
    typists stop that long after ``during`` returned (``duration_s`` is then the most the
    replay may take): an outage that takes as long as it takes is replayed to its end.
    """
    answers: list[list[Answer]] = [[] for _ in range(people)]
    deadline = [0.0]
    start = threading.Barrier(people + 1)

    def person(n: int) -> None:
        rng = random.Random(args.seed * 1000 + n)
        headers = {"X-Forwarded-For": f"10.{n // 250}.{n % 250}.{rng.randint(1, 250)}"}
        client = KeepAliveClient("127.0.0.1", port, timeout_s=30, headers=headers)
        shown: set[str] = set()
        start.wait()
        while time.perf_counter() < deadline[0]:
            requests = widget_requests(keystrokes(supply.next(), rng), args.debounce / 1000, shown)
            session_start = time.perf_counter()
            for at, text in requests:
                if args.pace == "real":
                    wait = session_start + at - time.perf_counter()
                    if wait > 0:
                        time.sleep(wait)
                if time.perf_counter() >= deadline[0]:
                    break
                status, seconds, _ = client.get(suggest_path(text) + "&limit=5")
                answers[n].append(
                    Answer(time.perf_counter(), seconds, status, client.last_headers.get("X-Cache"))
                )
            if args.pace == "real":
                time.sleep(rng.uniform(1.0, 4.0))  # reads the suggestions, then a new question
            if len(shown) > 200:  # a new page view: the widget's cache starts empty
                shown.clear()
        client.close()

    workers = [threading.Thread(target=person, args=(n,)) for n in range(people)]
    for worker in workers:
        worker.start()
    deadline[0] = time.perf_counter() + duration_s
    began = time.perf_counter()
    start.wait()
    side = threading.Thread(target=during, args=(began,)) if during else None
    if side:
        side.start()
        if tail_s is not None:
            side.join()
            deadline[0] = min(deadline[0], time.perf_counter() + tail_s)
    for worker in workers:
        worker.join()
    if side:
        side.join()
    return list(itertools.chain.from_iterable(answers)), began, time.perf_counter()
