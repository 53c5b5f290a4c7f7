"""The search requests of the Elasticsearch backend, and their answers as ``Hit``s.

The lexical request reproduces ``LexicalIndex.score`` of the embedded backend: BM25 per
field with the field boosts of the settings; a clause (the alternative terms of one
query word) counts once, by its best alternative in each field (``dis_max``), summed over
the fields, and the clauses are summed; each clause is a named query, so a hit's
``matched_queries`` say how many clauses it matched. The half-typed last word is
expanded first, like the embedded backend does it: into at most ``prefix_max_expansions``
terms that start with one of its ``starts`` or equal one of its ``exact`` terms, most
frequent first (see ``vocabulary``); the expansions then form one more clause.

Hits carry no ``_source`` and no stored fields, only doc values (the id and the ranking
signals): reading the stored fields of a hundred hits (compressed together with the
large ``_source``) cost more than the search itself (4.8 against 1.6 ms for a one-term
query, measured).

Remaining differences from the embedded backend, all small:

- Lucene stores each field's length in one byte: exact up to 23 terms, rounded down to
  four significant bits beyond (up to an eighth short), so long bodies score a little
  higher than in the embedded backend. Otherwise the scores are the same numbers
  (Elasticsearch keeps BM25's factor k1 + 1, and an analysed field is never empty here,
  so both count every thread in a field's statistics).
- Lucene's statistics count deleted documents (replaced by upserts) until segments merge.
- Several shards score with per-shard statistics (the default is one shard).
- A prefix expands by the term frequencies of the last rebuild (upserts since add new
  terms as rare ones); the embedded backend's are always current. Ties are broken by
  term here, arbitrarily there. Both matter only where a prefix has more continuations
  than ``prefix_max_expansions``, and then only near the cut.
- Vector search is approximate (HNSW over int8 codes) from the first thread on, where the
  embedded backend scans exactly below ``ann_min_threads``; both rescore the candidates
  with the float vectors, so every cosine reported is exact.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from indexer.backends.base import EVERY_GROUP, Filters, Hit
from indexer.backends.elasticsearch.documents import epoch_millis
from indexer.backends.elasticsearch.mapping import CREATED, SIGNALS, VECTOR, VISIBILITY

CLAUSE_NAME = "clause-{}"
# What a hit brings back: its id and ranking signals from doc values, nothing from the
# stored fields (the signals save the search service a request, see ``recent``).
HIT_FIELDS: dict[str, Any] = {
    "stored_fields": "_none_",
    "docvalue_fields": ["id", SIGNALS],
}
# What the cosines of given threads bring back: their ids alone (the lexical leg that
# found them brought their signals; reading them again cost 2 of a request's 4.5 ms).
ID_FIELDS: dict[str, Any] = {"stored_fields": "_none_", "docvalue_fields": ["id"]}
# Elasticsearch's ceiling for k and num_candidates of a kNN search.
MAX_KNN = 10_000
# Rescore the approximate candidates with the float vectors: exact cosines, as the
# embedded backend reports them. 1.0 rescoring the k best candidates found.
RESCORE_OVERSAMPLE = 1.0


def filter_clauses(filters: Filters) -> list[dict[str, Any]]:
    """The filters as term queries, for the ``filter`` of both legs."""
    clauses: list[dict[str, Any]] = []
    if filters.board is not None:
        clauses.append({"term": {"board": filters.board}})
    if filters.lang is not None:
        clauses.append({"term": {"lang": filters.lang}})
    if filters.solved is not None:
        clauses.append({"term": {"solved": filters.solved}})
    if filters.has_date_range:
        bounds = {}
        if filters.created_from is not None:
            bounds["gte"] = epoch_millis(filters.created_from)
        if filters.created_to is not None:
            bounds["lte"] = epoch_millis(filters.created_to)
        # A thread without created_at has no value here, and fails any range.
        clauses.append({"range": {CREATED: bounds}})
    visible = visibility_clause(filters.viewer_groups)
    if visible is not None:
        clauses.append(visible)
    return clauses


def visibility_clause(viewer_groups: frozenset[str] | None) -> dict[str, Any] | None:
    """The threads a viewer may see: public ones (no ``visibility``) and those of their
    groups; None when they may see every thread."""
    if viewer_groups is EVERY_GROUP:
        return None
    public = {"bool": {"must_not": {"exists": {"field": VISIBILITY}}}}
    if not viewer_groups:
        return public
    groups = {"terms": {VISIBILITY: sorted(viewer_groups)}}
    return {"bool": {"should": [public, groups], "minimum_should_match": 1}}


# --- the lexical leg --------------------------------------------------------------------


def lexical_search(
    clauses: Sequence[Sequence[str]],
    boosts: Mapping[str, float],
    filters: Filters,
    k: int,
) -> dict[str, Any]:
    """Search arguments for the best ``k`` threads by BM25 over the analysed fields.

    ``clauses`` are the query's clauses of alternative terms, the prefix expansions last.
    """
    named = []
    for number, alternatives in enumerate(clauses):
        per_field = [
            _best_alternative(name, alternatives, boost)
            for name, boost in boosts.items()
            if boost > 0
        ]
        if per_field:
            named.append({"bool": {"should": per_field, "_name": CLAUSE_NAME.format(number)}})
    return {
        "size": k,
        "track_total_hits": False,
        **HIT_FIELDS,
        "query": {
            "bool": {"should": named, "minimum_should_match": 1, "filter": filter_clauses(filters)}
        },
    }


def _best_alternative(name: str, alternatives: Sequence[str], boost: float) -> dict[str, Any]:
    """One field's score of a clause: its best-scoring alternative term (or the one term)."""
    terms = [{"term": {name: {"value": term, "boost": boost}}} for term in alternatives]
    if len(terms) == 1:
        return terms[0]
    return {"dis_max": {"queries": terms, "tie_breaker": 0.0}}


