"""Read threads from JSON Lines in the thread format, one record at a time."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from indexer.errors import InvalidRecord, UnreadableJson
from indexer.json_input import parse_json
from indexer.sources.base import RecordError, SourceItem
from indexer.threads import thread_from_record


def read_jsonl(path: Path) -> Iterator[SourceItem]:
    """Yield a Thread for each good line and a RecordError (with its line number) for each bad one.

    The file is streamed: memory does not grow with its size. Blank lines are skipped.
    Invalid UTF-8 is replaced rather than aborting the whole file; the damaged record is
    still checked like any other.
    """
    # utf-8-sig: files written by Windows tools start with a byte order mark.
    with path.open(encoding="utf-8-sig", errors="replace") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            location = f"{path.name}:{line_number}"
            try:
                record = parse_json(line.rstrip("\r\n"))
            except UnreadableJson as e:
                yield RecordError(location, f"broken JSON: {e}")
                continue
            try:
                yield thread_from_record(record)
            except InvalidRecord as e:
                yield RecordError(location, str(e))
