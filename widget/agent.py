"""The agents' search page: ``GET /agent`` (German or English), and the two things it
needs beyond /api/search.

- ``GET /api/agent/threads/<id>``: a thread's question and its full accepted solution as
  plain text (search results carry a snippet only), for "show solution" and "copy answer";
- ``POST /api/agent/duplicates``: "mark as duplicate of ...", the agent's judgement, stored
  like feedback (``indexer.analytics.judgements``) and used by ranking and the evaluation.

Everything here is behind :func:`widget.agent_access.require_agent`. The page itself is
static markup and ``agent.js`` under the demo pages' strict Content-Security-Policy; it
searches through the public ``GET /api/search``, so the page, ``askfind search`` and
scripts all see the same results.

The judgement endpoint takes JSON only: a cross-site page cannot send that without a CORS
preflight, which askfind does not grant, so a logged-in agent's browser cannot be made to
post judgements from elsewhere.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    jsonify,
    make_response,
    render_template,
    request,
)
from werkzeug.exceptions import (
    BadRequest,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)

from indexer.analytics.judgements import JudgementStore, check_judgement
from indexer.cleaning import clean_text, clean_title
from indexer.errors import DuplicateOfItself, InvalidEvent, ThreadNotFound
from indexer.visibility import visible_threads
from widget.agent_access import (
    TooManySignIns,
    agent_viewer_groups,
    current_agent,
    require_agent,
)
from widget.agent_text import (
    PAGE,
    SCRIPT,
    SWITCH_PARAM,
    SWITCH_TO,
    language_choices,
    page_language,
    remembering_language,
)
from widget.bodies import bounded_body, parsed_json
from widget.context import engine_of
from widget.errors import error
from widget.items import public_url
from widget.pages import lock_down

agent = Blueprint("agent", __name__)

STORE_KEY = "askfind.judgements"
PAGE_SIZE = 10
MAX_BODY_BYTES = 4096
_store_lock = threading.Lock()


@agent.get("/agent")
@require_agent
def page() -> Any:
    """The search page in German or English (see :mod:`widget.agent_text`); its filters
    come from the index: its boards and languages."""
    engine = engine_of(current_app)
    lang = page_language(request)
    response = make_response(
        render_template(
            "agent.html",
            lang=lang,
            t=PAGE[lang],
            script_text=SCRIPT[lang],
            switch_to=SWITCH_TO[lang],
            switch_param=SWITCH_PARAM,
            boards=sorted(engine.backend.boards()),
            languages=language_choices(lang, engine.settings.languages),
            page_size=PAGE_SIZE,
            max_query_chars=engine.settings.query_max_chars,
            max_message_chars=engine.settings.message_max_chars,
            max_offset=engine.settings.search_max_offset,
            agent=current_agent(),
        )
    )
    return remembering_language(response, request, lang, "/agent")


@agent.get("/api/agent/threads/<thread_id>")
@require_agent
def thread_detail(thread_id: str) -> Any:
    """One thread as plain text: question, full accepted solution, duplicate links."""
    engine = engine_of(current_app)
    found = visible_threads(engine.backend, [thread_id], agent_viewer_groups())
    if thread_id not in found:
        raise ThreadNotFound(f"no thread with id {thread_id!r}", thread_id)
    thread = found[thread_id]
    solution = None
    if thread.accepted_answer is not None:
        solution = {
            "text": clean_text(thread.accepted_answer.body),
            "url": public_url(thread.accepted_answer.url) or public_url(thread.url),
            "author": thread.accepted_answer.author,
        }
    return jsonify(
        {
            "id": thread.id,
            "title": clean_title(thread.title),
            "url": public_url(thread.url),
            "board": thread.board,
            "lang": thread.lang,
            "created_at": thread.created_at,
            "solved": thread.solved,
            "question": clean_text(thread.body),
            "solution": solution,
            "duplicate_of": thread.duplicate_of,
            "judged_duplicate_of": judgement_store_of(current_app).links().get(thread.id),
        }
    )


@agent.post("/api/agent/duplicates")
@require_agent
def mark_duplicate() -> Any:
    """Record "``thread`` is a duplicate of ``duplicate_of``" (null withdraws it).

    Body: ``{"thread": id, "duplicate_of": id or null, "query": "what the agent searched"}``.
    Both threads must be in the index.
    """
    data = _json_body()
    thread, duplicate_of = data.get("thread"), data.get("duplicate_of")
    query = data.get("query") or ""
    if not isinstance(thread, str) or not isinstance(duplicate_of, str | None):
        raise InvalidEvent("thread must be a thread id, duplicate_of a thread id or null")
    if not isinstance(query, str):
        raise InvalidEvent("query must be a string")
    check_judgement(thread, duplicate_of, query)
    wanted = [thread] if duplicate_of is None else [thread, duplicate_of]
    # Threads the agent may not see are unknown to them, here as everywhere.
    found = visible_threads(engine_of(current_app).backend, wanted, agent_viewer_groups())
    for thread_id in wanted:
        if thread_id not in found:
            raise ThreadNotFound(f"no thread with id {thread_id!r}", thread_id)
    agent_name = current_agent() or "anonymous"
    judgement_store_of(current_app).record(thread, duplicate_of, agent_name, query)
    return jsonify({"thread": thread, "duplicate_of": duplicate_of, "agent": agent_name}), 201


# The agents' endpoints name what went wrong with a stable "code" besides the English
# "error", so that the page can say it in its own language (``agent_text.SCRIPT``).


@agent.errorhandler(Unauthorized)
def login(e: Unauthorized) -> Any:
    """401 in the one error shape, with the challenge that makes a browser ask to log in."""
    response, status = error(e.description or "log in", 401, code="sign_in_required")
    for name, value in e.get_headers():
        if name.lower() == "www-authenticate":
            response.headers[name] = value
    return response, status


@agent.errorhandler(TooManyRequests)
def too_many(e: TooManyRequests) -> Any:
    """429 for too many failed sign-ins or requests, with the Retry-After to wait."""
    code = "too_many_sign_ins" if isinstance(e, TooManySignIns) else "rate_limited"
    response, status = error(e.description or "too many requests", 429, code=code)
    for name, value in e.get_headers():
        if name.lower() == "retry-after":
            response.headers[name] = value
    return response, status


@agent.errorhandler(ThreadNotFound)
def thread_not_found(e: ThreadNotFound) -> Any:
    """404 naming the id that is unknown (to this agent: unseen threads are unknown too)."""
    return error(str(e), 404, code="thread_not_found", id=e.thread_id)


@agent.errorhandler(InvalidEvent)
def invalid_judgement(e: InvalidEvent) -> Any:
    """400 for a judgement that cannot be, such as a thread as its own duplicate."""
    code = "duplicate_of_itself" if isinstance(e, DuplicateOfItself) else "invalid_judgement"
    return error(str(e), 400, code=code)


@agent.after_request
def private(response: Response) -> Response:
    """The page's strict CSP, and no caching of internal answers anywhere on the way."""
    response.headers["Cache-Control"] = "no-store"
    return lock_down(response)


def judgement_store_of(app: Flask) -> JudgementStore:
    """The app's judgement store, opened on first use."""
    with _store_lock:
        if STORE_KEY not in app.extensions:
            app.extensions[STORE_KEY] = JudgementStore(engine_of(app).settings.data_dir)
        return app.extensions[STORE_KEY]


def _json_body() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedMediaType("send the judgement as application/json")
    data = parsed_json(bounded_body(MAX_BODY_BYTES))
    if not isinstance(data, dict):
        raise BadRequest("the body must be a JSON object")
    return data
