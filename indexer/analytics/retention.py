"""Retention of what customers and agents typed: events and queries older than
``events_retention_days`` are deleted (``askfind purge``, and the service once a day).

Query logs are personal data (GDPR, storage limitation): they are kept only as long as
the reports and the feedback need them. Events older than the cut are deleted; agents'
duplicate judgements keep their verdict (ranking and evaluation still use it) but lose
the query the agent had typed.

One purge at a time: gunicorn's workers and a manual ``askfind purge`` all take an
exclusive lock on ``<data_dir>/purge.lock``; the time of the last purge is kept beside
it (``purge.last``), so that of many workers waking up, one purges and the others see it
was done.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from indexer.analytics.judgements import JUDGEMENTS_FILE, JudgementStore
from indexer.analytics.store import EVENTS_FILE, open_event_store
from indexer.settings import Settings

LOCK_FILE = "purge.lock"
LAST_PURGE_FILE = "purge.last"
PURGE_INTERVAL = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Purged:
    """What one purge removed."""

    before: datetime
    events: int
    judgement_queries: int


def cutoff(settings: Settings, now: datetime | None = None) -> datetime:
    """The moment before which events are no longer kept."""
    return (now or datetime.now(UTC)) - timedelta(days=settings.events_retention_days)


def purge(settings: Settings, now: datetime | None = None) -> Purged:
    """Delete the events and forget the judgements' queries received before the cut,
    waiting for a purge already running (of another process) to finish first.

    Raises:
        BackendUnavailable: a store cannot be written.
    """
    with _purge_lock(settings.data_dir, wait=True):
        return _purge_now(settings, now)


def purge_if_due(settings: Settings, now: datetime | None = None) -> Purged | None:
    """Purge unless another process is purging or one did within ``PURGE_INTERVAL``.

    Returns:
        What was purged; None when nothing was due.
    """
    now = now or datetime.now(UTC)
    with _purge_lock(settings.data_dir, wait=False) as locked:
        if not locked:
            return None
        last = last_purge(settings.data_dir)
        if last is not None and now - last < PURGE_INTERVAL:
            return None
        return _purge_now(settings, now)


def last_purge(data_dir: Path) -> datetime | None:
    """When the last purge of this data dir ran (None: never)."""
    try:
        return datetime.fromisoformat((data_dir / LAST_PURGE_FILE).read_text().strip())
    except (OSError, ValueError):
        return None


def _purge_now(settings: Settings, now: datetime | None) -> Purged:
    now = now or datetime.now(UTC)
    before = cutoff(settings, now)
    events = 0
    # No events file yet: nothing to purge, and none is made for it.
    if settings.backend == "elasticsearch" or (settings.data_dir / EVENTS_FILE).is_file():
        store = open_event_store(settings)
        try:
            events = store.purge(before)
        finally:
            store.close()
    judgement_queries = 0
    if (settings.data_dir / JUDGEMENTS_FILE).is_file():
        judgements = JudgementStore(settings.data_dir)
        try:
            judgement_queries = judgements.forget_queries(before)
        finally:
            judgements.close()
    marker = settings.data_dir / LAST_PURGE_FILE
    marker.write_text(now.isoformat())
    return Purged(before, events, judgement_queries)


@contextlib.contextmanager
def _purge_lock(data_dir: Path, wait: bool) -> Iterator[bool]:
    """Hold the data dir's purge lock; yields False when ``wait`` is off and it is taken."""
    data_dir.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(data_dir / LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX if wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(descriptor)  # releases the lock
