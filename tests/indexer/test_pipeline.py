"""The indexing pipeline: counts, carry-over of unchanged threads, strictness, cleaning."""

from __future__ import annotations

from pathlib import Path

import pytest

from indexer.engine import Engine
from indexer.pipeline import StrictModeError
from indexer.sources import read_source
from indexer.threads import TITLE_MAX_CHARS
from tests.conftest import engine_on, write_jsonl

GOOD = [
    {
        "id": "a",
        "title": "Router blinkt rot",
        "body": "<p>Die <b>Box</b> blinkt.</p><script>evil()</script>",
    },
    {"id": "b", "title": "Roaming in der Schweiz", "lang": "de", "kudos": 3},
    {"id": "c", "title": "My invoice is far too high this month, why?"},
]


@pytest.fixture
def served(engine: Engine, tmp_path: Path) -> Engine:
    return engine_on(engine, tmp_path / "data")


class CountingEmbedder:
    """Counts the documents that reach the model (a spy, the model itself is real)."""

    def __init__(self, engine: Engine) -> None:
        self.embedded = 0
        self._inner = engine.embedder.start_documents

    def __call__(self, texts: list[str]) -> object:
        self.embedded += len(texts)
        return self._inner(texts)


def test_counts_and_bad_records_with_line_numbers(served: Engine, tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "in.jsonl", [GOOD[0], "{broken", GOOD[1], {"title": "no id"}, GOOD[2]]
    )
    errors = []
    report = served.indexer().run(read_source(source), on_error=errors.append)
    assert (report.read, report.indexed, report.unchanged, report.skipped) == (5, 3, 0, 2)
    assert [str(e).split(": ")[0] for e in errors] == ["in.jsonl:2", "in.jsonl:4"]
    assert report.published and served.backend.stats().threads == 3


