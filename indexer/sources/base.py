"""What every source reader yields: a valid thread, or a located error for a bad record."""

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


SourceItem = Thread | RecordError
