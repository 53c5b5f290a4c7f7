"""The operators' curation rules as data: pins, incident pins, hidden threads, synonyms.

A rule arrives as a JSON object (from the admin API, the command line or a synonym file)
and is checked here, where it enters, so that the store only ever holds rules that can
be applied. What a rule means when searching lives in ``apply`` and ``synonyms``.

Kinds and their fields:

- ``pin``: ``thread`` shown first for the questions ``queries`` describes (example
  questions or terms), from ``starts`` until ``ends`` (ISO 8601; no ``ends``: until
  removed); ``lang`` optionally limits it to queries analysed in that language.
- ``incident``: a pin of an outage notice: ``thread`` first for every "Störung"-like
  question (``queries``, by default :data:`INCIDENT_QUERIES`) while it lasts; an incident
  goes before any other pin.
- ``hidden``: ``thread`` is never suggested or searched while the rule exists
  (``reason`` is a note for the other operators).
- ``synonyms``: ``terms`` mean the same in ``lang`` ("Fritzbox", "FRITZ!Box"): a query
  with one finds threads with any other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from indexer.curation.errors import InvalidRule
from indexer.json_input import json_spelling
from indexer.threads import lone_surrogate_at, parse_timestamp

PIN, INCIDENT, HIDDEN, SYNONYMS = "pin", "incident", "hidden", "synonyms"
KINDS = (PIN, INCIDENT, HIDDEN, SYNONYMS)
# What an outage notice answers unless its rule says otherwise: the words customers type
# when something is down, in the community's two languages.
INCIDENT_QUERIES = (
    "Störung",
    "Ausfall",
    "Netzausfall",
    "Internetausfall",
    "kein Internet",
    "Internet geht nicht",
    "outage",
    "no internet",
    "network down",
)
MAX_ID_CHARS = 200
MAX_QUERIES = 50
MAX_QUERY_CHARS = 200
MAX_TERMS = 50
MAX_TERM_CHARS = 100
MAX_NOTE_CHARS = 500
SHOWN_NOT_SET = {"id", "version", "author", "changed_at"}
FIELDS = {
    PIN: {"kind", "thread", "queries", "starts", "ends", "lang"},
    INCIDENT: {"kind", "thread", "queries", "starts", "ends", "lang"},
    HIDDEN: {"kind", "thread", "reason"},
    SYNONYMS: {"kind", "lang", "terms"},
}


@dataclass(frozen=True, slots=True)
class Pin:
    """A thread shown first for some questions, for a time (an incident pin is one too)."""

    thread: str
    queries: tuple[str, ...]
    starts: datetime | None = None
    ends: datetime | None = None
    lang: str | None = None
    incident: bool = False

    def has_ended(self, now: datetime) -> bool:
        """Whether the pin's window is over: it is kept until removed, in force no more."""
        return self.ends is not None and self.ends <= now

    def active(self, now: datetime) -> bool:
        """Whether the pin is in force at ``now`` (its start included, its end not)."""
        return (self.starts is None or self.starts <= now) and not self.has_ended(now)


@dataclass(frozen=True, slots=True)
class Hidden:
    thread: str
    reason: str = ""


@dataclass(frozen=True, slots=True)
class Synonyms:
    """Terms that mean the same in one language (each one or more words)."""

    lang: str
    terms: tuple[str, ...]


Body = Pin | Hidden | Synonyms


@dataclass(frozen=True, slots=True)
class Rule:
    """One rule in its current version, with who changed it last and when."""

    id: int
    version: int
    body: Body
    author: str
    changed_at: datetime

    @property
    def kind(self) -> str:
        return kind_of(self.body)

    def to_dict(self) -> dict[str, Any]:
        """The rule as the admin API shows it: its id and version, then its fields."""
        return {
            "id": self.id,
            "kind": self.kind,
            "version": self.version,
            "author": self.author,
            "changed_at": self.changed_at.isoformat(timespec="milliseconds"),
            **fields_of(self.body),
        }


def kind_of(body: Body) -> str:
    if isinstance(body, Pin):
        return INCIDENT if body.incident else PIN
    return HIDDEN if isinstance(body, Hidden) else SYNONYMS


def fields_of(body: Body) -> dict[str, Any]:
    """A rule body as JSON fields (what :func:`parse_rule` reads back)."""
    if isinstance(body, Pin):
        return {
            "thread": body.thread,
            "queries": list(body.queries),
            "starts": body.starts.isoformat(timespec="seconds") if body.starts else None,
            "ends": body.ends.isoformat(timespec="seconds") if body.ends else None,
            "lang": body.lang,
        }
    if isinstance(body, Hidden):
        return {"thread": body.thread, "reason": body.reason}
    return {"lang": body.lang, "terms": list(body.terms)}


