"""The JSON API for the widget and for agents: suggest, search, threads."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request

from indexer.errors import ThreadNotFound
from indexer.search import SearchRequest, SearchResult
from widget.cache import normalise_query
from widget.context import engine_of
from widget.items import result_item
from widget.lifecycle import admit
from widget.params import (
    choice,
    integer,
    query_text,
    search_filters,
    search_request,
    strict_args,
)
from widget.runtime import runtime_of

api = Blueprint("api", __name__, url_prefix="/api")


@api.get("/suggest")
def suggest() -> Any:
    """As-you-type duplicate suggestions, above the confidence floor only."""
    engine = engine_of(current_app)
    runtime = runtime_of(current_app)
    settings = engine.settings
    args = strict_args(request)
    text = normalise_query(query_text(args, settings.query_max_chars))
    suggestion_request = SearchRequest(
        text=text,
        limit=integer(args, "limit", settings.suggest_limit, 1, settings.suggest_max_limit),
        filters=search_filters(args, settings.languages, engine.backend.boards, with_solved=False),
        lang=choice(args, "lang", settings.languages),
        apply_floor=True,
    )
    # Everything the answer depends on: the request, the index, the feedback.
    feedback = runtime.feedback.version if runtime.feedback is not None else ""
    key = runtime.suggestions.key(
        runtime.index_version.current(), feedback, repr(suggestion_request)
    )
    # The rate limit and the cache in one Redis round trip.
    admission = admit(read=key if runtime.suggestions.enabled else None)
    body = runtime.suggestions.get(key, admission)
    outcome = "hit"
    if body is None:
        outcome = "miss"
        result = runtime.search.search(suggestion_request)
        answer = {"query": text, "items": _items(result, settings.snippet_chars)}
        body = current_app.json.dumps(answer).encode("utf-8")
        runtime.suggestions.put(key, body)
    return Response(body, mimetype="application/json", headers={"X-Cache": outcome})


@api.get("/search")
def search() -> Any:
    """Ranked search for agents and evaluation: everything that matches, with paging."""
    engine = engine_of(current_app)
    settings = engine.settings
    asked = search_request(strict_args(request), settings, engine.backend.boards)
    result = runtime_of(current_app).search.search(asked)
    return jsonify(
        {
            "query": asked.text,
            "total": result.total,
            "offset": asked.offset,
            "limit": asked.limit,
            "items": _items(result, settings.snippet_chars),
        }
    )


# path: ids may hold "/" (sent as %2F), as thread ids from other systems do.
@api.get("/threads/<path:thread_id>")
def get_thread(thread_id: str) -> Any:
    engine = engine_of(current_app)
    found = engine.backend.get_threads([thread_id])
    if thread_id not in found:
        raise ThreadNotFound(f"no thread with id {thread_id!r}")
    return jsonify(found[thread_id].to_record())


def _items(result: SearchResult, snippet_chars: int) -> list[dict[str, Any]]:
    return [result_item(item, snippet_chars) for item in result.items]
