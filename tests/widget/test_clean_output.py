"""Issue 16, item 11: what leaves the JSON API is safe for any consumer, on both backends.

Links are absolute http(s) or null; titles, snippets and solutions are plain text, never
markup, even where the stored text holds markup as entities. askfind's own pages were safe
already (they insert text and follow only http(s)); these are the other consumers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from indexer.engine import Engine
from tests.widget.helpers import AUTH, seeded_app
from widget.items import public_url

SAFE = "https://community.example/t/router-blinkt/1"
UNSAFE_URLS = [
    "javascript:alert(1)",
    "JavaScript:alert(1)",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/x",  # relative to whoever consumes it
    "/t/router/1",
    "https:alert(1)",  # no host
    "http://[::1",  # not parseable
    "\x00https://community.example/",
]
TAG_OPEN = re.compile(r"<[A-Za-z/!?]")
HOSTILE_BODY = (
    "Der Router blinkt rot &lt;script&gt;alert(1)&lt;/script&gt; und "
    "&lt;img src=x onerror=alert(2)&gt; seit dem Update"
)
HOSTILE_SOLUTION = "&lt;b onmouseover=alert(3)&gt;Werksreset&lt;/b&gt; hilft, dann &lt;Enter&gt;"


def hostile_thread(number: int, url: str) -> dict[str, Any]:
    return {
        "id": f"hostile-{number}",
        "title": f"Router blinkt rot nach Firmware Update Fall {number}",
        "body": HOSTILE_BODY,
        "url": url,
        "lang": "de",
        "accepted_answer": {"body": HOSTILE_SOLUTION, "url": url},
        "answers": [{"body": "Bei mir auch", "url": url}],
    }


# Titles as communities store them, and as they leave the API: plain text, never markup.
HOSTILE_TITLES = {
    "Router blinkt rot <img src=x onerror=alert(1)> Zebrafink": "Router blinkt rot Zebrafink",
    "&lt;b onmouseover=alert(2)&gt;Router blinkt rot&lt;/b&gt; Quokka &lt;script&gt;x": (
        "Router blinkt rot Quokka"
    ),
    "Router blinkt rot, Taste &lt;Enter&gt; Kakapo": "Router blinkt rot, Taste < Enter> Kakapo",
    "&lt;img src=x onerror=alert(3)&gt;": "< img src=x onerror=alert(3)>",  # nothing else
}


def titled_thread(number: int, title: str) -> dict[str, Any]:
    return hostile_thread(number, UNSAFE_URLS[0]) | {"title": title}


THREADS = (
    [hostile_thread(n, url) for n, url in enumerate(UNSAFE_URLS)]
    + [hostile_thread(99, SAFE)]
    + [titled_thread(100 + n, title) for n, title in enumerate(HOSTILE_TITLES)]
)
TITLED = {f"hostile-{100 + n}": shown for n, shown in enumerate(HOSTILE_TITLES.values())}


@pytest.fixture(scope="module", params=["embedded", "elasticsearch"])
def client(
    request: pytest.FixtureRequest, engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[FlaskClient]:
    data_dir = tmp_path_factory.mktemp(f"output-{request.param}")
    with seeded_app(request, engine, data_dir, THREADS) as app:
        yield app.test_client()


def searched_items(client: FlaskClient) -> list[dict[str, Any]]:
    answer = client.get("/api/search", query_string={"q": "Router blinkt rot", "limit": 50})
    assert answer.status_code == 200
    items = answer.get_json()["items"]
    assert {item["id"] for item in items} == {thread["id"] for thread in THREADS}
    return items


def test_search_items_link_only_to_http_addresses(client: FlaskClient) -> None:
    for item in searched_items(client):
        expected = SAFE if item["id"] == "hostile-99" else None
        assert item["url"] == expected, item["id"]
        assert item["solution"]["url"] == expected, item["id"]


def test_suggestions_link_only_to_http_addresses(client: FlaskClient) -> None:
    answer = client.get("/api/suggest", query_string={"q": "Router blinkt rot Firmware Update"})
    items = answer.get_json()["items"]
    assert items, "the query matches every thread's title"
    for item in items:
        assert item["url"] in (None, SAFE) and item["solution"]["url"] in (None, SAFE)


def test_snippets_and_solutions_are_plain_text_never_markup(client: FlaskClient) -> None:
    for item in searched_items(client):
        for text in (item["snippet"], item["solution"]["snippet"]):
            assert TAG_OPEN.search(text) is None, text
            assert "&lt;" not in text  # plain text, not escaped HTML either
        assert item["snippet"] == "Der Router blinkt rot und seit dem Update"
        # With a tag among it, the decoded text is HTML: "<Enter>" is an element there too.
        assert item["solution"]["snippet"] == "Werksreset hilft, dann"


def test_a_stored_thread_is_given_back_with_safe_links_only(client: FlaskClient) -> None:
    for thread in THREADS:
        record = client.get(f"/api/threads/{thread['id']}").get_json()
        expected = SAFE if thread["id"] == "hostile-99" else None
        links = [record["url"], record["accepted_answer"]["url"], record["answers"][0]["url"]]
        assert links == [expected] * 3, thread["id"]


def test_the_agents_thread_detail_links_and_reads_safely(client: FlaskClient) -> None:
    detail = client.get("/api/agent/threads/hostile-0", headers=AUTH).get_json()
    assert detail["url"] is None and detail["solution"]["url"] is None
    for text in (detail["question"], detail["solution"]["text"]):
        assert TAG_OPEN.search(text) is None, text


def assert_plain_title(title: str) -> None:
    assert TAG_OPEN.search(title) is None, title
    assert "&lt;" not in title, title


def test_searched_titles_are_plain_text_never_markup(client: FlaskClient) -> None:
    items = searched_items(client)
    for item in items:
        assert_plain_title(item["title"])
    assert {item["id"]: item["title"] for item in items if item["id"] in TITLED} == TITLED


@pytest.mark.parametrize(
    "query", ["Zebrafink Router blinkt", "Quokka Router blinkt", "Kakapo Router blinkt Taste"]
)
def test_suggested_titles_are_plain_text_never_markup(client: FlaskClient, query: str) -> None:
    items = client.get("/api/suggest", query_string={"q": query}).get_json()["items"]
    assert items and items[0]["id"] in TITLED, items
    for item in items:
        assert_plain_title(item["title"])
    assert items[0]["title"] == TITLED[items[0]["id"]]


@pytest.mark.parametrize("thread_id", sorted(TITLED))
def test_a_stored_threads_title_is_given_back_as_plain_text(
    client: FlaskClient, thread_id: str
) -> None:
    record = client.get(f"/api/threads/{thread_id}").get_json()
    assert record["title"] == TITLED[thread_id]
    detail = client.get(f"/api/agent/threads/{thread_id}", headers=AUTH).get_json()
    assert detail["title"] == TITLED[thread_id]
    for title in (record["title"], detail["title"]):
        assert_plain_title(title)


@pytest.mark.parametrize("url", UNSAFE_URLS)
def test_public_url_refuses_all_but_absolute_http(url: str) -> None:
    assert public_url(url) is None


@pytest.mark.parametrize(
    "url", [SAFE, "http://192.0.2.1:8080/x?y=1#z", "HTTPS://Example.COM/", " https://a.example/ "]
)
def test_public_url_keeps_absolute_http_addresses(url: str) -> None:
    assert public_url(url) == url.strip()
