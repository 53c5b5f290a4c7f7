"""What every source reader yields: a valid thread, or a located error for a bad record;
and, where a source reports deletions (its API, its webhooks), that a thread is gone.
Besides, what a reader may warn of: an id that several records hold."""

from __future__ import annotations

from dataclasses import dataclass

from indexer.json_input import json_spelling
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


@dataclass(frozen=True, slots=True)
class DuplicateId:
    """An id that several records of one file hold: each replaces the one before, so the
    last is what the index keeps."""

    id: str
    file: str
    lines: tuple[int, ...]

    def __str__(self) -> str:
        last = self.lines[-1]
        lines = ", ".join(str(line) for line in self.lines[:-1]) + f" and {last}"
        return (
            f"{self.file}: id {json_spelling(self.id)} is on lines {lines}; line {last} is indexed"
        )


SourceItem = Thread | RecordError
# What incremental sync reads: threads to upsert, deletions, and bad records.
SyncItem = Thread | RecordError | Gone
