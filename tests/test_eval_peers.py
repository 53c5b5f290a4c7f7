"""scripts/eval and scripts/tune stop at once with a clear message: a peer's package or the
evaluation data missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from indexer.evaluation import peers
from tests.services import SCRIPTS


def _without_txtai(tmp_path: Path) -> dict[str, str]:
    """An environment in which ``import txtai`` fails, as where the eval extra is not
    installed (a package of that name that refuses to import, first on the path)."""
    shadow = tmp_path / "shadow" / "txtai"
    shadow.mkdir(parents=True)
    (shadow / "__init__.py").write_text("raise ImportError('txtai is not installed here')\n")
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(shadow.parent), str(SCRIPTS.parent)])}


def test_a_missing_peer_stops_the_run_before_it_starts_with_the_install_command(
    tmp_path: Path,
) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / "eval"), "--peers", "txtai", "--sets", "stsb-de-retrieval"],
        env=_without_txtai(tmp_path),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert "the peer txtai needs the eval extra (scripts/install --extra eval)" in done.stderr
    assert "Traceback" not in done.stderr


def test_peers_without_an_extra_are_never_reported_missing() -> None:
    assert peers.unavailable(["elasticsearch"]) == []
    assert peers.unavailable([]) == []


def test_without_the_evaluation_data_eval_and_tune_say_where_they_looked(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(SCRIPTS.parent)}
    for script, extra in (("eval", ["--peers"]), ("tune", [])):
        done = subprocess.run(
            [sys.executable, str(SCRIPTS / script), "--data", str(tmp_path), *extra],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 2, script
        assert f"{script}: error: no evaluation data in {tmp_path}" in done.stderr
        assert "Traceback" not in done.stderr
