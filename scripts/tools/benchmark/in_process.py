"""In-process figures: query embedding and the search service without HTTP, and int8 vectors
against float32's. Each imports askfind itself, from the checkout next to the scripts."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path
from typing import Any

from ..instruments.stats import percentiles
from .corpus import SEED
from .session import Bench

EQUIVALENCE_TEXTS = 200
# The transformer whose int8 vectors are compared with float32 (the default model, USE, runs
# in numpy in float32 and has no int8 form).
TRANSFORMER = "all-MiniLM-L6-v2"
IN_PROCESS_KEYS = ("query_embedding", "in_process_suggest", "equivalence")


def time_query_embedding(texts: list[str], warmup: list[str]) -> dict[str, Any]:
    """The uncached query path alone (``_embed_query``), in this process."""
    from indexer.embedding import Embedder
    from indexer.settings import load_settings

    embedder = Embedder(load_settings())
    return {
        "model": embedder.model_name,
        "ms": percentiles(_timed(embedder._embed_query, texts, warmup), 1000),
    }


def time_in_process_suggest(data_dir: Path, texts: list[str], warmup: list[str]) -> dict:
    """What /api/suggest costs without HTTP, Flask and gunicorn: the search service alone."""
    from indexer.engine import open_engine
    from indexer.search import SearchRequest
    from indexer.settings import load_settings

    engine = open_engine(load_settings(data_dir=data_dir))
    try:

        def suggest(text: str) -> Any:
            return engine.search.search(SearchRequest(text=text, limit=5, apply_floor=True))

        return {"ms": percentiles(_timed(suggest, texts, warmup), 1000)}
    finally:
        engine.close()


def vector_equivalence(real: list[dict], queries: list[str]) -> dict[str, Any]:
    """Cosine between int8 and float32 vectors of the bundled transformer (ONNX Runtime,
    no torch): what int8 costs in precision, and what float32 costs in time."""
    from indexer.cleaning import clean_text
    from indexer.embedding import Embedder
    from indexer.settings import load_settings

    sample = random.Random(SEED).sample(real, EQUIVALENCE_TEXTS)
    texts = []
    for thread in sample:  # the text the pipeline embeds: title, then body when there is one
        title, body = clean_text(thread["title"]), clean_text(thread.get("body") or "")
        texts.append(f"{title}\n{body}" if body else title)
    default = Embedder(load_settings(embedding_model=TRANSFORMER))
    reference = Embedder(load_settings(embedding_model=TRANSFORMER, embedding_runtime="onnx"))
    documents = (default.embed_documents(texts) * reference.embed_documents(texts)).sum(axis=1)
    query_cosines = [
        float(default._embed_query(text) @ reference._embed_query(text)) for text in queries
    ]
    float32_ms = percentiles(_timed(reference._embed_query, queries, queries[:20]), 1000)
    return {
        "documents": {
            "n": len(texts),
            "min": float(documents.min()),
            "mean": float(documents.mean()),
        },
        "queries": {
            "n": len(queries),
            "min": min(query_cosines),
            "mean": sum(query_cosines) / len(query_cosines),
        },
        "float32_query_ms": float32_ms,
    }


def _timed(function: Any, texts: list[str], warmup: list[str]) -> list[float]:
    for text in warmup:
        function(text)
    timings = []
    for text in texts:
        started = time.perf_counter()
        function(text)
        timings.append(time.perf_counter() - started)
    return timings


def in_process(bench: Bench, real: list[dict], measured: list[str], warmup: list[str]) -> None:
    """The in-process measurements; one that fails is reported, and the others still run."""
    phases = {  # keys: IN_PROCESS_KEYS
        "query_embedding": (
            "query embedding (in-process)",
            lambda: time_query_embedding(measured, warmup),
        ),
        "in_process_suggest": (
            "suggest (in-process)",
            lambda: time_in_process_suggest(bench.data_dir, measured, warmup),
        ),
        "equivalence": (
            "vector equivalence",
            lambda: vector_equivalence(real, measured[:EQUIVALENCE_TEXTS]),
        ),
    }
    for key, (name, measure) in phases.items():
        with bench.phase(name):
            try:
                bench.results[key] = measure()
            except Exception as e:
                bench.results[key] = {"error": f"{type(e).__name__}: {e}"}
                print(f"  {name} failed: {e!r}", file=sys.stderr)
