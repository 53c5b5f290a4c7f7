"""scripts/bench's writes: a thread posted through the API of a real gunicorn server is
found by searches, then deleted and no longer found, and the index is as it was."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import urllib.request
from pathlib import Path

from indexer.engine import Engine
from tests.services import script_module

KEY = "bench-writes-test-key-0123456789"


def test_writes_are_timed_until_searches_agree_and_leave_the_index_as_it_was(
    sample_engine: Engine, tmp_path: Path
) -> None:
    served = script_module("tools.instruments.served")
    writes = script_module("tools.benchmark.writes")
    rows = script_module("tools.benchmark.rows")
    data_dir = tmp_path / "data"
    shutil.copytree(sample_engine.settings.data_dir / "index", data_dir / "index")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    env |= {
        "ASKFIND_API_KEYS": hashlib.sha256(KEY.encode()).hexdigest(),
        "ASKFIND_RATE_LIMIT_PER_SECOND": "0",
    }
    root = Path(__file__).resolve().parents[1]
    with served.served(root, data_dir, 2, env, tmp_path / "serve.log") as server:
        measured = writes.write_visibility(server.port, KEY, probes=2)
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/readyz") as answer:
            stats = json.loads(answer.read())
    assert measured["probes"] == 2
    for key in ("write_ms", "visible_ms", "delete_ms", "gone_ms"):
        assert measured[key]["n"] == 2 and measured[key]["p50"] > 0
    # Counted from sending the write: the write's own time is part of it.
    assert measured["visible_ms"]["p50"] >= measured["write_ms"]["p50"]
    assert stats["threads"] == 300
    labels = [label for label, _, _ in rows.write_rows(measured)]
    assert labels[0].startswith("A thread written through the API")
