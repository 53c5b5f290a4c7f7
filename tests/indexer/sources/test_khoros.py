"""The Khoros connector: saved LiQL answers, and the live API through a local server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.cleaning import clean_text
from indexer.errors import SourceUnavailable
from indexer.settings import Settings
from indexer.sources import guess_format, read_source
from indexer.sources.base import Gone, RecordError
from indexer.sources.khoros_api import KhorosSource
from indexer.threads import Thread
from tests.community_servers import KHOROS, TOKEN, FakeKhoros, serving, topic_of
from tests.indexer.sources.test_discourse import split

EXPORT = KHOROS / "export"


def liql(fake: FakeKhoros) -> list[str]:
    """The LiQL queries the stand-in was sent, in order."""
    return [q["q"][0] for path, q, _ in fake.requests if path == "/api/2.0/search"]


# --- exports ------------------------------------------------------------------------------


def test_a_topic_and_its_replies_across_files_become_one_thread() -> None:
    threads, _, _ = split(read_source(EXPORT, "khoros"))
    wlan = threads["1001"]
    assert wlan.title == "WLAN bricht abends ab"
    assert clean_text(wlan.body).startswith("Seit dem Firmware-Update bricht das WLAN")
    assert (
        wlan.url
        == "https://community.telvia.example/t5/Router-WLAN/WLAN-bricht-abends-ab/td-p/1001"
    )
    assert wlan.board == "router-wlan"  # a file has board ids only; the API names them
    assert (wlan.kudos, wlan.views) == (12, 2300)  # kudos.sum.weight, metrics.views
    assert wlan.lang == "de" and wlan.solved
    assert wlan.created_at == "2024-04-01T18:00:00+02:00"
    assert wlan.updated_at == "2024-04-02T10:15:00+02:00"  # conversation.last_post_time
    # The accepted solution is in the second file; 15.0 kudos (a LiQL sum) count as 15.
    solution = wlan.accepted_answer
    assert solution is not None
    assert (solution.id, solution.author, solution.kudos) == ("1003", "kabelfee", 15)
    assert "festen Kanal ein (1, 6 oder 11)" in clean_text(solution.body)
    # The other replies, most kudos first.
    assert [(a.id, a.kudos) for a in wlan.answers] == [("1004", 3), ("1002", 1)]
    assert wlan.replies == 3


def test_missing_optional_fields_are_tolerated() -> None:
    threads, _, _ = split(read_source(EXPORT, "khoros"))
    roaming = threads["1010"]
    assert roaming.lang == "en"  # "en-US" keeps the language
    assert (roaming.kudos, roaming.replies, roaming.solved) == (0, 0, False)
    assert roaming.accepted_answer is None and roaming.answers == ()
    assert roaming.tags == ()


def test_bad_records_are_reported_with_their_place_and_skipped() -> None:
    threads, errors, gone = split(read_source(EXPORT, "khoros"))
    assert sorted(threads) == ["1001", "1010"]
    assert gone == []  # the rejected topic is left out, but not reported gone unless asked
    messages = {error.location: error.message for error in errors}
    assert messages == {
        "error.json": "not a LiQL answer: the LiQL query failed: "
        "Invalid query syntax for SELECT * FROM messagez",
        "messages-2.json: item 5": "a message needs id",
        "messages-2.json: item 6": "reply 1041 does not name its topic (topic.id)",
        "messages-2.json: item 4": "replies of topic 1030, but not the topic message itself",
    }


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            '{"id": "a", "title": "WLAN", "body": "?"}',
            'no "status": this object holds "id", "title", "body"; a LiQL answer is '
            '{"status": "success", "data": {"items": [...]}}',
        ),
        ("{}", 'no "status": this object is empty; a LiQL answer is'),
        ('[{"id": "a"}]', "expected a JSON object, got an array; a LiQL answer is"),
        ('{"status": "error"}', 'the LiQL query failed: status "error"'),
    ],
)
def test_a_file_that_is_no_liql_answer_is_said_to_be_one_and_why(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "threads.json"
    path.write_text(content, encoding="utf-8")
    [error] = read_source(path, "khoros")
    assert isinstance(error, RecordError) and error.location == "threads.json"
    assert error.message.startswith(f"not a LiQL answer: {message}")
    assert "None" not in error.message


def test_rejected_topics_are_gone_when_sync_asks() -> None:
    _, _, gone = split(read_source(EXPORT, "khoros", include_gone=True))
    assert gone == [Gone("1020", "messages-2.json: item 3")]


def test_the_format_is_recognised_from_the_files() -> None:
    assert guess_format(EXPORT) == "khoros"
    assert guess_format(EXPORT / "messages-2.json") == "khoros"


# --- the live API -----------------------------------------------------------------------


@pytest.fixture
def community() -> Iterator[tuple[FakeKhoros, KhorosSource]]:
    fake = FakeKhoros()
    with serving(fake) as url:
        settings = Settings(khoros_url=url, khoros_token=TOKEN, khoros_page_size=2,
                            source_retries=2)  # fmt: skip
        source = KhorosSource(settings)
        yield fake, source
        source.close()


def test_the_api_is_paged_with_cursors_and_boards_are_named(
    community: tuple[FakeKhoros, KhorosSource],
) -> None:
    fake, source = community
    threads, errors, gone = split(source.read(include_gone=True))
    assert sorted(threads) == ["1001", "1010"]
    assert [g.id for g in gone] == ["1020"] and gone[0].location.startswith(source.base_url)
    # 8 fixture messages with an id, 2 a page: 4 pages, each after the first with the
    # cursor of the page before; the last answer has no cursor.
    queries = [q for q in liql(fake) if "FROM messages" in q]
    assert len(queries) == 4
    assert queries[0].endswith("ORDER BY post_time ASC LIMIT 2")
    assert all(" CURSOR '" in q for q in queries[1:])
    assert all(q.startswith("SELECT id, subject, body") for q in queries)
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for *_, h in fake.requests)
    wlan = threads["1001"]
    assert wlan.board == "Router & WLAN"  # titles from SELECT ... FROM boards
    assert threads["1010"].board == "Mobilfunk"
    assert (wlan.kudos, wlan.views) == (12, 2300)
    assert wlan.accepted_answer is not None and wlan.accepted_answer.id == "1003"
    # The reply without a topic is reported with where it came from; so is the orphan.
    assert any("reply 1041 does not name its topic" in e.message for e in errors)
    assert all(e.location.startswith(source.base_url) for e in errors)


def test_since_reads_only_the_topics_with_new_messages_whole(
    community: tuple[FakeKhoros, KhorosSource],
) -> None:
    fake, source = community
    threads, _, _ = split(source.read(since=datetime(2024, 6, 1, tzinfo=UTC)))
    assert list(threads) == ["1010"]
    queries = liql(fake)
    assert "WHERE post_time > '2024-06-01T00:00:00.000+00:00'" in queries[0]
    assert any("WHERE topic.id = '1010'" in q for q in queries)
    assert not any("WHERE topic.id = '1001'" in q for q in queries)
    # A topic with a new reply is read with all its replies, old ones included.
    fake.requests.clear()
    threads, _, _ = split(source.read(since=datetime(2024, 4, 2, 8, 0, tzinfo=UTC)))
    assert sorted(threads) == ["1001", "1010"]
    assert threads["1001"].accepted_answer is not None and len(threads["1001"].answers) == 2


def test_rate_limits_and_outages_are_retried(community: tuple[FakeKhoros, KhorosSource]) -> None:
    fake, source = community
    source.boards()  # named once per source: keep it out of the counts below
    fake.requests.clear()
    fake.failures = [(429, {"Retry-After": "0"}), (503, {})]
    threads, _, _ = split(source.topic("1010"))
    assert list(threads) == ["1010"]
    assert len(fake.requests) == 3
    fake.failures = [(503, {})] * 3  # more than source_retries = 2
    with pytest.raises(SourceUnavailable, match="answered 503"):
        list(source.topic("1010"))


def test_a_topic_the_api_no_longer_returns_is_gone(
    community: tuple[FakeKhoros, KhorosSource],
) -> None:
    fake, source = community
    fake.messages = [m for m in fake.messages if m["id"] != "1010"]
    assert [type(i) for i in source.topic("1010")] == [Gone]
    assert [type(i) for i in source.topic("1020")] == [Gone]  # rejected by a moderator
    bad = list(source.topic("1' OR '1'='1"))
    assert [type(i) for i in bad] == [RecordError]  # never spliced into a LiQL query
    assert not any("OR" in q for q in liql(fake))


def test_hook_deliveries_name_the_topic_to_read_again_or_remove(
    community: tuple[FakeKhoros, KhorosSource],
) -> None:
    fake, source = community
    reply = {"event": "message.update", "message": {"id": "1004", "topic": {"id": "1001"}}}
    updated = list(source.changes_from_hook("", reply))
    assert [type(i) for i in updated] == [Thread] and updated[0].id == "1001"
    reply_deleted = {"event": "message.delete", "message": {"id": "1004", "topic": {"id": "1001"}}}
    assert [type(i) for i in source.changes_from_hook("", reply_deleted)] == [Thread]
    # A delete is never believed: the topic is read again, and only a topic the community
    # no longer has is removed (a replayed delete of a live topic changes nothing).
    topic_deleted = {"event": "message.delete", "message": {"id": "1001", "depth": 0}}
    kept = list(source.changes_from_hook("", topic_deleted))
    assert [(type(i), i.id) for i in kept] == [(Thread, "1001")]
    fake.messages = [m for m in fake.messages if "1001" not in (m["id"], topic_of(m))]
    gone = list(source.changes_from_hook("", topic_deleted))
    assert [(type(i), i.id) for i in gone] == [(Gone, "1001")]
    nameless = list(source.changes_from_hook("", {"event": "message.create", "message": {}}))
    assert [type(i) for i in nameless] == [RecordError]


def test_a_wrong_token_stops_the_run_with_a_clear_message() -> None:
    fake = FakeKhoros()
    with serving(fake) as url:
        source = KhorosSource(Settings(khoros_url=url, khoros_token="wrong"))
        with pytest.raises(SourceUnavailable, match="refused the credentials"):
            list(source.read())
        source.close()


def test_an_unconfigured_community_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailable, match="khoros_url"):
        KhorosSource(Settings(data_dir=tmp_path))
