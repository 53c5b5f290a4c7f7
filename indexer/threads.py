"""The thread format of DESIGN.md as typed data, and its validation where records enter."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import langcodes

from indexer.errors import SELF_DUPLICATE, InvalidRecord
from indexer.json_input import json_spelling

MAX_ID_CHARS = 200
# Counts are stored as 64-bit integers (SQLite INTEGER, Elasticsearch long): a larger one
# cannot be written, and stopped whole batches before it was refused here.
MIN_COUNT, MAX_COUNT = -(2**63), 2**63 - 1
# The visibility of a thread everyone may see (DESIGN.md decision 8).
PUBLIC = "public"
MAX_GROUPS = 50
MAX_GROUP_CHARS = 100
TITLE_MAX_CHARS = 1000
# Content types (DESIGN.md decision 9): community threads, and help articles (FAQ, help
# pages) that have no replies, kudos or accepted solution of their own.
THREAD = "thread"
ARTICLE = "article"
KINDS = (THREAD, ARTICLE)
# A thread's state in its community: only open ones are suggested (``indexer.freshness``).
OPEN = "open"
CLOSED = "closed"
ARCHIVED = "archived"
STATES = (OPEN, CLOSED, ARCHIVED)
CUT_MARK = "…"  # ends a text that was cut, so that its readers see it
# What no text searched for holds: C0 and C1 controls and DEL, but tab, line feed and
# carriage return, which a pasted message is made of (and a query's whitespace collapses).
CONTROL_CHARACTER = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True, slots=True)
class Answer:
    """A reply to a thread; the accepted one is the thread's solution."""

    body: str
    id: str | None = None
    author: str | None = None
    url: str | None = None
    kudos: int = 0
    # When the answer was written: how old an accepted solution is (``indexer.freshness``).
    created_at: str | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "body": self.body,
            "id": self.id,
            "author": self.author,
            "url": self.url,
            "kudos": self.kudos,
            "created_at": self.created_at,
        }


@dataclass(frozen=True, slots=True)
class Thread:
    """One community thread: a question with its replies and community signals."""

    id: str
    title: str
    body: str = ""
    url: str | None = None
    board: str | None = None
    tags: tuple[str, ...] = ()
    lang: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    kudos: int = 0
    views: int = 0
    replies: int = 0
    solved: bool = False
    accepted_answer: Answer | None = None
    answers: tuple[Answer, ...] = field(default_factory=tuple)
    duplicate_of: str | None = None
    # The groups allowed to see the thread; empty: public. A restricted thread never
    # reaches the public widget or API (``Filters.viewer_groups``).
    visibility: tuple[str, ...] = ()
    # ``type`` in the record: a thread or a help article (``KINDS``).
    kind: str = THREAD
    state: str = OPEN

    @property
    def is_public(self) -> bool:
        return not self.visibility

    @property
    def is_article(self) -> bool:
        return self.kind == ARTICLE

    @property
    def solution_at(self) -> str | None:
        """When the accepted solution was written: its own time, else the thread's last
        change, else its creation. The last change is never before the answer: without
        the answer's own time a solution is taken for younger, never marked outdated early."""
        if self.accepted_answer is None:
            return None
        return self.accepted_answer.created_at or self.updated_at or self.created_at

    def to_record(self) -> dict[str, Any]:
        """Return the thread as a JSON-ready dict in the thread format.

        Written out rather than ``dataclasses.asdict``, which deep-copies recursively and
        took a fifth of the time of re-indexing unchanged threads.
        """
        return {
            "id": self.id,
            "title": self.title,
            "body": self.body,
            "url": self.url,
            "board": self.board,
            "tags": list(self.tags),
            "lang": self.lang,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "kudos": self.kudos,
            "views": self.views,
            "replies": self.replies,
            "solved": self.solved,
            "accepted_answer": self.accepted_answer.to_record() if self.accepted_answer else None,
            "answers": [answer.to_record() for answer in self.answers],
            "duplicate_of": self.duplicate_of,
            "visibility": list(self.visibility) if self.visibility else PUBLIC,
            "type": self.kind,
            "state": self.state,
        }

    def with_changes(self, **changes: Any) -> Thread:
        """Return a copy with some fields replaced (threads are immutable)."""
        return dataclasses.replace(self, **changes)


