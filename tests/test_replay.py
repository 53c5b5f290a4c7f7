"""scripts/replay's keystroke model: what simulated people type and what the widget sends."""

from __future__ import annotations

import argparse
import random
from types import ModuleType

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.services import script_module


@pytest.fixture(scope="module")
def replay() -> ModuleType:
    """scripts/replay's typists (scripts/tools/replay/typists.py), imported."""
    return script_module("tools.replay.typists")


@settings(max_examples=80, deadline=None, database=None)
@given(title=st.text(min_size=1, max_size=60), seed=st.integers(0, 2**32))
def test_typing_ends_with_the_title_and_time_only_moves_on(
    replay: ModuleType, title: str, seed: int
) -> None:
    strokes = replay.keystrokes(title, random.Random(seed))
    assert strokes[-1][1] == title
    times = [at for at, _ in strokes]
    assert times == sorted(times) and times[0] == 0.0
    assert len(strokes) >= len(title)  # typos add keys (and backspaces), never remove any


def test_the_widget_sends_after_a_pause_from_three_characters_once_per_text(
    replay: ModuleType,
) -> None:
    strokes = [(0.0, "W"), (0.1, "WL"), (0.2, "WLA"), (0.6, "WLAN"), (0.7, "WLAN "),
               (1.2, "WLAN a"), (1.4, "WLAN")]  # fmt: skip
    shown: set[str] = set()
    sent = replay.widget_requests(strokes, 0.15, shown)
    # "WLAN" is followed at once by a space: "WLAN " goes out, trimmed to "WLAN"; the final
    # "WLAN" was shown already.
    assert [text for _, text in sent] == ["WLA", "WLAN", "WLAN a"]
    assert [round(at, 2) for at, _ in sent] == [0.35, 0.85, 1.35]
    assert replay.widget_requests(strokes, 0.15, shown) == []  # the widget's cache


def test_realistic_typing_sends_some_prefixes_not_all(replay: ModuleType) -> None:
    rng = random.Random(7)
    title = "Wie kann ich mein WLAN Passwort am Router ändern"
    sent = [
        len(replay.widget_requests(replay.keystrokes(title, rng), 0.15, set())) for _ in range(50)
    ]
    assert 5 < sum(sent) / len(sent) < len(title) - 2


def test_an_existing_cluster_is_served_as_it_is(tmp_path) -> None:
    """--elasticsearch-url: the replay serves the index a running cluster holds (the
    benchmark's million threads), with an empty data dir beside it and the index's alias
    in the server's environment; it builds no demo index and copies none."""
    services = script_module("tools.replay.services")
    args = argparse.Namespace(
        data_dir=None,
        serve_existing=True,
        elasticsearch_url="http://127.0.0.1:9250,http://127.0.0.1:9251",
        elasticsearch_index_prefix="askfind-bench-1000000",
        rate_limit=None,
    )
    data_dir, described = services.prepare_index(args, tmp_path)
    assert data_dir.is_dir() and not any(data_dir.iterdir())
    assert described == "askfind-bench-1000000 on http://127.0.0.1:9250,http://127.0.0.1:9251"
    env = services.server_env(args, "redis://127.0.0.1:1")
    assert env["ASKFIND_BACKEND"] == "elasticsearch"
    assert env["ASKFIND_ELASTICSEARCH_URL"] == args.elasticsearch_url
    assert env["ASKFIND_ELASTICSEARCH_INDEX_PREFIX"] == "askfind-bench-1000000"
