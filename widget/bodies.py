"""Request bodies read with a bound (a huge body is refused, never buffered) and decoded
as JSON with every failure a 400 (``indexer.json_input``), an object that gives a key
twice included."""

from __future__ import annotations

from typing import Any

from flask import request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from indexer.errors import RepeatedKey, UnreadableJson
from indexer.json_input import json_spelling, parse_json


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
    numbers included, which Python's decoder reports as other errors than broken JSON),
    an object that gives a key twice included (``indexer.json_input.parse_json``)."""
    try:
        return parse_json(body, unique_keys=True)
    except RepeatedKey as e:
        raise BadRequest(f"{what} gives the key {json_spelling(e.key)} more than once") from e
    except UnreadableJson as e:
        raise BadRequest(f"{what} is not UTF-8 JSON: {e}") from e
