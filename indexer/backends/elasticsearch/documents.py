"""Convert between askfind's indexed threads and Elasticsearch documents, both ways."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from datetime import datetime
from typing import Any

import numpy as np

from indexer.backends.base import FIELDS, IndexedThread, Signals
from indexer.backends.elasticsearch.mapping import (
    CONTENT_HASH,
    CREATED,
    EMPTY_FIELD,
    RECORD,
    SIGNAL_FIELDS,
    VECTOR,
)
from indexer.threads import Thread, parse_timestamp, thread_from_record

# Elasticsearch reads a base64 vector as big-endian float32: a third of the bytes of a
# JSON array of floats, and the same float32 values exactly.
VECTOR_DTYPE = ">f4"


def document(indexed: IndexedThread) -> dict[str, Any]:
    """The document stored for a thread."""
    thread = indexed.thread
    fields = {name: " ".join(indexed.terms.get(name, ())) or EMPTY_FIELD for name in FIELDS}
    return {
        **fields,
        VECTOR: encode_vector(indexed.vector),
        "id": thread.id,
        "board": thread.board,
        "lang": thread.lang,
        "solved": thread.solved,
        "kudos": thread.kudos,
        "views": thread.views,
        "replies": thread.replies,
        "created_at": thread.created_at,
        CREATED: epoch_millis(parse_timestamp(thread.created_at)) if thread.created_at else None,
        "duplicate_of": thread.duplicate_of,
        CONTENT_HASH: indexed.content_hash,
        RECORD: thread.to_record(),
    }


def indexed_thread(source: Mapping[str, Any]) -> IndexedThread:
    """The indexed thread back from a stored document (its ``_source`` with the vector)."""
    return IndexedThread(
        thread=thread_from_record(source[RECORD]),
        terms={name: terms_of(source.get(name, "")) for name in FIELDS},
        vector=vector_of(source[VECTOR]),
        content_hash=source[CONTENT_HASH],
    )


def epoch_millis(moment: datetime) -> int:
    return round(moment.timestamp() * 1000)


def encode_vector(vector: np.ndarray) -> str:
    return base64.b64encode(np.asarray(vector, dtype=VECTOR_DTYPE).tobytes()).decode("ascii")


def terms_of(text: str) -> tuple[str, ...]:
    return tuple(term for term in text.split() if term != EMPTY_FIELD)


def vector_of(value: str | list[float]) -> np.ndarray:
    """A stored vector as float32: Elasticsearch returns it as a list of floats, or as
    it was sent (base64) where it keeps vectors in ``_source``."""
    if isinstance(value, str):
        return np.frombuffer(base64.b64decode(value), dtype=VECTOR_DTYPE).astype(np.float32)
    return np.asarray(value, dtype=np.float32)


def thread_of(source: Mapping[str, Any]) -> Thread:
    return thread_from_record(source[RECORD])


def signals_of(thread_id: str, values: Mapping[str, list[Any]]) -> Signals:
    """Signals from a hit's doc values (``fields``: every value comes as a list)."""

    def first(name: str) -> Any:
        found = values.get(name)
        return found[0] if found else None

    return Signals(
        id=thread_id,
        solved=bool(first("solved")),
        kudos=int(first("kudos") or 0),
        views=int(first("views") or 0),
        replies=int(first("replies") or 0),
        created_at=first("created_at"),
        duplicate_of=first("duplicate_of"),
        board=first("board"),
        lang=first("lang"),
    )


def signal_request() -> list[str]:
    """The doc-value fields a search asks for to build ``Signals``."""
    return list(SIGNAL_FIELDS)
