"""Indexes to evaluate against: built once per dataset, searched in-process or over HTTP."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from indexer.backends.factory import create_backend
from indexer.engine import Engine, open_engine
from indexer.evaluation.datasets import Dataset
from indexer.evaluation.runner import HttpSearcher, Searcher
from indexer.search import SearchRequest, SearchService
from indexer.settings import Settings
from indexer.threads import thread_from_record

SERVER_START_TIMEOUT_S = 180


def index_prefix(dataset: Dataset) -> str:
    """The Elasticsearch index prefix of a dataset's index (backend = elasticsearch): one
    index per set, replaced by the next evaluation run's rebuild, which carries unchanged
    threads over instead of embedding them again."""
    return f"askfind-eval-{dataset.name.lower()}"


class ServiceSearcher:
    """Search in-process through the same SearchService the HTTP API uses."""

    def __init__(self, service: SearchService) -> None:
        self.service = service

    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        result = self.service.search(
            SearchRequest(text=text, limit=limit, offset=offset, partial=False)
        )
        return [item.thread.id for item in result.items], result.total

    def search_message(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        """A pasted message, as ``POST /api/search`` searches it."""
        result = self.service.search(
            SearchRequest(text=text, limit=limit, offset=offset, message=True)
        )
        return [item.thread.id for item in result.items], result.total

    def suggest(self, text: str, limit: int) -> list[str]:
        """Ids of the suggestions above the confidence floor, as /api/suggest gives them."""
        result = self.service.search(SearchRequest(text=text, limit=limit, apply_floor=True))
        return [item.thread.id for item in result.items]


class InProcessIndex:
    """A dataset indexed into ``work_dir`` with the given settings, searched in-process."""

    def __init__(self, dataset: Dataset, settings: Settings, work_dir: Path) -> None:
        self.settings = settings.model_copy(
            update={
                "data_dir": work_dir / dataset.name,
                "elasticsearch_index_prefix": index_prefix(dataset),
            }
        )
        self.engine: Engine = open_engine(self.settings)
        threads = [thread_from_record(record) for record in dataset.threads()]
        self.report = self.engine.indexer().run(threads)

    def searcher(self, overrides: dict[str, Any]) -> Searcher:
        settings = self.settings.model_copy(update=overrides)
        backend = create_backend(settings, self.engine.embedder.dimension)
        service = SearchService(settings, self.engine.analyzer, self.engine.embedder, backend)
        return ServiceSearcher(service)

    def close(self) -> None:
        self.engine.close()


class HttpIndex:
    """A dataset indexed with ``askfind index`` and served by ``askfind serve`` (gunicorn)."""

    def __init__(self, dataset: Dataset, work_dir: Path, env: dict[str, str]) -> None:
        self.data_dir = work_dir / dataset.name
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**env, "ASKFIND_ELASTICSEARCH_INDEX_PREFIX": index_prefix(dataset)}
        source = self.data_dir / "threads.jsonl"
        import json

        with source.open("w", encoding="utf-8") as handle:
            for record in dataset.threads():
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        subprocess.run(
            [*_askfind(), "index", str(source), "--data-dir", str(self.data_dir), "--no-progress"],
            check=True,
            env={**os.environ, **self.env},
            stdout=subprocess.DEVNULL,
        )

    @contextlib.contextmanager
    def searcher(self, overrides: dict[str, Any]) -> Iterator[Searcher]:
        port = _free_port()
        env = {
            # One client asks every question as fast as it can: no per-client rate limit
            # (unless the environment sets one).
            "ASKFIND_RATE_LIMIT_PER_SECOND": "0",
            **os.environ,
            **self.env,
            **{f"ASKFIND_{k.upper()}": str(v) for k, v in overrides.items()},
        }
        server = subprocess.Popen(
            [*_askfind(), "serve", "--data-dir", str(self.data_dir), "--port", str(port)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            _wait_ready(base, server)
            yield HttpSearcher(base)
        finally:
            server.terminate()
            server.wait(timeout=30)


def _askfind() -> list[str]:
    return [sys.executable, "-m", "widget.cli"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(base: str, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"askfind serve exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"askfind serve was not ready within {SERVER_START_TIMEOUT_S} s")
