"""Khoros (Lithium) community messages as threads: LiQL answers, from files or the API.

Community API v2 answers a LiQL query (``SELECT ... FROM messages``) with::

    {"status": "success",
     "data": {"type": "messages", "list_item_type": "message", "size": 2,
              "items": [{"type": "message", "id": "1234", "subject": "...", ...}],
              "next_cursor": "..."}}

A topic message (``depth`` 0) is the question; its replies name it in ``topic.id``. The
reply with ``is_solution: true`` is the accepted solution (with several, the one with
most kudos); the best-kudoed other replies are the answers. ``kudos.sum.weight`` are the
kudos, ``metrics.views`` the views, ``board`` the board (its title when selected, else its
id), ``conversation.solved`` whether it is solved, ``view_href`` the link. Unknown fields
are ignored, optional ones may be missing; a rejected topic is gone. A ``read_only``
(locked) topic is closed, an ``archived`` one (or one of an archived board) archived:
kept with that ``state``, never suggested.

Messages of one topic may come in different pages and files, so an export is staged in a
temporary SQLite file (not memory: a community has millions of posts) and read back one
topic at a time. The live API is read by :mod:`indexer.sources.khoros_api`.
"""

from __future__ import annotations

import json
import sqlite3
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from indexer.errors import InvalidRecord, UnreadableJson
from indexer.json_input import json_spelling, parse_json
from indexer.sources.base import Gone, RecordError, SyncItem
from indexer.threads import ARCHIVED, CLOSED, OPEN, parse_timestamp, thread_from_record

OTHER_ANSWERS_KEPT = 3
# What a LiQL answer looks like, for a message about a file or answer that is not one.
LIQL_SHAPE = 'a LiQL answer is {"status": "success", "data": {"items": [...]}}'
FIELDS_NAMED = 5  # of an object that is no LiQL answer, so that one may tell what it is
REJECTED = frozenset({"rejected", "marked_rejected"})


def liql_items(answer: Any, item_type: str = "message") -> list[Any]:
    """The items of a LiQL answer.

    Raises:
        InvalidRecord: not a successful LiQL answer with items of ``item_type``.
    """
    if not isinstance(answer, dict):
        raise InvalidRecord(f"expected a JSON object, got {_json_type(answer)}; {LIQL_SHAPE}")
    if "status" not in answer:
        fields = ", ".join(json_spelling(key) for key in list(answer)[:FIELDS_NAMED])
        fields += ", ..." if len(answer) > FIELDS_NAMED else ""
        held = f"this object holds {fields}" if fields else "this object is empty"
        raise InvalidRecord(f'no "status": {held}; {LIQL_SHAPE}')
    if answer["status"] != "success":
        # Khoros says why in "message"; without one, the status is all there is to show.
        reason = answer.get("message") or f"status {json_spelling(answer['status'])}"
        raise InvalidRecord(f"the LiQL query failed: {reason}")
    data = answer.get("data")
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise InvalidRecord("a LiQL answer needs data.items")
    if data.get("list_item_type") not in (None, item_type):
        raise InvalidRecord(f"expected {item_type} items, got {data.get('list_item_type')!r}")
    return data["items"]


def message_topic(message: Any) -> tuple[str, str]:
    """(message id, topic id) of a message.

    Raises:
        InvalidRecord: no id, or a reply that does not say which topic it belongs to.
    """
    if not isinstance(message, dict):
        raise InvalidRecord(f"expected a message object, got {type(message).__name__}")
    message_id = _id(message.get("id"), "id")
    topic = message.get("topic")
    if isinstance(topic, dict) and topic.get("id") is not None:
        return message_id, _id(topic.get("id"), "topic.id")
    if message.get("depth", 0) == 0:
        return message_id, message_id
    raise InvalidRecord(f"reply {message_id} does not name its topic (topic.id)")