def lexical_hits(response: Mapping[str, Any]) -> list[Hit]:
    """Hits with their BM25 score and the number of clauses they matched."""
    return [
        Hit(hit_id(hit), float(hit["_score"]), len(hit.get("matched_queries") or ()))
        for hit in response["hits"]["hits"]
    ]


def hit_id(hit: Mapping[str, Any]) -> str:
    """A hit's thread id, from the ``id`` doc value that ``HIT_FIELDS`` asks for."""
    return str(hit["fields"]["id"][0])


# --- the vector leg ---------------------------------------------------------------------


def knn_search(
    vector: np.ndarray,
    k: int,
    num_candidates: int,
    filters: Filters,
    ids: Sequence[str] | None = None,
) -> dict[str, Any]:
    """Search arguments for the ``k`` nearest threads by cosine (among ``ids`` if given).

    With ``ids`` the filter admits at most k documents, and Lucene then compares the
    query with each of them instead of walking the graph: every one of them is found;
    their hits then carry only the id (``ID_FIELDS``).
    """
    k = min(k, MAX_KNN)
    restrictions = filter_clauses(filters)
    if ids is not None:
        restrictions.append({"ids": {"values": list(ids)}})
    knn: dict[str, Any] = {
        "field": VECTOR,
        # The client's serialiser writes float32 arrays as they are (connection.py).
        "query_vector": np.asarray(vector, dtype=np.float32),
        "k": k,
        "num_candidates": min(max(num_candidates, k), MAX_KNN),
        "rescore_vector": {"oversample": RESCORE_OVERSAMPLE},
    }
    if restrictions:
        knn["filter"] = restrictions
    fields = HIT_FIELDS if ids is None else ID_FIELDS
    return {"knn": knn, "size": k, "track_total_hits": False, **fields}


def vector_hits(response: Mapping[str, Any]) -> list[Hit]:
    """Hits with their cosine similarity.

    Elasticsearch scores cosine similarity as (1 + cosine) / 2, to keep scores positive.
    """
    return [Hit(hit_id(hit), 2.0 * float(hit["_score"]) - 1.0) for hit in response["hits"]["hits"]]
