"""Stand-ins for a Discourse forum and a Khoros community: real HTTP servers on loopback
that answer the API requests askfind makes from the fixture files in tests/fixtures.

They answer the way the real APIs do (paths, query parameters, authentication headers,
paging, 404 for what is gone, 429/503 when told to fail) and record every request, so
tests check what the connectors asked for as well as what they made of the answers.
Tests change the community by editing ``topics`` / ``messages``.
"""

from __future__ import annotations

import base64
import copy
import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from indexer.threads import parse_timestamp
from widget.server import BackgroundServer

FIXTURES = Path(__file__).parent / "fixtures"
DISCOURSE = FIXTURES / "discourse"
KHOROS = FIXTURES / "khoros"
API_KEY = "discourse-test-key"
TOKEN = "khoros-test-token"


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


class FakeApi:
    """What both stand-ins share: a WSGI app with a request log and injectable failures."""

    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, list[str]], dict[str, str]]] = []
        self.failures: list[tuple[int, dict[str, str]]] = []

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        path = environ["PATH_INFO"]
        query = parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True)
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        self.requests.append((path, query, headers))
        if self.failures:
            status, extra = self.failures.pop(0)
            return self._send(start_response, status, {"errors": ["try again"]}, extra)
        status, body = self.answer(path, query, headers)
        return self._send(start_response, status, body, {})

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, Any]:
        raise NotImplementedError

    def paths(self) -> list[str]:
        return [path for path, _, _ in self.requests]

    @staticmethod
    def _send(
        start_response: Callable[..., Any], status: int, body: Any, extra: dict[str, str]
    ) -> list[bytes]:
        reasons = {200: "OK", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
                   429: "Too Many Requests", 503: "Service Unavailable"}  # fmt: skip
        payload = json.dumps(body).encode()
        start_response(
            f"{status} {reasons.get(status, 'Status')}",
            [("Content-Type", "application/json; charset=utf-8"), *extra.items()],
        )
        return [payload]


class FakeDiscourse(FakeApi):
    """/latest.json pages, /t/<id>.json, /t/<id>/posts.json, /categories.json."""

    def __init__(self) -> None:
        super().__init__()
        self.topics: dict[str, Any] = {}
        for folder in (DISCOURSE / "export", DISCOURSE / "api"):
            for file in folder.glob("topic-*.json"):
                self.topics[file.stem.split("-", 1)[1]] = load(file)
        self.pages = [load(DISCOURSE / "api" / f"latest-page-{n}.json") for n in range(3)]
        self.more_posts = {"102": load(DISCOURSE / "api" / "posts-102.json")}

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, Any]:
        if headers.get("Api-Key") not in (None, API_KEY):
            return 403, {"errors": ["You are not permitted to view the requested resource."]}
        if path == "/latest.json":
            page = int(query.get("page", ["0"])[0])
            return (200, self.pages[page]) if page < len(self.pages) else (200, _empty_list())
        if path == "/categories.json":
            return 200, load(DISCOURSE / "export" / "categories.json")
        if match := re.fullmatch(r"/t/(\d+)\.json", path):
            topic = self.topics.get(match[1])
            return (200, topic) if topic is not None else (404, {"errors": ["not found"]})
        if match := re.fullmatch(r"/t/(\d+)/posts\.json", path):
            wanted = {int(i) for i in query.get("post_ids[]", [])}
            answer = copy.deepcopy(self.more_posts.get(match[1], {"post_stream": {"posts": []}}))
            posts = answer["post_stream"]["posts"]
            answer["post_stream"]["posts"] = [p for p in posts if p["id"] in wanted]
            return 200, answer
        return 404, {"errors": ["not found"]}


def _empty_list() -> dict[str, Any]:
    return {"users": [], "topic_list": {"can_create_topic": True, "topics": []}}


class FakeKhoros(FakeApi):
    """GET /api/2.0/search?q=<LiQL> over the fixture messages: the WHERE clauses askfind
    uses (topic.id = '...', post_time > '...'), LIMIT and CURSOR."""

    def __init__(self, page_cursor_secret: str = "cursor") -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        for file in sorted((KHOROS / "export").glob("messages-*.json")):
            self.messages += [m for m in load(file)["data"]["items"] if m.get("id")]
        self._secret = page_cursor_secret

    def answer(
        self, path: str, query: dict[str, list[str]], headers: dict[str, str]
    ) -> tuple[int, Any]:
        if headers.get("Authorization") not in (None, f"Bearer {TOKEN}"):
            return 401, {"status": "error", "message": "Invalid token", "http_code": 401}
        if path != "/api/2.0/search" or "q" not in query:
            return 404, {"status": "error", "message": "not found", "http_code": 404}
        liql = query["q"][0]
        if " FROM boards" in liql:
            return 200, load(KHOROS / "api" / "boards.json")
        items = list(self.messages)
        if match := re.search(r"WHERE topic\.id = '([^']+)'", liql):
            items = [m for m in items if topic_of(m) == match[1]]
        if match := re.search(r"WHERE post_time > '([^']+)'", liql):
            since = parse_timestamp(match[1])
            items = [
                m for m in items if "post_time" in m and parse_timestamp(m["post_time"]) > since
            ]
            items.sort(key=lambda m: parse_timestamp(m["post_time"]), reverse=True)
        limit = int(re.search(r"LIMIT (\d+)", liql)[1])  # type: ignore[index]
        start = 0
        if match := re.search(r"CURSOR '([^']+)'", liql):
            start = int(base64.b64decode(match[1]).decode().split(":")[1])
        page = items[start : start + limit]
        data: dict[str, Any] = {
            "type": "messages",
            "list_item_type": "message",
            "size": len(page),
            "items": page,
        }
        if start + limit < len(items):
            data["next_cursor"] = base64.b64encode(
                f"{self._secret}:{start + limit}".encode()
            ).decode()
        return 200, {"status": "success", "message": "", "http_code": 200, "data": data}


def topic_of(message: dict[str, Any]) -> str:
    topic = message.get("topic")
    return str(topic["id"]) if isinstance(topic, dict) else str(message.get("id"))


@contextmanager
def serving(app: FakeApi) -> Iterator[str]:
    """The app on a free loopback port; yields its base address."""
    with BackgroundServer(app) as running:
        yield running.url
