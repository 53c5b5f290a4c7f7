"""Who may see which thread: the groups of the settings, read once, in one place.

A thread is public or restricted to groups (``Thread.visibility``, DESIGN.md decision 8).
Two settings name groups: ``agent_groups`` (what an agent may see beyond the public
threads) and ``restricted_boards`` (the groups of boards whose source carries no
permissions, Khoros exports). Both are ``name:group|group`` entries; ``*`` as a group
of an agent is every group.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from indexer.backends.base import EVERY_GROUP, Backend, Filters
from indexer.threads import Thread

ANY_GROUP = "*"


def grants(entries: Iterable[str]) -> dict[str, frozenset[str]]:
    """``name:group|group`` entries (validated by the settings) as name -> groups.

    The name is what precedes the last colon: a key's name (``key:<digest prefix>``) and a
    board's title may hold one, a group may not.
    """
    found: dict[str, frozenset[str]] = {}
    for entry in entries:
        name, _, groups = entry.rpartition(":")
        named = frozenset(group.strip() for group in groups.split("|") if group.strip())
        found[name.strip()] = found.get(name.strip(), frozenset()) | named
    return found


def viewer_groups(agent: str | None, agent_groups: Iterable[str]) -> frozenset[str] | None:
    """The groups an agent may see (``Filters.viewer_groups``): none for the public
    (``agent`` None) and for agents the settings do not name; every group for ``*``."""
    if agent is None:
        return frozenset()
    groups = grants(agent_groups).get(agent, frozenset())
    return EVERY_GROUP if ANY_GROUP in groups else groups


def with_board_groups(thread: Thread, board_groups: Mapping[str, frozenset[str]]) -> Thread:
    """``thread``, restricted to its board's groups where it is public and its board is
    restricted (``restricted_boards``); a thread its source restricted keeps its groups."""
    if not thread.is_public or thread.board is None:
        return thread
    groups = board_groups.get(thread.board)
    return thread.with_changes(visibility=tuple(sorted(groups))) if groups else thread


def visible_threads(
    backend: Backend, ids: Sequence[str], groups: frozenset[str] | None
) -> dict[str, Thread]:
    """The stored threads among ``ids`` that a viewer of ``groups`` may see."""
    sees = Filters(viewer_groups=groups).sees
    found = backend.get_threads(ids)
    return {thread_id: thread for thread_id, thread in found.items() if sees(thread.visibility)}
