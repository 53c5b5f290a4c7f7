"""Every gunicorn worker applies a rule changed by another process within 2 s.

``askfind serve`` runs two workers; ``askfind rules`` (a third process) hides a thread
and removes the rule again; every answer asked for 2 s after each change, whichever
worker gives it, shows the change.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import write_jsonl

DEADLINE_S = 2.0
ANSWERS_AFTER_DEADLINE = 30
THREADS = [
    {"id": "pw", "title": "WLAN Passwort vergessen", "body": "Wie ändere ich das Passwort?"},
    {"id": "pw2", "title": "Passwort des Routers vergessen", "body": "Router zurücksetzen"},
]
QUESTION = "Passwort vergessen"


def askfind(*args: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "widget.cli", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        env=_environment(),
    )


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    return env | {"ASKFIND_WORKERS": "2", "ASKFIND_LOG_LEVEL": "WARNING"}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """The address of ``askfind serve`` (two workers) over an index of ``THREADS``."""
    data_dir = tmp_path / "d"
    indexed = askfind("index", str(write_jsonl(tmp_path / "in.jsonl", THREADS)), data_dir=data_dir)
    assert indexed.returncode == 0, indexed.stderr
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    runtime_dir = tmp_path / "run"
    runtime_dir.mkdir()
    command = [sys.executable, "-m", "widget.cli", "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--data-dir", str(data_dir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=_environment() | {"XDG_RUNTIME_DIR": str(runtime_dir)},
    )
    address = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                suggested(address)
                break
            except OSError:
                assert time.monotonic() < deadline, "askfind serve did not answer in 120 s"
                time.sleep(0.5)
        for _ in range(20):  # both workers loaded and answering
            suggested(address)
        yield address
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)


def suggested(address: str) -> list[str]:
    """The suggestions for ``QUESTION``, on a connection of its own (any worker's)."""
    query = urllib.parse.urlencode({"q": QUESTION})
    with urllib.request.urlopen(f"{address}/api/suggest?{query}", timeout=10) as answer:
        return [item["id"] for item in json.loads(answer.read())["items"]]


def seen_by_every_worker(address: str, hidden: bool) -> float:
    """Seconds until the first answer showed the change; then every answer after the
    deadline must show it too."""
    changed = time.monotonic()
    first = None
    while time.monotonic() - changed < DEADLINE_S:
        if first is None and ("pw" not in suggested(address)) == hidden:
            first = time.monotonic() - changed
        time.sleep(0.05)
    for _ in range(ANSWERS_AFTER_DEADLINE):
        assert ("pw" not in suggested(address)) == hidden
    assert first is not None
    return first


def test_every_worker_sees_a_rule_within_2_s_of_another_process_changing_it(
    server: str, tmp_path: Path
) -> None:
    data_dir = tmp_path / "d"
    assert suggested(server)[0] == "pw"
    hide = askfind("rules", "hide", "pw", "--reason", "test", data_dir=data_dir)
    assert hide.returncode == 0, hide.stderr
    assert hide.stdout.startswith("added rule 1 (version 1): hidden pw (test)")
    seen_by_every_worker(server, hidden=True)
    remove = askfind("rules", "remove", "1", data_dir=data_dir)
    assert remove.returncode == 0, remove.stderr
    seen_by_every_worker(server, hidden=False)
    assert suggested(server)[0] == "pw"
    history = json.loads(askfind("rules", "history", "1", data_dir=data_dir).stdout)
    assert [(v["version"], v["removed"]) for v in history] == [(1, False), (2, True)]
    assert history[0]["author"].startswith("cli:")
