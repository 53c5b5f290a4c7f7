"""Searches that run without pause in other threads while a test switches an index, and a
hold that keeps each step of the switch from going on until they have searched after it.

A switch (a generation published, an alias swapped) takes milliseconds, so searches that
merely run beside it would rarely land between two of its steps. ``hold_after`` makes
them: after every call of the wrapped step the writer waits until the readers have
finished a few more searches, so a state a step leaves behind is searched every time,
however fast the machine. No timing is asserted; the only clock is a generous guard
against readers that hang.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from indexer.engine import Engine
from indexer.search import SearchRequest

# Searches per reader a held step waits for (the readers take the expected answers in
# turn, each from another place, so a few cover them all).
SEARCHES_PER_HOLD = 3
# How long a held step waits for the readers before the test fails: they have stopped.
STALLED_AFTER_S = 120.0


class ContinuousSearches:
    """Readers, each with an engine of its own (as another worker process has), searching
    ``expected`` (query text -> the thread id it must find) in a loop until exit.

    ``failures`` names every search that raised or did not rank its thread first.
    """

    def __init__(
        self, open_reader: Callable[[], Engine], expected: Mapping[str, str], readers: int = 2
    ) -> None:
        self._open_reader = open_reader
        self._expected = list(expected.items())
        self._readers = readers
        self._done = threading.Condition()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._restore: list[Callable[[], None]] = []
        self.searches = 0
        self.failures: list[str] = []

    def __enter__(self) -> ContinuousSearches:
        engines = [self._open_reader() for _ in range(self._readers)]
        for number, engine in enumerate(engines):
            reader = threading.Thread(
                target=self._search, args=(engine, number), name=f"reader-{number}", daemon=True
            )
            self._threads.append(reader)
            reader.start()
        self.wait_for(SEARCHES_PER_HOLD)  # every reader is up and the index answers
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        for restore in reversed(self._restore):
            restore()
        self._stop.set()
        for reader in self._threads:
            reader.join(timeout=STALLED_AFTER_S)

    def _search(self, engine: Engine, number: int) -> None:
        try:
            turn = number
            while not self._stop.is_set():
                text, wanted = self._expected[turn % len(self._expected)]
                turn += 1
                try:
                    result = engine.search.search(SearchRequest(text, limit=1))
                    found = [item.thread.id for item in result.items]
                    problem = None if found == [wanted] else f"{text!r} found {found}, not {wanted}"
                except Exception as e:  # every failure is what the test reports
                    problem = f"{text!r} raised {e!r}"
                with self._done:
                    self.searches += 1
                    if problem is not None:
                        self.failures.append(problem)
                    self._done.notify_all()
        finally:
            engine.close()

    def wait_for(self, searches: int) -> None:
        """Wait until the readers have finished ``searches`` more searches each (counted
        together)."""
        if self._stop.is_set():
            return
        with self._done:
            target = self.searches + searches * self._readers
            if not self._done.wait_for(lambda: self.searches >= target, STALLED_AFTER_S):
                raise AssertionError(f"the readers stopped searching ({self.searches} searches)")

    def hold_after(self, owner: object, name: str) -> None:
        """Wrap ``owner.name`` (a step of a switch) so that each call waits for searches
        before it returns; the original comes back on exit."""
        original = getattr(owner, name)

        @functools.wraps(original)
        def held(*args: Any, **kwargs: Any) -> Any:
            try:
                return original(*args, **kwargs)
            finally:
                self.wait_for(SEARCHES_PER_HOLD)

        setattr(owner, name, held)
        self._restore.append(lambda: setattr(owner, name, original))


@contextmanager
def searching(
    open_reader: Callable[[], Engine], expected: Mapping[str, str], steps: list[tuple[object, str]]
) -> Iterator[ContinuousSearches]:
    """``ContinuousSearches`` with ``steps`` (owner, attribute name) held."""
    with ContinuousSearches(open_reader, expected) as searches:
        for owner, name in steps:
            searches.hold_after(owner, name)
        yield searches
