"""The vocabulary of an index: every term with its document frequency, to expand the
half-typed last word of a query into its most frequent continuations.

The embedded backend expands a prefix over its sorted term list, most frequent terms
first. Elasticsearch has no cheap way to rank a prefix's terms by frequency: a terms
aggregation reads every matching document (tens to hundreds of milliseconds for a
three-letter prefix at 100,000 threads, measured). So each thread index has a companion
index of one small document per term, ``{"term", "df"}``, where a prefix query sorted by
``df`` answers in a millisecond or two. A rebuild counts the frequencies while it writes
(the sum over the analysed fields of the number of threads with the term in that field,
as the embedded backend counts them) and writes the vocabulary at commit. Upserts add
the terms they bring in with a frequency of one; frequencies are otherwise those of the
last rebuild, and terms of deleted threads stay until the next one, where they expand to
terms that match nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from indexer.analysis.analyzer import PrefixTerm
from indexer.backends.base import FIELDS

TERM = "term"
FREQUENCY = "df"
SUFFIX = "-terms"
# Term documents are tiny: many per bulk request.
BULK_SIZE = 5_000


def vocabulary_name(index_or_alias: str) -> str:
    """The vocabulary index (or alias) belonging to a thread index (or alias)."""
    return f"{index_or_alias}{SUFFIX}"


def vocabulary_mappings() -> dict[str, Any]:
    return {
        "dynamic": "strict",
        "_source": {"enabled": False},  # read from doc values only
        "properties": {TERM: {"type": "keyword"}, FREQUENCY: {"type": "long"}},
    }


class TermCounter:
    """Document frequencies of the terms written to a new index."""

    def __init__(self) -> None:
        self.frequencies: Counter[str] = Counter()

    def count(self, fields: Mapping[str, Iterable[str]]) -> None:
        """Count one thread's analysed fields (each distinct term once per field)."""
        for name in FIELDS:
            self.frequencies.update(set(fields.get(name, ())))


def term_actions(index: str, frequencies: Mapping[str, int]) -> Iterator[dict[str, Any]]:
    """Bulk actions writing a vocabulary into ``index``."""
    for term, frequency in frequencies.items():
        yield {"_op_type": "index", "_index": index, "_id": term, TERM: term, FREQUENCY: frequency}


def new_term_actions(alias: str, terms: Iterable[str]) -> list[dict[str, Any]]:
    """Bulk actions adding terms with frequency one, leaving known terms as they are
    (``create`` fails with 409 for a term already there)."""
    return [
        {"_op_type": "create", "_index": alias, "_id": term, TERM: term, FREQUENCY: 1}
        for term in sorted(set(terms))
    ]


def expansion_search(prefix: PrefixTerm, limit: int) -> dict[str, Any]:
    """Search arguments for the ``limit`` most frequent terms that start with one of the
    prefix's ``starts`` or equal one of its ``exact`` terms."""
    candidates: list[dict[str, Any]] = [{"prefix": {TERM: start}} for start in prefix.starts]
    if prefix.exact:
        candidates.append({"terms": {TERM: list(prefix.exact)}})
    return {
        "size": limit,
        "track_total_hits": False,
        "query": {"bool": {"should": candidates, "minimum_should_match": 1}},
        "sort": [{FREQUENCY: "desc"}, {TERM: "asc"}],
        "stored_fields": "_none_",
        "docvalue_fields": [TERM],
    }


def expansions_of(response: Mapping[str, Any]) -> list[str]:
    """The terms of the answer to ``expansion_search``, most frequent first."""
    return [hit["fields"][TERM][0] for hit in response["hits"]["hits"]]
