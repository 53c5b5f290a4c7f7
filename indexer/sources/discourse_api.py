"""The live Discourse API: page through topics, fetch each one whole, follow webhooks.

- Topic lists: ``/latest.json?order=activity&page=N`` (newest activity first; the last page
  has no ``topic_list.more_topics_url``). With ``since``, paging stops at the first
  topic (pinned ones aside) whose ``bumped_at`` is older.
- A topic: ``/t/<id>.json``; its posts beyond the first batch (``post_stream.stream`` lists
  every id) from ``/t/<id>/posts.json?post_ids[]=...``, in chunks.
- Categories: ``/categories.json``, for board names and secure categories' groups.
- Authentication: ``Api-Key`` and ``Api-Username`` headers (settings ``discourse_api_key``,
  ``discourse_api_username``); without a key, what anonymous visitors see.
- Webhooks: topic, post and Solved-plugin events name a topic; it is fetched anew (a post
  event carries only the post), and a 404 or a topic no longer public make it *gone*.
  ``topic_destroyed`` is no exception: a delivery is never believed (it may be a replay),
  so a topic the forum still shows stays.

Deleted topics do not appear in topic lists, so ``sync --since`` removes only those it
meets (a 404 on fetch, an unlisted topic); webhooks and the nightly full rebuild catch
the rest.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from indexer.errors import SourceUnavailable
from indexer.settings import Settings
from indexer.sources.base import Gone, RecordError, SyncItem
from indexer.sources.discourse import Category, categories_of, topic_items
from indexer.sources.http import ApiClient
from indexer.threads import parse_timestamp

log = logging.getLogger(__name__)

POSTS_PER_REQUEST = 50
MAX_POSTS_PER_TOPIC = 1000  # longer topics: their first posts (and the accepted one) suffice
MAX_PAGES = 100_000
DELETE_EVENTS = frozenset({"topic_destroyed"})


class DiscourseSource:
    """One forum's API, from the settings."""

    name = "discourse"

    def __init__(self, settings: Settings, client: ApiClient | None = None) -> None:
        if not settings.discourse_url:
            raise SourceUnavailable("no Discourse forum is configured (setting discourse_url)")
        headers = {}
        if settings.discourse_api_key.get_secret_value():
            headers = {
                "Api-Key": settings.discourse_api_key.get_secret_value(),
                "Api-Username": settings.discourse_api_username,
            }
        self.base_url = settings.discourse_url.rstrip("/")
        self.client = client or ApiClient(
            self.base_url, headers, settings.source_timeout, settings.source_retries
        )
        self._categories: dict[int, Category] | None = None

    def read(self, since: datetime | None = None, include_gone: bool = False) -> Iterator[SyncItem]:
        """Every topic with activity since ``since`` (all topics without), fetched whole."""
        for topic_id in self.topic_ids(since):
            yield from self.topic(topic_id, include_gone=include_gone)

    def topic_ids(self, since: datetime | None = None) -> Iterator[int]:
        """Topic ids from the topic lists, newest activity first."""
        seen: set[int] = set()
        for page in range(MAX_PAGES):
            answer = self.client.get("latest.json", {"order": "activity", "page": page})
            listing = answer.get("topic_list") if isinstance(answer, dict) else None
            if not isinstance(listing, dict):
                raise SourceUnavailable(f"{self.base_url}/latest.json has no topic_list")
            topics = [t for t in listing.get("topics") or [] if isinstance(t, dict)]
            for summary in topics:
                topic_id = summary.get("id")
                if not isinstance(topic_id, int) or topic_id in seen:
                    continue
                if since is not None and _older(summary, since):
                    if summary.get("pinned"):
                        continue  # pinned topics head every list, whatever their age
                    return
                seen.add(topic_id)
                yield topic_id
            if not topics or not listing.get("more_topics_url"):
                return

    def topic(self, topic_id: int | str, include_gone: bool = True) -> Iterator[SyncItem]:
        """One topic as a thread (with all its posts), or Gone when the forum has no such
        public topic any more."""
        location = f"{self.base_url}/t/{topic_id}.json"
        topic = self.client.get(f"t/{topic_id}.json")
        if topic is None:
            if include_gone:
                yield Gone(str(topic_id), location)
            return
        if isinstance(topic, dict):
            self._complete_posts(topic)
        yield from topic_items(topic, location, self.base_url, self.categories(), include_gone)

    def categories(self) -> dict[int, Category]:
        """The forum's categories: board names, and who may read secure ones."""
        if self._categories is None:
            answer = self.client.get("categories.json", {"include_subcategories": "true"})
            self._categories = categories_of(answer) if answer is not None else {}
        return self._categories

    def changes_from_hook(self, event: str, payload: Any) -> Iterator[SyncItem]:
        """What a webhook delivery changes: the topic it names, fetched anew, or its Gone
        if the forum no longer has it (whatever the event says).

        ``event`` is the X-Discourse-Event header (topic_created, post_edited,
        accepted_solution, ...); ``payload`` the decoded body, ``{"topic": {...}}`` or
        ``{"post": {...}}`` (solved events carry the post too). Events about other things
        (users, ping) change nothing.
        """
        topic_id = _hook_topic_id(payload)
        if topic_id is None:
            if isinstance(payload, dict) and ("topic" in payload or "post" in payload):
                yield RecordError(f"webhook {event}", "names no topic id")
            return
        fetched = list(self.topic(topic_id, include_gone=True))
        if event in DELETE_EVENTS and not any(isinstance(item, Gone) for item in fetched):
            log.warning("webhook %s of topic %s: the forum still has it, kept", event, topic_id)
        yield from fetched

    def _complete_posts(self, topic: dict[str, Any]) -> None:
        """Fetch the posts the topic JSON lists in its stream but did not include."""
        stream = topic.get("post_stream")
        if not isinstance(stream, dict) or not isinstance(stream.get("posts"), list):
            return
        have = {post.get("id") for post in stream["posts"] if isinstance(post, dict)}
        wanted = [i for i in stream.get("stream") or [] if isinstance(i, int) and i not in have]
        wanted = wanted[: max(0, MAX_POSTS_PER_TOPIC - len(have))]
        for start in range(0, len(wanted), POSTS_PER_REQUEST):
            chunk = wanted[start : start + POSTS_PER_REQUEST]
            answer = self.client.get(f"t/{topic['id']}/posts.json", {"post_ids[]": chunk})
            more = answer.get("post_stream", {}).get("posts") if isinstance(answer, dict) else None
            if isinstance(more, list):
                stream["posts"].extend(post for post in more if isinstance(post, dict))

    def close(self) -> None:
        self.client.close()


def _older(summary: dict[str, Any], since: datetime) -> bool:
    stamp = summary.get("bumped_at") or summary.get("last_posted_at") or summary.get("created_at")
    if not isinstance(stamp, str):
        return False
    try:
        return parse_timestamp(stamp) < since
    except ValueError:
        return False


def _hook_topic_id(payload: Any) -> int | str | None:
    if not isinstance(payload, dict):
        return None
    if isinstance(payload.get("topic"), dict):
        found = payload["topic"].get("id")
    elif isinstance(payload.get("post"), dict):
        found = payload["post"].get("topic_id")
    else:
        return None
    # Only numbers: the id goes into a URL path.
    if isinstance(found, bool) or not isinstance(found, int | str):
        return None
    if isinstance(found, str) and not (found.isascii() and found.isdigit()):
        return None
    return found
