"""The measuring instruments of ``scripts/bench``: corpus, queries, HTTP load, processes, load.

Kept apart from the script so the script reads as the list of phases it runs. Nothing in
here imports askfind: it measures askfind from the outside, as an operator would.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import resource
import sys
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

EVAL_SETS = (
    "semeval2016-task3-dev",
    "stackexchange-cardano",
    "stackexchange-iot",
    "stackexchange-quantumcomputing",
    "stsb-de-retrieval",
)
# Boards of a telecom help community, most popular first; weights fall off like Zipf's law.
BOARDS = (
    "Internet & Telefonie",
    "Mobilfunk",
    "Rechnung & Vertrag",
    "MagentaTV",
    "Geräte & Zubehör",
    "Glasfaser",
    "E-Mail & Cloud",
    "Smart Home",
    "Festnetz",
    "Sonstiges",
)
FIRST_POST = datetime(2012, 1, 1, tzinfo=UTC)
LAST_POST = datetime(2025, 6, 30, tzinfo=UTC)
QUERY_MIN_CHARS = 6


# --- statistics ----------------------------------------------------------------------


def percentiles(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """p50/p95/p99 and mean of ``values`` times ``scale`` (e.g. 1000 for seconds -> ms)."""
    if not values:
        return {"n": 0}
    data = np.asarray(values, dtype=np.float64) * scale
    p50, p95, p99 = np.percentile(data, [50, 95, 99])
    return {
        "n": len(values),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "mean": float(data.mean()),
        "max": float(data.max()),
    }


def median_of(runs: Sequence[dict[str, Any]], key: str) -> float | None:
    """Median over runs of one figure (None when no run has it)."""
    values = [run[key] for run in runs if run.get(key) is not None]
    return float(np.median(values)) if values else None


# --- corpus --------------------------------------------------------------------------


def read_real_threads(data: Path) -> list[dict[str, Any]]:
    """Every thread of the evaluation sets, in file order (the order is part of the seed)."""
    threads = []
    for name in EVAL_SETS:
        with (data / name / "threads.jsonl").open(encoding="utf-8") as lines:
            threads.extend(json.loads(line) for line in lines if line.strip())
    return threads


def read_real_query_titles(data: Path) -> list[str]:
    """Titles of the evaluation sets' queries: real questions that are not in the corpus."""
    titles = []
    for name in EVAL_SETS:
        with (data / name / "queries.jsonl").open(encoding="utf-8") as lines:
            titles.extend(json.loads(line).get("title") or "" for line in lines if line.strip())
    return [title for title in titles if title.strip()]


def synthetic_threads(real: list[dict[str, Any]], count: int, seed: int) -> Iterator[dict]:
    """Recombine real threads into ``count`` new ones, identically for the same seed.

    Thread i takes the title (and lang, tags) of one real thread, the body of another
    (among real threads with a body) and the replies of a third (which may have none:
    unanswered threads are real too), plus random community signals.
    """
    rng = random.Random(seed)
    with_body = [thread for thread in real if (thread.get("body") or "").strip()]
    board_weights = [1 / rank for rank in range(1, len(BOARDS) + 1)]
    for i in range(count):
        titled, bodied, answered = rng.choice(real), rng.choice(with_body), rng.choice(real)
        thread_id = f"bench-{i}"
        accepted = _answer(answered.get("accepted_answer"), f"{thread_id}-a")
        answers = [
            _answer(answer, f"{thread_id}-c{n}")
            for n, answer in enumerate(answered.get("answers") or [])
        ]
        replies = len(answers) + (accepted is not None) + rng.choice((0, 0, 0, 1, 2, 5))
        yield {
            "id": thread_id,
            "title": titled["title"],
            "body": bodied["body"],
            "url": f"https://community.example.invalid/t/{thread_id}",
            "board": rng.choices(BOARDS, weights=board_weights)[0],
            "tags": list(titled.get("tags") or []),
            "lang": titled.get("lang"),
            "created_at": _random_time(rng).isoformat(timespec="seconds"),
            "kudos": _kudos(rng),
            "views": int(rng.lognormvariate(5.5, 1.4)) + 10 * replies,
            "replies": replies,
            "solved": accepted is not None,
            "accepted_answer": accepted,
            "answers": [answer for answer in answers if answer is not None],
        }


def _answer(answer: dict[str, Any] | None, new_id: str) -> dict[str, Any] | None:
    if not answer or not (answer.get("body") or "").strip():
        return None
    return {
        "id": new_id,
        "body": answer["body"],
        "author": answer.get("author"),
        "kudos": int(answer.get("kudos") or 0),
    }


