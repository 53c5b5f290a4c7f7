"""Read a Stack Exchange data dump (Posts.xml, optionally PostLinks.xml) as threads.

Questions become threads; the accepted answer becomes ``accepted_answer``; other answers
(the best-voted few) become ``answers``; net votes become ``kudos``; "duplicate" post
links become ``duplicate_of``. Dumps can be many gigabytes, so both files are streamed
with lxml's iterparse and answers wait in a temporary SQLite file on disk, not in memory.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from lxml import etree

from indexer.errors import InvalidRecord
from indexer.json_input import json_spelling
from indexer.sources.base import RecordError, SourceItem
from indexer.threads import stored_count, thread_from_record

QUESTION = "1"
ANSWER = "2"
DUPLICATE_LINK = "3"
OTHER_ANSWERS_KEPT = 3
# Bytes of a dump handed to the XML parser at a time.
READ_CHUNK = 1 << 20


def read_stackexchange(
    path: Path, site_url: str | None = None, board: str | None = None
) -> Iterator[SourceItem]:
    """Yield threads from a dump folder (or its Posts.xml), errors for rows that are broken.

    Args:
        path: the dump folder, or the Posts.xml file inside it.
        site_url: base address of the site, e.g. ``https://iot.stackexchange.com``; used to
            give each thread its ``url``.
        board: the board to file the threads under (default: none).
    """
    posts = path / "Posts.xml" if path.is_dir() else path
    links = posts.with_name("PostLinks.xml")
    with tempfile.TemporaryDirectory(prefix="askfind-se-") as scratch:
        db = sqlite3.connect(Path(scratch) / "answers.sqlite")
        try:
            yield from _stage(db, posts, links)
            yield from _questions(db, posts, site_url, board)
        finally:
            db.close()


def _rows(path: Path) -> Iterator[etree._Element]:
    """Stream the <row> elements of a dump file, freeing each one after use.

    Raises:
        etree.XMLSyntaxError: the XML breaks; every row before the break came out first.
            (A pull parser, because ``iterparse`` may raise before it hands out the rows
            it parsed from the same chunk.)
    """
    parser = etree.XMLPullParser(events=("end",), tag="row", recover=False)
    with path.open("rb") as dump:
        while True:
            chunk = dump.read(READ_CHUNK)
            try:
                if chunk:
                    parser.feed(chunk)
                else:
                    parser.close()
            except etree.XMLSyntaxError:
                yield from _freed(parser.read_events())
                raise
            yield from _freed(parser.read_events())
            if not chunk:
                return


def _freed(events: Iterator[tuple[str, etree._Element]]) -> Iterator[etree._Element]:
    for _, row in events:
        yield row
        row.clear()
        while row.getprevious() is not None:
            del row.getparent()[0]


def _stage(db: sqlite3.Connection, posts: Path, links: Path) -> Iterator[RecordError]:
    """First pass: put answers and duplicate links into the scratch database."""
    db.execute(
        "CREATE TABLE answer (id TEXT PRIMARY KEY, parent TEXT, score INT, body TEXT, author TEXT)"
    )
    db.execute("CREATE INDEX answer_parent ON answer (parent, score)")
    db.execute("CREATE TABLE duplicate (post TEXT PRIMARY KEY, original TEXT)")
    try:
        for row in _rows(posts):
            if row.get("PostTypeId") != ANSWER:
                continue
            try:
                score = _int(row, "Score")
            except InvalidRecord as e:
                yield RecordError(f"{posts.name}:{row.sourceline}", str(e))
                continue
            db.execute(
                "INSERT OR REPLACE INTO answer VALUES (?, ?, ?, ?, ?)",
                (row.get("Id"), row.get("ParentId"), score, row.get("Body") or "", _author(row)),
            )
    except etree.XMLSyntaxError:
        pass  # the second pass over the same file reports where it breaks
    if links.is_file():
        try:
            for row in _rows(links):
                if row.get("LinkTypeId") == DUPLICATE_LINK and row.get("PostId"):
                    db.execute(
                        "INSERT OR REPLACE INTO duplicate VALUES (?, ?)",
                        (row.get("PostId"), row.get("RelatedPostId")),
                    )
        except etree.XMLSyntaxError as e:
            yield RecordError(f"{links.name}:{e.lineno}", f"broken XML, stopped reading: {e.msg}")
    db.commit()


def _questions(
    db: sqlite3.Connection, posts: Path, site_url: str | None, board: str | None
) -> Iterator[SourceItem]:
    """Second pass: turn each question row, with its staged answers, into a thread."""
    try:
        for row in _rows(posts):
            if row.get("PostTypeId") != QUESTION:
                continue
            location = f"{posts.name}:{row.sourceline}"
            try:
                yield thread_from_record(_question_record(db, row, site_url, board))
            except InvalidRecord as e:
                yield RecordError(location, str(e))
    except etree.XMLSyntaxError as e:
        yield RecordError(f"{posts.name}:{e.lineno}", f"broken XML, stopped reading: {e.msg}")


def _question_record(
    db: sqlite3.Connection, row: etree._Element, site_url: str | None, board: str | None
) -> dict[str, Any]:
    question_id = row.get("Id")
    url = f"{site_url.rstrip('/')}/questions/{question_id}" if site_url and question_id else None
    accepted_id = row.get("AcceptedAnswerId")
    accepted = None
    if accepted_id:
        found = db.execute(
            "SELECT body, author, score FROM answer WHERE id = ?", (accepted_id,)
        ).fetchone()
        if found:
            accepted = {
                "id": accepted_id,
                "body": found[0],
                "author": found[1],
                "kudos": found[2],
                "url": f"{url}#{accepted_id}" if url else None,
            }
    others = db.execute(
        "SELECT id, body, author, score FROM answer WHERE parent = ? AND id IS NOT ? "
        "AND trim(body) != '' ORDER BY score DESC LIMIT ?",
        (question_id, accepted_id, OTHER_ANSWERS_KEPT),
    ).fetchall()
    duplicate = db.execute(
        "SELECT original FROM duplicate WHERE post = ?", (question_id,)
    ).fetchone()
    return {
        "id": question_id,
        "title": row.get("Title"),
        "body": row.get("Body") or "",
        "url": url,
        "board": board,
        "tags": _tags(row.get("Tags")),
        "created_at": row.get("CreationDate"),
        "updated_at": row.get("LastActivityDate") or row.get("LastEditDate"),
        "kudos": _int(row, "Score"),
        "views": _int(row, "ViewCount"),
        "replies": _int(row, "AnswerCount"),
        "solved": accepted is not None,
        "accepted_answer": accepted,
        "answers": [
            {
                "id": answer_id,
                "body": body,
                "author": author,
                "kudos": score,
                "url": f"{url}#{answer_id}" if url else None,
            }
            for answer_id, body, author, score in others
        ],
        "duplicate_of": duplicate[0] if duplicate else None,
    }


def _int(row: etree._Element, name: str) -> int:
    value = row.get(name)
    if value is None or value == "":
        return 0
    try:
        return stored_count(int(value), name)
    except ValueError as e:
        raise InvalidRecord(f"{name} must be an integer, not {json_spelling(value)}") from e


def _tags(value: str | None) -> list[str]:
    """Split the dump's tag notation: ``<a><b>`` in older dumps, ``|a|b|`` in newer ones."""
    if not value:
        return []
    if value.startswith("<"):
        return [tag for tag in value.strip("<>").split("><") if tag]
    return [tag for tag in value.split("|") if tag]


def _author(row: etree._Element) -> str | None:
    if row.get("OwnerDisplayName"):
        return row.get("OwnerDisplayName")
    return f"user{row.get('OwnerUserId')}" if row.get("OwnerUserId") else None
