"""Read threads from JSON Lines in the thread format, one record at a time."""

from __future__ import annotations

import codecs
from collections.abc import Callable, Iterator
from pathlib import Path

from indexer.errors import AskfindError, InvalidRecord, UnreadableJson
from indexer.json_input import not_utf8, parse_json
from indexer.sources.base import DuplicateId, RecordError, SourceItem
from indexer.threads import Thread, lone_surrogate_at, thread_from_record

# How much of a file tells whether it is JSON Lines in UTF-16 or UTF-32.
HEAD_BYTES = 4096
# By the names iconv knows them. UTF-32 first: a UTF-32 file's "{" (7b 00 00 00) also
# reads as UTF-16 ("{" and a NUL).
WIDE_ENCODINGS = (
    ("UTF-32LE", "utf-32-le"),
    ("UTF-32BE", "utf-32-be"),
    ("UTF-16LE", "utf-16-le"),
    ("UTF-16BE", "utf-16-be"),
)


def read_jsonl(
    path: Path, on_duplicate: Callable[[DuplicateId], None] | None = None
) -> Iterator[SourceItem]:
    """Yield a Thread for each good line and a RecordError (with its line number) for each bad one.

    The file is streamed: memory does not grow with its size. Blank lines are skipped. A
    line that is not UTF-8 is a bad record like broken JSON: never indexed with its
    characters replaced, where it would replace the thread the index holds.

    ``on_duplicate``: told, at the end of the file, of each id that several of its records
    hold (the last one is indexed). Finding them keeps every id read in memory, so only
    callers that ask for it pay for it.

    Raises:
        AskfindError: the file is UTF-16 or UTF-32 text (checked before anything is read).
    """
    encoding = wide_encoding(path)
    if encoding is not None:
        raise AskfindError(
            f"{path} is {encoding} text, and JSON Lines must be UTF-8: convert it first "
            f"(iconv -f {encoding} -t UTF-8)"
        )
    return _records(path, on_duplicate)


def wide_encoding(path: Path) -> str | None:
    """The UTF-16 or UTF-32 encoding ("UTF-16LE", ...) the file begins as JSON in (with
    a byte order mark or without: its NUL bytes tell), else None.

    Those files are not UTF-8 in any line, so rather than one error per line that says
    nothing of the cause, the caller says it once.
    """
    with path.open("rb") as file:
        head = file.read(HEAD_BYTES)
    for name, codec in WIDE_ENCODINGS:
        try:
            # final=False: a character cut at HEAD_BYTES is left pending, not an error.
            text = codecs.getincrementaldecoder(codec)().decode(head, final=False)
        except UnicodeDecodeError:
            continue
        if text.lstrip("\ufeff \t\r\n")[:1] in ("{", "["):
            return name
    return None


def _records(
    path: Path, on_duplicate: Callable[[DuplicateId], None] | None
) -> Iterator[SourceItem]:
    first_lines: dict[str, int] = {}
    repeated: dict[str, list[int]] = {}
    # utf-8-sig: files written by Windows tools start with a byte order mark.
    # surrogateescape: bytes that are not UTF-8 come through as lone surrogates (which
    # strict UTF-8 never yields), for the line holding them to be refused on its own.
    with path.open(encoding="utf-8-sig", errors="surrogateescape") as lines:
        for line_number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            location = f"{path.name}:{line_number}"
            if lone_surrogate_at(line) is not None:
                yield RecordError(location, _undecodable(line))
                continue
            try:
                record = parse_json(line.rstrip("\r\n"))
            except UnreadableJson as e:
                yield RecordError(location, f"broken JSON: {e}")
                continue
            try:
                thread = thread_from_record(record, entering=True)
            except InvalidRecord as e:
                yield RecordError(location, str(e))
                continue
            if on_duplicate is not None:
                _remember(thread, line_number, first_lines, repeated)
            yield thread
    if on_duplicate is not None:
        for thread_id, later in repeated.items():
            lines_of_id = (first_lines[thread_id], *later)
            on_duplicate(DuplicateId(thread_id, path.name, lines_of_id))


def _remember(
    thread: Thread, line_number: int, first_lines: dict[str, int], repeated: dict[str, list[int]]
) -> None:
    """Note the line of a thread's id: the first, or one more of an id seen before."""
    first = first_lines.setdefault(thread.id, line_number)
    if first != line_number:
        repeated.setdefault(thread.id, []).append(line_number)


def _undecodable(line: str) -> str:
    """Why a line read with surrogateescape is not UTF-8, and where: its own bytes again,
    decoded strictly."""
    try:
        line.encode("utf-8", "surrogateescape").decode("utf-8")
    except UnicodeDecodeError as e:
        return not_utf8(e, lines=False)
    return "not UTF-8 text"  # not reached: a lone surrogate here is an escaped byte
