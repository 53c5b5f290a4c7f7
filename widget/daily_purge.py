"""The service's daily purge of old events (``indexer.analytics.retention``).

Every gunicorn worker runs this thread; the purge lock and the time of the last purge in
the data dir make one of them purge once a day and the others find it done. A failed
purge is logged and tried again at the next wake-up: the service goes on serving.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from indexer.analytics.retention import purge_if_due
from indexer.errors import AskfindError
from indexer.settings import Settings
from widget.context import engine_of

log = logging.getLogger(__name__)

# How often a worker checks whether a purge is due: a day's purge runs at most this late.
WAKE_UP_SECONDS = 3600.0
PURGE_KEY = "askfind.daily_purge"
# After a worker starts, before its first check: the model and the index load first.
FIRST_CHECK_SECONDS = 60.0


class DailyPurge:
    """A daemon thread that purges when a purge is due."""

    def __init__(
        self,
        settings: Settings,
        first_check: float = FIRST_CHECK_SECONDS,
        wake_up: float = WAKE_UP_SECONDS,
    ) -> None:
        self._settings = settings
        self._first_check = first_check
        self._wake_up = wake_up
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="askfind-purge", daemon=True)

    def start(self) -> DailyPurge:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def run_once(self) -> None:
        """Purge if due; log what was purged, or why it failed."""
        try:
            purged = purge_if_due(self._settings)
        except (AskfindError, OSError) as e:
            log.warning("purge of old events failed (tried again later): %s", e)
            return
        if purged is not None:
            log.info(
                "purged %d events and %d agents' queries received before %s",
                purged.events,
                purged.judgement_queries,
                purged.before.isoformat(timespec="seconds"),
            )

    def _run(self) -> None:
        if self._stopped.wait(self._first_check):
            return
        while True:
            self.run_once()
            if self._stopped.wait(self._wake_up):
                return


def start_daily_purge(app: Flask) -> DailyPurge:
    """Start the app's purge thread (in each served process, after the fork)."""
    purge = DailyPurge(engine_of(app).settings).start()
    app.extensions[PURGE_KEY] = purge
    return purge