def _kudos(rng: random.Random) -> int:
    """Mostly a handful, a long tail into the hundreds, and a few downvoted threads."""
    if rng.random() < 0.05:
        return -rng.randint(1, 3)
    return min(int(rng.paretovariate(1.3)) - 1, 2000)


def _random_time(rng: random.Random) -> datetime:
    span = (LAST_POST - FIRST_POST).total_seconds()
    return FIRST_POST + timedelta(seconds=int(rng.random() * span))


def write_corpus(path: Path, threads: Iterator[dict[str, Any]]) -> int:
    """Write threads as JSON Lines (aside, then renamed); returns how many."""
    scratch = path.with_suffix(".tmp")
    written = 0
    with scratch.open("w", encoding="utf-8") as out:
        for thread in threads:
            out.write(json.dumps(thread, ensure_ascii=False, sort_keys=True) + "\n")
            written += 1
    os.replace(scratch, path)
    return written


# --- queries -------------------------------------------------------------------------


def query_pool(titles: Sequence[str], exclude: set[str], seed: int) -> list[str]:
    """Distinct as-you-type texts: real titles cut after 2-6 words, some in mid-word.

    No text equals a title in ``exclude`` (the corpus titles), so no query is a verbatim
    thread title, and every text is distinct, so each one misses the query cache once.
    """
    rng = random.Random(seed)
    excluded = {_normal(title) for title in exclude}
    seen: set[str] = set()
    pool = []
    for title in titles:
        words = title.split()
        for cut in range(2, min(6, len(words) - 1) + 1):
            text = " ".join(words[:cut])
            nxt = words[cut]
            if rng.random() < 0.4 and len(nxt) > 3:
                text = f"{text} {nxt[: rng.randint(2, len(nxt) - 1)]}"  # still typing
            key = _normal(text)
            if len(text) >= QUERY_MIN_CHARS and key not in excluded and text not in seen:
                seen.add(text)
                pool.append(text)
    rng.shuffle(pool)
    return pool


def _normal(text: str) -> str:
    return " ".join(text.casefold().split())


class QuerySupply:
    """Hands out query texts in order, each once; wraps around (and counts it) when spent."""

    def __init__(self, texts: Sequence[str]) -> None:
        self._texts = list(texts)
        self._next = 0
        self._lock = threading.Lock()
        self.wrapped = 0

    def take(self, count: int) -> list[str]:
        return [self.next() for _ in range(count)]

    def next(self) -> str:
        with self._lock:
            if self._next == len(self._texts):
                self._next = 0
                self.wrapped += 1
            text = self._texts[self._next]
            self._next += 1
            return text

    @property
    def remaining(self) -> int:
        return len(self._texts) - self._next


# --- HTTP ----------------------------------------------------------------------------


class KeepAliveClient:
    """One persistent HTTP/1.1 connection, as a browser tab's widget would hold.

    gunicorn closes idle keep-alive connections after a couple of seconds; a request that
    meets a closed connection is retried once on a new one, and counted.
    """

    def __init__(
        self, host: str, port: int, timeout_s: float = 60.0, headers: dict[str, str] | None = None
    ) -> None:
        self._connection = http.client.HTTPConnection(host, port, timeout=timeout_s)
        self._headers = headers or {}
        self.reconnects = 0
        self.last_headers: dict[str, str] = {}  # of the last answer (X-Cache, Retry-After)

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, float, bytes]:
        """GET ``path``; returns (status, seconds, body). Status 0: the request failed.

        ``headers`` are sent besides (or instead of) the client's own.
        """
        started = time.perf_counter()
        self.last_headers = {}
        for attempt in (1, 2):
            try:
                self._connection.request("GET", path, headers={**self._headers, **(headers or {})})
                answer = self._connection.getresponse()
                body = answer.read()
                self.last_headers = dict(answer.getheaders())
                return answer.status, time.perf_counter() - started, body
            except (http.client.HTTPException, ConnectionError, TimeoutError):
                self._connection.close()
                if attempt == 2:
                    return 0, time.perf_counter() - started, b""
                self.reconnects += 1
        raise AssertionError("unreachable")

    def close(self) -> None:
        self._connection.close()


def suggest_path(text: str) -> str:
    return "/api/suggest?" + urllib.parse.urlencode({"q": text})


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
    host: str, port: int, concurrency: int, duration_s: float, supply: QuerySupply
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
    began, cpu_before = time.perf_counter(), _own_cpu_seconds()
    start.wait()
    for worker in workers:
        worker.join()
    elapsed = time.perf_counter() - began
    client_cpu = _own_cpu_seconds() - cpu_before
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
    supply: QuerySupply,
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


def _own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- processes -----------------------------------------------------------------------


