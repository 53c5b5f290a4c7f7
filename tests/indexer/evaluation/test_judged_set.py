"""The agents' duplicate judgements as evaluation labels (``datasets.from_judgements``)."""

from __future__ import annotations

from pathlib import Path

from indexer.analytics.judgements import JudgementStore
from indexer.engine import Engine
from indexer.evaluation import datasets
from indexer.evaluation.harness import InProcessIndex
from indexer.evaluation.runner import TITLE, pooled
from tests.conftest import write_jsonl

THREADS = [
    {"id": "wlan", "title": "WLAN bricht abends ständig ab", "body": "Fritzbox 7590"},
    {"id": "wlan-again", "title": "WLAN Verbindung bricht jeden Abend ab", "body": ""},
    {"id": "roaming", "title": "Roaming in Kanada aktivieren", "body": "Urlaub"},
    {"id": "roaming-again", "title": "Wie aktiviere ich Roaming für Kanada?", "body": ""},
    {"id": "bill", "title": "Rechnung doppelt abgebucht", "body": "Lastschrift"},
]


def judged_set(tmp_path: Path) -> datasets.Dataset:
    threads = write_jsonl(tmp_path / "threads.jsonl", THREADS)
    store = JudgementStore(tmp_path / "data")
    store.record("wlan-again", "wlan", agent="anna")
    store.record("roaming-again", "roaming", agent="ben")
    store.record("bill", "gone-from-the-export", agent="anna")  # not in the file: left out
    store.record("roaming", "bill", agent="ben")  # withdrawn below
    store.record("roaming", None, agent="ben")
    try:
        return datasets.from_judgements(threads, store.links())
    finally:
        store.close()


def test_each_judged_thread_asks_for_its_canonical_thread_and_is_kept_out(
    tmp_path: Path,
) -> None:
    dataset = judged_set(tmp_path)
    assert [query.qid for query in dataset.queries] == ["roaming-again", "wlan-again"]
    assert dataset.queries[1].title == "WLAN Verbindung bricht jeden Abend ab"
    assert dataset.relevant == {"roaming-again": {"roaming"}, "wlan-again": {"wlan"}}
    assert {record["id"] for record in dataset.threads()} == {"wlan", "roaming", "bill"}


def test_askfind_is_evaluated_on_the_judgements(engine: Engine, tmp_path: Path) -> None:
    dataset = judged_set(tmp_path)
    index = InProcessIndex(dataset, engine.settings, tmp_path / "work")
    try:
        metrics = pooled(index.searcher({}), dataset, TITLE, 500)
    finally:
        index.close()
    assert metrics["R@1"] == 100.0
    assert metrics["MRR@10"] == 100.0
