"""A segment's thread ids in shared arrays: the id at each position and the position of
each id, as a list and a dict gave them, after a save and a load (mapped) too."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from indexer.backends.embedded import ids as ids_module
from indexer.backends.embedded.ids import ThreadIds

IDS = ["t-1", "Störung-ä", "", "42", "t-1x", "日本語", "x" * 300]


def test_ids_by_position_and_positions_by_id(tmp_path: Path) -> None:
    built = ThreadIds.of(IDS)
    built.save(tmp_path)
    loaded = ThreadIds.load(tmp_path)
    assert loaded is not None
    for ids in (built, loaded):
        assert len(ids) == len(IDS)
        assert list(ids) == IDS
        assert [ids[p] for p in range(len(IDS))] == IDS
        assert ids[-1] == IDS[-1]
        assert [ids.position(thread_id) for thread_id in IDS] == list(range(len(IDS)))
        for absent in ("t-2", "t-", "Störung", "x" * 299):
            assert ids.position(absent) is None
        with pytest.raises(IndexError):
            ids[len(IDS)]
    assert isinstance(loaded._text, np.memmap)  # shared through the page cache


def test_ids_whose_hashes_collide_are_told_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ids_module, "id_hash", lambda thread_id: len(thread_id) % 2)
    ids = ThreadIds.of(IDS)
    assert [ids.position(thread_id) for thread_id in IDS] == list(range(len(IDS)))
    assert ids.position("ab") is None and ids.position("abc") is None


def test_no_ids(tmp_path: Path) -> None:
    empty = ThreadIds.of([])
    empty.save(tmp_path)
    for ids in (empty, ThreadIds.load(tmp_path)):
        assert ids is not None and len(ids) == 0 and list(ids) == [] and not ids
        assert ids.position("t-1") is None


def test_a_segment_saved_with_its_ids_in_json_still_opens(tmp_path: Path) -> None:
    """Snapshots written before the ids had files of their own list them in segment.json."""
    from indexer.backends.embedded.segment import Segment
    from indexer.backends.embedded.store import StoredRow

    rows = [
        StoredRow(
            id=f"t-{i}",
            vector=np.eye(4, dtype=np.float32)[i % 4],
            terms={"title": ["router"]},
            board=None,
            lang="de",
            solved=False,
            created_at=None,
            visibility=(),
        )
        for i in range(3)
    ]
    Segment.build(rows, 4, k1=1.2, b=0.75, compressed=False).save(tmp_path)
    meta = json.loads((tmp_path / "segment.json").read_text())
    (tmp_path / "segment.json").write_text(json.dumps({**meta, "ids": ["t-0", "t-1", "t-2"]}))
    for name in ids_module.FILES:
        (tmp_path / name).unlink()
    segment = Segment.load(tmp_path)
    assert list(segment.ids) == ["t-0", "t-1", "t-2"] and segment.ids.position("t-2") == 2


def test_many_at_once_as_one_at_a_time() -> None:
    ids = ThreadIds.of(IDS)
    assert ids.at([6, 0, 0, 3]) == [IDS[6], IDS[0], IDS[0], IDS[3]]
    asked = ["t-2", *reversed(IDS), "t-1"]
    assert ids.positions(asked) == [ids.position(thread_id) for thread_id in asked]
    assert ids.positions(asked) == [None, 6, 5, 4, 3, 2, 1, 0, 0]
    assert ids.positions([]) == [] and ThreadIds.of([]).positions(["t-1"]) == [None]
