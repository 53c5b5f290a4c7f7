"""What a user would otherwise pick, run on the same data for comparison in ``scripts/eval``.

- txtai: a popular embedded hybrid index (BM25 + vectors), with askfind's model;
- rank_bm25: plain BM25 over lower-case words, the textbook lexical reference;
- Elasticsearch on its own: BM25 over the raw text with the standard analyzer.

Each indexes the title and the cleaned body of every thread and answers the same queries
through the same Searcher interface as askfind.
"""

from __future__ import annotations

import importlib
import re
import uuid
from collections.abc import Sequence
from typing import Any

import numpy as np

from indexer.cleaning import clean_text
from indexer.embedding import Embedder
from indexer.settings import load_settings

WORD = re.compile(r"\w+")
# Enough results to rank every candidate of a reranking set in one call.
FULL_RANKING = 2000
# The peers that need the "eval" extra; each imports the module of its name.
EXTRA_PEERS = ("txtai", "rank_bm25")
INSTALL_HINT = "scripts/install --extra eval"


def unavailable(names: Sequence[str]) -> list[str]:
    """The peers among ``names`` whose module cannot be imported: asked before a run, so
    that a missing extra stops it at once instead of after askfind's own sets."""
    missing = []
    for name in names:
        if name not in EXTRA_PEERS:
            continue
        try:
            importlib.import_module(name)
        except ImportError:
            missing.append(name)
    return missing


def thread_text(record: dict[str, Any]) -> str:
    """What a peer indexes of a thread: its title and cleaned body."""
    return f"{record['title']}\n{clean_text(record.get('body') or '')}".strip()


class _Ranked:
    """Pages through one full ranking per query text (peers have no paging of their own)."""

    def __init__(self) -> None:
        self._last: tuple[str, list[str]] | None = None

    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]:
        if self._last is None or self._last[0] != text:
            self._last = (text, self.rank(text))
        ranked = self._last[1]
        return ranked[offset : offset + limit], len(ranked)

    def rank(self, text: str) -> list[str]:
        raise NotImplementedError


class RankBM25Searcher(_Ranked):
    """BM25 (Okapi, rank_bm25's defaults) over lower-case words: no stemming, no stop words."""

    name = "rank_bm25 (lower-case words)"

    def __init__(self, records: Sequence[dict[str, Any]]) -> None:
        super().__init__()
        from rank_bm25 import BM25Okapi

        self._ids = [record["id"] for record in records]
        self._bm25 = BM25Okapi([_words(thread_text(record)) for record in records])

    def rank(self, text: str) -> list[str]:
        scores = self._bm25.get_scores(_words(text))
        order = np.argsort(-scores, kind="stable")
        return [self._ids[i] for i in order if scores[i] > 0]


class TxtaiSearcher(_Ranked):
    """txtai's hybrid index (its BM25 scoring plus dense vectors) with askfind's model: txtai
    takes the vectors from askfind's embedder (its "external" vectors), so the comparison
    is of retrieval and fusion, not of models."""

    name = "txtai hybrid (same model)"

    def __init__(self, records: Sequence[dict[str, Any]], embedder: Embedder | None = None) -> None:
        super().__init__()
        from txtai import Embeddings

        embedder = embedder or Embedder(load_settings())
        self._embeddings = Embeddings(
            method="external",
            transform=lambda texts: embedder.embed_documents(list(texts)),
            content=True,
            hybrid=True,
        )
        self._embeddings.index(
            [{"id": record["id"], "text": thread_text(record)} for record in records]
        )

    def rank(self, text: str) -> list[str]:
        return [hit["id"] for hit in self._embeddings.search(text, FULL_RANKING)]


class ElasticsearchPlainSearcher(_Ranked):
    """Elasticsearch's own BM25 over the raw title and body with the standard analyzer,
    as a team would set it up without askfind (title and body equally weighted)."""

    name = "Elasticsearch BM25 (standard analyzer)"

    def __init__(self, records: Sequence[dict[str, Any]], url: str) -> None:
        super().__init__()
        from elasticsearch import Elasticsearch, helpers

        self._client = Elasticsearch(url, request_timeout=60)
        self._index = f"askfind-eval-plain-{uuid.uuid4().hex[:8]}"
        self._client.indices.create(
            index=self._index,
            mappings={
                "properties": {
                    "title": {"type": "text", "analyzer": "standard"},
                    "body": {"type": "text", "analyzer": "standard"},
                }
            },
        )
        helpers.bulk(
            self._client,
            (
                {
                    "_index": self._index,
                    "_id": record["id"],
                    "title": record["title"],
                    "body": clean_text(record.get("body") or ""),
                }
                for record in records
            ),
            refresh="wait_for",
        )

    def rank(self, text: str) -> list[str]:
        answer = self._client.search(
            index=self._index,
            query={"multi_match": {"query": text, "fields": ["title", "body"]}},
            size=FULL_RANKING,
            source=False,
        )
        return [hit["_id"] for hit in answer["hits"]["hits"]]

    def close(self) -> None:
        self._client.indices.delete(index=self._index, ignore_unavailable=True)
        self._client.close()


def _words(text: str) -> list[str]:
    return WORD.findall(text.lower())
