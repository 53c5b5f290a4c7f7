"""The source readers under arbitrary input (Hypothesis): they never crash, every bad record
is reported where it is, and every good record around it is kept."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from hypothesis import example, given, settings
from hypothesis import strategies as st

from indexer.sources.base import RecordError
from indexer.sources.jsonl import read_jsonl
from indexer.sources.stackexchange import read_stackexchange
from indexer.threads import Thread

PROPERTY = settings(max_examples=60, deadline=None, database=None)

# --- JSON Lines ----------------------------------------------------------------------------

ANY_TEXT = st.text(max_size=40)
TITLES = ANY_TEXT.filter(lambda text: text.strip() != "")
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | ANY_TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3),
    max_leaves=8,
)
WRONG_TYPES = st.fixed_dictionaries(
    {"id": JSON_VALUES},
    optional={
        "title": JSON_VALUES,
        "kudos": JSON_VALUES,
        "views": JSON_VALUES,
        "solved": JSON_VALUES,
        "tags": JSON_VALUES,
        "accepted_answer": JSON_VALUES,
        "created_at": JSON_VALUES,
    },
)
# Text files split at \n and \r (universal newlines): a "line" of noise holds neither.
NOISE = st.binary(max_size=80).map(lambda raw: raw.replace(b"\n", b"").replace(b"\r", b""))
BAD_LINES = (
    NOISE
    | JSON_VALUES.map(lambda value: json.dumps(value).encode())
    | WRONG_TYPES.map(lambda value: json.dumps(value).encode())
    | st.sampled_from(
        [b'{"id": "x", "title": ', b"{'id': 'x'}", b'{"id": "x", "title": "\\ud800"}', b"\xff\xfe"]
    )
)


@st.composite
def jsonl_files(draw: st.DrawFn) -> tuple[list[bytes], list[str]]:
    """Lines of a file (good records among bad ones) and the ids of the good ones."""
    lines, good = [], []
    for n in range(draw(st.integers(0, 12))):
        if draw(st.booleans()):
            record = {"id": f"good-{n}", "title": draw(TITLES), "body": draw(ANY_TEXT)}
            lines.append(json.dumps(record, ensure_ascii=draw(st.booleans())).encode())
            good.append(record["id"])
        else:
            lines.append(draw(BAD_LINES))
    return lines, good


def read_all_jsonl(lines: list[bytes], bom: bool = False) -> list[Any]:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "threads.jsonl"
        path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + b"\n".join(lines) + b"\n")
        return list(read_jsonl(path))


@PROPERTY
@given(jsonl_files(), st.booleans())
def test_jsonl_keeps_every_good_record_and_locates_every_bad_one(
    file: tuple[list[bytes], list[str]], bom: bool
) -> None:
    lines, good = file
    items = read_all_jsonl(lines, bom)
    texts = [line.decode(errors="replace") for line in lines]
    non_blank = [n for n, text in enumerate(texts, start=1) if text.strip()]
    assert len(items) == len(non_blank)  # one item a line: a thread or its error
    thread_ids = [item.id for item in items if isinstance(item, Thread)]
    assert [i for i in thread_ids if i in good] == good  # all kept, in order
    for item, line_number in zip(items, non_blank, strict=True):
        if isinstance(item, RecordError):
            assert item.location == f"threads.jsonl:{line_number}"
            assert item.message
        else:
            assert isinstance(item, Thread) and item.title == item.title.strip()


def test_jsonl_reports_a_lone_surrogate_and_reads_on() -> None:
    lines = [b'{"id": "s1", "title": "kaputt \\udc80"}', b'{"id": "s2", "title": "heil"}']
    first, second = read_all_jsonl(lines)
    assert isinstance(first, RecordError) and first.location == "threads.jsonl:1"
    assert "surrogate" in first.message
    assert isinstance(second, Thread) and second.id == "s2"


def test_jsonl_reads_huge_lines() -> None:
    body = "Router " * 300_000  # about 2 MB in one record
    lines = [b"{" * 1_000_000, json.dumps({"id": "big", "title": "groß", "body": body}).encode()]
    broken, big = read_all_jsonl(lines)
    assert isinstance(broken, RecordError) and broken.location == "threads.jsonl:1"
    assert isinstance(big, Thread) and len(big.body) == len(body.strip())


# --- Stack Exchange XML -----------------------------------------------------------------------


def xml_char(code: int) -> bool:
    """Characters XML 1.0 documents may hold at all (even escaped)."""
    return (
        code in (0x9, 0xA, 0xD)
        or 0x20 <= code <= 0xD7FF
        or 0xE000 <= code <= 0xFFFD
        or (code >= 0x10000)
    )


XML_TEXT = st.text(st.characters(codec="utf-8").filter(lambda ch: xml_char(ord(ch))), max_size=40)
NUMBERS = st.integers(-(10**6), 10**9).map(str) | st.sampled_from(["", "many", "1.5", " 3"])
ROWS = st.fixed_dictionaries(
    {"PostTypeId": st.sampled_from(["1", "1", "2", "3", "5", "x"])},
    optional={
        "Title": XML_TEXT,
        "Body": XML_TEXT | XML_TEXT.map(lambda text: f"<p>{text}</p><script>{text}</script>"),
        "Score": NUMBERS,
        "ViewCount": NUMBERS,
        "AnswerCount": NUMBERS,
        "Tags": XML_TEXT | st.just("<a><b>") | st.just("|x|y|"),
        "CreationDate": st.sampled_from(["2020-01-02T03:04:05.678", "yesterday", ""]),
        "ParentId": st.sampled_from(["r0", "r1", "nope"]),
        "AcceptedAnswerId": st.sampled_from(["r1", "r2", "missing"]),
        "OwnerDisplayName": XML_TEXT,
    },
)


def posts_xml(rows: list[dict[str, str]]) -> str:
    lines = ['<?xml version="1.0" encoding="utf-8"?>', "<posts>"]
    for n, row in enumerate(rows):
        attributes = " ".join(f"{name}={quoteattr(value)}" for name, value in row.items())
        lines.append(f'  <row Id="r{n}" {attributes} />')
    lines.append("</posts>")
    return "\n".join(lines) + "\n"


def read_dump(text: str | bytes) -> list[Any]:
    with tempfile.TemporaryDirectory() as folder:
        posts = Path(folder) / "Posts.xml"
        if isinstance(text, str):
            posts.write_text(text, encoding="utf-8")
        else:
            posts.write_bytes(text)
        return list(read_stackexchange(Path(folder), site_url="https://example.org"))


def readable_question(row: dict[str, str]) -> bool:
    """Whether a question row makes a thread: a title, and numbers where numbers belong."""

    def number(name: str) -> bool:
        value = row.get(name, "")
        return value == "" or value.strip().lstrip("-").isdigit()

    title = " ".join(row.get("Title", "").split())  # XML turns newlines in attributes to spaces
    numbers_ok = all(number(name) for name in ("Score", "ViewCount", "AnswerCount"))
    views_ok = not row.get("ViewCount", "").strip().startswith("-")
    answers_ok = not row.get("AnswerCount", "").strip().startswith("-")
    dates_ok = row.get("CreationDate") != "yesterday"
    return bool(title.strip()) and numbers_ok and views_ok and answers_ok and dates_ok


@PROPERTY
@given(st.lists(ROWS, max_size=10))
def test_stackexchange_reads_odd_rows_without_crashing(rows: list[dict[str, str]]) -> None:
    items = read_dump(posts_xml(rows))
    threads = {item.id for item in items if isinstance(item, Thread)}
    expected = {
        f"r{n}" for n, row in enumerate(rows) if row["PostTypeId"] == "1" and readable_question(row)
    }
    assert threads == expected
    for item in items:
        if isinstance(item, RecordError):
            line = int(item.location.removeprefix("Posts.xml:"))
            assert 3 <= line <= len(rows) + 2, item  # the line of the row at fault


@PROPERTY
@given(st.lists(ROWS, min_size=1, max_size=6), st.binary(min_size=1, max_size=20))
# lxml's iterparse raised this one before it handed out the rows parsed before the break.
@example(rows=[{"PostTypeId": "1"}], garbage=b"\x00")
def test_stackexchange_stops_at_broken_xml_with_an_error_and_keeps_what_came_before(
    rows: list[dict[str, str]], garbage: bytes
) -> None:
    good = '  <row Id="first" PostTypeId="1" Title="Erste Frage" />\n'
    text = posts_xml(rows).replace("<posts>\n", "<posts>\n" + good, 1)
    broken = text.encode("utf-8").replace(b"</posts>", b"<row \x01" + garbage + b"</posts>")
    items = read_dump(broken)
    # Answers with bad numbers are reported first (answers are read in a first pass).
    threads = [item for item in items if isinstance(item, Thread)]
    assert threads and threads[0].id == "first"
    assert isinstance(items[-1], RecordError) and "broken XML" in items[-1].message
