"""The public evaluation data: real threads and real questions to build corpora and load from."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

EVAL_SETS = (
    "semeval2016-task3-dev",
    "stackexchange-cardano",
    "stackexchange-iot",
    "stackexchange-quantumcomputing",
    "stsb-de-retrieval",
)


def read_real_threads(data: Path) -> list[dict[str, Any]]:
    """Every thread of the evaluation sets, in file order (the order is part of the seed)."""
    threads = []
    for name in EVAL_SETS:
        with (data / name / "threads.jsonl").open(encoding="utf-8") as lines:
            threads.extend(json.loads(line) for line in lines if line.strip())
    return threads


def read_real_query_titles(data: Path) -> list[str]:
    """Titles of the evaluation sets' queries: real questions that are not in the corpus."""
    titles = []
    for name in EVAL_SETS:
        with (data / name / "queries.jsonl").open(encoding="utf-8") as lines:
            titles.extend(json.loads(line).get("title") or "" for line in lines if line.strip())
    return [title for title in titles if title.strip()]


def find_eval_data(explicit: Path | None, fail: Callable[[str], NoReturn] | None = None) -> Path:
    """The evaluation data folder, found the way scripts/eval finds it, or exit saying why:
    by ``fail`` when given (a parser's ``error``: a usage error, status 2), else status 1."""
    from indexer.errors import AskfindError
    from indexer.evaluation.datasets import eval_data_dir

    try:
        return eval_data_dir(explicit)
    except AskfindError as e:
        if fail is not None:
            fail(str(e))
        raise SystemExit(str(e)) from e
