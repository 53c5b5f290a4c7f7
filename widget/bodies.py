"""Request bodies read with a bound: a huge body is refused, never buffered."""

from __future__ import annotations

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge


def bounded_body(max_bytes: int, what: str = "the body") -> bytes:
    """The request body, or 413 once it is longer than ``max_bytes``.

    Reads at most one byte more than allowed, whatever Content-Length claims (a chunked
    body has none, and a lying one would otherwise be believed).
    """
    if request.content_length is not None and request.content_length > max_bytes:
        raise RequestEntityTooLarge(f"{what} is larger than {max_bytes} bytes")
    body = request.stream.read(max_bytes + 1)
    if len(body) > max_bytes:
        raise RequestEntityTooLarge(f"{what} is larger than {max_bytes} bytes")
    return body