def thread_from_record(record: Any, entering: bool = False) -> Thread:
    """Validate one record of the thread format and return it as a Thread.

    Unknown fields are ignored; optional fields may be missing or null.

    ``entering``: the record is entering the index (the write API, JSON Lines), so its
    ``lang`` must be a language's code, not just two or three letters ("xx"), and its
    ``duplicate_of`` not its own id. A thread in a language other than the configured ones
    is kept, as what it is: a query finds it across languages. What the index already
    holds is read back as it was written.

    Raises:
        InvalidRecord: a required field is missing or a field has the wrong type.
    """
    if not isinstance(record, dict):
        raise InvalidRecord(f"expected a JSON object, got {type(record).__name__}")
    thread_id = _required_text(record, "id")
    if len(thread_id) > MAX_ID_CHARS:
        raise InvalidRecord(f"id is longer than {MAX_ID_CHARS} characters")
    accepted = _answer(record.get("accepted_answer"), "accepted_answer")
    solved = record.get("solved")
    if solved is None:
        solved = accepted is not None
    elif not isinstance(solved, bool):
        raise InvalidRecord(f"solved must be true or false, not {json_spelling(solved)}")
    answers = record.get("answers")
    if answers is None:
        answers = []
    elif not isinstance(answers, list):
        raise InvalidRecord("answers must be a list")
    duplicate_of = _optional_text(record, "duplicate_of")
    if entering and duplicate_of == thread_id:
        raise InvalidRecord(SELF_DUPLICATE)  # as the agents' judgements: it names no other
    return Thread(
        id=thread_id,
        title=_required_text(record, "title"),
        body=_optional_text(record, "body") or "",
        url=_optional_text(record, "url"),
        board=_optional_text(record, "board"),
        tags=_tags(record.get("tags")),
        lang=_lang(record.get("lang"), entering),
        created_at=_timestamp(record, "created_at"),
        updated_at=_timestamp(record, "updated_at"),
        kudos=_integer(record, "kudos", minimum=None),
        views=_integer(record, "views", minimum=0),
        replies=_integer(record, "replies", minimum=0),
        solved=solved,
        accepted_answer=accepted,
        answers=tuple(
            answer
            for index, item in enumerate(answers)
            if (answer := _answer(item, f"answers[{index}]")) is not None
        ),
        duplicate_of=duplicate_of,
        visibility=visibility_of(record.get("visibility")),
        kind=_choice(record, "type", KINDS),
        state=_choice(record, "state", STATES),
    )


def _choice(record: dict[str, Any], name: str, allowed: tuple[str, ...]) -> str:
    """One of ``allowed`` (missing or null: the first, the default)."""
    value = record.get(name)
    if value is None:
        return allowed[0]
    if not isinstance(value, str) or value.strip().lower() not in allowed:
        raise InvalidRecord(
            f"{name} must be one of {', '.join(allowed)}, not {json_spelling(value)}"
        )
    return value.strip().lower()


def visibility_of(value: Any) -> tuple[str, ...]:
    """The groups of a ``visibility`` field: ``"public"`` or missing is public (no
    groups); a group name or a list of them restricts the thread to those groups.

    An empty list is refused rather than read as public: a connector that found no group
    for a private board must not publish it.

    Raises:
        InvalidRecord: not "public", a group name or a non-empty list of group names.
    """
    if value is None or value == PUBLIC:
        return ()
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(name, str) for name in names):
        raise InvalidRecord('visibility must be "public", a group name or a list of group names')
    groups = tuple(dict.fromkeys(name.strip() for name in names if name.strip()))
    if not groups:
        raise InvalidRecord('visibility names no group: give "public" or the groups allowed')
    if PUBLIC in groups:
        raise InvalidRecord(f'visibility lists "{PUBLIC}" among groups: give one or the other')
    if len(groups) > MAX_GROUPS:
        raise InvalidRecord(f"visibility names more than {MAX_GROUPS} groups")
    for index, group in enumerate(groups):
        _check_encodable(group, f"visibility[{index}]")
        if len(group) > MAX_GROUP_CHARS:
            raise InvalidRecord(f"visibility[{index}] is longer than {MAX_GROUP_CHARS} characters")
    return tuple(sorted(groups))


def bounded_thread(thread: Thread, max_chars: int) -> Thread:
    """``thread`` with its texts cut to size: ``thread`` itself when they already are.

    The title is cut at ``TITLE_MAX_CHARS``, the body and the accepted answer each at
    ``max_chars``, the other answers at ``max_chars`` together (later ones cut first). A
    cut text ends in ``CUT_MARK``. Why: one thread of megabytes costs seconds of analysis
    and hundreds of megabytes of memory, and what helps a reader is at its beginning.
    """
    title = _cut(thread.title, TITLE_MAX_CHARS)
    body = _cut(thread.body, max_chars)
    accepted = thread.accepted_answer
    if accepted is not None and len(accepted.body) > max_chars:
        accepted = dataclasses.replace(accepted, body=_cut(accepted.body, max_chars))
    answers: list[Answer] = []
    left = max_chars
    for answer in thread.answers:
        if left <= len(CUT_MARK):
            break
        kept = (
            answer
            if len(answer.body) <= left
            else dataclasses.replace(answer, body=_cut(answer.body, left))
        )
        answers.append(kept)
        left -= len(kept.body)
    whole = (
        title is thread.title
        and body is thread.body
        and accepted is thread.accepted_answer
        and len(answers) == len(thread.answers)
        and all(kept is answer for kept, answer in zip(answers, thread.answers, strict=False))
    )
    if whole:
        return thread
    return thread.with_changes(
        title=title, body=body, accepted_answer=accepted, answers=tuple(answers)
    )


