"""The Elasticsearch backend: askfind on a cluster (DESIGN.md decision 4).

Searches and live writes go through an alias (``elasticsearch_index_prefix``) that
points at one versioned index. A full rebuild (``ElasticsearchRebuild``) writes a new
versioned index and swaps the alias atomically when it is complete, so searches never
see a half-built index and a rebuild that dies leaves the old one serving. Upserts and
deletes of single threads go to the live index at once and are visible when they
return (``refresh=wait_for``); like the embedded backend's, those made while a rebuild
runs are not in the rebuilt index unless its source has them.

Lexical search reproduces the embedded backend's BM25 (see ``queries`` for what differs);
everything after the two legs is the shared ranker's.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from elasticsearch import Elasticsearch
from elasticsearch.helpers import scan

from indexer.analysis.analyzer import AnalyzedQuery, PrefixTerm
from indexer.backends.base import (
    EVERY_GROUP,
    FIELDS,
    Filters,
    Hit,
    IndexedThread,
    IndexStats,
    Signals,
    field_boosts,
)
from indexer.backends.elasticsearch import bulk, documents, queries, vocabulary
from indexer.backends.elasticsearch.connection import create_client, translated_errors
from indexer.backends.elasticsearch.mapping import (
    CONTENT_HASH,
    RECORD,
    TERMS_SOURCE,
    VISIBILITY,
    alias_name,
)
from indexer.backends.elasticsearch.mirror import VocabularyMirror
from indexer.backends.elasticsearch.rebuild import ElasticsearchRebuild
from indexer.backends.elasticsearch.recent import RecentExpansions, RecentSignals
from indexer.errors import IndexNotFound
from indexer.settings import Settings
from indexer.threads import Thread

# The board filter is checked against the boards in the index on every request that has
# one; a second-old answer is good enough (this process's own writes refresh it).
BOARDS_TTL_S = 10.0
MAX_BOARDS = 10_000
# Ids per request where a request takes a list of ids (mget, ids queries).
IDS_PER_REQUEST = 1_000
SCAN_PAGE = 1_000


class ElasticsearchBackend:
    """Backend over an Elasticsearch alias and the versioned indices behind it."""

    def __init__(self, settings: Settings, dimension: int) -> None:
        self.settings = settings
        self.dimension = dimension
        self.alias = alias_name(settings)
        self.terms_alias = vocabulary.vocabulary_name(self.alias)
        # Building the client sends nothing: the service starts while the cluster is down.
        self.client: Elasticsearch = create_client(settings)
        self._boards: tuple[float, frozenset[str]] | None = None
        self._boards_lock = threading.Lock()
        self._recent = RecentSignals()
        self._expansions = RecentExpansions()
        self._visibility_mapped = False
        self._vocabulary = VocabularyMirror(
            self.client, self.terms_alias, settings.elasticsearch_vocabulary_in_memory
        )

    def errors(self, what: str) -> Any:
        """Context manager turning the client's failures of ``what`` into askfind errors."""
        return translated_errors(what, self.settings.elasticsearch_url)

    # --- searching -------------------------------------------------------------------

    def lexical_top_k(self, query: AnalyzedQuery, k: int, filters: Filters) -> list[Hit]:
        if query.is_empty:
            return []
        clauses = [list(clause) for clause in query.clauses]
        if query.prefix is not None:
            expansions = self._expand(query.prefix)
            if expansions:
                clauses.append(expansions)
        if not clauses:
            return []
        arguments = queries.lexical_search(clauses, field_boosts(self.settings), filters, k)
        return queries.lexical_hits(self._search("a lexical search", arguments))

    def _expand(self, prefix: PrefixTerm) -> list[str]:
        limit = self.settings.prefix_max_expansions
        held = self._vocabulary.current()
        if held is not None:
            return held.expand(prefix, limit)
        key = (prefix.starts, prefix.exact, limit)
        known = self._expansions.recall(key)
        if known is not None:
            return known
        arguments = vocabulary.expansion_search(prefix, limit)
        with self.errors("expanding the word being typed"):
            response = self.client.search(index=self.terms_alias, **arguments)
        terms = vocabulary.expansions_of(response)
        self._expansions.remember(key, terms, limit)
        return terms

    def vector_top_k(self, vector: np.ndarray, k: int, filters: Filters) -> list[Hit]:
        arguments = queries.knn_search(
            vector, k, self.settings.elasticsearch_num_candidates, filters
        )
        return queries.vector_hits(self._search("a vector search", arguments))

    def vector_scores(self, vector: np.ndarray, ids: Sequence[str]) -> dict[str, float]:
        scores: dict[str, float] = {}
        for chunk in _chunks(ids):
            # Every thread asked about: the leg that found them applied the viewer's rights.
            everyone = Filters(viewer_groups=EVERY_GROUP)
            arguments = queries.knn_search(vector, len(chunk), len(chunk), everyone, ids=chunk)
            response = self._search("scoring threads by cosine", arguments, keep_signals=False)
            scores.update((hit.id, hit.score) for hit in queries.vector_hits(response))
        return scores

    def _search(self, what: str, arguments: dict[str, Any], keep_signals: bool = True) -> Any:
        """Search the live index; the signals the hits carry are kept for ``signals``
        (unless ``keep_signals`` is false: hits that carry only their ids)."""
        with self.errors(what):
            response = self.client.search(index=self.alias, **arguments)
        if not keep_signals:
            return response
        self._recent.remember(
            documents.signals_of(queries.hit_id(hit), hit["fields"])
            for hit in response["hits"]["hits"]
        )
        return response

    def get_threads(self, ids: Sequence[str]) -> dict[str, Thread]:
        found = self.sources(ids, [RECORD], realtime=False)
        return {thread_id: documents.thread_of(source) for thread_id, source in found.items()}

    def signals(self, ids: Sequence[str]) -> dict[str, Signals]:
        found = self._recent.recall(ids)
        for chunk in _chunks([thread_id for thread_id in ids if thread_id not in found]):
            with self.errors("reading ranking signals"):
                response = self.client.search(
                    index=self.alias,
                    query={"ids": {"values": chunk}},
                    size=len(chunk),
                    track_total_hits=False,
                    **queries.HIT_FIELDS,
                )
            for hit in response["hits"]["hits"]:
                thread_id = queries.hit_id(hit)
                found[thread_id] = documents.signals_of(thread_id, hit["fields"])
        return found

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        try:
            found = self.sources(ids, [CONTENT_HASH], realtime=True)
        except IndexNotFound:
            return {}
        return {thread_id: source[CONTENT_HASH] for thread_id, source in found.items()}

    def indexed(self, ids: Sequence[str]) -> dict[str, IndexedThread]:
        try:
            # Naming the vector makes Elasticsearch 9 return it (it leaves vectors out
            # of _source by default and rebuilds them from the vector data).
            found = self.sources(ids, TERMS_SOURCE, realtime=True)
        except IndexNotFound:
            return {}
        return {thread_id: documents.indexed_thread(source) for thread_id, source in found.items()}

    def sources(
        self, ids: Sequence[str], fields: Sequence[str], realtime: bool, index: str | None = None
    ) -> dict[str, dict[str, Any]]:
        """The ``_source`` (only ``fields``) of those ids that exist, by id."""
        found: dict[str, dict[str, Any]] = {}
        for chunk in _chunks(ids):
            with self.errors("reading threads"):
                response = self.client.mget(
                    index=index or self.alias,
                    ids=chunk,
                    source_includes=list(fields),
                    realtime=realtime,
                )
            for doc in response["docs"]:
                if doc.get("found"):
                    found[doc["_id"]] = doc["_source"]
        return found

    def boards(self) -> frozenset[str]:
        cached = self._boards
        if cached is not None and time.monotonic() - cached[0] < BOARDS_TTL_S:
            return cached[1]
        try:
            with self.errors("listing the boards"):
                response = self.client.search(
                    index=self.alias,
                    size=0,
                    track_total_hits=False,
                    aggs={"boards": {"terms": {"field": "board", "size": MAX_BOARDS}}},
                )
        except IndexNotFound:
            return frozenset()
        found = frozenset(b["key"] for b in response["aggregations"]["boards"]["buckets"])
        with self._boards_lock:
            self._boards = (time.monotonic(), found)
        return found

    def iter_ids(self) -> Iterator[str]:
        try:
            with self.errors("listing thread ids"):
                for hit in scan(
                    self.client,
                    index=self.alias,
                    query={"query": {"match_all": {}}},
                    source=False,
                    size=SCAN_PAGE,
                ):
                    yield hit["_id"]
        except IndexNotFound:
            return

    def stats(self) -> IndexStats:
        live = self.live_indices()
        if not live:
            return IndexStats(threads=0, version="empty", details={"backend": "elasticsearch"})
        with self.errors("reading index statistics"):
            response = self.client.indices.stats(index=self.alias, metric="docs", level="shards")
        threads, max_seq_no = 0, 0
        for index in response["indices"].values():
            for copies in index.get("shards", {}).values():
                for shard in copies:
                    if shard["routing"]["primary"]:
                        threads += int(shard["docs"]["count"])
                        max_seq_no += int(shard["seq_no"]["max_seq_no"])
        name = ",".join(sorted(live))
        return IndexStats(
            threads=threads,
            # Every write raises a shard's sequence number: the version changes with it.
            version=f"{name}:{max_seq_no}",
            details={"backend": "elasticsearch", "alias": self.alias, "index": name},
        )

    def live_indices(self) -> set[str]:
        """The indices the alias points at (none before the first index is built)."""
        return self.alias_holders(self.alias)

    def alias_holders(self, alias: str) -> set[str]:
        """The indices an alias points at."""
        with self.errors("resolving the alias"):
            response = self.client.options(ignore_status=404).indices.get_alias(name=alias)
        if response.meta.status == 404:
            return set()
        return set(response.body)

    # --- writing ---------------------------------------------------------------------

    def upsert(self, threads: Sequence[IndexedThread]) -> None:
        if not threads:
            return
        if not self.live_indices():
            with self.rebuild() as rebuild:  # the first write creates an empty index
                rebuild.commit()
        self._map_visibility()
        actions = [
            bulk.index_action(self.alias, item.thread.id, documents.document(item))
            for item in threads
        ]
        self.send(actions)
        terms = {term for item in threads for name in FIELDS for term in item.terms.get(name, ())}
        # Terms already known answer 409 to "create": not a failure here.
        self.send(vocabulary.new_term_actions(self.terms_alias, terms), tolerated=(409,))

    def _map_visibility(self) -> None:
        """Add ``visibility`` to a live index written before it existed, once a process.

        Adding a field is allowed on a live index (its mapping is strict: a document with
        the field would be refused otherwise); its threads, all public then, have no value
        for it, which is what public means. The next rebuild writes the whole layout.
        """
        if self._visibility_mapped:
            return
        with self.errors("adding the visibility field to the live index"):
            self.client.indices.put_mapping(
                index=self.alias, properties={VISIBILITY: {"type": "keyword"}}
            )
        self._visibility_mapped = True

    def delete(self, ids: Sequence[str]) -> int:
        if not ids or not self.live_indices():
            return 0
        actions = [bulk.delete_action(self.alias, thread_id) for thread_id in dict.fromkeys(ids)]
        return len(self.send(actions).deleted)

    def send(
        self, actions: Sequence[dict[str, Any]], tolerated: Sequence[int] = ()
    ) -> bulk.BulkResult:
        """Bulk-write to the live index: only through the alias (never auto-create an
        index of that name), visible to searches when this returns, and to this
        process's caches: they are dropped once the write is done (dropped before it, a
        cache could be filled again from the index as it was until then)."""
        try:
            return bulk.send(
                self.client,
                actions,
                self.settings.elasticsearch_bulk_size,
                tolerated,
                require_alias=True,
                refresh="wait_for",
            )
        finally:
            self.forget_cached()

    def forget_cached(self) -> None:
        """Drop what this process keeps of the index (after it wrote to it)."""
        with self._boards_lock:
            self._boards = None
        self._recent.forget()
        self._expansions.forget()
        self._vocabulary.forget()

    def rebuild(self) -> ElasticsearchRebuild:
        return ElasticsearchRebuild(self)

    def close(self) -> None:
        self._vocabulary.close()
        self.client.close()


def _chunks(ids: Sequence[str]) -> Iterator[list[str]]:
    unique = list(dict.fromkeys(ids))
    for start in range(0, len(unique), IDS_PER_REQUEST):
        yield unique[start : start + IDS_PER_REQUEST]