def thread_items(
    topic_id: str, messages: Iterable[Mapping[str, Any]], location: str, include_gone: bool
) -> Iterator[SyncItem]:
    """The thread of one topic's messages (or its Gone, if asked for, or a RecordError)."""
    try:
        by_id = {str(message["id"]): message for message in messages}
        topic = by_id.get(topic_id)
        if topic is None:
            raise InvalidRecord(f"replies of topic {topic_id}, but not the topic message itself")
        if topic.get("moderation_status") in REJECTED:
            if include_gone:
                yield Gone(topic_id, location)
            return
        replies = [m for i, m in by_id.items() if i != topic_id and m.get("depth", 1) != 0]
        yield thread_from_record(thread_record(topic, replies))
    except InvalidRecord as e:
        yield RecordError(location, str(e))


def thread_record(topic: Mapping[str, Any], replies: list[Mapping[str, Any]]) -> dict[str, Any]:
    """The thread-format record of a topic message and its replies."""
    replies = [r for r in replies if r.get("moderation_status") not in REJECTED and _body(r)]
    solutions = [r for r in replies if r.get("is_solution") is True]
    accepted = max(solutions, key=lambda r: (_kudos(r), -_order(r)), default=None)
    others = sorted((r for r in replies if r is not accepted), key=lambda r: -_kudos(r))
    conversation = topic.get("conversation") if isinstance(topic.get("conversation"), dict) else {}
    metrics = topic.get("metrics") if isinstance(topic.get("metrics"), dict) else {}
    return {
        "id": str(topic["id"]),
        "title": topic.get("subject"),
        "body": _body(topic),
        "url": _text(topic.get("view_href")),
        "board": _board(topic.get("board")),
        "tags": _tags(topic.get("tags")),
        "lang": _lang(topic.get("language")),
        "created_at": _text(topic.get("post_time")),
        "updated_at": _text(conversation.get("last_post_time")),
        "kudos": _kudos(topic),
        "views": max(0, _count(metrics.get("views"), "metrics.views")),
        "replies": _reply_count(topic, conversation, replies),
        "solved": conversation.get("solved") is True or accepted is not None,
        "accepted_answer": _answer(accepted) if accepted is not None else None,
        "answers": [_answer(reply) for reply in others[:OTHER_ANSWERS_KEPT]],
        "state": topic_state(topic, conversation),
    }


def topic_state(topic: Mapping[str, Any], conversation: Mapping[str, Any]) -> str:
    """The thread state of a topic message: archived when its board or conversation is
    (``archived: true``), closed when it is ``read_only`` (locked: no more replies)."""
    board = topic.get("board") if isinstance(topic.get("board"), dict) else {}
    if topic.get("archived") is True or conversation.get("archived") is True:
        return ARCHIVED
    if board.get("archived") is True:
        return ARCHIVED
    if topic.get("read_only") is True:
        return CLOSED
    return OPEN


def read_khoros_export(path: Path, include_gone: bool = False) -> Iterator[SyncItem]:
    """Threads from saved LiQL answers: a folder of ``*.json`` files, or one file."""
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    with MessageStaging() as staging:
        for file in files:
            try:
                items = liql_items(parse_json(file.read_text(encoding="utf-8-sig")))
            except (OSError, UnicodeDecodeError, UnreadableJson, InvalidRecord) as e:
                yield RecordError(file.name, f"not a LiQL answer: {e}")
                continue
            for number, message in enumerate(items, start=1):
                location = f"{file.name}: item {number}"
                try:
                    staging.add(message, location)
                except InvalidRecord as e:
                    yield RecordError(location, str(e))
        for topic_id, location, messages in staging.topics():
            yield from thread_items(topic_id, messages, location, include_gone)


