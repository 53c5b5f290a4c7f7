"""Processes read from /proc: the tree, CPU time and memory of the server and the benchmark."""

from __future__ import annotations

import os
import resource
import time
from collections.abc import Sequence
from pathlib import Path


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def stat_fields(pid: int) -> list[str] | None:
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
        if entry.isdigit() and (fields := stat_fields(int(entry))) is not None:
            own = (int(fields[11]) + int(fields[12])) / tick
            reaped = (int(fields[13]) + int(fields[14])) / tick
            table[int(entry)] = (int(fields[1]), own, reaped)
    return table


def children(pid: int) -> list[int]:
    return sorted(child for child, (parent, *_) in all_processes().items() if parent == pid)


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS of a process, in KiB; empty when it is gone."""
    return _kib_fields(Path(f"/proc/{pid}/status"), ("VmHWM", "VmRSS")) or {}


def memory_shares_kib(pid: int) -> dict[str, int]:
    """Rss, Pss and Uss of a process now, in KiB (empty when it is gone or unreadable).

    Pages mapped by several processes (the index files the workers map, the model's
    weights) count once in each one's RSS; PSS divides each page among the processes
    that map it, so the PSS of all of them adds up to the memory they take together. USS
    (private clean and dirty) is what the process alone holds: what ending it frees.
    """
    keys = ("Rss", "Pss", "Private_Clean", "Private_Dirty")
    fields = _kib_fields(Path(f"/proc/{pid}/smaps_rollup"), keys)
    if fields is None:
        return {}
    return {
        "rss": fields.get("Rss", 0),
        "pss": fields.get("Pss", 0),
        "uss": fields.get("Private_Clean", 0) + fields.get("Private_Dirty", 0),
    }


def _kib_fields(path: Path, keys: Sequence[str]) -> dict[str, int] | None:
    """The ``key: value kB`` lines of a /proc file named in ``keys``; None if unreadable."""
    found = {}
    try:
        for line in path.read_text().splitlines():
            key, _, value = line.partition(":")
            if key in keys:
                found[key] = int(value.split()[0])
    except (OSError, ValueError):
        return None
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


def own_cpu_seconds_with_tree() -> float:
    """CPU time of this process and every descendant, live or already reaped.

    A reaped child's time lands in its parent's "children" count, so live descendants
    are counted with their own reaped children and nothing is counted twice.
    """
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    table = all_processes()
    descendants = process_tree(os.getpid(), table) - {os.getpid()}
    live = sum(table[pid][1] + table[pid][2] for pid in descendants if pid in table)
    return own_cpu_seconds() + usage.ru_utime + usage.ru_stime + live


def process_tree(root: int, table: dict[int, tuple[int, float, float]]) -> set[int]:
    """``root`` and all its descendants."""
    members = {root}
    grew = True
    while grew:
        found = {pid for pid, (parent, *_) in table.items() if parent in members}
        grew = not found <= members
        members |= found
    return members
