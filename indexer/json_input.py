"""JSON and UTF-8 text from outside (request bodies, export files, source lines, settings
and synonym files), read so that every way it can be unreadable is one error naming the
reason, never a crash."""

from __future__ import annotations

import json
import sys
from typing import Any

from indexer.errors import RepeatedKey, UnreadableJson


def not_utf8(error: UnicodeDecodeError, lines: bool = True) -> str:
    """Where bytes stop being UTF-8, for a message naming what they are: "not UTF-8 text
    (line 3, byte 7: 0xe9 starts no UTF-8 character)"; without ``lines`` (the bytes are
    one line, named by the caller) only the byte. Both count from 1, as JSON's columns."""
    data = error.object
    column = error.start - data.rfind(b"\n", 0, error.start)
    line = data.count(b"\n", 0, error.start) + 1
    where = f"line {line}, byte {column}" if lines else f"byte {column}"
    found = f"0x{data[error.start]:02x} starts no UTF-8 character"
    return f"not UTF-8 text ({where}: {found})"


def parse_json(data: bytes | str, unique_keys: bool = False) -> Any:
    """Decode UTF-8 JSON text; with ``unique_keys``, an object may not give a key twice
    (Python's decoder keeps the last value silently: ``{"q": "WLAN", "q": "DSL"}`` would
    search what the sender may not have meant, where a query string with ``q`` twice is
    refused). Request bodies take it; exports and source lines are read as they are.

    Python's decoder fails in more ways than ``JSONDecodeError``: a structure nested
    deeper than the interpreter's stack ends in a RecursionError (4,000 bytes suffice),
    and an integer of more digits than ``sys.get_int_max_str_digits()`` in a plain
    ValueError. Both are the sender's fault, so both are reported like broken JSON.

    Raises:
        RepeatedKey: with ``unique_keys``, an object gives a key twice.
        UnreadableJson: its message says why, without the word "JSON", for the caller
            to put after its own ("the body is not UTF-8 JSON: nested too deeply").
    """
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
        return json.loads(text, object_pairs_hook=_unique if unique_keys else None)
    except RepeatedKey:
        raise  # a ValueError too, but already says what is wrong
    except UnicodeDecodeError as e:
        raise UnreadableJson(not_utf8(e)) from e
    except json.JSONDecodeError as e:
        where = f"column {e.colno}" if e.lineno == 1 else f"line {e.lineno}, column {e.colno}"
        raise UnreadableJson(f"{e.msg} ({where})") from e
    except RecursionError as e:
        raise UnreadableJson("nested too deeply") from e
    except ValueError as e:  # the decoder's limit on the digits of an integer
        limit = sys.get_int_max_str_digits()
        raise UnreadableJson(f"holds a number of more than {limit} digits") from e


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """An object's members as a dict (json's ``object_pairs_hook``), refusing a key twice."""
    members: dict[str, Any] = {}
    for key, value in pairs:
        if key in members:
            raise RepeatedKey(key)
        members[key] = value
    return members


def json_spelling(value: Any) -> str:
    """``value`` as JSON writes it, for an error to show what was sent: ``true``, ``null``,
    ``"5"`` (Python would say ``True``, ``None``, ``'5'``)."""
    spelled = json.dumps(value, ensure_ascii=False)
    try:
        spelled.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate (JSON's "\ud800") is no text an answer could carry: escaped,
        # as JSON may.
        return json.dumps(value)
    return spelled
