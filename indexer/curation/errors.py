"""The errors of curation: a rule that cannot be one, a rule that does not exist, a rule
that is one already."""

from __future__ import annotations

from indexer.errors import AskfindError


class InvalidRule(AskfindError):
    """A curation rule is malformed, names a thread the index does not hold, or cannot
    change as asked (``parameter``: the field at fault, where one is)."""

    def __init__(self, message: str, parameter: str | None = None) -> None:
        super().__init__(message)
        self.parameter = parameter


class RuleNotFound(AskfindError):
    """No rule in force has the id asked for."""


class DuplicateRule(AskfindError):
    """A rule would be the same as one in force (``existing``: that rule's id).

    Not an ``InvalidRule``: the rule is well formed, the store already holds it (the HTTP
    API answers 409, not 400). Two copies would make removing one undo nothing.
    """

    def __init__(self, message: str, existing: int) -> None:
        super().__init__(message)
        self.existing = existing
