"""The write API: ``POST /api/threads`` (upsert one or many) and ``DELETE /api/threads/<id>``.

Both need an API key (``widget.auth``). A POST goes through the same pipeline as
``askfind index --upsert`` (cleaning, analysis, embedding, the content-hash check), so
a thread written here is indexed exactly as the command line would index it, and
sending the same thread twice changes nothing the second time. A batch is validated
completely before anything is written: one bad thread refuses the whole request, with
an error per bad item, so a client never has to work out which half went in.

Beyond the thread format, a thread written here must be one the index can serve as
given: its ``lang`` a language's code and its ``duplicate_of`` not itself (as a JSON
Lines file's: ``thread_from_record(..., entering=True)``), and its id given once in a
batch (which of two versions was meant, the sender knows, not we).

A write is visible to ``/api/suggest`` of this process at once (the cache's index
version is dropped) and to the other workers within ``index_version_interval``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, jsonify, request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from indexer.errors import InvalidRecord, ThreadNotFound
from indexer.json_input import json_spelling
from indexer.threads import Thread, lone_surrogate_at, thread_from_record
from widget import metrics
from widget.auth import require_api_key
from widget.bodies import bounded_body, parsed_json
from widget.context import engine_of
from widget.memory import release_after
from widget.runtime import runtime_of

threads = Blueprint("threads", __name__, url_prefix="/api")

ERRORS_SHOWN = 100


@threads.post("/threads")
@require_api_key
def upsert() -> Any:
    """Insert or replace threads: a JSON object (one thread) or a JSON array of them."""
    engine = engine_of(current_app)
    settings = engine.settings
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send threads as application/json")
    body = bounded_body(settings.write_max_bytes)
    try:
        return _upserted(parsed_json(body))
    finally:
        release_after(len(body))


def _upserted(data: Any) -> Any:
    """Validate the threads of a request and write them (all or none)."""
    engine = engine_of(current_app)
    settings = engine.settings
    records = _records(data, settings.write_max_threads)
    parsed, errors = _validated(records)
    if errors:
        return jsonify(
            {
                "error": f"{len(errors)} of {len(records)} threads are not valid; "
                "nothing was written",
                "errors": errors[:ERRORS_SHOWN],
            }
        ), 400
    runtime = runtime_of(current_app)
    with runtime.write_lock, engine.writer() as indexer:
        report = indexer.run(parsed, mode="upsert")
    runtime.index_version.invalidate()
    metrics.THREADS_WRITTEN.labels(action="upsert").inc(report.indexed)
    return jsonify(
        {
            "indexed": report.indexed,
            "unchanged": report.unchanged,
            "ids": list(dict.fromkeys(thread.id for thread in parsed)),
            "truncated": report.truncated.ids,
        }
    )


@threads.delete("/threads/<path:thread_id>")
@require_api_key
def delete(thread_id: str) -> Any:
    """Remove a thread from the live index; 404 if there is none with that id."""
    engine = engine_of(current_app)
    runtime = runtime_of(current_app)
    with runtime.write_lock:
        removed = engine.backend.delete([thread_id])
    runtime.index_version.invalidate()
    if not removed:
        raise ThreadNotFound(f"no thread with id {thread_id!r}")
    metrics.THREADS_WRITTEN.labels(action="delete").inc()
    return jsonify({"deleted": thread_id})


def _records(data: Any, max_threads: int) -> list[Any]:
    if isinstance(data, dict):
        return [data]
    if not isinstance(data, list):
        raise BadRequest("send a thread (a JSON object) or a list of them")
    if not data:
        raise BadRequest("the list of threads is empty")
    if len(data) > max_threads:
        raise RequestEntityTooLarge(f"at most {max_threads} threads per request, not {len(data)}")
    return data


def _validated(records: list[Any]) -> tuple[list[Thread], list[dict[str, Any]]]:
    """The threads, and an error per record that is not one (with its index and id)."""
    parsed: list[Thread] = []
    errors: list[dict[str, Any]] = []
    first_index: dict[str, int] = {}
    for index, record in enumerate(records):
        try:
            thread = thread_from_record(record, entering=True)
        except InvalidRecord as e:
            errors.append({"index": index, "id": _given_id(record), "error": str(e)})
            continue
        first = first_index.setdefault(thread.id, index)
        if first != index:
            errors.append(
                {"index": index, "id": thread.id, "error": _repeated(thread.id, first, index)}
            )
            continue
        parsed.append(thread)
    return parsed, errors


def _repeated(thread_id: str, first: int, again: int) -> str:
    """Why a batch that gives an id twice is refused: it names the id and both places."""
    return (
        f"id {json_spelling(thread_id)} is given at index {first} and again at {again}: "
        "a batch holds a thread once"
    )


def _given_id(record: Any) -> str | None:
    """The id a bad record gives, to name it in the error; None if it has none that is text
    (a lone surrogate cannot even be sent back in the answer)."""
    given = record.get("id") if isinstance(record, dict) else None
    return given if isinstance(given, str) and lone_surrogate_at(given) is None else None
