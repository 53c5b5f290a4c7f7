"""Freshness: which threads may be suggested at all, and which accepted solutions may be
outdated.

Communities close and archive threads (Discourse ``closed``/``archived``, locked Khoros
topics): their answers are kept for the record, but suggesting them sends customers to a
conversation they cannot join and that no one keeps current. On fast-moving boards
(tariffs, firmware: ``fast_moving_boards``) an accepted solution older than
``outdated_after_days`` may no longer hold: it is marked and ranks lower
(``prior_outdated``), not hidden, because it is often still the best there is.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from indexer.threads import OPEN, parse_timestamp

_DAY_S = 86_400.0


def is_suggestable(state: str, excluded_states: Collection[str]) -> bool:
    """Tell whether a thread of this state may be suggested or found: open ones always,
    closed and archived ones unless ``excluded_states`` names them (it does by default)."""
    return state == OPEN or state not in excluded_states


def solution_outdated(
    board: str | None,
    solution_at: str | None,
    fast_moving_boards: Collection[str],
    outdated_after_days: float,
    now: datetime,
) -> bool:
    """Tell whether an accepted solution may be outdated: on a fast-moving board, and
    written more than ``outdated_after_days`` before ``now``.

    A thread without an accepted solution, or without any time to date it, is never
    marked: there is nothing to distrust, or nothing to say it is old.
    """
    if solution_at is None or board is None or board not in fast_moving_boards:
        return False
    age_s = now.timestamp() - parse_timestamp(solution_at).timestamp()
    return age_s > outdated_after_days * _DAY_S
