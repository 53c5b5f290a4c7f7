"""Discourse topics as threads: the topic JSON of ``/t/<id>.json``, from files or the API.

A topic's first post is the question; the post the Solved plugin accepted is the
solution (the topic's ``accepted_answer.post_number``, or the post flagged
``accepted_answer: true``); the best-liked other replies are the answers; likes of the
first post are the kudos. Moderator notes, small actions and whispers are not replies.
Unknown fields are ignored and optional ones may be missing. A topic that is deleted,
unlisted or a private message is *gone*: never indexed, and removed by a sync. A closed
or archived topic is kept, with its ``state``, and never suggested.

Exports are what ``curl https://forum/t/<id>.json`` saves: a folder of such files (or
one), optionally with the forum's ``categories.json`` so threads get category names as
boards. The live API is read by :mod:`indexer.sources.discourse_api`.

A secure category (``read_restricted``) makes its topics restricted threads: visible to
the groups its ``group_permissions`` name (what an admin's API key sees), or to
``staff`` (who may read every category) where the answer does not name them. A
subcategory listed without ``read_restricted`` takes its parent's restriction, and a
category missing from a known list is taken for a secure one (staff only).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from indexer.errors import InvalidRecord, UnreadableJson
from indexer.json_input import json_spelling, parse_json
from indexer.sources.base import Gone, RecordError, SyncItem
from indexer.threads import ARCHIVED, CLOSED, OPEN, thread_from_record

REGULAR_POST = 1  # post_type: 2 moderator action, 3 small action, 4 whisper
LIKE_ACTION = 2  # actions_summary id of likes
OTHER_ANSWERS_KEPT = 3
CATEGORIES_FILE = "categories.json"
STAFF_GROUP = "staff"


@dataclass(frozen=True, slots=True)
class Category:
    """What a topic takes from its category: the board name and who may read it."""

    name: str
    groups: tuple[str, ...] = ()  # empty: public


def topic_items(
    topic: Any,
    location: str,
    base_url: str | None,
    categories: Mapping[int, Category],
    include_gone: bool = False,
) -> Iterator[SyncItem]:
    """The thread of one topic JSON, or its Gone (if asked for), or a RecordError."""
    try:
        if not isinstance(topic, dict):
            raise InvalidRecord(f"expected a topic object, got {type(topic).__name__}")
        if is_gone(topic):
            if include_gone:
                yield Gone(_topic_id(topic), location)
            return
        yield thread_from_record(topic_record(topic, base_url, categories))
    except InvalidRecord as e:
        yield RecordError(location, str(e))


def is_gone(topic: Mapping[str, Any]) -> bool:
    """Deleted, unlisted, or a private message: not something to suggest to customers."""
    return (
        topic.get("deleted_at") is not None
        or topic.get("visible") is False
        or topic.get("archetype") == "private_message"
    )


def topic_record(
    topic: Mapping[str, Any], base_url: str | None, categories: Mapping[int, Category]
) -> dict[str, Any]:
    """The thread-format record of a topic JSON.

    Raises:
        InvalidRecord: no id, no title, or no first post.
    """
    topic_id = _topic_id(topic)
    stream = topic.get("post_stream")
    posts = stream.get("posts") if isinstance(stream, dict) else None
    if not isinstance(posts, list):
        raise InvalidRecord(f"topic {topic_id} has no post_stream.posts")
    visible = sorted(
        (post for post in posts if _is_reply_like(post)), key=lambda post: post["post_number"]
    )
    if not visible or visible[0]["post_number"] != 1:
        raise InvalidRecord(f"topic {topic_id} has no first post")
    question, replies = visible[0], visible[1:]
    url = _topic_url(topic, base_url)
    accepted = _accepted_post(topic, replies)
    others = sorted(
        (post for post in replies if post is not accepted and _cooked(post).strip()),
        key=lambda post: -_likes(post),
    )[:OTHER_ANSWERS_KEPT]
    category = _category_of(topic.get("category_id"), categories)
    solution = _answer(accepted, url) if accepted else _excerpt_answer(topic, url)
    return {
        "id": topic_id,
        "title": topic.get("title"),
        "body": _cooked(question),
        "url": url,
        "board": category.name if category else _board_id(topic.get("category_id")),
        "tags": _tags(topic.get("tags")),
        "created_at": topic.get("created_at") or question.get("created_at"),
        "updated_at": topic.get("last_posted_at") or topic.get("bumped_at"),
        "kudos": _likes(question) if _has_likes(question) else _int(topic, "like_count"),
        "views": max(0, _int(topic, "views")),
        "replies": max(0, _int(topic, "reply_count") or _int(topic, "posts_count") - 1),
        "solved": solution is not None or topic.get("has_accepted_answer") is True,
        "accepted_answer": solution,
        "answers": [_answer(post, url) for post in others],
        "visibility": list(category.groups) if category and category.groups else "public",
        "state": topic_state(topic),
    }


def topic_state(topic: Mapping[str, Any]) -> str:
    """The thread state of a topic: Discourse's ``archived`` (frozen for good) wins over
    ``closed`` (no more replies); both keep a topic out of suggestions."""
    if topic.get("archived") is True:
        return ARCHIVED
    if topic.get("closed") is True:
        return CLOSED
    return OPEN


def read_discourse_export(
    path: Path, base_url: str | None = None, include_gone: bool = False
) -> Iterator[SyncItem]:
    """Threads from saved topic JSON: a folder of ``*.json`` files, or one file.

    A folder's ``categories.json`` (the forum's ``/categories.json``) names the boards;
    other files that are not topics (topic lists) are passed over.
    """
    files = sorted(path.glob("*.json")) if path.is_dir() else [path]
    categories: dict[int, Category] = {}
    if path.is_dir() and (path / CATEGORIES_FILE).is_file():
        categories = categories_of(_load(path / CATEGORIES_FILE))
    for file in files:
        if file.name == CATEGORIES_FILE:
            continue
        try:
            topic = _load(file)
        except (OSError, UnicodeDecodeError, UnreadableJson) as e:
            yield RecordError(file.name, f"not a JSON file: {e}")
            continue
        if isinstance(topic, dict) and "post_stream" not in topic and "topic_list" in topic:
            continue  # a topic list page saved alongside
        location = (
            f"{file.name} (topic {topic.get('id')})" if isinstance(topic, dict) else file.name
        )
        yield from topic_items(topic, location, base_url, categories, include_gone)


def categories_of(answer: Any) -> dict[int, Category]:
    """Category id -> Category, from ``/categories.json`` (subcategories too, when listed)."""
    found: dict[int, Category] = {}
    listing = answer.get("category_list", {}) if isinstance(answer, dict) else {}
    for category in listing.get("categories", []) if isinstance(listing, dict) else []:
        if isinstance(category, dict) and _is_id(category.get("id")):
            parent = found[category["id"]] = _category(category, ())
            for child in category.get("subcategory_list") or []:
                if isinstance(child, dict) and _is_id(child.get("id")):
                    found[child["id"]] = _category(child, parent.groups)
    return found


def _category(category: Mapping[str, Any], inherited: tuple[str, ...]) -> Category:
    """A category: its name, and the groups that may read it if it is secure."""
    name = str(category.get("name") or category["id"])
    restricted = category.get("read_restricted")
    if restricted is None:
        return Category(name, inherited)
    if restricted is not True:
        return Category(name)
    groups = {
        permission["group_name"].strip()
        for permission in category.get("group_permissions") or []
        if isinstance(permission, dict)
        and isinstance(permission.get("group_name"), str)
        and permission["group_name"].strip()
    }
    # "everyone" reading a secure category means it is not secure for readers after all.
    if "everyone" in groups:
        return Category(name)
    return Category(name, tuple(sorted(groups or {STAFF_GROUP})))


def _category_of(category_id: Any, categories: Mapping[int, Category]) -> Category | None:
    """A topic's category. One missing from a known list of categories may be a secure
    one the list left out: its topics are kept to staff rather than shown to everyone."""
    if not _is_id(category_id):
        return None
    if category_id in categories or not categories:
        return categories.get(category_id)
    return Category(str(category_id), (STAFF_GROUP,))


def _is_id(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _board_id(category_id: Any) -> str | None:
    return str(category_id) if _is_id(category_id) else None


def _load(file: Path) -> Any:
    return parse_json(file.read_text(encoding="utf-8-sig"))


def _topic_id(topic: Mapping[str, Any]) -> str:
    topic_id = topic.get("id")
    if isinstance(topic_id, bool) or not isinstance(topic_id, int | str) or topic_id == "":
        raise InvalidRecord("a topic needs an id")
    return str(topic_id)


def _is_reply_like(post: Any) -> bool:
    """A post a reader sees as part of the conversation (not deleted, hidden or an action)."""
    return (
        isinstance(post, dict)
        and isinstance(post.get("post_number"), int)
        and post.get("post_type", REGULAR_POST) == REGULAR_POST
        and post.get("deleted_at") is None
        and not post.get("hidden")
        and not post.get("user_deleted")
    )


def _accepted_post(topic: Mapping[str, Any], replies: list[dict[str, Any]]) -> dict | None:
    info = topic.get("accepted_answer")
    number = info.get("post_number") if isinstance(info, dict) else None
    for post in replies:
        if post["post_number"] == number or post.get("accepted_answer") is True:
            return post
    return None


def _excerpt_answer(topic: Mapping[str, Any], url: str | None) -> dict[str, Any] | None:
    """The accepted answer as the topic summarises it, when its post was not fetched."""
    info = topic.get("accepted_answer")
    if not isinstance(info, dict) or not isinstance(info.get("excerpt"), str):
        return None
    number = info.get("post_number")
    return {
        "body": info["excerpt"],
        "author": info.get("username"),
        "url": f"{url}/{number}" if url and isinstance(number, int) else url,
    }


def _answer(post: Mapping[str, Any], url: str | None) -> dict[str, Any]:
    return {
        "id": post.get("id"),
        "body": _cooked(post),
        "author": post.get("username") if isinstance(post.get("username"), str) else None,
        "url": f"{url}/{post['post_number']}" if url else None,
        "kudos": _likes(post),
        "created_at": post.get("created_at") if isinstance(post.get("created_at"), str) else None,
    }


def _cooked(post: Mapping[str, Any]) -> str:
    cooked = post.get("cooked")
    if cooked is None:
        cooked = post.get("raw", "")
    if not isinstance(cooked, str):
        raise InvalidRecord(f"post {post.get('id')}: cooked must be a string")
    return cooked


def _has_likes(post: Mapping[str, Any]) -> bool:
    return isinstance(post.get("like_count"), int) or isinstance(post.get("actions_summary"), list)


def _likes(post: Mapping[str, Any]) -> int:
    """Likes of a post: ``like_count`` where given, else the like entry of actions_summary."""
    if isinstance(post.get("like_count"), int) and not isinstance(post.get("like_count"), bool):
        return max(0, int(post["like_count"]))
    for action in post.get("actions_summary") or []:
        if isinstance(action, dict) and action.get("id") == LIKE_ACTION:
            count = action.get("count")
            return count if isinstance(count, int) and count > 0 else 0
    return 0


def _topic_url(topic: Mapping[str, Any], base_url: str | None) -> str | None:
    if not base_url:
        return None
    slug = topic.get("slug") if isinstance(topic.get("slug"), str) else "topic"
    return f"{base_url.rstrip('/')}/t/{slug}/{topic['id']}"


def _tags(value: Any) -> list[str]:
    """Tags as names: plain strings, or objects with a name (newer Discourse versions)."""
    if not isinstance(value, list):
        return []
    names = [tag.get("name") if isinstance(tag, dict) else tag for tag in value]
    return [name for name in names if isinstance(name, str) and name.strip()]


def _int(record: Mapping[str, Any], name: str) -> int:
    value = record.get(name)
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidRecord(f"{name} must be an integer, not {json_spelling(value)}")
    return value
