"""Source readers, one per format, and the one place that picks the reader for a path."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from indexer.errors import AskfindError
from indexer.sources.base import RecordError, SourceItem
from indexer.sources.jsonl import read_jsonl
from indexer.sources.stackexchange import read_stackexchange

SourceFormat = Literal["jsonl", "stackexchange"]
FORMATS: tuple[str, ...] = ("jsonl", "stackexchange")

__all__ = ["FORMATS", "RecordError", "SourceItem", "guess_format", "read_source"]


def guess_format(path: Path) -> SourceFormat:
    """Tell the format from the path: a dump folder or Posts.xml, else JSON Lines."""
    if path.is_dir() and (path / "Posts.xml").is_file():
        return "stackexchange"
    if path.name == "Posts.xml":
        return "stackexchange"
    return "jsonl"


def read_source(
    path: Path,
    source_format: SourceFormat | None = None,
    site_url: str | None = None,
    board: str | None = None,
) -> Iterator[SourceItem]:
    """Stream the threads (and record errors) of one source.

    Raises:
        AskfindError: the path does not exist or does not fit the format.
    """
    if not path.exists():
        raise AskfindError(f"{path} does not exist")
    source_format = source_format or guess_format(path)
    if source_format == "stackexchange":
        posts = path / "Posts.xml" if path.is_dir() else path
        if not posts.is_file():
            raise AskfindError(f"{path} has no Posts.xml: not a Stack Exchange dump")
        return read_stackexchange(path, site_url=site_url, board=board)
    if path.is_dir():
        raise AskfindError(f"{path} is a folder; give the .jsonl file")
    return read_jsonl(path)
