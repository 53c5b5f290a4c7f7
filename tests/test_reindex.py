"""scripts/reindex: the nightly full rebuild, as cron runs it, while the service answers."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import time
from pathlib import Path

from indexer.engine import Engine
from tests.conftest import engine_copy
from widget.app import create_app

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "reindex"
NEW = {"id": "nachts-001", "title": "Neuer Beitrag seit gestern", "body": "Glasfaser Wartung."}


def environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    env["PYTHONPATH"] = str(ROOT)
    return env


def test_reindex_swaps_in_a_new_index_while_the_service_keeps_answering(
    sample_engine: Engine, sample_path: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    app = create_app(engine=engine_copy(sample_engine, data, rate_limit_per_second=0.0))
    client = app.test_client()
    # Last night's export, with a new thread and edits that need embedding again.
    records = [json.loads(line) for line in sample_path.read_text(encoding="utf-8").splitlines()]
    for record in records[:60]:
        record["body"] = f"{record.get('body', '')} (bearbeitet)"
    source = tmp_path / "export.jsonl"
    source.write_text(
        "\n".join(json.dumps(r, ensure_ascii=False) for r in [*records, NEW]), encoding="utf-8"
    )
    assert client.get(f"/api/threads/{NEW['id']}").status_code == 404
    run = subprocess.Popen(
        [str(SCRIPT), str(source), "--data-dir", str(data)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment(),
    )
    answered = 0
    try:
        while run.poll() is None:
            answer = client.get("/api/suggest", query_string={"q": "WLAN bricht ständig ab"})
            assert answer.status_code == 200
            assert answer.get_json()["items"], "the live index stopped answering"
            answered += 1
            time.sleep(0.05)
        out, err = run.communicate(timeout=300)
    finally:
        if run.poll() is None:
            run.kill()
    assert run.returncode == 0, err
    summary = out.strip().splitlines()[-1]
    assert summary.startswith("reindex: ") and " ok in " in summary
    assert "read 301, indexed 61, unchanged 240, skipped 0" in summary
    assert answered > 10
    # The serving app sees the new index without a restart.
    time.sleep(sample_engine.settings.index_version_interval + 0.1)
    assert client.get(f"/api/threads/{NEW['id']}").get_json()["title"] == NEW["title"]


def test_a_second_rebuild_while_one_runs_exits_75_and_changes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps(NEW), encoding="utf-8")
    index_dir = tmp_path / "data" / "index"
    index_dir.mkdir(parents=True)
    # The lock a running rebuild holds (indexer.backends.embedded.backend.REBUILD_LOCK).
    with (index_dir / ".rebuild.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        done = subprocess.run(
            [str(SCRIPT), str(source), "--data-dir", str(tmp_path / "data")],
            capture_output=True,
            text=True,
            env=environment(),
            timeout=300,
        )
    assert done.returncode == 75, done.stderr
    assert "another rebuild" in done.stderr
    assert "skipped: another rebuild is running" in done.stdout
    assert not list(index_dir.glob("gen-*"))


def test_reindex_fails_clearly_for_cron(tmp_path: Path) -> None:
    usage = subprocess.run([str(SCRIPT)], capture_output=True, text=True, env=environment())
    assert usage.returncode == 2 and "Exit status" in usage.stdout
    missing = subprocess.run(
        [str(SCRIPT), str(tmp_path / "nope.jsonl"), "--data-dir", str(tmp_path / "d")],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=300,
    )
    assert missing.returncode == 1
    assert "does not exist" in missing.stderr and "FAILED" in missing.stdout


def test_a_wrong_option_exits_2_for_cron_and_names_the_program_askfind(tmp_path: Path) -> None:
    source = tmp_path / "good.jsonl"
    source.write_text(json.dumps(NEW), encoding="utf-8")
    done = subprocess.run(
        [str(SCRIPT), str(source), "--data-dir", str(tmp_path / "d1"), "--bogus"],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=300,
    )
    # 2, as the header documents: a broken crontab line, not a failed rebuild (1).
    assert done.returncode == 2, done.stderr
    assert "Usage: askfind index [OPTIONS] PATHS..." in done.stderr
    assert "No such option '--bogus'" in done.stderr
    assert "wrong usage (exit 2); nothing done" in done.stdout and "FAILED" not in done.stdout
    assert not (tmp_path / "d1" / "index").exists()
