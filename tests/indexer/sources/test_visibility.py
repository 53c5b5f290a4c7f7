"""Private boards from the connectors: Discourse's secure categories, and the boards that
``restricted_boards`` names for sources without permissions (Khoros exports)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from indexer.embedding import EmbeddingCache
from indexer.engine import Engine
from indexer.pipeline import ThreadPreparer
from indexer.settings import Settings
from indexer.sources import read_source
from indexer.sources.discourse import read_discourse_export
from tests.community_servers import DISCOURSE, KHOROS
from tests.indexer.sources.test_discourse import split


def secure_export(tmp_path: Path, categories: list[dict]) -> Path:
    """The Discourse fixture export with another ``categories.json``."""
    folder = tmp_path / "export"
    shutil.copytree(DISCOURSE / "export", folder)
    listing = {"category_list": {"categories": categories}}
    (folder / "categories.json").write_text(json.dumps(listing), encoding="utf-8")
    return folder


def test_topics_of_a_secure_category_are_restricted_to_its_groups(tmp_path: Path) -> None:
    export = secure_export(
        tmp_path,
        [
            {"id": 5, "name": "Router & WLAN", "read_restricted": False},
            {
                "id": 7,
                "name": "Mobilfunk intern",
                "read_restricted": True,
                "group_permissions": [
                    {"permission_type": 1, "group_name": "staff"},
                    {"permission_type": 3, "group_name": "vip"},
                ],
            },
        ],
    )
    threads, _, _ = split(read_discourse_export(export))
    assert threads["102"].board == "Mobilfunk intern"
    assert threads["102"].visibility == ("staff", "vip")
    assert threads["101"].visibility == ()
    assert threads["101"].to_record()["visibility"] == "public"


def test_a_secure_category_without_groups_and_an_unlisted_one_are_staff_only(
    tmp_path: Path,
) -> None:
    """What cannot be told public is kept to staff, who may read every category."""
    export = secure_export(
        tmp_path,
        [{"id": 7, "name": "Mobilfunk", "read_restricted": True}],
    )
    threads, _, _ = split(read_discourse_export(export))
    assert threads["102"].visibility == ("staff",)
    assert threads["101"].visibility == ("staff",)  # category 5 is not in the list
    assert threads["101"].board == "5"


def test_a_subcategory_takes_its_parents_restriction(tmp_path: Path) -> None:
    export = secure_export(
        tmp_path,
        [
            {
                "id": 4,
                "name": "Intern",
                "read_restricted": True,
                "group_permissions": [{"group_name": "moderators"}],
                "subcategory_list": [{"id": 5, "name": "Router intern"}],
            },
            {"id": 7, "name": "Mobilfunk", "read_restricted": False},
        ],
    )
    threads, _, _ = split(read_discourse_export(export))
    assert (threads["101"].board, threads["101"].visibility) == ("Router intern", ("moderators",))
    assert threads["102"].visibility == ()


def test_restricted_boards_restrict_the_public_threads_of_a_board(
    engine: Engine, tmp_path: Path
) -> None:
    """Khoros exports say nothing of permissions: ``restricted_boards`` does, for any source,
    and a thread its source restricted keeps its own groups."""
    threads, _, _ = split(read_source(KHOROS / "export"))
    board = next(t.board for t in threads.values() if t.board)
    settings = Settings(
        data_dir=tmp_path, restricted_boards=(f"{board}:staff|moderators", "Other:sales")
    )
    cache = EmbeddingCache(tmp_path / "c.sqlite", engine.embedder.model_id, 4)
    preparer = ThreadPreparer(settings, engine.analyzer, engine.embedder, cache)
    on_board = [t for t in threads.values() if t.board == board]
    own = on_board[0].with_changes(id="own", visibility=("vip",))
    prepared = preparer.prepare([*on_board, own], ["x"] * (len(on_board) + 1))
    assert {p.thread.visibility for p in prepared[:-1]} == {("moderators", "staff")}
    assert prepared[-1].thread.visibility == ("vip",)
    # The groups are part of what the content hash covers: a change re-indexes.
    assert preparer.fingerprint(on_board[0]) != ThreadPreparer(
        Settings(data_dir=tmp_path), engine.analyzer, engine.embedder, cache
    ).fingerprint(on_board[0])
    cache.close()
