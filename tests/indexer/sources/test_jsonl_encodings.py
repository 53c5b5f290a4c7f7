"""JSON Lines that are not UTF-8 (a Latin-1 line, a UTF-16 or UTF-32 file) and records
that repeat an id: refused or warned of, never read with characters replaced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.errors import AskfindError
from indexer.sources import DuplicateId, RecordError, read_source
from indexer.sources.jsonl import read_jsonl, wide_encoding
from indexer.threads import Thread

RECORDS = [{"id": "a", "title": "Café kaputt"}, {"id": "b", "title": "WLAN weg"}]
TEXT = "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in RECORDS)


def test_a_line_that_is_not_utf8_is_a_bad_record_and_the_others_are_read(tmp_path: Path) -> None:
    path = tmp_path / "latin1.jsonl"
    path.write_bytes(b'{"id": "a", "title": "Caf\xe9 kaputt"}\n{"id": "b", "title": "ok"}\n')
    assert list(read_jsonl(path)) == [
        RecordError("latin1.jsonl:1", "not UTF-8 text (byte 26: 0xe9 starts no UTF-8 character)"),
        Thread(id="b", title="ok"),
    ]


def test_a_line_of_stray_bytes_is_a_bad_record_not_a_wide_file(tmp_path: Path) -> None:
    # A first line \xff\xfe is a UTF-16 byte order mark's bytes, but nothing after it is
    # UTF-16: only that line is refused.
    path = tmp_path / "noise.jsonl"
    path.write_bytes(b"\xff\xfe\n" + TEXT.encode("utf-8"))
    items = list(read_jsonl(path))
    assert items[0] == RecordError(
        "noise.jsonl:1", "not UTF-8 text (byte 1: 0xff starts no UTF-8 character)"
    )
    assert [item.id for item in items[1:] if isinstance(item, Thread)] == ["a", "b"]


@pytest.mark.parametrize(
    ("encoding", "named"),
    [
        ("utf-16", "UTF-16LE"),  # Python writes a byte order mark, little-endian here
        ("utf-16-le", "UTF-16LE"),  # no byte order mark: the NUL bytes tell
        ("utf-16-be", "UTF-16BE"),
        ("utf-32", "UTF-32LE"),
        ("utf-32-be", "UTF-32BE"),
    ],
)
def test_a_utf16_or_utf32_file_is_refused_once_by_its_name(
    tmp_path: Path, encoding: str, named: str
) -> None:
    path = tmp_path / "wide.jsonl"
    path.write_bytes(TEXT.encode(encoding))
    assert wide_encoding(path) == named
    with pytest.raises(AskfindError, match=f"is {named} text, and JSON Lines must be UTF-8"):
        read_source(path)


def test_a_utf8_file_is_no_wide_one(tmp_path: Path) -> None:
    path = tmp_path / "fine.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + TEXT.encode("utf-8"))
    assert wide_encoding(path) is None
    assert [item.id for item in read_jsonl(path) if isinstance(item, Thread)] == ["a", "b"]


def test_repeated_ids_are_told_at_the_end_with_their_lines(tmp_path: Path) -> None:
    lines = [
        {"id": "a", "title": "eins"},
        {"id": "b", "title": "zwei"},
        "not json",
        {"id": "a", "title": "drei"},
        {"id": "a"},  # a bad record: not one of the id's records
        {"id": "a", "title": "vier"},
    ]
    path = tmp_path / "dup.jsonl"
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x) for x in lines) + "\n")
    told: list[DuplicateId] = []
    items = list(read_source(path, on_duplicate=told.append))
    assert [item.title for item in items if isinstance(item, Thread)] == [
        "eins",
        "zwei",
        "drei",
        "vier",
    ]
    assert told == [DuplicateId("a", "dup.jsonl", (1, 4, 6))]
    assert str(told[0]) == 'dup.jsonl: id "a" is on lines 1, 4 and 6; line 6 is indexed'
