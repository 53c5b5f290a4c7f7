"""Incremental sync on the real embedded backend: add, change, delete, and again."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.engine import Engine
from indexer.pipeline import BATCH_SIZE
from indexer.search import SearchRequest
from indexer.settings import Settings
from indexer.sources import read_source
from indexer.sources.base import Gone, RecordError
from indexer.sources.discourse_api import DiscourseSource
from indexer.sync import SyncReport, apply_changes
from indexer.threads import Thread, thread_from_record
from tests.community_servers import API_KEY, FakeDiscourse, serving
from tests.conftest import backend_settings, engine_on, write_jsonl

ROUTER = {"id": "s1", "title": "Router blinkt rot", "body": "Die LED am Router blinkt rot."}
INVOICE = {"id": "s2", "title": "Rechnung doppelt abgebucht", "body": "Zweimal abgebucht."}


def thread(**record: object) -> Thread:
    return thread_from_record(record)


@pytest.fixture(params=["embedded", "elasticsearch"])
def own(request: pytest.FixtureRequest, engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """An engine over an empty index of the test's own, on each backend."""
    settings = backend_settings(request, request.param, tmp_path / "data")
    loaded = engine_on(engine, tmp_path / "data", **settings.model_dump(exclude={"data_dir"}))
    yield loaded
    loaded.backend.close()


def stored(engine: Engine) -> dict[str, str]:
    """id -> title of every thread the live index holds."""
    ids = list(engine.backend.iter_ids())
    return {i: t.title for i, t in engine.backend.get_threads(ids).items()}


def test_new_threads_are_added_and_the_same_changes_again_change_nothing(own: Engine) -> None:
    first = apply_changes(own.indexer(), [thread(**ROUTER), thread(**INVOICE)])
    assert (first.read, first.added, first.changed, first.unchanged) == (2, 2, 0, 0)
    assert first.changes == 2 and first.ids == ["s1", "s2"]
    version = own.backend.stats().version
    again = apply_changes(own.indexer(), [thread(**ROUTER), thread(**INVOICE)])
    assert (again.added, again.changed, again.unchanged, again.deleted) == (0, 0, 2, 0)
    assert again.changes == 0
    assert own.backend.stats().version == version  # nothing was rewritten


def test_a_changed_thread_is_replaced_and_found_by_its_new_words(own: Engine) -> None:
    apply_changes(own.indexer(), [thread(**ROUTER), thread(**INVOICE)])
    edited = {**ROUTER, "title": "Router blinkt rot nach Gewitter"}
    report = apply_changes(own.indexer(), [thread(**edited), thread(**INVOICE)])
    assert (report.added, report.changed, report.unchanged) == (0, 1, 1)
    assert stored(own)["s1"] == "Router blinkt rot nach Gewitter"
    found = own.search.search(SearchRequest(text="Gewitter", limit=3))
    assert [item.thread.id for item in found.items][:1] == ["s1"]


def test_gone_threads_are_deleted_once(own: Engine) -> None:
    apply_changes(own.indexer(), [thread(**ROUTER), thread(**INVOICE)])
    report = apply_changes(own.indexer(), [Gone("s2", "test"), Gone("never-there", "test")])
    assert (report.read, report.gone, report.deleted, report.changes) == (2, 2, 1, 1)
    assert report.already_gone == 1
    assert stored(own) == {"s1": "Router blinkt rot"}
    again = apply_changes(own.indexer(), [Gone("s2", "test")])
    assert (again.deleted, again.already_gone, again.changes) == (0, 1, 0)


def counted(report: SyncReport) -> tuple[int, ...]:
    return (
        report.added,
        report.changed,
        report.unchanged,
        report.deleted,
        report.already_gone,
        report.repeated,
        report.skipped,
    )


def test_every_item_read_is_counted_once(own: Engine) -> None:
    old = {"id": "s3", "title": "Vertrag kündigen", "body": "Wie kündige ich?"}
    apply_changes(own.indexer(), [thread(**ROUTER), thread(**INVOICE), thread(**old)])
    new = {"id": "s4", "title": "eSIM umziehen", "body": "Neues Telefon."}
    report = apply_changes(
        own.indexer(),
        [
            thread(**{**ROUTER, "body": "Jetzt blinkt sie grün."}),  # changed
            thread(**INVOICE),  # unchanged
            thread(**new),  # added ...
            thread(**{**new, "body": "Neues Telefon, alte Nummer."}),  # ... and repeated
            Gone("s3", "test"),  # deleted
            Gone("never-there", "test"),  # already gone
            Gone("s9", "test"),  # superseded by the thread that follows: repeated
            thread(id="s9", title="Roaming aktivieren"),  # added
            RecordError("in.jsonl:9", "broken JSON"),  # skipped
        ],
    )
    assert counted(report) == (2, 1, 1, 1, 1, 2, 1)
    assert report.read == 9 == sum(counted(report))
    assert report.changes == 4
    assert report.summary().startswith(
        "read 9, added 2, changed 1, unchanged 1, deleted 1, already gone 1, repeated 2, "
        "skipped 1 in "
    )
    assert set(stored(own)) == {"s1", "s2", "s4", "s9"}


