"""Incremental sync: apply what a source says changed (threads and deletions) to the live index.

``askfind sync`` and the webhooks (``POST /api/hooks/<source>``) both come here, so a
change reaches the index the same way whichever way it arrives. Threads go through the
indexing pipeline's upsert, whose content-hash check leaves threads that did not change
alone (counted as unchanged, not written); threads the source reports gone are deleted.
Applying the same changes twice therefore changes nothing the second time.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from indexer.pipeline import ERRORS_KEPT, CutThreads, Indexer, IndexReport
from indexer.sources.base import Gone, RecordError, SourceItem, SyncItem


@dataclass
class SyncReport:
    """Counts of one sync, each item read in exactly one of them: read = added + changed
    + unchanged + deleted + already_gone + repeated + skipped.

    ``gone`` counts the deletions the source reported; of their ids, ``deleted`` are
    those the index held and ``already_gone`` those it did not (deleted by an earlier
    sync, or never there). ``repeated``: items of an id that another item of the sync
    holds, the later one applied in their place (a thread is counted once).
    """

    read: int = 0
    added: int = 0
    changed: int = 0
    unchanged: int = 0
    gone: int = 0
    deleted: int = 0
    already_gone: int = 0
    repeated: int = 0
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)
    # Threads cut to size on the way in; of them, those whose title was cut and those
    # whose body or answers were cut (``IndexReport``).
    truncated: CutThreads = field(default_factory=CutThreads)
    titles_cut: CutThreads = field(default_factory=CutThreads)
    texts_cut: CutThreads = field(default_factory=CutThreads)
    seconds: float = 0.0

    @property
    def changes(self) -> int:
        """How many threads the index now holds differently (0: nothing changed)."""
        return self.added + self.changed + self.deleted

    def summary(self) -> str:
        # Repeats are rare (the reader warns of them): named only when there are some.
        repeated = f"repeated {self.repeated}, " if self.repeated else ""
        return (
            f"read {self.read}, added {self.added}, changed {self.changed}, unchanged "
            f"{self.unchanged}, deleted {self.deleted}, already gone {self.already_gone}, "
            f"{repeated}skipped {self.skipped} in {self.seconds:.1f} s"
        )


IDS_KEPT = 1000  # ids named in a report (a webhook's answer lists the few it touched)


def apply_changes(
    indexer: Indexer,
    items: Iterable[SyncItem],
    on_error: Callable[[RecordError], None] | None = None,
) -> SyncReport:
    """Upsert the changed threads of ``items`` and delete the gone ones.

    A thread and a deletion of the same id: the later one wins, as if they had been
    applied one by one. Deletions are applied after the upserts (they are few, and a
    batch of upserts must not be split by each one).
    """
    started = time.monotonic()
    report = SyncReport()
    gone: dict[str, None] = {}  # ordered: deletions in the order the source reported them
    superseded = 0  # deletions a later item of their id replaced

    def threads_and_errors() -> Iterator[SourceItem]:
        nonlocal superseded
        for item in items:
            if isinstance(item, Gone):
                report.gone += 1
                if item.id in gone:
                    superseded += 1  # reported gone twice: deleted once
                gone[item.id] = None
                _note_id(report, item.id)
                continue
            if not isinstance(item, RecordError):
                if item.id in gone:
                    del gone[item.id]  # reported again after its deletion: it is back
                    superseded += 1
                _note_id(report, item.id)
            yield item

    upserted = indexer.run(threads_and_errors(), mode="upsert", on_error=on_error)
    report.deleted = indexer.backend.delete(list(gone)) if gone else 0
    report.already_gone = len(gone) - report.deleted
    report.repeated = superseded
    _add_upserts(report, upserted)
    report.seconds = time.monotonic() - started
    return report


def _add_upserts(report: SyncReport, upserted: IndexReport) -> None:
    report.read = upserted.read + report.gone
    report.added = upserted.added
    report.changed = upserted.indexed - upserted.added
    report.unchanged = upserted.unchanged
    report.repeated += upserted.repeated
    report.skipped = upserted.skipped
    report.errors = upserted.errors[:ERRORS_KEPT]
    report.truncated = upserted.truncated
    report.titles_cut = upserted.titles_cut
    report.texts_cut = upserted.texts_cut


def _note_id(report: SyncReport, thread_id: str) -> None:
    if len(report.ids) < IDS_KEPT and thread_id not in report.ids:
        report.ids.append(thread_id)
