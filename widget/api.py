"""The JSON API for the widget and for agents: suggest, search, threads."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from indexer.backends.base import Filters
from indexer.errors import InvalidQuery, ThreadNotFound
from indexer.search import SearchRequest, SearchResult
from widget.bodies import bounded_body
from widget.cache import normalise_query
from widget.context import engine_of
from widget.items import result_item
from widget.lifecycle import admit
from widget.params import (
    SEARCH_PARAMS,
    SUGGEST_PARAMS,
    boolean,
    choice,
    date_range,
    integer,
    json_args,
    known_only,
    strict_args,
)
from widget.runtime import runtime_of

api = Blueprint("api", __name__, url_prefix="/api")

# A message is complete text: the last word is no prefix, so ``partial`` is not taken.
MESSAGE_PARAMS = {name: kind for name, kind in SEARCH_PARAMS.items() if name != "partial"}
# Room in a POST /api/search body for the parameters besides q.
MESSAGE_BODY_OVERHEAD_BYTES = 4096


@api.get("/suggest")
def suggest() -> Any:
    """As-you-type duplicate suggestions, above the confidence floor only."""
    engine = engine_of(current_app)
    runtime = runtime_of(current_app)
    settings = engine.settings
    args = known_only(strict_args(request), SUGGEST_PARAMS)
    search_request = _typed_request(
        args,
        limit=integer(args, "limit", settings.suggest_limit, 1, settings.suggest_max_limit),
        with_solved=False,
    )
    search_request = replace(search_request, apply_floor=True)
    text = search_request.text
    # Everything the answer depends on: the request, the index, the feedback.
    feedback = runtime.feedback.version if runtime.feedback is not None else ""
    key = runtime.suggestions.key(runtime.index_version.current(), feedback, repr(search_request))
    # The rate limit and the cache in one Redis round trip.
    admission = admit(read=key if runtime.suggestions.enabled else None)
    body = runtime.suggestions.get(key, admission)
    outcome = "hit"
    if body is None:
        outcome = "miss"
        result = runtime.search.search(search_request)
        answer = {"query": text, "items": _items(result, settings.snippet_chars)}
        body = current_app.json.dumps(answer).encode("utf-8")
        runtime.suggestions.put(key, body)
    return Response(body, mimetype="application/json", headers={"X-Cache": outcome})


@api.get("/search")
def search() -> Any:
    """Ranked search for agents and evaluation: everything that matches, with paging.

    The same text is analysed and ranked as ``/api/suggest`` ranks it (README, "One
    ranking"): only the floor, the paging and the ``solved`` filter differ.
    """
    settings = engine_of(current_app).settings
    args = known_only(strict_args(request), SEARCH_PARAMS)
    limit = integer(args, "limit", 10, 1, settings.search_max_limit)
    return _search_answer(_typed_request(args, limit=limit, with_solved=True))


@api.post("/search")
def search_message() -> Any:
    """Search with a pasted message (an e-mail, a post) in a JSON body: its question is
    searched, not its greeting, signature or numbers (``indexer.analysis.message``)."""
    settings = engine_of(current_app).settings
    if request.query_string:
        raise InvalidQuery("POST /api/search takes its parameters in the JSON body, not the URL")
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            'POST /api/search takes a JSON body (Content-Type: application/json): {"q": "..."}'
        )
    # Each character may arrive JSON-escaped (\\u00fc: 6 bytes), plus the other parameters.
    max_bytes = 6 * settings.message_max_chars + MESSAGE_BODY_OVERHEAD_BYTES
    args = json_args(bounded_body(max_bytes, "the JSON body"), MESSAGE_PARAMS)
    text = args.get("q", "").strip()
    if not text:
        raise InvalidQuery("q is required and must not be empty")
    if len(text) > settings.message_max_chars:
        raise InvalidQuery(f"q is longer than {settings.message_max_chars} characters")
    search_request = SearchRequest(
        # NFC only: the lines of a message tell its greeting and signature apart.
        text=unicodedata.normalize("NFC", text),
        limit=integer(args, "limit", 10, 1, settings.search_max_limit),
        offset=integer(args, "offset", 0, 0, settings.search_max_offset),
        filters=_filters(args, with_solved=True),
        lang=choice(args, "lang", settings.languages),
        message=True,
    )
    return _search_answer(search_request)


def _typed_request(args: dict[str, str], limit: int, with_solved: bool) -> SearchRequest:
    """The request of a typed query, the one way for ``/api/suggest`` and ``/api/search``:
    the same normalised text, the last word taken as still being typed unless
    ``partial=false``, the same filters."""
    settings = engine_of(current_app).settings
    offset = integer(args, "offset", 0, 0, settings.search_max_offset) if with_solved else 0
    return SearchRequest(
        text=normalise_query(_query_text(args, settings.query_max_chars)),
        limit=limit,
        offset=offset,
        filters=_filters(args, with_solved=with_solved),
        lang=choice(args, "lang", settings.languages),
        partial=boolean(args, "partial") is not False,
    )


def _search_answer(search_request: SearchRequest) -> Any:
    settings = engine_of(current_app).settings
    result = runtime_of(current_app).search.search(search_request)
    answer = {
        "query": search_request.text,
        "total": result.total,
        "offset": search_request.offset,
        "limit": search_request.limit,
        "items": _items(result, settings.snippet_chars),
    }
    if search_request.message:
        answer["searched"] = result.searched
    return jsonify(answer)


# path: ids may hold "/" (sent as %2F), as thread ids from other systems do.
@api.get("/threads/<path:thread_id>")
def get_thread(thread_id: str) -> Any:
    engine = engine_of(current_app)
    found = engine.backend.get_threads([thread_id])
    if thread_id not in found:
        raise ThreadNotFound(f"no thread with id {thread_id!r}")
    return jsonify(found[thread_id].to_record())


def _query_text(args: dict[str, str], max_chars: int) -> str:
    text = args.get("q", "").strip()
    if not text:
        raise InvalidQuery("q is required and must not be empty")
    if len(text) > max_chars:
        raise InvalidQuery(
            f"q is longer than {max_chars} characters; send a longer text (a whole message) "
            'as POST /api/search with a JSON body {"q": "..."}'
        )
    return text


def _filters(args: dict[str, str], with_solved: bool) -> Filters:
    engine = engine_of(current_app)
    board = args.get("board") or None
    if board is not None and board not in engine.backend.boards():
        raise InvalidQuery(f"unknown board {board!r}")
    created_from, created_to = date_range(args.get("from"), args.get("to"))
    return Filters(
        board=board,
        lang=choice(args, "lang", engine.settings.languages),
        solved=boolean(args, "solved") if with_solved else None,
        created_from=created_from,
        created_to=created_to,
    )


def _items(result: SearchResult, snippet_chars: int) -> list[dict[str, Any]]:
    return [result_item(item, snippet_chars) for item in result.items]
