"""How a ranked thread is presented: the suggestion item of DESIGN.md, nothing more."""

from __future__ import annotations

from typing import Any

from indexer.cleaning import clean_text, clean_title
from indexer.search import ResultItem

ELLIPSIS = "…"


def snippet(text: str, max_chars: int) -> str:
    """The beginning of a post as plain text, cut at a word boundary."""
    plain = " ".join(clean_text(text).split())
    if len(plain) <= max_chars:
        return plain
    cut = plain.rfind(" ", 0, max_chars)
    return plain[: cut if cut > max_chars // 2 else max_chars].rstrip(",.;:- ") + ELLIPSIS


def result_item(item: ResultItem, snippet_chars: int) -> dict[str, Any]:
    """A suggestion/search item with exactly the fields of the API contract."""
    thread, ranked = item.thread, item.ranked
    solution = None
    if thread.accepted_answer is not None:
        solution = {
            "snippet": snippet(thread.accepted_answer.body, snippet_chars),
            "url": thread.accepted_answer.url or thread.url,
        }
    return {
        "id": thread.id,
        "title": clean_title(thread.title),
        "url": thread.url,
        "snippet": snippet(thread.body, snippet_chars),
        "board": thread.board,
        "lang": thread.lang,
        "solved": thread.solved,
        "solution": solution,
        "kudos": thread.kudos,
        "views": thread.views,
        "replies": thread.replies,
        "created_at": thread.created_at,
        "score": round(ranked.score, 4),
        "confidence": round(ranked.confidence, 4),
        "duplicates": ranked.duplicates,
    }
