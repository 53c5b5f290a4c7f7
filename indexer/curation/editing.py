"""Changing the rules: checked against the index, then stored as a new version.

The one path every writer takes (the admin API, the command line, a synonym file), so a
rule is checked the same way wherever it comes from.
"""

from __future__ import annotations

from typing import Any

from indexer.backends.base import Backend
from indexer.curation.errors import InvalidRule
from indexer.curation.rules import SYNONYMS, Body, Hidden, Pin, Rule, Synonyms, kind_of, parse_rule
from indexer.curation.store import RuleStore, rule_key


class RuleEditor:
    """Adds, changes and removes the rules of one store, for one index."""

    def __init__(self, store: RuleStore, backend: Backend, languages: tuple[str, ...]) -> None:
        self.store = store
        self._backend = backend
        self._languages = languages

    def add(self, data: Any, author: str) -> Rule:
        """Store a new rule from its JSON fields.

        Raises:
            InvalidRule: as ``parse_rule``, or its thread is not in the index.
            DuplicateRule: a rule in force is the same rule (``store.rule_key``).
        """
        return self.store.add(self._checked(data), author)

    def change(self, rule_id: int, data: Any, author: str) -> Rule:
        """Store a rule's next version; it keeps its kind.

        Raises:
            RuleNotFound: no rule in force has this id.
            InvalidRule: as :meth:`add`, or the kind differs.
            DuplicateRule: another rule in force is the same rule as the new version.
        """
        current = self.store.get(rule_id)
        body = self._checked(data)
        if kind_of(body) != current.kind:
            raise InvalidRule(
                f"rule {rule_id} is a {current.kind} rule, which cannot become another kind: "
                f"remove it and add a {kind_of(body)} rule",
                "kind",
            )
        return self.store.change(rule_id, body, author)

    def remove(self, rule_id: int, author: str) -> Rule:
        """Remove a rule (its history stays); returns it as it was.

        Raises:
            RuleNotFound: no rule in force has this id.
        """
        return self.store.remove(rule_id, author)

    def import_synonyms(
        self, groups: list[Synonyms], author: str, replace: bool
    ) -> tuple[int, int]:
        """Add the groups not stored yet (the same rule: ``store.rule_key``); with
        ``replace``, remove the stored groups the list does not hold. Returns (added,
        removed)."""
        stored = {rule_key(r.body): r for r in self.store.rules() if r.kind == SYNONYMS}
        wanted = {rule_key(group): group for group in groups}
        added = removed = 0
        for key, group in wanted.items():
            if key not in stored:
                self.store.add(group, author)
                added += 1
        if replace:
            for key, rule in stored.items():
                if key not in wanted:
                    self.store.remove(rule.id, author)
                    removed += 1
        return added, removed

    def _checked(self, data: Any) -> Body:
        body = parse_rule(data, self._languages)
        if isinstance(body, Pin | Hidden) and not self._backend.signals([body.thread]):
            raise InvalidRule(f"no thread with id {body.thread!r} in the index", "thread")
        return body
