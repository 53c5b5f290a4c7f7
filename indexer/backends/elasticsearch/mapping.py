"""What askfind's Elasticsearch indices are called and what they hold.

Only core features (DESIGN.md decision 1), so the mapping works on every 8.x/9.x
distribution, the minimal integ-test-zip included: askfind analyses text in Python and
sends each analysed field as its terms joined by spaces, which the built-in
``whitespace`` analyser splits back apart; nothing from analysis-common is needed.

An index holds, per thread:

- ``title``, ``body``, ``solution``, ``answers``: the analysed terms, scored by BM25
  with the k1 and b of the settings (a ``similarity`` of the index);
- ``vector``: the embedding, HNSW over int8-quantised vectors (``int8_hnsw``, cosine);
  the float vectors stay on disk for exact rescoring and for ``carry_over``;
- keyword, boolean, numeric and date copies of the filters and the ranking signals
  (which also make Elasticsearch check their types), the signals once more packed into
  one doc value for searches to read (``signals``), and ``content_hash`` to skip
  unchanged threads;
- ``visibility``: the groups allowed to see a restricted thread, no value for a public
  one (so that threads of an index written before visibility existed read as public,
  which they all were), filtered on inside both legs (``queries.visibility_clause``);
- ``record``: the thread as given (not indexed), for ``get_threads``.

The mapping's ``_meta`` names the layout (see ``clone.layout_id``): a rebuild clones the
live index only when its layout is the current one.

Prefix matching of the word being typed goes through a companion index of the terms
and their frequencies (see ``vocabulary``): ``index_prefixes`` would match a prefix, but
could not rank its continuations by frequency the way the embedded backend does.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from indexer.backends.base import FIELDS
from indexer.settings import Settings

SIMILARITY = "askfind_bm25"
VECTOR = "vector"
RECORD = "record"
CONTENT_HASH = "content_hash"
CREATED = "created"
VISIBILITY = "visibility"
TERMS_SOURCE = [*FIELDS, CONTENT_HASH, VECTOR, RECORD]
# A thread's ranking signals, packed into one keyword doc value (``documents.pack_signals``):
# a hit reads one doc value instead of eight, which made a search of 100 hits 1.5 ms
# faster (4.0 against 2.5 ms at 100,000 threads, measured).
SIGNALS = "signals"
# An analysed field with no terms holds this one token instead. Lucene counts a document
# in a field's statistics (document count, average length) only when the field has a
# term; the embedded backend counts every thread. With a token in every field both
# compute the same idf. The analyser never emits it: its words have no underscore.
EMPTY_FIELD = "_"
# Versioned index names: <prefix>-v<UTC time to the microsecond>, sortable by age.
VERSION_FORMAT = "%Y%m%d%H%M%S%f"
VERSION_PATTERN = re.compile(r"-v(\d{20})$")
# While a new index is built: no refreshes and no replicas (both are restored at commit).
BUILD_SETTINGS = {"refresh_interval": "-1", "number_of_replicas": 0, "auto_expand_replicas": False}


def alias_name(settings: Settings) -> str:
    """The alias every search and live write goes through."""
    return settings.elasticsearch_index_prefix


def lock_index_name(settings: Settings) -> str:
    """The small index holding the rebuild lease (see ``lock``)."""
    return f"{settings.elasticsearch_index_prefix}-rebuild-lock"


def new_index_name(settings: Settings, now: datetime | None = None) -> str:
    """A fresh versioned index name, later than every earlier one."""
    stamp = (now or datetime.now(UTC)).strftime(VERSION_FORMAT)
    return f"{settings.elasticsearch_index_prefix}-v{stamp}"


def is_versioned_index(settings: Settings, name: str) -> bool:
    """Tell whether ``name`` is one of this prefix's versioned indices."""
    prefix = settings.elasticsearch_index_prefix
    return name.startswith(prefix) and VERSION_PATTERN.fullmatch(name[len(prefix) :]) is not None


def versioned_index_pattern(settings: Settings) -> str:
    return f"{settings.elasticsearch_index_prefix}-v*"


def index_settings(settings: Settings) -> dict[str, Any]:
    """Settings of a new index while it is being built."""
    return {
        "number_of_shards": settings.elasticsearch_shards,
        **BUILD_SETTINGS,
        "similarity": {SIMILARITY: {"type": "BM25", "k1": settings.bm25_k1, "b": settings.bm25_b}},
    }


def serving_settings(settings: Settings) -> dict[str, Any]:
    """Settings a built index gets before it serves: refreshes and replicas back on."""
    replicas = settings.elasticsearch_replicas
    if replicas.isdigit():
        return {
            "refresh_interval": None,
            "auto_expand_replicas": False,
            "number_of_replicas": int(replicas),
        }
    return {"refresh_interval": None, "auto_expand_replicas": replicas}


def mappings(dimension: int) -> dict[str, Any]:
    """The mapping of a thread index for vectors of ``dimension``."""
    analysed = {
        "type": "text",
        "analyzer": "whitespace",
        "similarity": SIMILARITY,
        # Positions are never used (no phrase queries): frequencies are enough.
        "index_options": "freqs",
    }
    keyword = {"type": "keyword"}
    return {
        "dynamic": "strict",
        "properties": {
            **{name: dict(analysed) for name in FIELDS},
            VECTOR: {
                "type": "dense_vector",
                "dims": dimension,
                "index": True,
                "similarity": "cosine",
                "index_options": {"type": "int8_hnsw"},
            },
            "id": keyword,
            "board": keyword,
            "lang": keyword,
            "solved": {"type": "boolean"},
            "kudos": {"type": "long"},
            "views": {"type": "long"},
            "replies": {"type": "long"},
            "created_at": {"type": "keyword", "index": False},
            # The same time as a number, for date ranges: parsed by askfind, not by
            # Elasticsearch's date formats.
            CREATED: {"type": "date", "format": "epoch_millis"},
            "duplicate_of": keyword,
            # The groups allowed to see a restricted thread; none for a public one.
            VISIBILITY: keyword,
            # What searches read (as a doc value); never searched.
            SIGNALS: {"type": "keyword", "index": False},
            CONTENT_HASH: {"type": "keyword", "index": False, "doc_values": False},
            RECORD: {"type": "object", "enabled": False},
        },
    }


def stored_fields() -> list[str]:
    """Every field of a document, to ask for all of them by name (the vector included,
    which Elasticsearch 9 otherwise leaves out of ``_source``)."""
    return list(mappings(1)["properties"])
