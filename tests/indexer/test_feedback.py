"""Feedback in ranking: helpful votes for similar queries lift a thread a little, never much."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from indexer import ranking
from indexer.analytics.events import Event, StoredEvent
from indexer.analytics.feedback import FeedbackLoader, feedback_index, helpful_votes
from indexer.backends.base import Signals
from indexer.engine import Engine
from indexer.feedback import FeedbackIndex, FeedbackParams, QueryVotes, bonus
from indexer.ranking import Candidate, RankingParams
from indexer.search import SearchRequest, SearchService
from tests.conftest import make_settings

PARAMS = FeedbackParams(boost=0.03, similarity=0.85, min_sessions=2)
T0 = datetime(2026, 3, 1, tzinfo=UTC)


def unit(*values: float) -> np.ndarray:
    vector = np.array(values, dtype=np.float32)
    return vector / np.linalg.norm(vector)


def helpful(session: str, query: str, thread: str, yes: bool = True) -> StoredEvent:
    return StoredEvent(0, T0, Event("helpful", session, query, thread=thread, helpful=yes), None)


# --- the bonus ---------------------------------------------------------------------------


def test_the_bonus_needs_repeated_votes_grows_with_them_and_stays_below_the_cap() -> None:
    values = [bonus(votes, PARAMS) for votes in (0, 1, 2, 5, 20, 1000, 10**9)]
    assert values[:2] == [0.0, 0.0]  # one customer is not "repeatedly"
    assert values[2:] == sorted(values[2:]) and len(set(values[2:])) == len(values[2:])
    assert values[3] == pytest.approx(0.015)  # half the cap at HALF_SATURATION_VOTES
    assert max(values) < PARAMS.boost


def test_a_zero_boost_turns_feedback_off() -> None:
    off = FeedbackParams(boost=0.0, similarity=0.85, min_sessions=2)
    assert bonus(100, off) == 0.0
    index = FeedbackIndex([QueryVotes("q", "t", 10)], unit(1, 0)[None, :], off)
    assert index.boosts(unit(1, 0)) == {}


def test_only_votes_of_similar_queries_count() -> None:
    votes = [QueryVotes("wlan bricht ab", "t1", 3), QueryVotes("rechnung falsch", "t2", 3)]
    index = FeedbackIndex(votes, np.vstack([unit(1, 0, 0), unit(0, 1, 0)]), PARAMS)
    near = index.boosts(unit(1, 0.1, 0))  # cosine 0.995 with the first query
    assert set(near) == {"t1"} and near["t1"] == pytest.approx(bonus(3, PARAMS))
    assert index.boosts(unit(1, 1, 0)) == {}  # cosine 0.71 with both: not similar enough


def test_votes_of_several_similar_queries_add_up() -> None:
    votes = [QueryVotes("a", "t", 1), QueryVotes("b", "t", 1)]
    index = FeedbackIndex(votes, np.vstack([unit(1, 0.05), unit(1, -0.05)]), PARAMS)
    assert index.boosts(unit(1, 0))["t"] == pytest.approx(bonus(2, PARAMS))


# --- votes from events -------------------------------------------------------------------


def test_each_session_counts_once_per_thread_with_its_last_vote() -> None:
    events = [
        helpful("s1", "WLAN bricht ab", "t1"),
        helpful("s1", "wlan  bricht AB", "t1"),  # the same session again: still one vote
        helpful("s2", "WLAN bricht ab", "t1"),
        helpful("s3", "WLAN bricht ab", "t1", yes=True),
        helpful("s3", "WLAN bricht ab", "t1", yes=False),  # changed its mind
        helpful("s4", "Rechnung", "t2", yes=False),
        StoredEvent(0, T0, Event("click", "s5", "x", thread="t1", rank=1), None),
    ]
    assert helpful_votes(events) == [
        QueryVotes("rechnung", "t2", -1),
        QueryVotes("wlan bricht ab", "t1", 1),
    ]


def test_negative_votes_never_give_a_bonus() -> None:
    index = FeedbackIndex([QueryVotes("q", "t", -50)], unit(1, 0)[None, :], PARAMS)
    assert index.boosts(unit(1, 0)) == {}


# --- ranking -----------------------------------------------------------------------------


def candidate(thread_id: str, cosine: float) -> Candidate:
    return Candidate(thread_id, cosine, 0.0, 0.0, 0.0, None, 1)


def test_feedback_reorders_close_neighbours_but_not_distant_ones() -> None:
    params = RankingParams.from_settings(make_settings(Path("unused")))
    signals = {i: Signals(id=i) for i in ("a", "b", "c")}
    merged = [candidate("a", 0.80), candidate("b", 0.79), candidate("c", 0.60)]
    plain = ranking.rank(merged, signals, params, now=T0)
    assert [r.id for r in plain] == ["a", "b", "c"]
    lifted = ranking.rank(merged, signals, params, now=T0, feedback={"b": 0.02, "c": 0.029})
    assert [r.id for r in lifted] == ["b", "a", "c"]  # c is 0.2 behind: out of reach
    assert [r.confidence for r in lifted] == [
        r.confidence for r in sorted(plain, key=lambda r: ["b", "a", "c"].index(r.id))
    ]


def test_a_duplicate_passes_its_bonus_to_its_canonical_thread() -> None:
    params = RankingParams.from_settings(make_settings(Path("unused")))
    signals = {
        "a": Signals(id="a"),
        "b": Signals(id="b"),
        "dup": Signals(id="dup", duplicate_of="b"),
    }
    merged = [candidate("a", 0.80), candidate("dup", 0.79)]
    ranked = ranking.rank(merged, signals, params, now=T0, feedback={"dup": 0.02})
    assert [r.id for r in ranked] == ["b", "a"]


def test_search_with_feedback_lifts_the_voted_thread_for_similar_queries_only(
    sample_engine: Engine,
) -> None:
    settings = sample_engine.settings
    plain = SearchService(
        settings, sample_engine.analyzer, sample_engine.embedder, sample_engine.backend
    )
    question = "Router startet ständig neu"
    before = [i.thread.id for i in plain.search(SearchRequest(question, limit=10)).items]
    target = before[3]  # a thread customers kept finding helpful, ranked fourth
    events = [helpful(f"s{n}", "Router startet dauernd neu", target) for n in range(40)]
    index = feedback_index(
        helpful_votes(events),
        sample_engine.embedder.embed_query,
        FeedbackParams.from_settings(settings),
    )
    voted = SearchService(
        settings,
        sample_engine.analyzer,
        sample_engine.embedder,
        sample_engine.backend,
        feedback=index,
    )
    after = [i.thread.id for i in voted.search(SearchRequest(question, limit=10)).items]
    assert after.index(target) < before.index(target)
    assert set(after) == set(before)  # reordered, nothing new brought in
    unrelated = "eSIM auf neues iPhone übertragen"
    assert [i.thread.id for i in voted.search(SearchRequest(unrelated)).items] == [
        i.thread.id for i in plain.search(SearchRequest(unrelated)).items
    ]


def test_the_loader_reads_votes_and_changes_version(tmp_path: Path) -> None:
    events: list[StoredEvent] = []
    settings = make_settings(tmp_path, feedback_refresh_seconds=0)
    loader = FeedbackLoader(lambda: list(events), lambda text: unit(1, len(text)), settings)
    empty_version = loader.version
    assert loader.boosts(unit(1, 5)) == {}
    events.extend(helpful(f"s{n}", "hallo", "t") for n in range(3))
    assert loader.version != empty_version
    assert loader.boosts(unit(1, 5))["t"] == pytest.approx(
        bonus(3, FeedbackParams.from_settings(settings))
    )
