"""A full rebuild into a new versioned index, published by an atomic alias swap.

The steps: take the rebuild lease (one rebuild at a time) and delete what dead rebuilds
left behind; create ``<prefix>-v<timestamp>`` with refreshes and replicas off, as a clone
of the live index where its layout is the same (see ``clone``) and empty otherwise;
bulk-write the threads that changed into it (``add``) and name those that did not
(``carry_over``: an empty index gets them copied from the live index, mget then bulk,
with no analysis or embedding; a clone holds them already), counting the terms written
into an empty index; then ``commit``: refresh, delete what a clone holds that this
rebuild did not name and count the terms of what is left, check that the index holds
every thread written or carried over, merge it into one segment per shard (see
``_merge``), write its vocabulary (see ``vocabulary``), turn refreshes and replicas on,
wait until the replicas are copied (see ``_wait_for_replicas``), point both aliases at
the new indices and away from the old ones in one request, and delete the old indices
once no search that started on them can still be running.

Whether the rebuild started from a clone or from nothing, the published index holds the
same documents, and its vocabulary counts the same terms.

Writes reach the new index only through an alias of its own with ``require_alias``: if
the index is deleted under a rebuild (its lease expired and another rebuild took over),
writes fail instead of creating a new index of that name with a guessed mapping.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any, Protocol

from elasticsearch import ConnectionTimeout, Elasticsearch
from elasticsearch.helpers import scan

from indexer.backends.base import FIELDS, IndexedThread
from indexer.backends.elasticsearch import bulk, clone, documents, vocabulary
from indexer.backends.elasticsearch.connection import ADMIN_TIMEOUT_S
from indexer.backends.elasticsearch.lease import RebuildLease
from indexer.backends.elasticsearch.mapping import (
    CONTENT_HASH,
    VECTOR,
    index_settings,
    is_versioned_index,
    lock_index_name,
    mappings,
    new_index_name,
    serving_settings,
    stored_fields,
    versioned_index_pattern,
)
from indexer.errors import IndexNotFound, IndexWriteError
from indexer.settings import Settings

log = logging.getLogger(__name__)
# The longest a rebuild waits for its index to merge into one segment (well inside the
# rebuild lease, lease.LEASE_S).
MERGE_TIMEOUT_S = 600.0

# Documents per page when a rebuild reads its whole new index (hashes, terms).
SCAN_PAGE = 2_000
# How long the swap waits for the new index's replicas; a cluster that cannot place them
# (fewer data nodes than copies) serves the primaries, as the old index did.
REPLICA_TIMEOUT_S = 120.0


class LiveIndex(Protocol):
    """What a rebuild needs of the serving backend: its client, its alias and what it
    holds. (The backend satisfies it; naming it here keeps the two modules from
    importing each other.)"""

    settings: Settings
    client: Elasticsearch
    dimension: int
    alias: str

    def errors(self, what: str) -> AbstractContextManager[Any]: ...

    def live_indices(self) -> set[str]: ...

    def alias_holders(self, alias: str) -> set[str]: ...

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]: ...

    def sources(
        self, ids: Sequence[str], fields: Sequence[str], realtime: bool, index: str | None = None
    ) -> dict[str, dict[str, Any]]: ...

    def forget_cached(self) -> None: ...


class ElasticsearchRebuild:
    """A new versioned index being written; it serves only after ``commit``."""

    def __init__(self, backend: LiveIndex) -> None:
        self._backend = backend
        self._settings = backend.settings
        self.index = new_index_name(self._settings)
        self._writer_alias = f"{self.index}-build"
        self._client = backend.client.options(request_timeout=ADMIN_TIMEOUT_S)
        self._lease = RebuildLease(self._client, lock_index_name(self._settings), self.index)
        # Ids bulk-written into the new index, and ids a clone holds already that were
        # carried over: together, what the published index holds.
        self._written: set[str] = set()
        self._kept: set[str] = set()
        # The content hashes of the cloned index, by id (empty when it started empty).
        self._base: dict[str, str] = {}
        self.cloned = False
        # Term frequencies counted while writing an index that started empty (a clone's
        # are counted from the index at commit, see _count_terms_and_drop_others).
        self._terms = vocabulary.TermCounter()
        self._committed = False
        with backend.errors("starting a rebuild"):
            abandoned = self._lease.acquire()
            try:
                self._remove_abandoned(abandoned)
                self._create()
            except BaseException:
                self._lease.release()
                raise

    def __enter__(self) -> ElasticsearchRebuild:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            with self._backend.errors("cleaning up a rebuild"):
                if not self._committed:
                    self._delete([self.index])
                self._lease.release()
        except Exception:
            if error is None:
                raise
            # The rebuild failed already (often for the same reason): report that failure;
            # the next rebuild deletes the indices left behind once the lease has expired.
            log.exception("could not clean up the failed rebuild into %s", self.index)

    def _create(self) -> None:
        """Create the new index: a clone of the live one where it has the same layout."""
        layout = clone.layout_id(self._settings, self._backend.dimension)
        live = self._backend.live_indices()
        clone.lift_write_blocks(self._client, live)
        if len(live) == 1:
            (source,) = live
            if clone.layout_of(self._client, source) == layout and clone.clone_live(
                self._client, source, self.index, self._writer_alias
            ):
                self.cloned = True
                self._base = self._read_hashes()
                log.info("rebuilding %s from a clone of %s", self.index, source)
                return
        self._client.indices.create(
            index=self.index,
            settings=index_settings(self._settings),
            mappings=clone.with_layout(mappings(self._backend.dimension), layout),
            aliases={self._writer_alias: {}},
        )

    def _read_hashes(self) -> dict[str, str]:
        self._client.indices.refresh(index=self.index)
        return {
            hit["_id"]: hit["_source"][CONTENT_HASH]
            for hit in scan(
                self._client,
                index=self.index,
                query={"query": {"match_all": {}}},
                source=[CONTENT_HASH],
                size=SCAN_PAGE,
            )
        }

    # --- writing ---------------------------------------------------------------------

    def content_hashes(self, ids: Sequence[str]) -> dict[str, str]:
        """The content hash each of ``ids`` has where this rebuild started: in the clone,
        or in the live index."""
        if self.cloned:
            return {i: self._base[i] for i in ids if i in self._base}
        return self._backend.content_hashes(ids)

    def add(self, threads: Sequence[IndexedThread]) -> None:
        actions = []
        for item in threads:
            document = documents.document(item)
            actions.append(bulk.index_action(self._writer_alias, item.thread.id, document))
            if not self.cloned:
                self._terms.count(item.terms)
        self._write(actions)

    def carry_over(self, ids: Sequence[str]) -> None:
        if self.cloned:
            # A clone holds them as they were, unless this rebuild wrote them since.
            held = {i for i in ids if i in self._base and i not in self._written}
            self._kept.update(held)
            ids = [i for i in ids if i not in held]
            if not ids:
                return
        if not self._backend.live_indices():
            raise IndexNotFound("nothing to carry over: there is no live index")
        found = self._backend.sources(ids, stored_fields(), realtime=True)
        actions = []
        for thread_id, source in found.items():
            # Elasticsearch returns the vector as floats; base64 is a third of the bytes.
            stored = {
                **source,
                VECTOR: documents.encode_vector(documents.vector_of(source[VECTOR])),
            }
            actions.append(bulk.index_action(self._writer_alias, thread_id, stored))
            if not self.cloned:
                self._terms.count({name: documents.terms_of(source[name]) for name in FIELDS})
        self._write(actions)

    def _write(self, actions: list[dict[str, Any]]) -> None:
        if not actions:
            return
        with self._backend.errors("writing the new index"):
            self._lease.renew()
            try:
                result = bulk.send(
                    self._client,
                    actions,
                    self._settings.elasticsearch_bulk_size,
                    require_alias=True,
                )
            except IndexWriteError:
                # The usual reason a whole batch is refused: the lease expired and the index
                # was deleted by the rebuild that took over. Say so if that is it.
                self._lease.renew(force=True)
                raise
        self._written.update(result.written)

    # --- publishing ------------------------------------------------------------------

    def commit(self) -> None:
        """Check the new index, then make it the live one and delete the old one.

        Raises:
            IndexWriteError: the new index does not hold every thread written; the aliases
                are left as they were.
        """
        terms_index = vocabulary.vocabulary_name(self.index)
        with self._backend.errors("publishing the new index"):
            self._lease.renew(force=True)
            self._client.indices.refresh(index=self.index)
            expected = self._written | self._kept
            terms = self._count_terms_and_drop_others(expected) if self.cloned else self._terms
            count = int(self._client.count(index=self.index)["count"])
            if count != len(expected):
                raise IndexWriteError(
                    f"the new index {self.index} holds {count} threads, not the "
                    f"{len(expected)} written or carried over; the live index is unchanged"
                )
            self._merge()
            self._write_vocabulary(terms_index, terms)
            for name in (self.index, terms_index):
                self._client.indices.put_settings(
                    index=name, settings=serving_settings(self._settings)
                )
            self._wait_for_replicas([self.index, terms_index])
            old = self._backend.live_indices()
            self._client.indices.update_aliases(actions=self._swap(old))
            self._committed = True
            self._backend.forget_cached()
            log.info("%s now serves %s (%d threads)", self._backend.alias, self.index, count)
            if old:
                # Searches that resolved the alias before the swap may still be running on
                # the old index; none outlives the request timeout.
                time.sleep(self._settings.elasticsearch_request_timeout)
                self._delete(old)

    def _wait_for_replicas(self, names: list[str]) -> None:
        """Wait until every shard of ``names`` has all its copies (green) before they serve.

        Published with its primaries only, the index would have no copy to fail over to
        until the replicas are built: a node lost meanwhile would lose searches. A single
        data node holds no replicas, whatever the settings ask: nothing to wait for.
        """
        if int(self._client.cluster.health()["number_of_data_nodes"]) < 2:
            return
        health = self._client.options(
            request_timeout=REPLICA_TIMEOUT_S + 10, ignore_status=408
        ).cluster.health(
            index=",".join(names), wait_for_status="green", timeout=f"{REPLICA_TIMEOUT_S:.0f}s"
        )
        if health["status"] != "green":
            log.warning(
                "the replicas of %s are not all allocated after %.0f s (cluster %s, %d "
                "unassigned shards): publishing it anyway",
                self.index,
                REPLICA_TIMEOUT_S,
                health["status"],
                health["unassigned_shards"],
            )

    def _merge(self) -> None:
        """Merge the new index into one segment per shard before it serves.

        A bulk build leaves a dozen segments, and a kNN search walks one HNSW graph per
        segment: at 100,000 threads the merged index answered the vector leg in 7.6
        instead of 9.0 ms and the lexical one in 9.4 instead of 11.4 (p50, measured). The
        index is written once and then mostly read, so merging now costs nothing later
        (about 20 s at 100,000 threads; a clone's few new segments merge into its big one).

        An unmerged index answers the same, only a little slower, so a merge that does not
        finish in time does not fail the rebuild. Elasticsearch 9 starts no merge while
        its disk is fuller than ``indices.merge.disk.watermark.high`` (95 %, or less
        than 100 GB free of a large disk), and the force merge then waits for space.
        """
        try:
            self._client.options(request_timeout=MERGE_TIMEOUT_S).indices.forcemerge(
                index=self.index, max_num_segments=1
            )
        except ConnectionTimeout:
            log.warning(
                "%s was not merged into one segment within %.0f s (is the disk fuller than "
                "indices.merge.disk.watermark.high allows?): publishing it unmerged",
                self.index,
                MERGE_TIMEOUT_S,
            )
        self._lease.renew(force=True)

    def _count_terms_and_drop_others(self, expected: set[str]) -> vocabulary.TermCounter:
        """Count the terms of the ``expected`` threads in the new index; delete the others
        (threads a clone holds that the source no longer has)."""
        terms = vocabulary.TermCounter()
        others = []
        for hit in scan(
            self._client,
            index=self.index,
            query={"query": {"match_all": {}}},
            source=list(FIELDS),
            size=SCAN_PAGE,
        ):
            if hit["_id"] in expected:
                source = hit["_source"]
                terms.count({name: documents.terms_of(source[name]) for name in FIELDS})
            else:
                others.append(hit["_id"])
        if others:
            self._lease.renew()
            actions = [bulk.delete_action(self._writer_alias, thread_id) for thread_id in others]
            bulk.send(
                self._client, actions, self._settings.elasticsearch_bulk_size, require_alias=True
            )
            self._client.indices.refresh(index=self.index)
        return terms

    def _write_vocabulary(self, name: str, terms: vocabulary.TermCounter) -> None:
        self._client.options(ignore_status=404).indices.delete(index=name)
        self._client.indices.create(
            index=name,
            settings={**index_settings(self._settings), "number_of_shards": 1},
            mappings=vocabulary.vocabulary_mappings(),
        )
        actions = list(vocabulary.term_actions(name, terms.frequencies))
        if actions:
            bulk.send(self._client, actions, vocabulary.BULK_SIZE)
        self._client.indices.refresh(index=name)

    def _swap(self, old: Iterable[str]) -> list[dict[str, Any]]:
        """Alias actions moving both aliases from the old indices to the new ones, at once."""
        alias = self._backend.alias
        terms_alias = vocabulary.vocabulary_name(alias)
        holders = self._backend.alias_holders(terms_alias)
        return [
            *({"remove": {"index": name, "alias": alias}} for name in sorted(old)),
            *({"remove": {"index": name, "alias": terms_alias}} for name in sorted(holders)),
            {"add": {"index": self.index, "alias": alias}},
            {"add": {"index": vocabulary.vocabulary_name(self.index), "alias": terms_alias}},
            {"remove": {"index": self.index, "alias": self._writer_alias}},
        ]

    def _remove_abandoned(self, abandoned: str | None) -> None:
        """Delete versioned indices no alias serves: left by rebuilds that died.

        Only called with the lease held, so no live rebuild is writing any of them.
        """
        live = self._backend.live_indices()
        response = self._client.options(ignore_status=404).indices.get(
            index=versioned_index_pattern(self._settings), features="aliases"
        )
        existing = set(response.body) if response.meta.status != 404 else set()
        if abandoned:
            existing.add(abandoned)
        # A vocabulary goes with its thread index, even when only the vocabulary is left.
        bases = {name.removesuffix(vocabulary.SUFFIX) for name in existing}
        dead = sorted(b for b in bases - live if is_versioned_index(self._settings, b))
        for name in dead:
            log.warning("deleting %s, left behind by a rebuild that did not finish", name)
        self._delete(dead)

    def _delete(self, names: Iterable[str]) -> None:
        """Delete thread indices with their vocabularies (those that exist)."""
        targets = [t for name in names for t in (name, vocabulary.vocabulary_name(name))]
        if targets:
            self._client.indices.delete(index=",".join(targets), ignore_unavailable=True)