def _stat_fields(pid: int) -> list[str] | None:
    """Fields of /proc/<pid>/stat after the command name (which may contain spaces)."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return raw[raw.rindex(")") + 2 :].split()


def all_processes() -> dict[int, tuple[int, float, float]]:
    """{pid: (parent pid, own CPU seconds, CPU seconds of its reaped children)}."""
    tick = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (fields := _stat_fields(int(entry))) is not None:
            own = (int(fields[11]) + int(fields[12])) / tick
            reaped = (int(fields[13]) + int(fields[14])) / tick
            table[int(entry)] = (int(fields[1]), own, reaped)
    return table


def children(pid: int) -> list[int]:
    return sorted(child for child, (parent, *_) in all_processes().items() if parent == pid)


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS of a process, in KiB; empty when it is gone."""
    found = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmHWM", "VmRSS"):
                found[key] = int(value.split()[0])
    except OSError:
        return {}
    return found


def cpu_seconds(pids: Sequence[int]) -> float:
    table = all_processes()
    return sum(table[pid][1] for pid in pids if pid in table)


def wait_until_idle(pids: Sequence[int], timeout_s: float, idle_share: float = 0.05) -> bool:
    """Wait until ``pids`` together use under ``idle_share`` of a core for one second.

    gunicorn workers load the model and the index after the fork; one worker answering
    /readyz says nothing of the others, but all of them going quiet does.
    """
    deadline = time.monotonic() + timeout_s
    last = cpu_seconds(pids)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = cpu_seconds(pids)
        if now - last < idle_share:
            return True
        last = now
    return False


# --- the machine and its load --------------------------------------------------------


def machine() -> dict[str, Any]:
    """CPU model, cores, RAM and Python of this machine."""
    cpu = "unknown"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            mem_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem_kib / 1024**2, 1),
        "kernel": os.uname().release,
    }


class LoadMonitor:
    """Samples the 1-minute load average while phases run, and the CPU that processes
    outside this benchmark's own process tree used in each phase (the shared machine)."""

    def __init__(self, interval_s: float = 2.0) -> None:
        self._interval = interval_s
        self._samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self._samples.append(os.getloadavg()[0])
            self._stop.wait(self._interval)

    def phase(self, name: str, sink: dict[str, Any]) -> PhaseLoad:
        """Measure a phase; its figures land in ``sink[name]`` when it ends."""
        return PhaseLoad(self, name, sink)

    def samples_since(self, index: int) -> list[float]:
        return self._samples[index:]

    @property
    def sample_count(self) -> int:
        return len(self._samples)

    def stop(self) -> None:
        self._stop.set()


class PhaseLoad:
    """Context manager: the wall time, load average and other processes' CPU of a phase."""

    def __init__(self, monitor: LoadMonitor, name: str, sink: dict[str, Any]) -> None:
        self._monitor = monitor
        self._name = name
        self._sink = sink

    def __enter__(self) -> PhaseLoad:
        print(f"# {self._name} ...", file=sys.stderr, flush=True)
        self._first = self._monitor.sample_count
        self._busy, self._ours = _system_busy_seconds(), _own_cpu_seconds_with_tree()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self._started
        busy = _system_busy_seconds() - self._busy
        other_cpu = busy - (_own_cpu_seconds_with_tree() - self._ours)
        load = self._monitor.samples_since(self._first) or [os.getloadavg()[0]]
        self._sink[self._name] = result = {
            "seconds": round(seconds, 1),
            "load1_mean": round(float(np.mean(load)), 2),
            "load1_max": round(max(load), 2),
            "other_cpu_cores": round(max(other_cpu, 0.0) / max(seconds, 1e-9), 2),
        }
        print(f"  {self._name}: {result}", file=sys.stderr, flush=True)


def _system_busy_seconds() -> float:
    """CPU time the whole machine has spent busy (not idle, not waiting for I/O)."""
    fields = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, _idle, _iowait, irq, softirq = (int(x) for x in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


def _own_cpu_seconds_with_tree() -> float:
    """CPU time of this process and every descendant, live or already reaped.

    A reaped child's time lands in its parent's "children" count, so live descendants
    are counted with their own reaped children and nothing is counted twice.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    table = all_processes()
    descendants = _tree(os.getpid(), table) - {os.getpid()}
    live = sum(table[pid][1] + table[pid][2] for pid in descendants if pid in table)
    return _own_cpu_seconds() + usage.ru_utime + usage.ru_stime + live


def _tree(root: int, table: dict[int, tuple[int, float, float]]) -> set[int]:
    """``root`` and all its descendants."""
    members = {root}
    grew = True
    while grew:
        found = {pid for pid, (parent, *_) in table.items() if parent in members}
        grew = not found <= members
        members |= found
    return members
