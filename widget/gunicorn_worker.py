"""gunicorn's own refusals as JSON: the requests it answers before askfind sees them.

gunicorn parses the request line and the headers itself and answers what it cannot
parse or will not hold (a request line over 8190 bytes, too many or too long header
fields, a malformed request line, method, HTTP version or header, a bad chunked body)
with an HTML page of its own. askfind raises gunicorn's limits above its own
(``widget.request_limits`` answers those in the app), so what still reaches gunicorn's
error path is a request no limit setting can let through: this worker answers it as
``{"error": "..."}`` with the status gunicorn chose, like every other answer of the API.
"""

from __future__ import annotations

import json
from typing import Any

from gunicorn import util
from gunicorn.workers.gthread import ThreadWorker

# Status and reason by the name of gunicorn's exception class (``gunicorn.http.errors``;
# by name, so that a class an older gunicorn lacks is simply never met). The first class
# of an exception's MRO found here wins: a response header the app got wrong is the app's
# fault (500), although it is an InvalidHeader too.
STATUS_BY_ERROR = {
    "InvalidResponseHeader": (500, "Internal Server Error"),
    "InvalidResponseHeaderName": (500, "Internal Server Error"),
    "ConfigurationProblem": (500, "Internal Server Error"),
    "LimitRequestLine": (414, "URI Too Long"),
    "LimitRequestHeaders": (431, "Request Header Fields Too Large"),
    "ExpectationFailed": (417, "Expectation Failed"),
    "UnsupportedTransferCoding": (501, "Not Implemented"),
    "ForbiddenProxyRequest": (403, "Forbidden"),
    "SSLError": (403, "Forbidden"),
    "ParseException": (400, "Bad Request"),  # every other malformed request
}
INTERNAL = (500, "Internal Server Error")


def describe(exc: BaseException) -> tuple[int, str, str]:
    """The status, reason and error message gunicorn's refusal of ``exc`` gets."""
    for cls in type(exc).__mro__:
        if cls.__name__ in STATUS_BY_ERROR:
            status, reason = STATUS_BY_ERROR[cls.__name__]
            break
    else:
        status, reason = INTERNAL
    if status >= 500:
        return status, reason, "internal error"
    detail = str(exc).strip() or reason
    return status, reason, f"{reason.lower()}: {detail}"


def json_error_response(status: int, reason: str, message: str) -> bytes:
    """A complete HTTP/1.1 response with ``{"error": message}``; the connection closes
    (gunicorn does not read on after a request it could not parse)."""
    body = json.dumps({"error": message}, ensure_ascii=False).encode("utf-8")
    head = (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Connection: close\r\n"
        "Content-Type: application/json\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode("latin-1") + body


class JsonErrorWorker(ThreadWorker):  # type: ignore[misc]
    """gunicorn's gthread worker, answering its own refusals as JSON (see the module)."""

    def handle_error(self, req: Any, client: Any, addr: Any, exc: BaseException) -> None:
        status, reason, message = describe(exc)
        ip = (addr or ("", -1))[0]
        if status >= 500:
            self.log.exception("error handling a request from ip=%s", ip)
        else:
            self.log.warning("invalid request from ip=%s: %s", ip, exc)
        try:
            util.write_nonblock(client, json_error_response(status, reason, message))
        except Exception:  # the client is gone: nothing to answer
            self.log.debug("failed to send the error answer")