def test_unchanged_threads_are_carried_over_and_changed_ones_reindexed(
    served: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", GOOD)
    served.indexer().run(read_source(source))
    counter = CountingEmbedder(served)
    monkeypatch.setattr(served.embedder, "start_documents", counter)
    again = served.indexer().run(read_source(source))
    assert (again.indexed, again.unchanged) == (0, 3)
    changed = [GOOD[0], {**GOOD[1], "kudos": 99}, {**GOOD[2], "title": "Invoice too high"}]
    third = served.indexer().run(read_source(write_jsonl(tmp_path / "v2.jsonl", changed)))
    assert (third.indexed, third.unchanged) == (2, 1)
    # Only the new title needed the model: the kudos change reused the cached vector.
    assert counter.embedded == 1
    assert served.backend.signals(["b"])["b"].kudos == 99


def test_upsert_mode_keeps_other_threads(served: Engine, tmp_path: Path) -> None:
    served.indexer().run(read_source(write_jsonl(tmp_path / "in.jsonl", GOOD)))
    extra = {"id": "d", "title": "Neue Rufnummer beantragen"}
    report = served.indexer().run(
        read_source(write_jsonl(tmp_path / "more.jsonl", [extra, GOOD[0]])), mode="upsert"
    )
    assert (report.indexed, report.unchanged) == (1, 1)
    assert served.backend.stats().threads == 4


def test_an_id_several_records_hold_is_indexed_once_and_the_rest_counted_repeated(
    served: Engine, tmp_path: Path
) -> None:
    records = [GOOD[0], GOOD[1], {**GOOD[0], "title": "Router blinkt grün"}, GOOD[2], GOOD[0]]
    report = served.indexer().run(read_source(write_jsonl(tmp_path / "in.jsonl", records)))
    assert (report.read, report.indexed, report.unchanged, report.repeated) == (5, 3, 0, 2)
    assert "read 5, indexed 3, unchanged 0, repeated 2, skipped 0 in " in report.summary()
    assert served.backend.get_threads(["a"])["a"].title == GOOD[0]["title"]


def test_a_cut_title_and_cut_texts_are_told_apart(engine: Engine, tmp_path: Path) -> None:
    served = engine_on(engine, tmp_path / "data", thread_max_chars=1000)
    records = [
        {"id": "long-title", "title": "Router " * 800, "body": "kurz"},
        {"id": "long-body", "title": "Router", "body": "blinkt " * 400},
        {"id": "both", "title": "WLAN " * 300, "answers": [{"body": "neu starten " * 200}]},
        GOOD[1],
    ]
    report = served.indexer().run(read_source(write_jsonl(tmp_path / "in.jsonl", records)))
    cut_ids = ["long-title", "long-body", "both"]
    assert (report.truncated.count, report.truncated.ids) == (3, cut_ids)
    assert (report.titles_cut.count, report.titles_cut.ids) == (2, ["long-title", "both"])
    assert (report.texts_cut.count, report.texts_cut.ids) == (2, ["long-body", "both"])
    assert len(served.backend.get_threads(["long-title"])["long-title"].title) == TITLE_MAX_CHARS


def test_strict_mode_stops_at_a_bad_record_and_publishes_nothing(
    served: Engine, tmp_path: Path
) -> None:
    served.indexer().run(read_source(write_jsonl(tmp_path / "in.jsonl", GOOD)))
    bad = write_jsonl(tmp_path / "bad.jsonl", [{"id": "x", "title": "ok"}, {"id": "y"}])
    with pytest.raises(StrictModeError, match=r"bad\.jsonl:2"):
        served.indexer().run(read_source(bad), strict=True)
    assert sorted(served.backend.iter_ids()) == ["a", "b", "c"]


def test_a_source_without_any_good_record_publishes_nothing(served: Engine, tmp_path: Path) -> None:
    served.indexer().run(read_source(write_jsonl(tmp_path / "in.jsonl", GOOD)))
    report = served.indexer().run(read_source(write_jsonl(tmp_path / "bad.jsonl", ["nope", "[]"])))
    assert (report.usable, report.skipped, report.published) == (0, 2, False)
    assert served.backend.stats().threads == 3


def test_language_is_detected_and_markup_is_not_indexed(served: Engine, tmp_path: Path) -> None:
    served.indexer().run(read_source(write_jsonl(tmp_path / "in.jsonl", GOOD)))
    threads = served.backend.get_threads(["a", "c"])
    assert (threads["a"].lang, threads["c"].lang) == ("de", "en")
    indexed = served.backend.indexed(["a"])["a"]
    assert "evil" not in indexed.terms["body"] and "box" in indexed.terms["body"]


def test_a_rebuild_of_unchanged_threads_keeps_their_positions_and_codes(
    engine: Engine, tmp_path: Path
) -> None:
    """Whatever order the source lists them in: the vector codes are then used again, not
    encoded anew."""
    from indexer.backends.embedded.segment import Segment

    # Enough threads to train the 4-bit scan (``MIN_SCANNED``), not only the 8-bit codes.
    threads = [{"id": f"t-{i}", "title": f"Router Modell {i} blinkt rot"} for i in range(700)]
    served = engine_on(engine, tmp_path / "data", ann_min_threads=10)
    served.indexer().run(read_source(write_jsonl(tmp_path / "a.jsonl", threads)))

    def live_snapshot() -> Path:
        index = served.settings.data_dir / "index"
        return next((index / (index / "CURRENT").read_text().strip()).glob("snapshot-*"))

    before = live_snapshot()
    files = ("codes.faiss", "scan.faiss")
    codes = [(before / "vectors" / name).read_bytes() for name in files]
    positions = list(Segment.load(before).ids)
    assert positions == sorted(positions)
    shuffled = threads[300:] + threads[:300][::-1]
    report = served.indexer().run(read_source(write_jsonl(tmp_path / "b.jsonl", shuffled)))
    assert report.unchanged == 700
    after = live_snapshot()
    assert after.parent != before.parent
    assert list(Segment.load(after).ids) == positions
    assert [(after / "vectors" / name).read_bytes() for name in files] == codes