def test_a_new_thread_read_twice_is_added_once(own: Engine, tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl",
        [ROUTER, INVOICE, {**ROUTER, "body": "Sie blinkt jetzt grün."}, {**INVOICE, "id": "s3"}],
    )
    report = apply_changes(own.indexer(), read_source(source, include_gone=True))
    assert counted(report) == (3, 0, 0, 0, 0, 1, 0) and report.read == 4
    assert own.backend.get_threads(["s1"])["s1"].body == "Sie blinkt jetzt grün."


def test_an_id_repeated_in_another_batch_is_counted_once(own: Engine) -> None:
    """A repeat a batch apart is written again (the later one wins) but counted once, as
    one within a batch is: by what the index held before the sync."""
    many = [thread(id=f"m{i}", title=f"Frage Nummer {i}") for i in range(BATCH_SIZE)]
    apply_changes(own.indexer(), [thread(**ROUTER)])
    edited = thread(**{**ROUTER, "body": "Sie blinkt jetzt grün."})
    # ROUTER first as it is (unchanged), then, a batch later, edited: changed after all.
    report = apply_changes(own.indexer(), [thread(**ROUTER), *many, edited, many[0]])
    assert counted(report) == (BATCH_SIZE, 1, 0, 0, 0, 2, 0)
    assert report.read == BATCH_SIZE + 3 == sum(counted(report))
    assert own.backend.get_threads(["s1"])["s1"].body == "Sie blinkt jetzt grün."


def test_the_later_of_a_thread_and_its_deletion_wins(own: Engine) -> None:
    apply_changes(own.indexer(), [thread(**ROUTER)])
    report = apply_changes(own.indexer(), [Gone("s1", "a"), thread(**ROUTER)])
    assert report.deleted == 0 and "s1" in stored(own)
    report = apply_changes(own.indexer(), [thread(**ROUTER), Gone("s1", "b")])
    assert report.deleted == 1 and stored(own) == {}


def test_bad_records_are_counted_and_reported_and_nothing_else_is_lost(own: Engine) -> None:
    apply_changes(own.indexer(), [thread(**ROUTER)])
    seen: list[RecordError] = []
    report = apply_changes(
        own.indexer(), [RecordError("in.jsonl:2", "broken JSON"), thread(**INVOICE)], seen.append
    )
    assert (report.read, report.skipped, report.added) == (2, 1, 1)
    assert [str(e) for e in report.errors] == ["in.jsonl:2: broken JSON"] == [str(e) for e in seen]
    assert set(stored(own)) == {"s1", "s2"}


def test_a_folder_export_synced_twice(own: Engine, tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [ROUTER, INVOICE])
    assert apply_changes(own.indexer(), read_source(source, include_gone=True)).added == 2
    write_jsonl(source, [{**ROUTER, "body": "Jetzt blinkt sie grün."}, INVOICE])
    report = apply_changes(own.indexer(), read_source(source, include_gone=True))
    assert (report.added, report.changed, report.unchanged) == (0, 1, 1)
    report = apply_changes(own.indexer(), read_source(source, include_gone=True))
    assert report.changes == 0 and report.unchanged == 2


def test_a_live_forum_since_a_time_then_a_topic_deleted(own: Engine) -> None:
    fake = FakeDiscourse()
    with serving(fake) as url:
        source = DiscourseSource(Settings(discourse_url=url, discourse_api_key=API_KEY))
        try:
            everything = apply_changes(own.indexer(), source.read(include_gone=True))
            assert (everything.added, everything.gone) == (4, 1)
            assert set(stored(own)) == {"99", "100", "101", "102"}
            fake.topics["102"]["title"] = "eSIM umziehen: QR-Code ungültig"
            del fake.topics["101"]  # deleted topics stay in old lists; their fetch is a 404
            since = datetime(2024, 1, 1, tzinfo=UTC)
            report = apply_changes(own.indexer(), source.read(since=since, include_gone=True))
            assert (report.changed, report.deleted) == (1, 1)
            assert "101" not in stored(own)
            assert stored(own)["102"] == "eSIM umziehen: QR-Code ungültig"
            again = apply_changes(own.indexer(), source.read(since=since, include_gone=True))
            assert again.changes == 0
            # 101 and the topic deleted from the start are reported gone again: shown, not lost.
            assert (again.read, again.unchanged, again.deleted, again.already_gone) == (3, 1, 0, 2)
            assert again.summary().startswith(
                "read 3, added 0, changed 0, unchanged 1, deleted 0, already gone 2, skipped 0 in "
            )
        finally:
            source.close()
