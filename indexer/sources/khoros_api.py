"""The live Khoros Community API v2: LiQL queries paged with cursors, and askfind's hook.

Queries go to ``GET <khoros_url>/api/2.0/search?q=<LiQL>`` with ``Authorization: Bearer
<khoros_token>``. A page holds ``khoros_page_size`` messages (``LIMIT``); the next page is
asked for with ``CURSOR '<data.next_cursor>'`` until an answer has no cursor.

- Everything (``askfind index khoros``): all messages, oldest first, staged by topic.
- ``sync --since T``: the topics of messages posted after T, each read whole
  (``WHERE topic.id = '<id>'``). Edits without a new post do not move ``post_time``:
  the webhook or the nightly rebuild picks those up.
- The webhook (``POST /api/hooks/khoros``, documented in docs/webhooks.md): a JSON body
  naming a message, ``{"event": "message.update", "message": {"id": "...", "topic":
  {"id": "..."}}}``, signed with ``X-Askfind-Signature: t=<unix time>,v1=<HMAC-SHA256 of
  "<t>.<body>">``. The topic is read anew, whatever the event: a topic the API no longer
  returns (or a rejected one) is gone, and a ``message.delete`` of a topic the API still
  returns changes nothing (a delivery is never believed: it may be a replay).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from indexer.errors import InvalidRecord, SourceUnavailable
from indexer.settings import Settings
from indexer.sources.base import Gone, RecordError, SyncItem
from indexer.sources.http import ApiClient
from indexer.sources.khoros import MessageStaging, liql_items, message_topic, thread_items

log = logging.getLogger(__name__)

# What a thread needs of a message; kudos and views are computed fields of LiQL.
MESSAGE_FIELDS = (
    "id, subject, body, post_time, depth, view_href, language, is_solution, "
    "moderation_status, board.id, topic.id, parent.id, author.login, kudos.sum(weight), "
    "metrics.views, conversation.solved, conversation.last_post_time, read_only"
)
SAFE_ID = re.compile(r"[A-Za-z0-9_.\-]{1,100}")
DELETE_EVENTS = frozenset({"message.delete", "message.deleted", "MessageDelete"})
MAX_PAGES = 1_000_000


class KhorosSource:
    """One community's API, from the settings."""

    name = "khoros"

    def __init__(self, settings: Settings, client: ApiClient | None = None) -> None:
        if not settings.khoros_url:
            raise SourceUnavailable("no Khoros community is configured (setting khoros_url)")
        token = settings.khoros_token.get_secret_value()
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.base_url = settings.khoros_url.rstrip("/")
        self.page_size = settings.khoros_page_size
        self.client = client or ApiClient(
            self.base_url, headers, settings.source_timeout, settings.source_retries
        )
        self._boards: dict[str, str] | None = None

    def read(self, since: datetime | None = None, include_gone: bool = False) -> Iterator[SyncItem]:
        """Every topic (with ``since``: every topic with a message posted after it)."""
        if since is not None:
            for topic_id in self.changed_topics(since):
                yield from self.topic(topic_id, include_gone=include_gone)
            return
        with MessageStaging() as staging:
            query = f"SELECT {MESSAGE_FIELDS} FROM messages ORDER BY post_time ASC"
            for location, message in self._messages(query):
                try:
                    staging.add(message, location)
                except InvalidRecord as e:
                    yield RecordError(location, str(e))
            for topic_id, location, messages in staging.topics():
                yield from self._threads(topic_id, messages, location, include_gone)

    def changed_topics(self, since: datetime) -> Iterator[str]:
        """Ids of topics with a message posted after ``since``, newest first, each once."""
        stamp = since.astimezone(UTC).isoformat(timespec="milliseconds")
        query = (
            f"SELECT id, depth, topic.id FROM messages WHERE post_time > '{stamp}' "
            "ORDER BY post_time DESC"
        )
        seen: set[str] = set()
        for _, message in self._messages(query):
            try:
                _, topic_id = message_topic(message)
            except InvalidRecord:
                continue
            if topic_id not in seen:
                seen.add(topic_id)
                yield topic_id

    def topic(self, topic_id: str, include_gone: bool = True) -> Iterator[SyncItem]:
        """One topic with all its replies, or Gone when the API no longer returns it."""
        if not SAFE_ID.fullmatch(topic_id):
            yield RecordError(f"topic {topic_id!r}", "not a Khoros message id")
            return
        query = f"SELECT {MESSAGE_FIELDS} FROM messages WHERE topic.id = '{topic_id}'"
        messages = [message for _, message in self._messages(query)]
        location = f"{self.base_url} topic {topic_id}"
        if not any(isinstance(m, dict) and str(m.get("id")) == topic_id for m in messages):
            if include_gone:
                yield Gone(topic_id, location)
            return
        yield from self._threads(topic_id, messages, location, include_gone)

    def changes_from_hook(self, event: str, payload: Any) -> Iterator[SyncItem]:
        """What a delivery of askfind's Khoros hook changes (see the module docstring)."""
        message = payload.get("message") if isinstance(payload, dict) else None
        event = str(payload.get("event") or event) if isinstance(payload, dict) else event
        try:
            message_id, topic_id = message_topic(message)
        except InvalidRecord as e:
            yield RecordError(f"webhook {event}", str(e))
            return
        fetched = list(self.topic(topic_id, include_gone=True))
        gone = any(isinstance(item, Gone) for item in fetched)
        if event in DELETE_EVENTS and message_id == topic_id and not gone:
            log.warning("webhook %s of topic %s: the community still has it, kept", event, topic_id)
        yield from fetched

    def boards(self) -> dict[str, str]:
        """Board id -> title, to file threads under the names people know."""
        if self._boards is None:
            self._boards = {}
            try:
                for _, board in self._query("SELECT id, title FROM boards", "board"):
                    if isinstance(board, dict) and board.get("id") and board.get("title"):
                        self._boards[str(board["id"])] = str(board["title"])
            except SourceUnavailable:
                pass  # boards stay ids: the threads are still right
        return self._boards

    def _threads(
        self, topic_id: str, messages: list[Any], location: str, include_gone: bool
    ) -> Iterator[SyncItem]:
        titles = self.boards()
        for message in messages:
            board = message.get("board") if isinstance(message, dict) else None
            if isinstance(board, dict) and str(board.get("id")) in titles:
                board.setdefault("title", titles[str(board["id"])])
        yield from thread_items(topic_id, messages, location, include_gone)

    def _messages(self, query: str) -> Iterator[tuple[str, Any]]:
        yield from self._query(query, "message")

    def _query(self, query: str, item_type: str) -> Iterator[tuple[str, Any]]:
        """(location, item) of every page of a LiQL query, following next_cursor."""
        cursor: str | None = None
        for page in range(MAX_PAGES):
            liql = f"{query} LIMIT {self.page_size}"
            if cursor:
                liql += f" CURSOR '{cursor}'"
            answer = self.client.get("api/2.0/search", {"q": liql})
            location = f"{self.base_url} {item_type}s page {page + 1}"
            try:
                items = liql_items(answer, item_type)
            except InvalidRecord as e:
                raise SourceUnavailable(f"{location}: {e}") from e
            for number, item in enumerate(items, start=1):
                yield f"{location} item {number}", item
            data = answer.get("data", {})
            cursor = data.get("next_cursor") if isinstance(data.get("next_cursor"), str) else None
            if not cursor or not items:
                return

    def close(self) -> None:
        self.client.close()
