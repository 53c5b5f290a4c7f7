"""The JSON API for the widget and for agents: suggest, search, threads."""

from __future__ import annotations

import unicodedata
from dataclasses import replace
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import UnsupportedMediaType

from indexer.analytics.experiment import Experiment
from indexer.errors import InvalidQuery, ThreadNotFound
from indexer.search import SearchRequest, SearchResult
from indexer.visibility import visible_threads
from widget.agent_access import request_viewer_groups
from widget.bodies import bounded_body, parsed_json
from widget.cache import with_query
from widget.context import engine_of
from widget.items import public_record, result_item
from widget.lifecycle import admit
from widget.params import (
    MAX_ARTICLES,
    SEARCH_PARAMS,
    SUGGEST_PARAMS,
    choice,
    integer,
    json_args,
    known_only,
    query_text,
    search_filters,
    search_request,
    strict_args,
    typed_request,
)
from widget.runtime import runtime_of

api = Blueprint("api", __name__, url_prefix="/api")

# A message is complete text: the last word is no prefix, so ``partial`` is not taken.
MESSAGE_PARAMS = {name: kind for name, kind in SEARCH_PARAMS.items() if name != "partial"}
# The answer to a session the deflection experiment holds back (the widget shows nothing).
HELD_BACK = b'{"items":[],"holdout":true}'
# Room in a POST /api/search body for the parameters besides q.
MESSAGE_BODY_OVERHEAD_BYTES = 4096


@api.get("/suggest")
def suggest() -> Any:
    """As-you-type duplicate suggestions, above the confidence floor only."""
    engine = engine_of(current_app)
    runtime = runtime_of(current_app)
    settings = engine.settings
    args = known_only(strict_args(request), SUGGEST_PARAMS)
    asked = typed_request(
        args,
        settings,
        engine.backend.boards,
        limit=integer(args, "limit", settings.suggest_limit, 1, settings.suggest_max_limit),
        with_solved=False,
    )
    # The public widget's: public threads only (the default filters), whoever asks, so
    # the cache key (made of the request, viewer included) never meets an agent's answer.
    asked = replace(asked, apply_floor=True)
    text = asked.text
    if Experiment.of(settings).holds_back(args.get("session")):
        admit(read=None)  # held back, but limited like everyone
        return Response(
            with_query(text, HELD_BACK), mimetype="application/json", headers={"X-Cache": "holdout"}
        )
    # Everything the answer depends on: the request, the index, the feedback, the rules
    # and the agents' duplicate judgements.
    feedback = runtime.feedback.version if runtime.feedback is not None else ""
    rules = runtime.search.curation_version()
    judged = runtime.search.judgements_version()
    key = runtime.suggestions.key(
        runtime.index_version.current(), feedback, rules, judged, repr(asked)
    )
    # The rate limit and the cache in one Redis round trip.
    admission = admit(read=key if runtime.suggestions.enabled else None)
    body = runtime.suggestions.get(key, admission)
    outcome = "hit"
    if body is None:
        outcome = "miss"
        result = runtime.search.search(asked)
        # Cached without the query: what a customer typed is never stored in clear.
        answer = {
            "items": _items(result, settings.snippet_chars),
            "articles": _articles(result, settings.snippet_chars),
        }
        body = current_app.json.dumps(answer).encode("utf-8")
        runtime.suggestions.put(key, body)
    return Response(
        with_query(text, body), mimetype="application/json", headers={"X-Cache": outcome}
    )


@api.get("/search")
def search() -> Any:
    """Ranked search for agents and evaluation: everything that matches, with paging.

    The same text is analysed and ranked as ``/api/suggest`` ranks it (README, "One
    ranking"): only the floor, the paging and the ``solved`` filter differ.
    """
    engine = engine_of(current_app)
    return _search_answer(
        search_request(strict_args(request), engine.settings, engine.backend.boards)
    )


def _for_viewer(asked: SearchRequest) -> SearchRequest:
    """The request restricted to what its sender may see (``request_viewer_groups``)."""
    return replace(asked, filters=replace(asked.filters, viewer_groups=request_viewer_groups()))


@api.post("/search")
def search_message() -> Any:
    """Search with a pasted message (an e-mail, a post) in a JSON body: its question is
    searched, not its greeting, signature or numbers (``indexer.analysis.message``)."""
    engine = engine_of(current_app)
    settings = engine.settings
    if request.query_string:
        raise InvalidQuery("POST /api/search takes its parameters in the JSON body, not the URL")
    if request.mimetype != "application/json":
        raise UnsupportedMediaType(
            'POST /api/search takes a JSON body (Content-Type: application/json): {"q": "..."}'
        )
    # Each character may arrive JSON-escaped (\\u00fc: 6 bytes), plus the other parameters.
    max_bytes = 6 * settings.message_max_chars + MESSAGE_BODY_OVERHEAD_BYTES
    args = json_args(parsed_json(bounded_body(max_bytes, "the JSON body")), MESSAGE_PARAMS)
    text = query_text(args, settings.message_max_chars, advice=None)
    asked = SearchRequest(
        # NFC only: the lines of a message tell its greeting and signature apart.
        text=unicodedata.normalize("NFC", text),
        limit=integer(args, "limit", 10, 1, settings.search_max_limit),
        offset=integer(args, "offset", 0, 0, settings.search_max_offset),
        filters=search_filters(args, settings.languages, engine.backend.boards, with_solved=True),
        lang=choice(args, "lang", settings.languages),
        message=True,
        articles=integer(args, "articles", settings.articles_shown, 0, MAX_ARTICLES),
    )
    return _search_answer(asked)


def _search_answer(asked: SearchRequest) -> Any:
    """The answer of ``/api/search``: public threads, and an agent's by their rights."""
    settings = engine_of(current_app).settings
    asked = _for_viewer(asked)
    result = runtime_of(current_app).search.search(asked)
    answer = {
        "query": asked.text,
        "total": result.total,
        "offset": asked.offset,
        "limit": asked.limit,
        "items": _items(result, settings.snippet_chars),
        "articles": _articles(result, settings.snippet_chars),
    }
    if asked.message:
        answer["searched"] = result.searched
    return jsonify(answer)


# path: ids may hold "/" (sent as %2F), as thread ids from other systems do.
@api.get("/threads/<path:thread_id>")
def get_thread(thread_id: str) -> Any:
    """A thread's record; a restricted one only for an agent allowed to see it, and for
    anyone else the same 404 as for a thread that does not exist."""
    engine = engine_of(current_app)
    found = visible_threads(engine.backend, [thread_id], request_viewer_groups())
    if thread_id not in found:
        raise ThreadNotFound(f"no thread with id {thread_id!r}")
    return jsonify(public_record(found[thread_id]))


def _items(result: SearchResult, snippet_chars: int) -> list[dict[str, Any]]:
    return [result_item(item, snippet_chars) for item in result.items]


def _articles(result: SearchResult, snippet_chars: int) -> list[dict[str, Any]]:
    """The help articles' section (``articles=``; empty when they rank among the items)."""
    return [result_item(item, snippet_chars) for item in result.articles]
