"""scripts/bench's report of the in-process figures, whatever the run got as far as."""

from __future__ import annotations

import argparse
from types import ModuleType

import pytest

from tests.services import script_module

MS = {"n": 10, "p50": 1.0, "p95": 2.0, "p99": 3.0, "mean": 1.2, "max": 4.0}
COSINES = {"n": 200, "min": 0.98, "mean": 0.99}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """The rows of scripts/bench's report (scripts/tools/benchmark/rows.py), imported."""
    return script_module("tools.benchmark.rows")


def test_a_full_run_reports_every_in_process_figure(bench: ModuleType) -> None:
    results = {
        "query_embedding": {"model": "use-multilingual-v3", "ms": MS},
        "in_process_suggest": {"ms": MS},
        "equivalence": {
            "documents": COSINES,
            "queries": COSINES,
            "float32_query_ms": MS,
        },
    }
    rows = bench.in_process_rows(results)
    assert [label.split(",")[0] for label, _, _ in rows] == [
        "Query embedding alone",
        "Suggest in-process (search service",
        "Query embedding of all-MiniLM-L6-v2 in float32",
        "Cosine all-MiniLM-L6-v2 int8 vs float32",
        "… 200 query texts",
    ]


def test_a_failed_measurement_is_reported_as_failed(bench: ModuleType) -> None:
    results = {
        "query_embedding": {"error": "OSError: no model"},
        "in_process_suggest": {"ms": MS},
        "equivalence": {"error": "ConfigError: no model"},
    }
    shown = [figure for _, figure, _ in bench.in_process_rows(results)]
    assert shown[0] == "failed: OSError: no model"
    assert shown[-1] == "failed: ConfigError: no model"


def test_serving_only_after_a_run_that_stopped_early_reports_no_in_process_rows(
    bench: ModuleType,
) -> None:
    # --serving-only copies these figures from the last run; one that never got to them
    # used to end the report with a KeyError after every measurement had been made.
    assert bench.in_process_rows({"query_embedding": {"runtime": "onnx-int8", "ms": MS}}) == []


REAL = [
    {"title": "Router blinkt rot", "body": "Seit gestern blinkt die LED.", "lang": "de"},
    {"title": "Roaming in Spain", "body": "", "lang": "en", "answers": [{"body": "Turn it on"}]},
]


def test_skip_index_keeps_the_corpus_the_served_index_was_built_from(tmp_path) -> None:
    corpus = script_module("tools.benchmark.corpus")
    args = argparse.Namespace(threads=20, skip_index=False)
    first = corpus.build_corpus(args, tmp_path, REAL, {})
    path = tmp_path / "corpus-20.jsonl"
    assert first["threads"] == 20 and len(path.read_text().splitlines()) == 20
    path.write_text("the file the index was built from\n")
    args.skip_index = True
    kept = corpus.build_corpus(args, tmp_path, REAL, {"corpus": first, "started": "t0"})
    assert path.read_text() == "the file the index was built from\n"
    assert kept == {**first, "reused_from": "t0"}
    # Without figures of that corpus (another size, or none) it is written again.
    again = corpus.build_corpus(args, tmp_path, REAL, {})
    assert again["threads"] == 20 and len(path.read_text().splitlines()) == 20
