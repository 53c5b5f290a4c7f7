"""Durable curation rules: one SQLite file in the data dir, every change a new version.

``<data_dir>/curation.sqlite`` keeps each rule's whole history (table ``rule_version``):
adding a rule writes its version 1, changing it writes the next version, removing it
writes a version without a body. Nothing is updated in place or deleted, so every
change stays audited with its author and time, and a removed rule can be read back.
Writes go through one connection under a lock; gunicorn's workers (and the command
line) share the file through WAL and a busy timeout, as the event store does.

No two rules in force are the same rule (:func:`rule_key`): a second copy would make
removing one undo nothing. The store refuses one inside the write's transaction, so two
processes adding the same rule at once cannot both succeed.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Hashable
from datetime import UTC, datetime
from pathlib import Path

from indexer.curation.errors import DuplicateRule, RuleNotFound
from indexer.curation.rules import (
    HIDDEN,
    INCIDENT,
    SYNONYMS,
    Body,
    Hidden,
    Pin,
    Rule,
    Synonyms,
    fields_of,
    kind_of,
)
from indexer.sqlite_files import connect_wal

CURATION_FILE = "curation.sqlite"
SCHEMA = """
CREATE TABLE IF NOT EXISTS rule_version (
    rule INTEGER NOT NULL,          -- the rule's id
    version INTEGER NOT NULL,       -- 1 when added, one more with each change
    kind TEXT NOT NULL,             -- pin, incident, hidden, synonyms
    body TEXT,                      -- the rule's fields as JSON; NULL: removed
    author TEXT NOT NULL,           -- who changed it (an API key's id, an operator)
    changed_at TEXT NOT NULL,       -- ISO 8601, UTC, from the server's clock
    PRIMARY KEY (rule, version)
);
"""
BUSY_TIMEOUT_S = 30
MAX_AUTHOR_CHARS = 200
# Ids are SQLite INTEGERs, at most 2**63 - 1; ids are handed out from 1.
FIRST_RULE_ID, LAST_RULE_ID = 1, 2**63 - 1


class RuleStore:
    """Reads and writes the rules of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        self.path = data_dir / CURATION_FILE
        self._db = connect_wal(self.path, BUSY_TIMEOUT_S, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock, self._db:
            self._db.executescript(SCHEMA)

    def add(self, body: Body, author: str) -> Rule:
        """Store a new rule (version 1); committed when this returns.

        Raises:
            DuplicateRule: a rule in force is the same rule (nothing is stored).
        """
        with self._lock, self._db:
            # BEGIN IMMEDIATE: two processes adding at once get different ids.
            self._db.execute("BEGIN IMMEDIATE")
            self._refuse_duplicate(body, changing=None)
            (last,) = self._db.execute("SELECT coalesce(max(rule), 0) FROM rule_version").fetchone()
            return self._write(last + 1, 1, body, author)

    def change(self, rule_id: int, body: Body, author: str) -> Rule:
        """Store the next version of a rule in force.

        Raises:
            RuleNotFound: no rule in force has this id.
            DuplicateRule: another rule in force is the same rule as the new version.
        """
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            current = self._current(rule_id)
            self._refuse_duplicate(body, changing=rule_id)
            return self._write(rule_id, current.version + 1, body, author)

    def remove(self, rule_id: int, author: str) -> Rule:
        """Store a removal as the rule's next version; returns the rule as it was.

        Raises:
            RuleNotFound: no rule in force has this id.
        """
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            current = self._current(rule_id)
            self._db.execute(
                "INSERT INTO rule_version VALUES (?, ?, ?, NULL, ?, ?)",
                (rule_id, current.version + 1, current.kind, _author(author), _now()),
            )
            return current

    def rules(self) -> list[Rule]:
        """The rules in force (each in its latest version), oldest rule first."""
        with self._lock:
            return self._in_force()

    def get(self, rule_id: int) -> Rule:
        """A rule in force.

        Raises:
            RuleNotFound: no rule in force has this id.
        """
        with self._lock:
            return self._current(rule_id)

    def history(self, rule_id: int) -> list[dict[str, object]]:
        """Every version of a rule, oldest first, removals included (``removed``: true).

        Raises:
            RuleNotFound: no rule ever had this id.
        """
        _check_id(rule_id)
        with self._lock:
            rows = self._db.execute(
                "SELECT version, kind, body, author, changed_at FROM rule_version"
                " WHERE rule = ? ORDER BY version",
                (rule_id,),
            ).fetchall()
        if not rows:
            raise RuleNotFound(f"no rule with id {rule_id}")
        return [
            {
                "version": version,
                "kind": kind,
                "author": author,
                "changed_at": changed_at,
                "removed": body is None,
                **(json.loads(body) if body is not None else {}),
            }
            for version, kind, body, author, changed_at in rows
        ]

    def data_version(self) -> int:
        """A number that changes when another connection commits (cheap to poll)."""
        with self._lock:
            return int(self._db.execute("PRAGMA data_version").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _in_force(self) -> list[Rule]:
        rows = self._db.execute(
            "SELECT rule, version, kind, body, author, changed_at FROM rule_version AS v"
            " WHERE version = (SELECT max(version) FROM rule_version WHERE rule = v.rule)"
            " AND body IS NOT NULL ORDER BY rule"
        ).fetchall()
        return [_rule(*row) for row in rows]

    def _refuse_duplicate(self, body: Body, changing: int | None) -> None:
        """Raise DuplicateRule if a rule in force other than ``changing`` is ``body``'s rule.

        A rule may be changed into what it is (a hidden rule's new reason, say).
        """
        key = rule_key(body)
        for rule in self._in_force():
            if rule.id != changing and rule_key(rule.body) == key:
                raise DuplicateRule(_already(rule), rule.id)

    def _current(self, rule_id: int) -> Rule:
        _check_id(rule_id)
        row = self._db.execute(
            "SELECT rule, version, kind, body, author, changed_at FROM rule_version"
            " WHERE rule = ? ORDER BY version DESC LIMIT 1",
            (rule_id,),
        ).fetchone()
        if row is None or row[3] is None:
            raise RuleNotFound(f"no rule with id {rule_id}")
        return _rule(*row)

    def _write(self, rule_id: int, version: int, body: Body, author: str) -> Rule:
        changed_at = _now()
        self._db.execute(
            "INSERT INTO rule_version VALUES (?, ?, ?, ?, ?, ?)",
            (
                rule_id,
                version,
                kind_of(body),
                json.dumps(fields_of(body), ensure_ascii=False),
                _author(author),
                changed_at,
            ),
        )
        return Rule(rule_id, version, body, _author(author), datetime.fromisoformat(changed_at))


def rule_key(body: Body) -> Hashable:
    """What makes two rules the same rule: equal keys, one rule stored twice.

    - hidden: the same thread (the reason is a note);
    - synonyms: the same language and the same set of terms, ignoring case and spacing;
    - pin, incident: the same kind, thread and language, the same set of queries (ignoring
      case and spacing) and the same window, as stored (to the second).

    Pins of one thread in other windows or for other queries are different rules.
    """
    if isinstance(body, Synonyms):
        return SYNONYMS, body.lang, _folded(body.terms)
    if isinstance(body, Hidden):
        return HIDDEN, body.thread
    fields = fields_of(body)
    return (
        kind_of(body),
        body.thread,
        body.lang,
        _folded(body.queries),
        fields["starts"],
        fields["ends"],
    )


def _folded(texts: tuple[str, ...]) -> frozenset[str]:
    return frozenset(" ".join(text.casefold().split()) for text in texts)


def _already(rule: Rule) -> str:
    """What a rule in force already does, for refusing its copy."""
    body = rule.body
    if isinstance(body, Hidden):
        return f"rule {rule.id} already hides {body.thread}"
    if isinstance(body, Synonyms):
        return f"rule {rule.id} already makes {' = '.join(body.terms)} synonyms in {body.lang}"
    pin = "an incident pin of" if body.incident else "a pin of"
    return (
        f"rule {rule.id} is already {pin} {body.thread} for the same queries, language and window"
    )


def _rule(rule_id: int, version: int, kind: str, body: str, author: str, changed_at: str) -> Rule:
    fields = json.loads(body)
    return Rule(rule_id, version, _body(kind, fields), author, datetime.fromisoformat(changed_at))


def _body(kind: str, fields: dict[str, object]) -> Body:
    """A stored body back as a rule (stored bodies were checked on the way in)."""
    if kind == SYNONYMS:
        return Synonyms(str(fields["lang"]), tuple(fields["terms"]))  # type: ignore[arg-type]
    if kind == HIDDEN:
        return Hidden(str(fields["thread"]), str(fields.get("reason") or ""))
    starts, ends = fields.get("starts"), fields.get("ends")
    return Pin(
        thread=str(fields["thread"]),
        queries=tuple(fields["queries"]),  # type: ignore[arg-type]
        starts=datetime.fromisoformat(starts) if isinstance(starts, str) else None,
        ends=datetime.fromisoformat(ends) if isinstance(ends, str) else None,
        lang=fields.get("lang") or None,  # type: ignore[arg-type]
        incident=kind == INCIDENT,
    )


def _check_id(rule_id: int) -> None:
    """Refuse an id no rule can have as an unknown rule.

    SQLite cannot even compare an id outside its INTEGER range (``OverflowError``), and
    an id from a URL or the command line may be any size.

    Raises:
        RuleNotFound: ``rule_id`` is outside the ids a rule can have.
    """
    if not FIRST_RULE_ID <= rule_id <= LAST_RULE_ID:
        raise RuleNotFound(f"no rule with id {rule_id}")


def _author(author: str) -> str:
    return (author.strip() or "unknown")[:MAX_AUTHOR_CHARS]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
