"""scripts/replay --experiment-effect against askfind served by gunicorn: customers told to
post 30 % less often when shown the widget, and the report finds that effect; customers
who post alike in both arms, and the report finds none."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def replayed_experiment(effect: float, eval_data: Path, tmp_path: Path) -> dict:
    """The report scripts/replay got for 400 customers, half of them held back, who post
    ``effect`` less often (relatively) when shown the widget than the held-back half's 50 %."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    out = tmp_path / "experiment.json"
    replay = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "replay"), "--experiment-effect", str(effect),
         "--holdout-share", "0.5", "--sessions", "400", "--people", "4", "--workers", "1",
         "--eval-data", str(eval_data), "--json", str(out)],
        env=env, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert replay.returncode == 0, replay.stderr[-2000:]
    found = json.loads(out.read_text())["experiment"]
    assert found["customers"]["errors"] == 0
    arms = found["report"]["arms"]
    assert arms["widget"]["sessions"] + arms["holdout"]["sessions"] >= 390
    return found["report"]


def test_the_report_recovers_a_known_deflection_effect(eval_data: Path, tmp_path: Path) -> None:
    deflection = replayed_experiment(0.3, eval_data, tmp_path)["deflection"]
    assert deflection["low"] <= 0.3 <= deflection["high"]
    assert deflection["low"] > 0  # the effect is told apart from none


def test_with_no_effect_the_report_shows_none(eval_data: Path, tmp_path: Path) -> None:
    report = replayed_experiment(0.0, eval_data, tmp_path)
    deflection = report["deflection"]
    assert deflection["low"] <= 0 <= deflection["high"]
    assert abs(deflection["estimate"]) < 0.15
    posting = [arm["posted_rate"] for arm in report["arms"].values()]
    assert max(posting) - min(posting) < 0.1  # both arms post at about the same rate
