"""What every source reader yields: a valid thread, or a located error for a bad record;
and, where a source reports deletions (its API, its webhooks), that a thread is gone."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.threads import Thread


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that could not be read; reported with where it is and skipped."""

    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.message}"


@dataclass(frozen=True, slots=True)
class Gone:
    """A thread the source reports deleted (or no longer public): to be removed from the index."""

    id: str
    location: str

    def __str__(self) -> str:
        return f"{self.location}: thread {self.id} is gone"


SourceItem = Thread | RecordError
# What incremental sync reads: threads to upsert, deletions, and bad records.
SyncItem = Thread | RecordError | Gone
