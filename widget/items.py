"""How a thread leaves the API: the suggestion item of DESIGN.md, nothing more, and safe.

Whatever a community or a client of the write API stored, what leaves is safe for any
consumer: titles and snippets are plain text (``indexer.cleaning`` leaves no markup), and
links are absolute http(s) addresses or null. A ``javascript:``, ``data:`` or relative link is
null, as a thread without a link is: the contract's url is "a link to the thread", and
one that is not is no link at all.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from indexer.cleaning import clean_text, clean_title
from indexer.search import ResultItem
from indexer.threads import Thread

ELLIPSIS = "…"
LINK_SCHEMES = frozenset({"http", "https"})


def public_url(url: str | None) -> str | None:
    """``url`` if it is an absolute http(s) address, else None.

    Control characters refuse a URL outright: browsers drop tabs and line breaks inside
    one, so "java\tscript:" is a javascript: link to them.
    """
    if not url:
        return None
    candidate = url.strip()
    if any(ord(char) < 0x20 or ord(char) == 0x7F for char in candidate):
        return None
    try:
        parts = urlsplit(candidate)
    except ValueError:  # "http://[::1" and other broken hosts
        return None
    if parts.scheme.lower() not in LINK_SCHEMES or not parts.netloc:
        return None
    return candidate


def public_record(thread: Thread) -> dict[str, Any]:
    """The thread format of a stored thread (GET /api/threads/<id>), its title and links
    made safe (bodies are HTML in the thread format: a consumer cleans them as askfind does)."""
    record = thread.to_record()
    record["title"] = clean_title(thread.title)
    record["url"] = public_url(thread.url)
    for answer in [record["accepted_answer"], *record["answers"]]:
        if answer is not None:
            answer["url"] = public_url(answer["url"])
    return record


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
            "url": public_url(thread.accepted_answer.url) or public_url(thread.url),
        }
    return {
        "id": thread.id,
        "title": clean_title(thread.title),
        "url": public_url(thread.url),
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
        "type": thread.kind,
        "outdated": ranked.outdated,
    }
