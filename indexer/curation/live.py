"""The rules in force for one process, re-read soon after any process changes them.

Every search asks for the rules, so they are kept in memory as a :class:`Curation`
snapshot. At most every ``curation_refresh_seconds`` (1 s by default) SQLite's
``data_version`` is asked whether another connection committed since; only then are the
rules read again (and pins' examples embedded again). The admin API, the command line
and other gunicorn workers all write through connections of their own, so every worker
sees any change within that interval plus one search. Until the first rule is stored
there is no file, and a check is only whether it exists.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from indexer.analysis.analyzer import Analyzer
from indexer.curation.apply import Curation
from indexer.curation.store import CURATION_FILE, RuleStore

log = logging.getLogger(__name__)
NO_RULES = Curation(revision="none")


class CurationLoader:
    """The current :class:`Curation` of a data directory (a ``CurationSource``)."""

    def __init__(
        self,
        data_dir: Path,
        analyzer: Analyzer,
        embed: Callable[[str], np.ndarray],
        refresh_seconds: float,
        pin_similarity: float,
    ) -> None:
        self._data_dir = data_dir
        self._analyzer = analyzer
        self._embed = embed
        self._interval = refresh_seconds
        self._pin_similarity = pin_similarity
        self._store: RuleStore | None = None
        self._data_version: int | None = None
        self._current = NO_RULES
        self._checked = float("-inf")
        self._lock = threading.Lock()

    def current(self) -> Curation:
        """The rules in force (read again first if another connection changed them)."""
        if time.monotonic() - self._checked < self._interval:
            return self._current
        # One thread reads; the others go on with the rules read before rather than
        # wait (reading embeds the pins' examples: a tenth of a second for a hundred).
        if not self._lock.acquire(blocking=False):
            return self._current
        try:
            if time.monotonic() - self._checked >= self._interval:
                self._reload_if_changed()
                self._checked = time.monotonic()
            return self._current
        finally:
            self._lock.release()

    def _reload_if_changed(self) -> None:
        if self._store is None:
            if not (self._data_dir / CURATION_FILE).is_file():
                return
            self._store = RuleStore(self._data_dir)
        version = self._store.data_version()
        if version == self._data_version:
            return
        rules = self._store.rules()
        self._current = Curation.of(rules, self._analyzer, self._embed, self._pin_similarity)
        self._data_version = version
        log.info("curation rules read: %d in force", len(rules))

    def close(self) -> None:
        with self._lock:
            if self._store is not None:
                self._store.close()
                self._store = None
