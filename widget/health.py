"""Liveness and readiness: /healthz says the process answers, /readyz that it can search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from indexer.errors import AskfindError
from widget.context import engine_of
from widget.runtime import runtime_of

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@health.get("/readyz")
def readyz() -> Any:
    """Ready when the index answers and holds threads. Redis is optional: without it the
    service is still ready, with a warning (no shared cache, limits per process)."""
    engine = engine_of(current_app)
    redis = runtime_of(current_app).redis
    warnings = []
    if redis.configured and not redis.ping():
        warnings.append(
            f"Redis is unavailable ({redis.last_error}): caching and rate limiting in-process"
        )
    cache = {"redis": redis.status()}
    try:
        stats = engine.backend.stats()
    except AskfindError as e:
        return jsonify({"status": "unavailable", "error": str(e), "cache": cache}), 503
    if stats.threads == 0:
        return jsonify(
            {"status": "empty", "error": "the index holds no threads", "cache": cache}
        ), 503
    return jsonify(
        {
            "status": "ready",
            "threads": stats.threads,
            "version": stats.version,
            "cache": cache,
            "warnings": warnings,
        }
    )
