"""The Discourse connector: saved topic JSON, and the live API through a local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.cleaning import clean_text
from indexer.errors import SourceUnavailable
from indexer.settings import Settings
from indexer.sources import guess_format, read_source
from indexer.sources.base import Gone, RecordError, SyncItem
from indexer.sources.discourse_api import DiscourseSource
from indexer.threads import Thread
from tests.community_servers import API_KEY, DISCOURSE, FakeDiscourse, serving

EXPORT = DISCOURSE / "export"
SITE = "https://community.telvia.example"


def split(items: Iterator[SyncItem]) -> tuple[dict[str, Thread], list[RecordError], list[Gone]]:
    threads: dict[str, Thread] = {}
    errors: list[RecordError] = []
    gone: list[Gone] = []
    for item in items:
        if isinstance(item, Thread):
            threads[item.id] = item
        elif isinstance(item, Gone):
            gone.append(item)
        else:
            errors.append(item)
    return threads, errors, gone


# --- exports ------------------------------------------------------------------------------


def test_a_saved_topic_becomes_a_thread_with_its_accepted_answer() -> None:
    threads, _, _ = split(read_source(EXPORT, "discourse", site_url=SITE))
    wlan = threads["101"]
    assert wlan.title == "WLAN bricht abends ab"
    assert "Firmware 7.57" in clean_text(wlan.body)
    assert wlan.url == f"{SITE}/t/wlan-bricht-abends-ab/101"
    assert wlan.board == "Router & WLAN"  # the category's name, from categories.json
    assert wlan.tags == ("firmware", "wlan")
    assert (wlan.kudos, wlan.views, wlan.replies) == (7, 1834, 2)  # likes of the first post
    assert wlan.created_at == "2024-03-04T18:20:11.389000+00:00"
    assert wlan.solved
    solution = wlan.accepted_answer
    assert solution is not None
    assert (solution.id, solution.author, solution.kudos) == ("9003", "kabelfee", 23)
    assert solution.url == f"{SITE}/t/wlan-bricht-abends-ab/101/3"
    assert "Kanal 1, 6 oder 11" in clean_text(solution.body)
    # Other replies: not the small action, the whisper or the hidden spam post.
    assert [answer.id for answer in wlan.answers] == ["9002"]


def test_an_accepted_answer_outside_the_saved_posts_comes_from_the_topic_summary() -> None:
    threads, _, _ = split(read_source(EXPORT, "discourse", site_url=SITE))
    esim = threads["102"]
    assert esim.solved and esim.accepted_answer is not None
    assert esim.accepted_answer.body.startswith("Ein QR-Code gilt nur einmal")
    assert (
        esim.accepted_answer.url
        == f"{SITE}/t/esim-auf-neues-iphone-ubertragen-qr-code-ungultig/102/4"
    )
    assert esim.tags == ("esim", "iphone")  # tags as objects, as newer versions send them
    assert (esim.kudos, esim.board) == (4, "Mobilfunk")  # like_count of the first post


def test_bad_topics_are_reported_with_their_file_and_skipped() -> None:
    threads, errors, gone = split(read_source(EXPORT, "discourse"))
    assert sorted(threads) == ["101", "102"]
    assert gone == []  # deletions only when asked for
    messages = {error.location: error.message for error in errors}
    assert messages["topic-104.json (topic 104)"] == "missing required field 'title'"
    assert messages["topic-105.json (topic 105)"] == 'views must be an integer, not "viele"'
    assert messages["broken.json"].startswith("not a JSON file")
    assert len(errors) == 3  # latest.json, a topic list saved alongside, is passed over
    assert threads["101"].url is None  # no site address given: no links


def test_deleted_topics_are_gone_when_sync_asks() -> None:
    _, _, gone = split(read_source(EXPORT, "discourse", include_gone=True))
    assert [(item.id, item.location) for item in gone] == [("103", "topic-103.json (topic 103)")]


def test_the_format_is_recognised_from_the_files() -> None:
    assert guess_format(EXPORT) == "discourse"
    assert guess_format(EXPORT / "topic-101.json") == "discourse"


# --- the live API -----------------------------------------------------------------------


@pytest.fixture
def forum() -> Iterator[tuple[FakeDiscourse, DiscourseSource]]:
    fake = FakeDiscourse()
    with serving(fake) as url:
        settings = Settings(
            discourse_url=url, discourse_api_key=API_KEY, discourse_api_username="askfind",
            source_retries=2,
        )  # fmt: skip
        source = DiscourseSource(settings)
        yield fake, source
        source.close()


def test_the_api_is_paged_through_and_each_topic_fetched_whole(
    forum: tuple[FakeDiscourse, DiscourseSource],
) -> None:
    fake, source = forum
    threads, errors, gone = split(source.read(include_gone=True))
    assert list(threads) == ["100", "102", "101", "99"]  # newest activity first
    assert [item.id for item in gone] == ["103"]
    assert errors == []
    pages = [q["page"] for path, q, _ in fake.requests if path == "/latest.json"]
    assert pages == [["0"], ["1"], ["2"]]  # the last page has no more_topics_url
    assert all(
        h["Api-Key"] == API_KEY and h["Api-Username"] == "askfind" for *_, h in fake.requests
    )
    # Topic 102's accepted post is beyond the first batch: fetched from posts.json.
    esim = threads["102"]
    assert esim.accepted_answer is not None and esim.accepted_answer.kudos == 11
    assert "Einstellungen > Mobilfunk > eSIM hinzufügen" in clean_text(esim.accepted_answer.body)
    assert esim.replies == 3 and [a.id for a in esim.answers] == ["9102", "9103"]
    posts = [q for path, q, _ in fake.requests if path == "/t/102/posts.json"]
    assert posts == [{"post_ids[]": ["9103", "9104"]}]
    assert threads["101"].board == "Router & WLAN" and threads["101"].url is not None
    assert threads["101"].url.startswith(source.base_url)


def test_since_stops_at_the_first_older_topic(forum: tuple[FakeDiscourse, DiscourseSource]) -> None:
    fake, source = forum
    items = list(source.read(since=datetime(2024, 6, 1, tzinfo=UTC), include_gone=True))
    assert [(type(i).__name__, i.id) for i in items] == [("Thread", "102"), ("Gone", "103")]
    assert "/t/101.json" not in fake.paths() and "/t/100.json" not in fake.paths()
    assert [q["page"] for path, q, _ in fake.requests if path == "/latest.json"] == [["0"], ["1"]]


def test_rate_limits_and_outages_are_retried(forum: tuple[FakeDiscourse, DiscourseSource]) -> None:
    fake, source = forum
    fake.failures = [(429, {"Retry-After": "0"}), (503, {})]
    threads, _, _ = split(source.topic(101))
    assert list(threads) == ["101"]
    assert [path for path in fake.paths() if path.startswith("/t/")] == ["/t/101.json"] * 3
    fake.failures = [(503, {})] * 3  # more than source_retries = 2
    with pytest.raises(SourceUnavailable, match="answered 503"):
        list(source.topic(101))


def test_wrong_credentials_stop_the_run_with_a_clear_message() -> None:
    fake = FakeDiscourse()
    with serving(fake) as url:
        source = DiscourseSource(Settings(discourse_url=url, discourse_api_key="wrong"))
        with pytest.raises(SourceUnavailable, match="refused the credentials"):
            list(source.read())
        source.close()


def test_webhooks_name_the_topic_to_read_again_or_remove(
    forum: tuple[FakeDiscourse, DiscourseSource],
) -> None:
    fake, source = forum
    edited = list(source.changes_from_hook("post_edited", {"post": {"id": 9002, "topic_id": 101}}))
    assert [item.id for item in edited] == ["101"] and isinstance(edited[0], Thread)
    solved = list(source.changes_from_hook("accepted_solution", {"post": {"topic_id": "102"}}))
    assert isinstance(solved[0], Thread) and solved[0].accepted_answer is not None
    # A delete is never believed: the topic is read again, and only a topic the forum no
    # longer has is removed (a replayed delete of a live topic changes nothing).
    kept = list(source.changes_from_hook("topic_destroyed", {"topic": {"id": 101}}))
    assert [type(item) for item in kept] == [Thread] and kept[0].id == "101"
    del fake.topics["101"]
    destroyed = list(source.changes_from_hook("topic_destroyed", {"topic": {"id": 101}}))
    assert [(type(item), item.id) for item in destroyed] == [(Gone, "101")]
    vanished = list(source.changes_from_hook("topic_edited", {"topic": {"id": 555}}))
    assert [type(item) for item in vanished] == [Gone]  # 404: the topic is gone
    assert list(source.changes_from_hook("ping", {"ping": "OK"})) == []
    bad = list(source.changes_from_hook("post_created", {"post": {"topic_id": "../admin"}}))
    assert [type(item) for item in bad] == [RecordError]


def test_an_unconfigured_forum_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="discourse_url"):
        DiscourseSource(Settings(data_dir=tmp_path))
