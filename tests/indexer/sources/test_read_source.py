"""Tests of the one place that picks a reader for a path."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.errors import AskfindError
from indexer.sources import guess_format, read_source
from indexer.threads import Thread

POSTS = """\
<?xml version="1.0" encoding="utf-8"?>
<posts>
  <row Id="1" PostTypeId="1" Score="2" Title="Router resets" Body="b" />
</posts>
"""


@pytest.fixture
def dump(tmp_path: Path) -> Path:
    folder = tmp_path / "dump"
    folder.mkdir()
    (folder / "Posts.xml").write_text(POSTS, encoding="utf-8")
    return folder


@pytest.fixture
def jsonl(tmp_path: Path) -> Path:
    path = tmp_path / "threads.jsonl"
    path.write_text('{"id": "a", "title": "WLAN weg"}\n', encoding="utf-8")
    return path


def test_guess_format_tells_dumps_from_json_lines(dump: Path, jsonl: Path, tmp_path: Path) -> None:
    assert guess_format(dump) == "stackexchange"
    assert guess_format(dump / "Posts.xml") == "stackexchange"
    assert guess_format(jsonl) == "jsonl"
    assert guess_format(tmp_path / "export.json") == "jsonl"


def test_read_source_picks_the_reader_from_the_path(dump: Path, jsonl: Path) -> None:
    assert list(read_source(dump, board="IoT")) == [
        Thread(id="1", title="Router resets", body="b", kudos=2, board="IoT")
    ]
    assert list(read_source(jsonl)) == [Thread(id="a", title="WLAN weg")]


def test_missing_path_is_an_error(tmp_path: Path) -> None:
    missing = tmp_path / "nope.jsonl"
    with pytest.raises(AskfindError, match=r"nope\.jsonl does not exist$"):
        read_source(missing)


def test_folder_without_posts_is_not_a_stack_exchange_dump(tmp_path: Path) -> None:
    with pytest.raises(AskfindError, match=r"has no Posts\.xml: not a Stack Exchange dump$"):
        read_source(tmp_path, source_format="stackexchange")


def test_folder_given_as_json_lines_asks_for_the_file(dump: Path) -> None:
    with pytest.raises(AskfindError, match=r"is a folder; give the \.jsonl file$"):
        read_source(dump, source_format="jsonl")
