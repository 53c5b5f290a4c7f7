"""Bulk writes to Elasticsearch: batched, retried with backoff, per-document errors reported.

Two levels of retry, because a cluster says "not now" in two ways. Documents rejected
one by one with 429 (a full write queue) or 5xx are sent again by the client's
``streaming_bulk`` helper, with exponential backoff. A whole request that fails (the
node is restarting, the connection dropped, a 503 for the request) is sent again here,
also with backoff; indexing a document twice under its id changes nothing, so resending
a batch is safe. Documents refused because the index is write-blocked (a rebuild
cloning the live index holds the block for about a second, see ``clone``) are sent
again too, for up to half a minute. A document refused for good (a mapping error) is
not retried: every such document is listed in an ``IndexWriteError`` once its batch is
done.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from elasticsearch import ApiError, Elasticsearch, TransportError
from elasticsearch.helpers import streaming_bulk

from indexer.backends.elasticsearch.connection import (
    ADMIN_TIMEOUT_S,
    TRANSIENT_STATUSES,
    describe,
    is_transient,
)
from indexer.errors import BackendUnavailable, IndexWriteError

log = logging.getLogger(__name__)

# Per-document retries inside streaming_bulk: 1, 2, 4, 8, 16 s.
DOCUMENT_RETRIES = 5
INITIAL_BACKOFF_S = 1.0
MAX_BACKOFF_S = 30.0
# Whole-batch attempts when the request itself fails: waits of 1, 2, 4, 8 s between.
BATCH_ATTEMPTS = 5
# Requests are cut at this many bytes as well as at the batch size (vectors are large).
MAX_REQUEST_BYTES = 20 * 1024 * 1024
FAILURES_SHOWN = 5
# Documents refused by a write block: sent again after 0.5, 1, 2, 4, 8, 8, 8 s.
BLOCKED_ATTEMPTS = 8
BLOCKED_MAX_WAIT_S = 8.0
WRITE_BLOCK = "cluster_block_exception"


@dataclass
class BulkResult:
    """What a batch did: ids written, ids deleted, and documents refused."""

    written: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    failures: list[tuple[str, int, str]] = field(default_factory=list)


def index_action(index: str, thread_id: str, document: Mapping[str, Any]) -> dict[str, Any]:
    return {"_op_type": "index", "_index": index, "_id": thread_id, "_source": document}


def delete_action(index: str, thread_id: str) -> dict[str, Any]:
    return {"_op_type": "delete", "_index": index, "_id": thread_id}


def send(
    client: Elasticsearch,
    actions: Sequence[dict[str, Any]],
    batch_size: int,
    tolerated: Collection[int] = (),
    **bulk_options: Any,
) -> BulkResult:
    """Send ``actions`` in bulk requests of ``batch_size``; retry what may succeed later.

    ``tolerated``: per-document statuses that are no failure (409 for "create if absent").
    ``bulk_options`` go to every bulk request (``refresh``, ``require_alias``).

    Raises:
        BackendUnavailable: the cluster kept failing the requests.
        IndexWriteError: documents were refused for good (the others were written).
    """
    writer = client.options(request_timeout=ADMIN_TIMEOUT_S, max_retries=0)
    result = BulkResult()
    pending = actions
    for attempt in range(1, BLOCKED_ATTEMPTS + 1):
        sent = _send_with_retries(writer, pending, batch_size, tolerated, bulk_options)
        blocked = {f[0] for f in sent.failures if f[2].startswith(WRITE_BLOCK)}
        last = attempt == BLOCKED_ATTEMPTS
        result.written.extend(sent.written)
        result.deleted.extend(sent.deleted)
        result.failures.extend(f for f in sent.failures if last or f[0] not in blocked)
        if not blocked or last:
            break
        wait = min(BLOCKED_MAX_WAIT_S, INITIAL_BACKOFF_S * 2 ** (attempt - 2))
        log.warning("%d document(s) met a write block; retrying in %.1f s", len(blocked), wait)
        time.sleep(wait)
        pending = [action for action in pending if str(action.get("_id")) in blocked]
    if result.failures:
        shown = "; ".join(
            f"{thread_id}: HTTP {status} {reason}"
            for thread_id, status, reason in result.failures[:FAILURES_SHOWN]
        )
        more = len(result.failures) - FAILURES_SHOWN
        raise IndexWriteError(
            f"{len(result.failures)} thread(s) could not be written: {shown}"
            + (f" (and {more} more)" if more > 0 else "")
        )
    return result


def _send_with_retries(
    client: Elasticsearch,
    actions: Sequence[dict[str, Any]],
    batch_size: int,
    tolerated: Collection[int],
    bulk_options: Mapping[str, Any],
) -> BulkResult:
    """Send the actions; send the whole batch again while the requests fail transiently."""
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return _send_once(client, actions, batch_size, tolerated, bulk_options)
        except (ApiError, TransportError) as e:
            if not is_transient(e) or attempt == BATCH_ATTEMPTS:
                raise BackendUnavailable(
                    f"bulk request failed after {attempt} attempt(s): {describe(e)}"
                ) from e
            wait = INITIAL_BACKOFF_S * 2 ** (attempt - 1)
            log.warning("bulk request failed (%s); retrying in %.0f s", describe(e), wait)
            time.sleep(wait)
    raise AssertionError("unreachable")


def _send_once(
    client: Elasticsearch,
    actions: Iterable[dict[str, Any]],
    batch_size: int,
    tolerated: Collection[int],
    bulk_options: Mapping[str, Any],
) -> BulkResult:
    result = BulkResult()
    for ok, item in streaming_bulk(
        client,
        actions,
        chunk_size=batch_size,
        max_chunk_bytes=MAX_REQUEST_BYTES,
        raise_on_error=False,
        raise_on_exception=True,
        max_retries=DOCUMENT_RETRIES,
        initial_backoff=INITIAL_BACKOFF_S,
        max_backoff=MAX_BACKOFF_S,
        retry_on_status=TRANSIENT_STATUSES,
        **bulk_options,
    ):
        operation, info = next(iter(item.items()))
        thread_id = str(info.get("_id"))
        if operation == "delete":
            # Deleting what is not there is no failure: the thread is gone either way.
            if ok and info.get("result") == "deleted":
                result.deleted.append(thread_id)
            elif not ok and info.get("status") != 404:
                result.failures.append((thread_id, int(info.get("status", 0)), _reason(info)))
        elif ok:
            result.written.append(thread_id)
        elif info.get("status") in tolerated:
            continue
        else:
            result.failures.append((thread_id, int(info.get("status", 0)), _reason(info)))
    return result


def _reason(info: Mapping[str, Any]) -> str:
    error = info.get("error")
    if isinstance(error, dict):
        return f"{error.get('type')}: {error.get('reason')}"
    return str(error)
