"""Start a rebuild from a clone of the live index instead of an empty index.

A nightly rebuild of a community where almost nothing changed would otherwise copy every
thread from the live index into a new one: read its vector, send it back, and have
Elasticsearch build the HNSW graph again, about 200 s for 100,000 threads on two cores.
The core ``_clone`` API hard-links the live index's segments into the new index in about
a second, graph included; the rebuild then writes only what changed, and ``commit``
deletes what the source no longer has.

Cloning needs the source write-blocked. The block lasts for a flush and the clone (about
a second); live writes refused meanwhile are sent again by ``bulk.send``, so none is lost.
A rebuild that dies inside that second leaves the block on; the next rebuild lifts it
(``lift_write_blocks``), and until then live writes fail with an error that says so.

The clone keeps the live index's mapping and settings, so a rebuild clones only an index
of the same layout (mapping, vector dimension, BM25 parameters, shards: ``layout_id``,
kept in the mapping's ``_meta``); any other starts empty, as before.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from elasticsearch import ApiError, Elasticsearch

from indexer.backends.elasticsearch.mapping import BUILD_SETTINGS, index_settings, mappings
from indexer.settings import Settings

log = logging.getLogger(__name__)

LAYOUT = "askfind_layout"


def layout_id(settings: Settings, dimension: int) -> str:
    """A fingerprint of everything a clone takes over from its source and cannot change."""
    built = index_settings(settings)
    shape = {
        "mappings": mappings(dimension),
        "similarity": built["similarity"],
        "shards": built["number_of_shards"],
    }
    return hashlib.sha256(json.dumps(shape, sort_keys=True).encode()).hexdigest()[:16]


def with_layout(index_mappings: dict[str, Any], layout: str) -> dict[str, Any]:
    return {**index_mappings, "_meta": {LAYOUT: layout}}


def layout_of(client: Elasticsearch, index: str) -> str | None:
    response = client.indices.get_mapping(index=index)
    meta = response[index]["mappings"].get("_meta") or {}
    return meta.get(LAYOUT)


def clone_live(client: Elasticsearch, source: str, target: str, writer_alias: str) -> bool:
    """Clone ``source`` into ``target`` (with build settings and the writer alias).

    Returns False, with nothing left behind, where the cluster refuses the clone (the
    source is not green, say): the caller then starts from an empty index.
    """
    client.indices.put_settings(index=source, settings={"index.blocks.write": True})
    try:
        # The clone takes the last commit's segments: flush so that it holds every write.
        client.indices.flush(index=source)
        response = client.indices.clone(
            index=source,
            target=target,
            settings={**BUILD_SETTINGS, "index.blocks.write": False},
            aliases={writer_alias: {}},
            wait_for_active_shards="all",
        )
        if not response.get("shards_acknowledged"):
            client.cluster.health(index=target, wait_for_status="green", timeout="60s")
    except ApiError as e:
        log.warning("could not clone %s (%s): rebuilding from scratch", source, e)
        client.options(ignore_status=404).indices.delete(index=target)
        return False
    finally:
        client.indices.put_settings(index=source, settings={"index.blocks.write": None})
    return True


def lift_write_blocks(client: Elasticsearch, indices: set[str]) -> None:
    """Lift a write block a rebuild that died while cloning left on the live indices."""
    for name in sorted(indices):
        response = client.indices.get_settings(index=name, name="index.blocks.write")
        index = response.body.get(name, {}).get("settings", {}).get("index", {})
        blocked = index.get("blocks", {}).get("write")
        if blocked == "true":
            log.warning("lifting the write block a dead rebuild left on %s", name)
            client.indices.put_settings(index=name, settings={"index.blocks.write": None})
