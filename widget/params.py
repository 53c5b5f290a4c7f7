"""Validation of query-string parameters where they enter: a clear 400 for anything wrong."""

from __future__ import annotations

from urllib.parse import parse_qs

from flask import Request

from indexer.errors import InvalidQuery

TRUE = ("true", "1", "yes")
FALSE = ("false", "0", "no")


def strict_args(request: Request) -> dict[str, str]:
    """Parse the query string, refusing invalid UTF-8 (Werkzeug would replace it silently).

    Raises:
        InvalidQuery: undecodable bytes, or a parameter given twice.
    """
    try:
        raw = request.query_string.decode("utf-8")
        parsed = parse_qs(raw, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError as e:
        raise InvalidQuery("the query string is not valid UTF-8") from e
    args = {}
    for name, values in parsed.items():
        if len(values) > 1:
            raise InvalidQuery(f"parameter {name!r} is given more than once")
        args[name] = values[0]
    return args


def integer(args: dict[str, str], name: str, default: int, minimum: int, maximum: int) -> int:
    value = args.get(name)
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except ValueError as e:
        raise InvalidQuery(f"{name} must be a whole number, not {value!r}") from e
    if not minimum <= number <= maximum:
        raise InvalidQuery(f"{name} must be between {minimum} and {maximum}, not {number}")
    return number


def boolean(args: dict[str, str], name: str) -> bool | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise InvalidQuery(f"{name} must be true or false, not {value!r}")


def choice(args: dict[str, str], name: str, allowed: set[str] | tuple[str, ...]) -> str | None:
    value = args.get(name)
    if value is None or value == "":
        return None
    if value not in allowed:
        raise InvalidQuery(f"unknown {name} {value!r}")
    return value
