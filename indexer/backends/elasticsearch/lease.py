"""One full rebuild at a time per index prefix, across processes and machines.

The embedded backend locks a file; a cluster has no such lock, so a rebuild holds a
lease: a document in a small index, created only if absent, that names the index being
built and expires unless renewed. A rebuild that dies leaves an expired lease; the next
one takes it over (compare-and-set on the document's sequence number, so two cannot both
win) and deletes the dead rebuild's index.
"""

from __future__ import annotations

import os
import socket
import time
from typing import Any

from elasticsearch import ConflictError, Elasticsearch, NotFoundError

from indexer.errors import RebuildInProgress

LEASE_ID = "rebuild"
# A rebuild renews its lease at least this often while it writes; a lease that was not
# renewed for LEASE_S belongs to a rebuild that died.
LEASE_S = 900.0
RENEW_EVERY_S = 60.0


class RebuildLease:
    """The lease of one rebuild of ``index`` (the versioned index it writes)."""

    def __init__(self, client: Elasticsearch, lock_index: str, index: str) -> None:
        self._client = client
        self._lock_index = lock_index
        self.index = index
        self._seq_no: int | None = None
        self._primary_term: int | None = None
        self._renewed = 0.0

    def acquire(self) -> str | None:
        """Take the lease; returns the index of a dead rebuild whose lease expired, if any.

        Raises:
            RebuildInProgress: a live rebuild holds the lease.
        """
        self._client.options(ignore_status=400).indices.create(
            index=self._lock_index,
            settings={"number_of_shards": 1, "auto_expand_replicas": "0-1", "hidden": True},
            mappings={"enabled": False},  # read by id only: nothing to index
        )
        try:
            created = self._client.create(
                index=self._lock_index, id=LEASE_ID, document=self._document(), refresh=True
            )
        except ConflictError:
            return self._take_over()
        self._held(created)
        return None

    def _take_over(self) -> str | None:
        current = self._client.get(index=self._lock_index, id=LEASE_ID)
        holder = current["_source"]
        if holder["expires"] > time.time():
            raise RebuildInProgress(
                f"another rebuild (by {holder['owner']}, into {holder['index']}) is running; "
                f"its lease runs until {time.ctime(holder['expires'])}"
            )
        try:
            taken = self._client.index(
                index=self._lock_index,
                id=LEASE_ID,
                document=self._document(),
                if_seq_no=current["_seq_no"],
                if_primary_term=current["_primary_term"],
                refresh=True,
            )
        except ConflictError as e:
            raise RebuildInProgress("another rebuild took over the expired lease first") from e
        self._held(taken)
        return str(holder["index"])

    def renew(self, force: bool = False) -> None:
        """Extend the lease (at most once a minute unless ``force``).

        Raises:
            RebuildInProgress: the lease expired and another rebuild took it over.
        """
        if not force and time.monotonic() - self._renewed < RENEW_EVERY_S:
            return
        try:
            renewed = self._client.index(
                index=self._lock_index,
                id=LEASE_ID,
                document=self._document(),
                if_seq_no=self._seq_no,
                if_primary_term=self._primary_term,
            )
        except (ConflictError, NotFoundError) as e:
            raise RebuildInProgress(
                f"the rebuild lease of {self.index} was taken over: this rebuild is abandoned"
            ) from e
        self._held(renewed)

    def release(self) -> None:
        """Give the lease up (nothing happens if it was lost)."""
        if self._seq_no is None:
            return
        self._client.options(ignore_status=(404, 409)).delete(
            index=self._lock_index,
            id=LEASE_ID,
            if_seq_no=self._seq_no,
            if_primary_term=self._primary_term,
            refresh=True,
        )
        self._seq_no = None

    def _document(self) -> dict[str, Any]:
        owner = f"{socket.gethostname()} pid {os.getpid()}"
        return {"owner": owner, "index": self.index, "expires": time.time() + LEASE_S}

    def _held(self, response: Any) -> None:
        self._seq_no = int(response["_seq_no"])
        self._primary_term = int(response["_primary_term"])
        self._renewed = time.monotonic()
