"""``askfind serve`` (gunicorn) on a free loopback port, measured only once every worker is ready.

/readyz answered by one worker says nothing of the others, which load the model and the
index after the fork: the server counts as ready once all of its workers have gone idle.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..ports import free_port
from .http_client import KeepAliveClient
from .processes import children, wait_until_idle

SERVER_START_TIMEOUT_S = 600


@dataclass(frozen=True)
class Served:
    """A running ``askfind serve``: where it listens, its master's pid and its workers'."""

    port: int
    pid: int
    workers: list[int]


def askfind(*arguments: str) -> list[str]:
    """The command line of ``askfind ARGUMENTS`` run by this Python, from the checkout."""
    return [sys.executable, "-m", "widget.cli", *arguments]


@contextlib.contextmanager
def served(
    repo: Path, data_dir: Path, workers: int, env: dict[str, str], log: Path
) -> Iterator[Served]:
    """Serve ``data_dir`` with ``workers`` gunicorn workers until the block ends.

    Output goes to ``log``; a server that exits or is not ready in time ends the script.
    """
    port = free_port()
    command = askfind(
        "serve", "--data-dir", str(data_dir), "--host", "127.0.0.1", "--port", str(port),
        "--workers", str(workers),
    )  # fmt: skip
    with log.open("w") as out:
        process = subprocess.Popen(command, cwd=repo, env=env, stdout=out, stderr=out)
        try:
            _wait_ready(port, process, log)
            pids = children(process.pid)
            wait_until_idle(pids, SERVER_START_TIMEOUT_S)
            yield Served(port, process.pid, pids)
        finally:
            process.terminate()
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"askfind serve exited with {process.returncode}: see {log}")
        client = KeepAliveClient("127.0.0.1", port, timeout_s=5)
        status, _, _ = client.get("/readyz")
        client.close()
        if status == 200:
            return
        time.sleep(0.5)
    raise SystemExit(f"askfind serve was not ready within {SERVER_START_TIMEOUT_S} s")