class MessageStaging:
    """Messages grouped by topic in a temporary SQLite file, read back topic by topic."""

    def __enter__(self) -> MessageStaging:
        self._folder = tempfile.TemporaryDirectory(prefix="askfind-khoros-")
        self._db = sqlite3.connect(Path(self._folder.name) / "messages.sqlite")
        self._db.execute(
            "CREATE TABLE message (topic TEXT, id TEXT, location TEXT, message TEXT, "
            "PRIMARY KEY (topic, id))"
        )
        return self

    def __exit__(self, *exc: object) -> None:
        self._db.close()
        self._folder.cleanup()

    def add(self, message: Any, location: str) -> None:
        """Stage a message (a later copy of the same message replaces an earlier one)."""
        message_id, topic_id = message_topic(message)
        self._db.execute(
            "INSERT OR REPLACE INTO message VALUES (?, ?, ?, ?)",
            (topic_id, message_id, location, json.dumps(message, ensure_ascii=False)),
        )

    def topics(self) -> Iterator[tuple[str, str, list[dict[str, Any]]]]:
        """(topic id, where its topic message was, its messages), topic by topic."""
        self._db.commit()
        rows = self._db.execute("SELECT topic, id, location, message FROM message ORDER BY topic")
        current: str | None = None
        location = ""
        messages: list[dict[str, Any]] = []
        for topic_id, message_id, where, text in rows:
            if topic_id != current:
                if current is not None:
                    yield current, location, messages
                current, location, messages = topic_id, where, []
            if message_id == topic_id:
                location = where
            messages.append(json.loads(text))
        if current is not None:
            yield current, location, messages


def _answer(message: Mapping[str, Any]) -> dict[str, Any]:
    author = message.get("author")
    return {
        "id": str(message.get("id")),
        "body": _body(message),
        "author": _text(author.get("login")) if isinstance(author, dict) else None,
        "url": _text(message.get("view_href")),
        "kudos": _kudos(message),
        "created_at": _text(message.get("post_time")),
    }


def _body(message: Mapping[str, Any]) -> str:
    body = message.get("body")
    if body is None:
        return ""
    if not isinstance(body, str):
        raise InvalidRecord(f"message {message.get('id')}: body must be a string")
    return body


def _kudos(message: Mapping[str, Any]) -> int:
    """``kudos.sum.weight`` (what ``SELECT kudos.sum(weight)`` returns); 0 without it."""
    kudos = message.get("kudos")
    total = kudos.get("sum") if isinstance(kudos, dict) else None
    weight = total.get("weight") if isinstance(total, dict) else None
    return _count(weight, "kudos.sum.weight")


def _reply_count(
    topic: Mapping[str, Any], conversation: Mapping[str, Any], replies: list[Any]
) -> int:
    counted = topic.get("replies")
    if isinstance(counted, dict) and isinstance(counted.get("count"), int):
        return max(0, counted["count"])
    if isinstance(conversation.get("messages_count"), int):
        return max(0, conversation["messages_count"] - 1)
    return len(replies)


def _order(message: Mapping[str, Any]) -> float:
    """Earlier first among equals: post_time as a sortable number (0 when unknown)."""
    try:
        return parse_timestamp(str(message.get("post_time"))).timestamp()
    except ValueError:
        return 0.0


def _board(board: Any) -> str | None:
    if not isinstance(board, dict):
        return None
    return _text(board.get("title")) or _text(board.get("id"))


def _tags(tags: Any) -> list[str]:
    items = tags.get("items") if isinstance(tags, dict) else tags
    if not isinstance(items, list):
        return []
    texts = [item.get("text") if isinstance(item, dict) else item for item in items]
    return [text for text in texts if isinstance(text, str) and text.strip()]


def _lang(value: Any) -> str | None:
    """Khoros languages are codes like "de" or "en" (sometimes "en-US"): keep the language."""
    if not isinstance(value, str) or not value.strip():
        return None
    code = value.strip().split("-")[0].split("_")[0].lower()
    return code if 2 <= len(code) <= 3 and code.isalpha() else None


def _id(value: Any, name: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int) or str(value).strip() == "":
        raise InvalidRecord(f"a message needs {name}")
    return str(value).strip()


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _count(value: Any, name: str) -> int:
    if value is None:
        return 0
    # LiQL sums come back as numbers, sometimes with a fraction ("5.0").
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidRecord(f"{name} must be a number, not {value!r}")
    return int(value)


def _json_type(value: Any) -> str:
    """What a JSON value other than an object is, for a message: "an array", "a string",
    or the value itself (true, null, a number: short)."""
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    return json_spelling(value)
