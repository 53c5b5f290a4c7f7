"""The errors of curation: a rule that cannot be one, a rule that does not exist."""

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
