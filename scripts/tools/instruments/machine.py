"""The machine the measurements run on, and the load on it while each phase runs.

The machine is shared with other sessions: each phase reports the load average and the CPU
that processes outside the benchmark's own tree used meanwhile.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np

from .processes import own_cpu_seconds_with_tree


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
        self._busy, self._ours = _system_busy_seconds(), own_cpu_seconds_with_tree()
        self._started = time.monotonic()
        return self

    def __exit__(self, *exc: object) -> None:
        seconds = time.monotonic() - self._started
        busy = _system_busy_seconds() - self._busy
        other_cpu = busy - (own_cpu_seconds_with_tree() - self._ours)
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