def parse_rule(data: Any, languages: tuple[str, ...], *, now: datetime | None = None) -> Body:
    """A rule body from JSON, checked.

    Args:
        data: the JSON object, ``kind`` included.
        languages: the configured languages, which ``lang`` must be one of.
        now: the time a pin's ``ends`` must lie after, and a pin without ``starts``
            starts at (default: the clock's time).

    Raises:
        InvalidRule: not an object, an unknown kind or field, a missing or malformed
            field, ``ends`` not after both ``starts`` and now, fewer than two synonyms.
    """
    if not isinstance(data, Mapping):
        raise InvalidRule("a rule must be a JSON object")
    kind = data.get("kind")
    if kind not in KINDS:
        raise InvalidRule(
            f"kind must be one of {', '.join(KINDS)}, not {json_spelling(kind)}", "kind"
        )
    # What the API shows besides a rule's fields, and a client may send back unchanged.
    unknown = sorted(set(data) - FIELDS[kind] - SHOWN_NOT_SET)
    if unknown:
        raise InvalidRule(f"a {kind} rule has no field {unknown[0]!r}", unknown[0])
    if kind == SYNONYMS:
        terms = _texts(data.get("terms"), "terms", MAX_TERMS, MAX_TERM_CHARS)
        distinct = {" ".join(term.casefold().split()) for term in terms}
        if len(distinct) < 2:
            raise InvalidRule("a synonym group needs at least two different terms", "terms")
        return Synonyms(_language(data.get("lang"), languages, required=True), terms)  # type: ignore[arg-type]
    thread = _thread_id(data.get("thread"))
    if kind == HIDDEN:
        return Hidden(thread, _note(data.get("reason"), "reason"))
    queries = data.get("queries")
    if kind == INCIDENT and queries is None:
        queries = list(INCIDENT_QUERIES)
    starts = _time(data.get("starts"), "starts")
    ends = _time(data.get("ends"), "ends")
    _check_window(starts, ends, now)
    return Pin(
        thread=thread,
        queries=_texts(queries, "queries", MAX_QUERIES, MAX_QUERY_CHARS),
        starts=starts,
        ends=ends,
        lang=_language(data.get("lang"), languages, required=False),
        incident=kind == INCIDENT,
    )


def _check_window(starts: datetime | None, ends: datetime | None, now: datetime | None) -> None:
    """Refuse a pin that ends before it starts, or that has ended already (one without
    ``starts`` starts now): it would be stored and listed, and never be in force."""
    if ends is None:
        return
    if starts is not None and ends <= starts:
        raise InvalidRule("ends must be after starts", "ends")
    now = now or datetime.now(UTC)
    if ends > now:
        return
    if starts is None:
        raise InvalidRule(
            f"ends must be after starts, and a rule without starts starts now"
            f" ({_iso_utc(now)}): {_iso_utc(ends)} has passed",
            "ends",
        )
    raise InvalidRule(
        f"ends must be after now ({_iso_utc(now)}): {_iso_utc(ends)} has passed,"
        " so the rule would never be in force",
        "ends",
    )


def _iso_utc(time: datetime) -> str:
    return time.isoformat(timespec="seconds").replace("+00:00", "Z")


def _thread_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidRule("thread must be a thread id", "thread")
    if len(value) > MAX_ID_CHARS:
        raise InvalidRule(f"thread is longer than {MAX_ID_CHARS} characters", "thread")
    _check_text(value, "thread")
    return value


def _texts(value: Any, name: str, most: int, longest: int) -> tuple[str, ...]:
    """A non-empty list of non-empty strings, stripped, each once."""
    if not isinstance(value, list) or not value:
        raise InvalidRule(f"{name} must be a non-empty list of strings", name)
    if len(value) > most:
        raise InvalidRule(f"{name} holds more than {most} entries", name)
    texts: dict[str, None] = {}
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise InvalidRule(f"every entry of {name} must be a non-empty string", name)
        if len(item) > longest:
            raise InvalidRule(f"an entry of {name} is longer than {longest} characters", name)
        _check_text(item, name)
        texts[" ".join(item.split())] = None
    return tuple(texts)


def _note(value: Any, name: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str) or len(value) > MAX_NOTE_CHARS:
        raise InvalidRule(f"{name} must be a string of at most {MAX_NOTE_CHARS} characters", name)
    _check_text(value, name)
    return value.strip()


def _language(value: Any, languages: tuple[str, ...], required: bool) -> str | None:
    if value is None and not required:
        return None
    if value not in languages:
        raise InvalidRule(
            f"lang must be one of {', '.join(languages)}, not {json_spelling(value)}", "lang"
        )
    return str(value)


def _time(value: Any, name: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidRule(f"{name} must be an ISO 8601 time", name)
    try:
        return parse_timestamp(value).astimezone(UTC)
    except (ValueError, OverflowError) as e:
        raise InvalidRule(
            f"{name} must be an ISO 8601 time, not {json_spelling(value)}", name
        ) from e


def _check_text(value: str, name: str) -> None:
    if lone_surrogate_at(value) is not None:
        raise InvalidRule(f"{name} holds a lone surrogate, which is not text", name)
