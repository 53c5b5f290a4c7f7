"""Liveness and readiness: /healthz says the process answers, /readyz that it can search."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify

from indexer.errors import AskfindError
from widget.app import engine_of

health = Blueprint("health", __name__)


@health.get("/healthz")
def healthz() -> Any:
    return jsonify({"status": "ok"})


@health.get("/readyz")
def readyz() -> Any:
    engine = engine_of(current_app)
    try:
        stats = engine.backend.stats()
    except AskfindError as e:
        return jsonify({"status": "unavailable", "error": str(e)}), 503
    if stats.threads == 0:
        return jsonify({"status": "empty", "error": "the index holds no threads"}), 503
    return jsonify({"status": "ready", "threads": stats.threads, "version": stats.version})