def _cut(text: str, max_chars: int) -> str:
    if len(text) <= max_chars:
        return text
    return text[: max_chars - len(CUT_MARK)].rstrip() + CUT_MARK


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 timestamp; one without a zone is taken as UTC."""
    parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _required_text(record: dict[str, Any], name: str) -> str:
    value = record.get(name)
    if value is None:
        raise InvalidRecord(f"missing required field {name!r}")
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be a string, not {type(value).__name__}")
    _check_encodable(value, name)
    if not value.strip():
        raise InvalidRecord(f"{name} is empty")
    return value.strip()


def _optional_text(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRecord(f"{name} must be a string, not {type(value).__name__}")
    _check_encodable(value, name)
    return value.strip() or None


def lone_surrogate_at(value: str) -> int | None:
    """Where ``value`` holds its first lone surrogate (None: it is text). JSON may escape
    one (``"\\ud800"``), but it is not text, and UTF-8 (the index, the database, every
    log and hash) cannot hold it."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as e:
        return int(e.start)
    return None


def control_character_problem(value: str, name: str) -> str | None:
    """Why ``value``, the field ``name``, is no text anyone searched for: the first
    control character it holds (``CONTROL_CHARACTER``); None when it holds none.

    One check and one wording for every door a query comes through (the read API's ``q``,
    the widget's events). Check before stripping: Python takes U+001C..U+001F and U+0085
    for whitespace.
    """
    control = CONTROL_CHARACTER.search(value)
    if control is None:
        return None
    return (
        f"{name} holds the control character U+{ord(control.group()):04X}, which no text "
        "searched for holds"
    )


def _check_encodable(value: str, name: str) -> None:
    """Refuse lone surrogates (``lone_surrogate_at``)."""
    at = lone_surrogate_at(value)
    if at is not None:
        raise InvalidRecord(
            f"{name} holds a lone surrogate {value[at]!r} at {at}, which is not text"
        )


def _integer(record: dict[str, Any], name: str, minimum: int | None) -> int:
    value = record.get(name)
    if value is None:
        return 0
    # bool is a subclass of int in Python, but `"views": true` is a broken record.
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(f"{name} must be an integer, not {json_spelling(value)}")
    if minimum is not None and value < minimum:
        raise InvalidRecord(f"{name} must be >= {minimum}, not {value}")
    return stored_count(value, name)


def stored_count(value: int, name: str) -> int:
    """``value``, if a 64-bit integer holds it (as the index stores counts).

    Raises:
        InvalidRecord: it does not; the message does not repeat its thousands of digits.
    """
    if not MIN_COUNT <= value <= MAX_COUNT:
        raise InvalidRecord(f"{name} is out of range: a 64-bit integer, at most {MAX_COUNT:,}")
    return value


def _timestamp(record: dict[str, Any], name: str) -> str | None:
    value = _optional_text(record, name)
    if value is None:
        return None
    try:
        return parse_timestamp(value).isoformat()
    except ValueError as e:
        raise InvalidRecord(f"{name} is not an ISO 8601 timestamp: {json_spelling(value)}") from e


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(tag, str) for tag in value):
        raise InvalidRecord("tags must be a list of strings")
    for index, tag in enumerate(value):
        _check_encodable(tag, f"tags[{index}]")
    return tuple(tag.strip() for tag in value if tag.strip())


def _lang(value: Any, entering: bool) -> str | None:
    if value is None or value == "":
        return None
    lang = value.strip().lower() if isinstance(value, str) else ""
    if not 2 <= len(lang) <= 3 or (entering and not langcodes.tag_is_valid(lang)):
        raise InvalidRecord(f"lang must be an ISO 639-1 code, not {json_spelling(value)}")
    return lang


def _optional_id(value: Any, name: str) -> str | None:
    # Reply ids are numbers in many exports; they are only labels here.
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InvalidRecord(f"{name} must be a string or a number")
    if isinstance(value, str):
        _check_encodable(value, name)
    return str(value).strip()


def _answer(value: Any, name: str) -> Answer | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidRecord(f"{name} must be an object or null")
    body = value.get("body")
    if not isinstance(body, str):
        raise InvalidRecord(f"{name}.body must be a string")
    _check_encodable(body, f"{name}.body")
    if not body.strip():
        return None
    return Answer(
        body=body,
        id=_optional_id(value.get("id"), f"{name}.id"),
        author=_optional_text(value, "author"),
        url=_optional_text(value, "url"),
        kudos=_integer(value, "kudos", minimum=None),
        created_at=_timestamp(value, "created_at"),
    )
