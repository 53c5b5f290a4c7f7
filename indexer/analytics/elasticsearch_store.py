"""Analytics events in Elasticsearch: an ``<prefix>-events`` index beside the threads.

Where askfind runs on a cluster, its events belong there too: every askfind host writes
to the same place and the report sees them all. The index is created on the first
write with a fixed mapping (keywords, a date, numbers: core features only, like the
threads' mapping). An event is acknowledged once Elasticsearch has it in its translog
(fsynced before the answer, the default durability); reads refresh first, so a report
sees every acknowledged event. Queries are redacted before they leave this process.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from elasticsearch.helpers import bulk, scan

from indexer.analytics.events import (
    EVENT_TYPES,
    Event,
    StoredEvent,
    received_before,
    received_stamp,
)
from indexer.backends.elasticsearch.connection import create_client, translated_errors
from indexer.privacy import redact, redacted_or_none
from indexer.settings import Settings

EVENTS_SUFFIX = "-events"
MAPPING = {
    "dynamic": "strict",
    "properties": {
        "seq": {"type": "long"},
        "received_at": {"type": "date"},
        "type": {"type": "keyword"},
        "session": {"type": "keyword"},
        "query": {"type": "keyword", "ignore_above": 2000},
        "lang": {"type": "keyword"},
        "board": {"type": "keyword"},
        "thread": {"type": "keyword"},
        "rank": {"type": "integer"},
        "helpful": {"type": "boolean"},
        "results": {"type": "keyword"},
        "origin": {"type": "keyword"},
    },
}
SCAN_PAGE = 1_000


def events_index_name(settings: Settings) -> str:
    return f"{settings.elasticsearch_index_prefix}{EVENTS_SUFFIX}"


class ElasticsearchEventStore:
    """Events in ``<elasticsearch_index_prefix>-events`` (the ``EventStore`` interface)."""

    def __init__(self, settings: Settings) -> None:
        self.index = events_index_name(settings)
        self._url = settings.elasticsearch_url
        self._client = create_client(settings)
        self._created = False
        self._lock = threading.Lock()
        # Ids in arrival order within this process; across processes received_at orders.
        self._sequence = itertools.count(time.time_ns())

    def add(self, events: Sequence[Event], origin: str | None = None) -> None:
        """Store events (their query redacted); durable when this returns."""
        self._ensure_index()
        received_at = received_stamp(datetime.now(UTC))
        actions = [
            {
                "_index": self.index,
                "_source": {
                    "seq": next(self._sequence),
                    "received_at": received_at,
                    "type": event.type,
                    "session": event.session,
                    "query": redact(event.query),
                    "lang": event.lang,
                    "board": redacted_or_none(event.board),
                    "thread": event.thread,
                    "rank": event.rank,
                    "helpful": event.helpful,
                    "results": list(event.results),
                    "origin": origin,
                },
            }
            for event in events
        ]
        with translated_errors("storing events", self._url):
            bulk(self._client, actions, raise_on_error=True)

    def read(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        types: Sequence[str] | None = None,
    ) -> Iterator[StoredEvent]:
        """Events received in [since, until) (of ``types`` only), oldest first."""
        with translated_errors("reading events", self._url):
            if not self._client.indices.exists(index=self.index):
                return
            self._client.indices.refresh(index=self.index)
        window: dict[str, Any] = {}
        if since:
            window["gte"] = received_stamp(since)
        if until:
            window["lt"] = received_before(until)
        filters: list[dict[str, Any]] = [{"terms": {"type": list(types or EVENT_TYPES)}}]
        if window:
            filters.append({"range": {"received_at": window}})
        body = {"query": {"bool": {"filter": filters}}, "sort": ["received_at", "seq"]}
        with translated_errors("reading events", self._url):
            hits = scan(
                self._client, index=self.index, query=body, size=SCAN_PAGE, preserve_order=True
            )
            for hit in hits:
                yield _stored(hit["_source"])

    def purge(self, before: datetime) -> int:
        """Delete the events received before ``before`` and expunge them from the index's
        segments (a deleted document otherwise stays on disk until a merge).

        Found by a scan and deleted in bulk, not by ``_delete_by_query``: that lives in
        the reindex module, which minimal distributions leave out (DESIGN.md decision 1).
        """
        cut = received_stamp(before)
        with translated_errors("purging events", self._url):
            if not self._client.indices.exists(index=self.index):
                return 0
            self._client.indices.refresh(index=self.index)
            old = scan(
                self._client,
                index=self.index,
                query={"query": {"range": {"received_at": {"lt": cut}}}, "_source": False},
                size=SCAN_PAGE,
            )
            deletes = (
                {"_op_type": "delete", "_index": self.index, "_id": hit["_id"]} for hit in old
            )
            deleted, _ = bulk(self._client, deletes, raise_on_error=True, refresh=True)
            if deleted:
                self._client.indices.forcemerge(index=self.index, only_expunge_deletes=True)
        return int(deleted)

    def close(self) -> None:
        self._client.close()

    def _ensure_index(self) -> None:
        if self._created:
            return
        with self._lock, translated_errors("creating the events index", self._url):
            if not self._client.indices.exists(index=self.index):
                # 400 resource_already_exists: another process created it meanwhile.
                self._client.options(ignore_status=400).indices.create(
                    index=self.index, mappings=MAPPING, settings={"auto_expand_replicas": "0-1"}
                )
            self._created = True


def _stored(source: dict[str, Any]) -> StoredEvent:
    event = Event(
        type=source["type"],
        session=source["session"],
        query=source.get("query") or "",
        lang=source.get("lang"),
        board=source.get("board"),
        thread=source.get("thread"),
        rank=source.get("rank"),
        helpful=source.get("helpful"),
        results=tuple(source.get("results") or ()),
    )
    received_at = datetime.fromisoformat(source["received_at"].replace("Z", "+00:00"))
    return StoredEvent(int(source["seq"]), received_at, event, source.get("origin"))
