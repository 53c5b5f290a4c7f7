"""The evaluation sets of ``../shared/data`` (see its SOURCES.md), read where they lie."""

from __future__ import annotations

import csv
import json
import os
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from indexer.errors import AskfindError

EVAL_DATA_ENV = "ASKFIND_EVAL_DATA"
AGENT_JUDGEMENTS = "agent-judgements"
DEFAULT_EVAL_DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@dataclass(frozen=True)
class Query:
    qid: str
    title: str
    body: str


@dataclass
class Dataset:
    """Threads to index, queries, relevance labels and (reranking sets) candidate lists."""

    name: str
    threads_path: Path
    queries: list[Query]
    relevant: dict[str, set[str]]
    judged: dict[str, set[str]] = field(default_factory=dict)
    candidates: dict[str, list[str]] = field(default_factory=dict)
    exclude: set[str] = field(default_factory=set)

    def threads(self) -> list[dict]:
        """The thread records to index, minus those kept out (the duplicates queried for)."""
        with self.threads_path.open(encoding="utf-8") as lines:
            records = [json.loads(line) for line in lines if line.strip()]
        return [record for record in records if record["id"] not in self.exclude]


def eval_data_dir(explicit: Path | None = None) -> Path:
    """The folder with the evaluation sets: option, else ASKFIND_EVAL_DATA, else ../shared/data."""
    folder = explicit or Path(os.environ.get(EVAL_DATA_ENV, DEFAULT_EVAL_DATA))
    if not (folder / "SOURCES.md").is_file():
        raise AskfindError(f"no evaluation data in {folder}: pass --data or set {EVAL_DATA_ENV}")
    return folder


def load(folder: Path, name: str) -> Dataset:
    """Load one set by folder name (e.g. ``semeval2016-task3-dev``)."""
    path = folder / name
    if not (path / "threads.jsonl").is_file():
        raise AskfindError(f"{path} is not an evaluation set (no threads.jsonl)")
    queries = [
        Query(record["qid"], record.get("title") or "", record.get("body") or "")
        for record in _jsonl(path / "queries.jsonl")
    ]
    relevant: dict[str, set[str]] = defaultdict(set)
    judged: dict[str, set[str]] = defaultdict(set)
    for row in _tsv(path / "qrels.tsv"):
        judged[row["qid"]].add(row["doc_id"])
        if int(row["relevant"]) > 0:
            relevant[row["qid"]].add(row["doc_id"])
    candidates: dict[str, list[str]] = {}
    if (path / "candidates.tsv").is_file():
        ordered: dict[str, list[tuple[int, str]]] = defaultdict(list)
        for row in _tsv(path / "candidates.tsv"):
            ordered[row["qid"]].append((int(row["ir_rank"]), row["doc_id"]))
        candidates = {qid: [doc for _, doc in sorted(pairs)] for qid, pairs in ordered.items()}
    # A duplicate that is itself a query must not be found as its own answer.
    exclude = {query.qid for query in queries}
    return Dataset(
        name, path / "threads.jsonl", queries, dict(relevant), dict(judged), candidates, exclude
    )


def from_judgements(
    threads_path: Path, links: Mapping[str, str], name: str = AGENT_JUDGEMENTS
) -> Dataset:
    """The agents' duplicate judgements as an evaluation set of a community's own.

    ``links`` (thread -> its canonical thread, ``JudgementStore.links``) become labels
    the way Stack Exchange duplicates are: each judged thread asks for its canonical
    thread by its own title (and body), among the threads of ``threads_path`` (the
    community's export in the thread format) with the judged threads kept out. Pairs
    with a thread missing from the file, or whose canonical thread is itself judged a
    duplicate (and so kept out), are left out.
    """
    records = {record["id"]: record for record in _jsonl(threads_path) if "id" in record}
    pairs = {
        thread: canonical
        for thread, canonical in links.items()
        if thread in records and canonical in records and canonical not in links
    }
    queries = [
        Query(thread, records[thread].get("title") or "", records[thread].get("body") or "")
        for thread in sorted(pairs)
    ]
    relevant = {thread: {canonical} for thread, canonical in pairs.items()}
    return Dataset(name, threads_path, queries, relevant, dict(relevant), exclude=set(pairs))


def _jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def _tsv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))
