"""Tests of the JSON Lines reader: good records, located errors for bad ones, streaming."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from indexer.sources.base import RecordError
from indexer.sources.jsonl import read_jsonl
from indexer.threads import Answer, Thread

GOOD = {
    "id": "wlan-1",
    "title": "WLAN bricht abends ab",
    "body": "Seit Montag fällt das WLAN jeden Abend aus.",
    "tags": ["wlan"],
    "kudos": 3,
    "views": 120,
    "solved": True,
    "accepted_answer": {"id": "a1", "body": "Kanal 1, 6 oder 11 fest einstellen."},
    "created_at": "2024-03-01T10:00:00Z",
}
# One record a line; the comment says which line number each ends up on.
LINES = [
    json.dumps(GOOD),  # 1
    "",  # 2: blank, skipped silently
    json.dumps({"title": "Ohne Id"}),  # 3
    json.dumps({"id": "t4"}),  # 4
    '{"id": "t5" "title": "Komma fehlt"}',  # 5
    json.dumps({"id": "t6", "title": "Datum", "created_at": "gestern"}),  # 6
    json.dumps({"id": "t7", "title": "Aufrufe", "views": "many"}),  # 7
    json.dumps({"id": "t8", "title": "Gelöst?", "solved": "yes"}),  # 8
    "   \t",  # 9: whitespace only, skipped silently
    "[1, 2]",  # 10
    json.dumps({"id": "t11", "title": "Negativ", "kudos": -4}, ensure_ascii=False),  # 11
    json.dumps({"id": "t12", "title": "Kudos", "kudos": "12"}),  # 12
]


@pytest.fixture
def threads_file(tmp_path: Path) -> Path:
    path = tmp_path / "threads.jsonl"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    return path


def test_good_lines_become_threads_and_bad_lines_located_errors(threads_file: Path) -> None:
    items = list(read_jsonl(threads_file))

    assert items == [
        Thread(
            id="wlan-1",
            title="WLAN bricht abends ab",
            body="Seit Montag fällt das WLAN jeden Abend aus.",
            tags=("wlan",),
            created_at="2024-03-01T10:00:00+00:00",
            kudos=3,
            views=120,
            solved=True,
            accepted_answer=Answer(body="Kanal 1, 6 oder 11 fest einstellen.", id="a1"),
        ),
        RecordError("threads.jsonl:3", "missing required field 'id'"),
        RecordError("threads.jsonl:4", "missing required field 'title'"),
        RecordError("threads.jsonl:5", "broken JSON: Expecting ',' delimiter (column 13)"),
        RecordError("threads.jsonl:6", 'created_at is not an ISO 8601 timestamp: "gestern"'),
        RecordError("threads.jsonl:7", 'views must be an integer, not "many"'),
        RecordError("threads.jsonl:8", 'solved must be true or false, not "yes"'),
        RecordError("threads.jsonl:10", "expected a JSON object, got list"),
        Thread(id="t11", title="Negativ", kudos=-4),
        RecordError("threads.jsonl:12", 'kudos must be an integer, not "12"'),
    ]


def test_record_error_prints_as_location_then_message() -> None:
    error = RecordError("threads.jsonl:7", 'views must be an integer, not "many"')
    assert str(error) == 'threads.jsonl:7: views must be an integer, not "many"'


def test_windows_line_endings_and_no_final_newline_are_read(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(b'{"id": "a", "title": "Eins"}\r\n\r\n{"id": "b", "title": "Zwei"}')
    assert list(read_jsonl(path)) == [Thread(id="a", title="Eins"), Thread(id="b", title="Zwei")]


def test_empty_file_yields_nothing(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_text("\n\n", encoding="utf-8")
    assert list(read_jsonl(path)) == []


def test_truncated_line_reports_the_column_where_it_breaks_off(tmp_path: Path) -> None:
    path = tmp_path / "cut.jsonl"
    path.write_text('{"id": "t1", "title": \n', encoding="utf-8")
    assert list(read_jsonl(path)) == [
        RecordError("cut.jsonl:1", "broken JSON: Expecting value (column 23)")
    ]


def test_lines_python_cannot_decode_are_bad_records_not_crashes(tmp_path: Path) -> None:
    path = tmp_path / "odd.jsonl"
    lines = [
        "[" * 2000 + "]" * 2000,
        '{"id": "n", "kudos": ' + "9" * 5000 + "}",
        '{"id": "a", "title": "t"}',
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert list(read_jsonl(path)) == [
        RecordError("odd.jsonl:1", "broken JSON: nested too deeply"),
        RecordError("odd.jsonl:2", "broken JSON: holds a number of more than 4300 digits"),
        Thread(id="a", title="t"),
    ]


def test_byte_order_mark_does_not_break_the_first_record(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"id": "a", "title": "Erste Zeile"}\n')
    assert list(read_jsonl(path)) == [Thread(id="a", title="Erste Zeile")]


def test_a_large_file_is_streamed_with_bounded_memory(tmp_path: Path) -> None:
    path = tmp_path / "large.jsonl"
    count = 200_000
    body = "Seit dem Update startet mein Router jede Nacht neu, was kann ich tun?"
    with path.open("w", encoding="utf-8") as out:
        for number in range(count):
            record = {"id": f"t{number}", "title": f"Router {number} startet neu", "body": body}
            out.write(json.dumps(record) + "\n")
    size = path.stat().st_size
    assert size > 20_000_000

    # What the first record loads once (lazy imports, compiled patterns) is not what
    # streaming holds: read one record before measuring.
    warm_up = tmp_path / "one.jsonl"
    warm_up.write_text(json.dumps({"id": "w", "title": "Router", "body": body}) + "\n")
    assert len(list(read_jsonl(warm_up))) == 1
    seen = 0
    last_id = None
    tracemalloc.start()
    try:
        for item in read_jsonl(path):
            assert isinstance(item, Thread)
            seen += 1
            last_id = item.id
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (seen, last_id) == (count, f"t{count - 1}")
    # Holding the records would take far more than the file; streaming holds one at a time
    # (about 50 kB alone; tracemalloc also counts what other threads of the test process,
    # such as services' clients left by earlier tests, allocate meanwhile).
    assert peak < size / 50, f"peak {peak:,} bytes while reading {size:,} bytes"


def test_a_lang_that_is_no_language_is_a_bad_record_and_another_language_is_kept(
    tmp_path: Path,
) -> None:
    path = tmp_path / "langs.jsonl"
    lines = [
        {"id": "fr-1", "title": "Mon routeur ne marche pas", "lang": "fr"},
        {"id": "xx-1", "title": "Router", "lang": "xx"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    assert list(read_jsonl(path)) == [
        Thread(id="fr-1", title="Mon routeur ne marche pas", lang="fr"),
        RecordError("langs.jsonl:2", 'lang must be an ISO 639-1 code, not "xx"'),
    ]


def test_a_thread_given_as_its_own_duplicate_is_a_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "self.jsonl"
    path.write_text('{"id": "p6", "title": "WLAN", "duplicate_of": "p6"}\n', encoding="utf-8")
    assert list(read_jsonl(path)) == [
        RecordError("self.jsonl:1", "a thread cannot be a duplicate of itself")
    ]
