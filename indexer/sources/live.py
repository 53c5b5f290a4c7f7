"""The communities askfind reads live (their APIs and webhooks), picked by name."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

from indexer.errors import AskfindError
from indexer.settings import Settings
from indexer.sources.base import SyncItem

LIVE_SOURCES: tuple[str, ...] = ("discourse", "khoros")


class LiveSource(Protocol):
    """A community's API: everything, what changed, and what a webhook delivery says."""

    name: str

    def read(self, since: datetime | None = None, include_gone: bool = False) -> Iterator[SyncItem]:
        """Every thread (with ``since``: those changed after it); with ``include_gone``
        also the deletions the source reports."""
        ...

    def changes_from_hook(self, event: str, payload: Any) -> Iterator[SyncItem]:
        """The threads a webhook delivery changes, read anew, or their Gone."""
        ...

    def close(self) -> None: ...


def open_live_source(name: str, settings: Settings) -> LiveSource:
    """The configured API of a community.

    Raises:
        AskfindError: an unknown name.
        SourceUnavailable: the community is not configured.
    """
    if name == "discourse":
        from indexer.sources.discourse_api import DiscourseSource

        return DiscourseSource(settings)
    if name == "khoros":
        from indexer.sources.khoros_api import KhorosSource

        return KhorosSource(settings)
    raise AskfindError(f"unknown source {name!r}: one of {', '.join(LIVE_SOURCES)}")
