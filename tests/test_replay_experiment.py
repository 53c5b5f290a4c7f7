"""scripts/replay --experiment-effect against askfind served by gunicorn: customers told to
post 30 % less often when shown the widget, and the report finds that effect."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_report_recovers_a_known_deflection_effect(eval_data: Path, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    out = tmp_path / "experiment.json"
    replay = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "replay"), "--experiment-effect", "0.3",
         "--holdout-share", "0.5", "--sessions", "400", "--people", "4", "--workers", "1",
         "--eval-data", str(eval_data), "--json", str(out)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr[-2000:]
    found = json.loads(out.read_text())["experiment"]
    assert found["customers"]["errors"] == 0
    arms = found["report"]["arms"]
    assert arms["widget"]["sessions"] + arms["holdout"]["sessions"] >= 390
    deflection = found["report"]["deflection"]
    assert deflection["low"] <= 0.3 <= deflection["high"]
    assert deflection["low"] > 0  # the effect is told apart from none
