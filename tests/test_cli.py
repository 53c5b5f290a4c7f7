"""The askfind command as other tools drive it: arguments, output, exit status."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import write_jsonl

GOOD = {"id": "g1", "title": "WLAN Passwort vergessen", "body": "Wie ändere ich das Passwort?"}


def askfind(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    return subprocess.run(
        [sys.executable, "-m", "widget.cli", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=env,
    )


def test_index_reports_counts_and_bad_lines(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, '{"id": "b2"}', "not json"])
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert "read 3, indexed 1, unchanged 0, skipped 2" in done.stdout
    assert "in.jsonl:2: missing required field 'title'" in done.stderr
    assert "in.jsonl:3: broken JSON" in done.stderr


def test_index_fails_when_nothing_could_be_indexed(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "bad.jsonl", ['{"title": "no id"}'])
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "nothing could be indexed" in done.stderr


def test_index_strict_fails_on_a_bad_record(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, "{"])
    done = askfind("index", str(source), "--strict", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "nothing was published" in done.stderr


def test_index_of_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    done = askfind("index", str(tmp_path / "nope.jsonl"), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "does not exist" in done.stderr


def test_search_prints_a_table_or_json(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, {"id": "g2", "title": "Rechnung zu hoch"}])
    assert askfind("index", str(source), "--data-dir", str(tmp_path / "d")).returncode == 0
    table = askfind("search", "Passwort WLAN", "--data-dir", str(tmp_path / "d"))
    assert table.returncode == 0
    assert table.stdout.splitlines()[1].split()[-1] == "g1"
    as_json = askfind("search", "Passwort", "--json", "--data-dir", str(tmp_path / "d"))
    items = json.loads(as_json.stdout)["items"]
    assert items[0]["id"] == "g1" and items[0]["title"] == "WLAN Passwort vergessen"


def test_search_without_an_index_says_so(tmp_path: Path) -> None:
    done = askfind("search", "Router", "--data-dir", str(tmp_path / "empty"))
    assert done.returncode == 1
    assert "no index" in done.stderr


def test_demo_no_serve_builds_the_sample_index(tmp_path: Path) -> None:
    done = askfind("demo", "--no-serve", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert "read 300, indexed 300" in done.stdout
    assert "'WLAN bricht ständig ab' -> WLAN bricht abends ständig ab" in done.stdout


def test_serve_runs_gunicorn_and_stops_gracefully(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    assert askfind("index", str(source), "--data-dir", str(tmp_path / "d")).returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "widget.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "d"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        answer = _wait_for(f"http://127.0.0.1:{port}/api/suggest?q=Passwort+vergessen")
        assert json.loads(answer)["items"][0]["id"] == "g1"
    finally:
        server.send_signal(signal.SIGTERM)
        logs, _ = server.communicate(timeout=60)
    assert server.returncode == 0
    assert "Starting gunicorn" in logs and "Booting worker" in logs  # the logs go to stdout


def _wait_for(url: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer within {seconds} s")
            time.sleep(0.5)
