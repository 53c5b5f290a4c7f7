"""The server's processes: its pid file, whether it runs, and ending its whole process group.

Elasticsearch's launcher starts the JVM as a child; stopping only the launcher would leave
the JVM behind, so everything here works on the process group, read from /proc.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .errors import ElasticsearchServiceError

STOP_TIMEOUT_SECONDS = 30.0
KILL_TIMEOUT_SECONDS = 10.0
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def pid_file_for(port: int) -> Path:
    """Return where the pid of the server on `port` is recorded (per calling user, in tmp)."""
    return Path(tempfile.gettempdir()) / f"askfind-elasticsearch-run-{os.getuid()}" / f"{port}.pid"


def die_with_parent() -> Callable[[], None] | None:
    """Return a pre-exec hook asking Linux to SIGTERM the child when its parent dies.

    Linux sends that signal when the *thread* that forked the child ends, so it is only
    asked for from the main thread: a server (re)started from a worker thread, as
    scripts/replay restarts one under load, would otherwise die with that thread.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: nothing to load in the child

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return hook


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def is_running(pid: int) -> bool:
    """Tell whether `pid` is a live Elasticsearch launcher (not a reused pid, not a zombie)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return b"elasticsearch" in cmdline and state != "Z"


def group_members(pgid: int) -> list[int]:
    """Return the live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry.name))
    return members


def terminate_process_group(
    pgid: int, process: subprocess.Popen[bytes] | None = None, timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """SIGTERM the whole process group (launcher and server JVM), SIGKILL it if it lingers."""
    _end_group(pgid, process, ((signal.SIGTERM, timeout), (signal.SIGKILL, KILL_TIMEOUT_SECONDS)))


def kill_process_group(pgid: int, process: subprocess.Popen[bytes] | None = None) -> None:
    """SIGKILL the whole process group at once, as a crash would, and wait until it is gone."""
    _end_group(pgid, process, ((signal.SIGKILL, KILL_TIMEOUT_SECONDS),))


def _end_group(
    pgid: int,
    process: subprocess.Popen[bytes] | None,
    signals: tuple[tuple[signal.Signals, float], ...],
) -> None:
    """Send each signal in turn until the group is gone, waiting its grace period after it."""
    for sig, grace in signals:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if process is not None:
                process.poll()  # reap the launcher we started
            if not group_members(pgid):
                return
            time.sleep(0.2)
    raise ElasticsearchServiceError(f"process group {pgid} survived SIGKILL")


def process_group_rss(pgid: int) -> dict[int, tuple[str, int]]:
    """Return {pid: (command name, resident KiB)} for every live process in the group."""
    found: dict[int, tuple[str, int]] = {}
    for pid in group_members(pgid):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            rss = re.search(r"VmRSS:\s+(\d+) kB", status)
            name = re.search(r"Name:\s+(\S+)", status)
            found[pid] = (name[1] if name else "?", int(rss[1]) if rss else 0)
    return found
