"""Request bodies read with a bound (a huge body is refused, never buffered) and decoded
as JSON with every failure a 400 (``indexer.json_input``), an object that gives a key
twice included."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from indexer.errors import UnreadableJson
from indexer.json_input import parse_json
from widget.params import json_spelling


class DuplicateKey(Exception):
    """A JSON object gives the same key twice (``{"q": "WLAN", "q": "DSL"}``)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


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


def parsed_json(body: bytes, what: str = "the body") -> Any:
    """``body`` decoded as JSON, or 400 saying why it cannot be (deep nesting and overlong
    numbers included, which Python's decoder reports as other errors than broken JSON).

    A key given twice in one object is refused too: Python's decoder would keep the last
    value silently, so ``{"q": "WLAN", "q": "DSL"}`` would search what the sender may not
    have meant, where a query string with ``q`` twice is a 400 (``widget.params``).
    """
    try:
        return json.loads(body.decode("utf-8"), object_pairs_hook=_unique_keys)
    except DuplicateKey as e:
        raise BadRequest(f"{what} gives the key {json_spelling(e.key)} more than once") from e
    except (ValueError, RecursionError):
        pass  # unreadable: ``parse_json`` knows every way that happens and names it
    try:
        return parse_json(body)
    except UnreadableJson as e:
        raise BadRequest(f"{what} is not UTF-8 JSON: {e}") from e


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members as a dict (json's ``object_pairs_hook``), refusing a key twice."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise DuplicateKey(key)
        members[key] = value
    return members
