"""Source readers, one per format, and the one place that picks the reader for a path."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Literal

from indexer.errors import AskfindError
from indexer.sources.articles import (
    has_article_pages,
    is_sitemap,
    read_article_folder,
    read_sitemap,
)
from indexer.sources.base import DuplicateId, Gone, RecordError, SourceItem, SyncItem
from indexer.sources.discourse import read_discourse_export
from indexer.sources.jsonl import read_jsonl
from indexer.sources.khoros import read_khoros_export
from indexer.sources.stackexchange import read_stackexchange

SourceFormat = Literal["jsonl", "stackexchange", "discourse", "khoros", "articles", "sitemap"]
FORMATS: tuple[str, ...] = ("jsonl", "stackexchange", "discourse", "khoros", "articles", "sitemap")
SAMPLES = 5  # saved answers looked at to tell a folder's format

__all__ = [
    "FORMATS",
    "DuplicateId",
    "Gone",
    "RecordError",
    "SourceItem",
    "SyncItem",
    "guess_format",
    "read_source",
]


def guess_format(path: Path) -> SourceFormat:
    """Tell the format from the path: a dump folder or Posts.xml; saved JSON answers of
    Discourse (topics) or Khoros (LiQL); a sitemap; help articles (Markdown or HTML
    pages, or a folder of them); else JSON Lines."""
    if path.is_dir() and (path / "Posts.xml").is_file():
        return "stackexchange"
    if path.name == "Posts.xml":
        return "stackexchange"
    samples = sorted(path.glob("*.json"))[:SAMPLES] if path.is_dir() else [path]
    for sample in samples:
        if sample.suffix == ".json" and (found := _json_format(sample)) is not None:
            return found
    if is_sitemap(path):
        return "sitemap"
    if (path.is_file() or not samples) and has_article_pages(path):
        return "articles"
    return "jsonl"


def read_source(
    path: Path,
    source_format: SourceFormat | None = None,
    site_url: str | None = None,
    board: str | None = None,
    include_gone: bool = False,
    on_duplicate: Callable[[DuplicateId], None] | None = None,
) -> Iterator[SyncItem]:
    """Stream the threads (and record errors) of one source.

    ``include_gone``: also yield the deletions a source records (Discourse topics that
    are deleted or unlisted, rejected Khoros topics), for incremental sync. Without it
    the items are threads and record errors only.
    ``on_duplicate``: JSON Lines: told of each id that several records hold.

    Raises:
        AskfindError: the path does not exist or does not fit the format (JSON Lines:
            it is UTF-16 or UTF-32 text).
    """
    if not path.exists():
        raise AskfindError(f"{path} does not exist")
    source_format = source_format or guess_format(path)
    if source_format == "stackexchange":
        posts = path / "Posts.xml" if path.is_dir() else path
        if not posts.is_file():
            raise AskfindError(f"{path} has no Posts.xml: not a Stack Exchange dump")
        return read_stackexchange(path, site_url=site_url, board=board)
    if source_format == "discourse":
        return read_discourse_export(path, base_url=site_url, include_gone=include_gone)
    if source_format == "khoros":
        return read_khoros_export(path, include_gone=include_gone)
    if source_format == "articles":
        return read_article_folder(path, site_url=site_url, board=board)
    if source_format == "sitemap":
        if not path.is_file():
            raise AskfindError(f"{path} is not a file; give the sitemap.xml")
        return read_sitemap(path, board=board)
    if path.is_dir():
        raise AskfindError(f"{path} is a folder; give the .jsonl file")
    return read_jsonl(path, on_duplicate)


def _json_format(sample: Path) -> SourceFormat | None:
    """Discourse or Khoros, by what a saved answer holds (None: cannot tell from this one)."""
    try:
        with sample.open(encoding="utf-8-sig") as handle:
            answer = json.load(handle)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if isinstance(answer, dict) and ("post_stream" in answer or "category_list" in answer):
        return "discourse"
    if isinstance(answer, dict) and isinstance(answer.get("data"), dict):
        return "khoros"
    return None
