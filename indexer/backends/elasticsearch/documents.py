"""Convert between askfind's indexed threads and Elasticsearch documents, both ways."""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from dataclasses import fields as dataclass_fields
from dataclasses import replace
from datetime import datetime
from typing import Any

import numpy as np
import orjson

from indexer.backends.base import FIELDS, IndexedThread, Signals
from indexer.backends.elasticsearch.mapping import (
    CONTENT_HASH,
    CREATED,
    EMPTY_FIELD,
    RECORD,
    SIGNALS,
    VECTOR,
    VISIBILITY,
)
from indexer.threads import Thread, parse_timestamp, thread_from_record

# Elasticsearch reads a base64 vector as big-endian float32: a third of the bytes of a
# JSON array of floats, and the same float32 values exactly.
VECTOR_DTYPE = ">f4"
# The packed signals (``SIGNALS``): the fields of ``Signals`` after the id, in order.
PACKED_SIGNALS = tuple(field.name for field in dataclass_fields(Signals))[1:]


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
        VISIBILITY: list(thread.visibility) or None,
        SIGNALS: pack_signals(Signals.of(thread)),
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


def pack_signals(signals: Signals) -> str:
    """The ranking signals as one keyword: a JSON array of ``PACKED_SIGNALS``.

    The standard library writes it, as it writes any integer: one beyond 64 bits is
    refused by Elasticsearch (in its numeric copy) with the document named, not here."""
    values = [getattr(signals, name) for name in PACKED_SIGNALS]
    return json.dumps(values, ensure_ascii=False, separators=(",", ":"))


def signals_of(thread_id: str, values: Mapping[str, list[Any]]) -> Signals:
    """Signals from a hit's doc values (``fields``, where every value comes as a list).

    A field added to ``Signals`` later (at the end) takes its default in threads indexed
    before."""
    packed = values.get(SIGNALS)
    if not packed:
        return Signals(id=thread_id)
    signals = Signals(thread_id, *orjson.loads(packed[0]))
    # JSON has no tuples: the groups come back as a list.
    return replace(signals, visibility=tuple(signals.visibility))
