"""scripts/bad-input against askfind served by gunicorn: every kind of bad input, those
gunicorn answers before the app sees them included, gets a JSON 4xx."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

from tests.test_cli import _wait_for

ROOT = Path(__file__).resolve().parents[1]


def test_every_kind_of_bad_input_gets_a_json_4xx_from_gunicorn(
    sample_path: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    # The barrage is one client: the rate limit would answer 429 (JSON too) to the rest.
    env["ASKFIND_RATE_LIMIT_PER_SECOND"] = "0"
    data = ["--data-dir", str(tmp_path / "d")]
    askfind = [sys.executable, "-m", "widget.cli"]
    indexed = subprocess.run(
        [*askfind, "index", str(sample_path), *data, "--no-progress"], env=env, timeout=600
    )
    assert indexed.returncode == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [*askfind, "serve", "--port", str(port), *data],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        _wait_for(f"http://127.0.0.1:{port}/readyz")
        answers = tmp_path / "answers.json"
        barrage = subprocess.run(
            [sys.executable, str(ROOT / "scripts" / "bad-input"), f"http://127.0.0.1:{port}",
             "--json", str(answers)],
            capture_output=True, text=True, timeout=300,
        )  # fmt: skip
    finally:
        server.send_signal(signal.SIGTERM)
        _, logs = server.communicate(timeout=60)
    assert barrage.returncode == 0, barrage.stdout
    rows = json.loads(answers.read_text())
    assert len(rows) >= 30
    statuses = {row["status"] for row in rows}
    # gunicorn's own refusals came back as JSON too: its 414, its 431 and its 400s.
    assert {400, 404, 405, 413, 414, 415, 431} <= statuses
    gunicorns = [
        row for row in rows if "request line" in row["kind"] or "HTTP version" in row["kind"]
    ]
    assert gunicorns and all(row["problem"] is None for row in gunicorns)
    assert "Traceback" not in logs
