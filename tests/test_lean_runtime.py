"""The default install is lean: no torch, no CUDA, and the service never imports torch.

The first test builds the environment ``scripts/install`` makes (from pip's cache) and
indexes and searches with it; the second runs where the sentence-transformers extra is
installed (``-m torch``, scripts/test's second run), where importing torch would be
possible and must still not happen.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
MAX_VENV_BYTES = 1.5 * 2**30
HEAVY = ("torch", "transformers", "sentence_transformers")


def _size(folder: Path) -> int:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file() and not f.is_symlink())


@pytest.mark.slow
def test_the_default_install_is_lean_and_works(tmp_path: Path, sample_path: Path) -> None:
    venv = tmp_path / "venv"
    installed = subprocess.run(
        [str(ROOT / "scripts" / "install")],
        env={**os.environ, "VENV": str(venv)},
        check=True,
        capture_output=True,
        text=True,
    )
    # Off a terminal: one line per step, nothing of pip's or setuptools'.
    assert installed.stdout == ""
    steps = installed.stderr.splitlines()
    assert [line.split(":")[0] for line in steps] == [
        f"installing askfind into {venv}, step {number} of 3" for number in (1, 2, 3)
    ], installed.stderr
    again = subprocess.run(
        [str(ROOT / "scripts" / "install")],
        env={**os.environ, "VENV": str(venv)},
        check=True,
        capture_output=True,
        text=True,
    )
    assert again.stderr == f"askfind is installed in {venv} and up to date\n"
    packages = subprocess.run(
        [str(venv / "bin" / "pip"), "list", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    names = {package["name"].lower() for package in json.loads(packages)}
    assert not {name for name in names if name.startswith(("torch", "nvidia", "triton"))}
    assert "sentence-transformers" not in names
    assert _size(venv) <= MAX_VENV_BYTES
    # A model converted from nothing (an empty model cache), indexed and searched.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")},
        "ASKFIND_MODEL_CACHE_DIR": str(tmp_path / "models"),
        "ASKFIND_EMBEDDING_MODEL": "use-multilingual-v3*0.8 + all-MiniLM-L6-v2*0.2",
    }
    askfind = str(venv / "bin" / "askfind")
    data = ["--data-dir", str(tmp_path / "data")]
    subprocess.run([askfind, "index", str(sample_path), *data], env=env, check=True)
    found = subprocess.run(
        [askfind, "search", "Stoerung seit gestern", "--json", *data],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    assert json.loads(found.stdout)["items"]


IMPORTS_CHECK = """
import atexit, json, sys
atexit.register(lambda: print(json.dumps(sorted(m for m in {heavy} if m in sys.modules)),
                              file=sys.stderr))
"""


@pytest.mark.torch
def test_index_search_and_serve_import_no_torch_where_it_is_installed(
    tmp_path: Path, sample_path: Path
) -> None:
    pytest.importorskip("torch", reason="the sentence-transformers extra is not installed here")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    prologue = IMPORTS_CHECK.format(heavy=HEAVY)
    data = ["--data-dir", str(tmp_path)]
    commands = {
        "index": f"from widget.cli import main; main(['index', {str(sample_path)!r}, *{data}])",
        "search": f"from widget.cli import main; main(['search', 'WLAN', *{data}])",
        "serve": (
            "from indexer.settings import load_settings\n"
            "from widget.app import create_app\n"
            f"app = create_app(load_settings(data_dir={str(tmp_path)!r}))\n"
            "answer = app.test_client().get('/api/suggest?q=WLAN+bricht+ab')\n"
            "assert answer.status_code == 200, answer.status_code"
        ),
    }
    for name, code in commands.items():
        run = subprocess.run(
            [sys.executable, "-c", prologue + code], env=env, capture_output=True, text=True
        )
        assert run.returncode == 0, run.stderr
        imported = json.loads(run.stderr.strip().splitlines()[-1])
        assert imported == [], f"askfind {name} imported {imported}"
