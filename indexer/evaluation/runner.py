"""Run the evaluation protocols against a searcher: in-process or over the HTTP API."""

from __future__ import annotations

import json
import statistics
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Protocol

from indexer.evaluation import metrics
from indexer.evaluation.datasets import Dataset, Query

POOLED_DEPTH = 10
PAGE = 100

PRIORS_OFF = {
    "prior_solved": 0.0,
    "prior_kudos": 0.0,
    "prior_views": 0.0,
    "prior_replies": 0.0,
    "prior_recency": 0.0,
}
# The rows of the evaluation: each a ranking configuration, as settings overrides.


def _one_leg(vector: float, lexical: float) -> dict[str, float]:
    """Fusion weights that keep one leg only, for queries in every language."""
    weights = {"vector_weight": vector, "lexical_weight": lexical, "coverage_weight": 0.0}
    return {**weights, **{f"other_language_{k}": v for k, v in weights.items()}}


CONFIGS: dict[str, dict[str, Any]] = {
    "bm25": {**_one_leg(vector=0.0, lexical=1.0), **PRIORS_OFF},
    "vectors": {**_one_leg(vector=1.0, lexical=0.0), **PRIORS_OFF},
    "rrf": {"fusion": "rrf", **_one_leg(vector=1.0, lexical=1.0), **PRIORS_OFF},
    "hybrid": {**PRIORS_OFF},
    "hybrid+priors": {},
}


class Searcher(Protocol):
    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        """Ids of a page of results, best first, and the total number of results."""
        ...


class HttpSearcher:
    """Ask a running askfind over HTTP, exactly as an agent's tool would."""

    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        """A complete question (``partial=false``: its last word is no prefix)."""
        params = {"q": text, "limit": limit, "offset": offset, "partial": "false"}
        answer = self._get("search", params)
        return [item["id"] for item in answer["items"]], int(answer["total"])

    def search_message(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        """A pasted message through ``POST /api/search``, as an agent's tool sends one."""
        body = json.dumps({"q": text, "limit": limit, "offset": offset}).encode("utf-8")
        posted = urllib.request.Request(
            f"{self.base_url}/api/search",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(posted, timeout=self.timeout) as r:
            answer = json.load(r)
        return [item["id"] for item in answer["items"]], int(answer["total"])

    def suggest(self, text: str, limit: int) -> list[str]:
        """Ids of the suggestions above the confidence floor, as the widget asks for them."""
        answer = self._get("suggest", {"q": text, "limit": limit})
        return [item["id"] for item in answer["items"]]

    def _get(self, endpoint: str, params: dict[str, Any]) -> Any:
        query = urllib.parse.urlencode(params)
        with urllib.request.urlopen(
            f"{self.base_url}/api/{endpoint}?{query}", timeout=self.timeout
        ) as r:
            return json.load(r)


class MessageSearcher:
    """A searcher's message search (``search_message``) in the place of its search: the
    question and key terms of the text are searched, not all of it."""

    def __init__(self, searcher: Any) -> None:
        self.searcher = searcher

    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        return self.searcher.search_message(text, limit, offset)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class QueryText:
    """Which part of a query is sent: the title alone, or title and body."""

    name: str
    build: Callable[[Query], str]


TITLE = QueryText("title", lambda q: q.title)
TITLE_BODY = QueryText("title+body", lambda q: f"{q.title}\n{q.body}".strip())


def _text(query: Query, kind: QueryText, max_chars: int) -> str:
    return kind.build(query)[:max_chars].strip() or query.qid


def rerank_map(searcher: Searcher, dataset: Dataset, kind: QueryText, max_chars: int) -> float:
    """SemEval-2016 Task 3 subtask B: MAP of each query's candidates in the order of the
    pooled search, over all queries (no relevant candidate: AP 0). Candidates the search
    does not return go last, in id order (the search engine's order is not used)."""
    scores = []
    for query in dataset.queries:
        wanted = dataset.candidates.get(query.qid, [])
        order = [doc for doc in _all_results(searcher, _text(query, kind, max_chars), set(wanted))]
        order += sorted(set(wanted) - set(order))
        scores.append(metrics.average_precision(order, dataset.relevant.get(query.qid, set())))
    return 100 * statistics.fmean(scores)


def _all_results(searcher: Searcher, text: str, wanted: set[str]) -> Iterator[str]:
    """Page through results until every wanted id was seen or results run out."""
    seen: set[str] = set()
    offset = 0
    while True:
        ids, total = searcher.search(text, PAGE, offset)
        for doc in ids:
            if doc in wanted and doc not in seen:
                seen.add(doc)
                yield doc
        offset += PAGE
        if seen == wanted or not ids or offset >= total:
            return


def pooled(
    searcher: Searcher, dataset: Dataset, kind: QueryText, max_chars: int
) -> dict[str, float]:
    """Retrieval over the whole pool: Recall@1/5/10, MRR@10, nDCG@10 over queries that have
    at least one relevant thread."""
    rows: dict[str, list[float]] = {
        "R@1": [], "R@5": [], "R@10": [], "Rcap@5": [], "Rcap@10": [], "MRR@10": [], "nDCG@10": []
    }  # fmt: skip
    for query in dataset.queries:
        relevant = dataset.relevant.get(query.qid, set())
        if not relevant:
            continue
        ranked, _ = searcher.search(_text(query, kind, max_chars), POOLED_DEPTH)
        rows["R@1"].append(metrics.recall_at(ranked, relevant, 1))
        rows["R@5"].append(metrics.recall_at(ranked, relevant, 5))
        rows["R@10"].append(metrics.recall_at(ranked, relevant, 10))
        rows["Rcap@5"].append(metrics.capped_recall_at(ranked, relevant, 5))
        rows["Rcap@10"].append(metrics.capped_recall_at(ranked, relevant, 10))
        rows["MRR@10"].append(metrics.reciprocal_rank_at(ranked, relevant, 10))
        rows["nDCG@10"].append(metrics.ndcg_at(ranked, relevant, 10))
    return {name: 100 * statistics.fmean(values) for name, values in rows.items() if values}
