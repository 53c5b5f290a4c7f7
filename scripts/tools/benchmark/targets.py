"""The backends the benchmark measures: how askfind is pointed at each, and what it stores.

The Elasticsearch target talks to the cluster over plain HTTP (urllib), from the outside,
as an operator would; askfind itself is configured through its ASKFIND_* environment.
"""

from __future__ import annotations

import argparse
import json
import shutil
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from ..instruments.processes import memory_shares_kib

# How long one request to Elasticsearch may take (deleting a large index is slow).
TIMEOUT_S = 120.0


class Target(Protocol):
    """What the benchmark needs of a backend: how askfind is pointed at it, how its index
    and the embedding cache are thrown away, and what it occupies on disk.

    The Elasticsearch target (ElasticsearchTarget below) returns ASKFIND_BACKEND,
    ASKFIND_ELASTICSEARCH_URL and an index prefix from ``env``, also deletes the
    benchmark's indices in ``reset`` and reads their size from ``_cat/indices`` in
    ``footprint``; the phases stay as they are.
    """

    name: str

    def env(self) -> dict[str, str]: ...

    def reset(self, data_dir: Path) -> None: ...

    def footprint(self, data_dir: Path) -> dict[str, int]: ...

    def has_index(self, data_dir: Path) -> bool: ...

    def process_memory(self) -> dict[str, list[dict[str, int]]]:
        """The memory of the backend's own processes (``memory_shares_kib``), by kind."""
        ...


class EmbeddedTarget:
    """The default backend: index and embedding cache both live in the data dir."""

    name = "embedded"

    def env(self) -> dict[str, str]:
        return {"ASKFIND_BACKEND": "embedded"}

    def reset(self, data_dir: Path) -> None:
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)

    def footprint(self, data_dir: Path) -> dict[str, int]:
        cache = sum(_size(path) for path in data_dir.glob("embeddings.sqlite*"))
        return {"index_bytes": _size(data_dir / "index"), "embedding_cache_bytes": cache}

    def has_index(self, data_dir: Path) -> bool:
        return (data_dir / "index").is_dir()

    def process_memory(self) -> dict[str, list[dict[str, int]]]:
        return {}  # it runs inside the workers


class ElasticsearchTarget:
    """askfind on the Elasticsearch at ``url``, its indices under ``prefix``; the embedding
    cache stays in the data dir (so "from scratch" embeds every thread here too).

    ``url`` may name every node of a cluster, comma-separated, as ``elasticsearch_url``
    does: the service gets them all, and the benchmark's own requests go to the first
    node that answers."""

    name = "elasticsearch"

    def __init__(self, url: str, prefix: str) -> None:
        self.nodes = [node.strip().rstrip("/") for node in url.split(",") if node.strip()]
        self.url = ",".join(self.nodes)
        self.prefix = prefix

    def env(self) -> dict[str, str]:
        return {
            "ASKFIND_BACKEND": "elasticsearch",
            "ASKFIND_ELASTICSEARCH_URL": self.url,
            "ASKFIND_ELASTICSEARCH_INDEX_PREFIX": self.prefix,
        }

    def reset(self, data_dir: Path) -> None:
        shutil.rmtree(data_dir, ignore_errors=True)
        data_dir.mkdir(parents=True)
        names = [row["index"] for row in self._indices()]
        if names:
            # By name: deleting by wildcard is refused (action.destructive_requires_name).
            self._request("DELETE", f"/{','.join(names)}?expand_wildcards=all")

    def footprint(self, data_dir: Path) -> dict[str, int]:
        cache = sum(path.stat().st_size for path in data_dir.glob("embeddings.sqlite*"))
        stored = sum(int(row["store.size"] or 0) for row in self._indices())
        return {"index_bytes": stored, "embedding_cache_bytes": cache}

    def has_index(self, data_dir: Path) -> bool:
        return any(row["index"].startswith(f"{self.prefix}-v") for row in self._indices())

    def process_memory(self) -> dict[str, list[dict[str, int]]]:
        """Each node's process, found by the pid the node reports (on this machine only:
        a node elsewhere has no /proc here, and is left out)."""
        nodes = self._request("GET", "/_nodes/process?filter_path=nodes.*.process.id") or {}
        pids = [node["process"]["id"] for node in nodes.get("nodes", {}).values()]
        found = [memory_shares_kib(pid) for pid in pids]
        return {"elasticsearch_nodes": [shares for shares in found if shares]}

    def _indices(self) -> list[dict[str, Any]]:
        """This prefix's indices (the rebuild lease's too), with their size in bytes.

        ``prefix-*``, not ``prefix*``: askfind-bench-10000* would take the indices of
        askfind-bench-100000 with it.
        """
        pattern = urllib.parse.quote(f"{self.prefix}-*")
        query = "format=json&bytes=b&h=index,store.size&expand_wildcards=all"
        return list(self._request("GET", f"/_cat/indices/{pattern}?{query}") or [])

    def _request(self, method: str, path: str) -> Any:
        unreachable: list[str] = []
        for node in self.nodes:
            request = urllib.request.Request(f"{node}{path}", method=method)
            try:
                with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
                    return json.load(response)
            except urllib.error.HTTPError as error:
                if error.code == 404:
                    return None
                raise SystemExit(f"Elasticsearch at {node}: {method} {path}: {error}") from error
            except urllib.error.URLError as error:
                unreachable.append(f"{node} ({error.reason})")
        raise SystemExit(f"Elasticsearch does not answer: {', '.join(unreachable)}")


def _elasticsearch(args: argparse.Namespace) -> Target:
    if not args.elasticsearch_url:
        raise SystemExit("--backend elasticsearch needs --elasticsearch-url")
    return ElasticsearchTarget(args.elasticsearch_url, f"askfind-bench-{args.threads}")


TARGETS: dict[str, Callable[[argparse.Namespace], Target]] = {
    "embedded": lambda args: EmbeddedTarget(),
    "elasticsearch": _elasticsearch,
}


def _size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(item.stat().st_size for item in path.rglob("*") if item.is_file())
