"""Tests of freshness and of the help articles' priors: which threads may be suggested,
which accepted solutions may be outdated, and how both move the ranking."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from indexer.backends.base import Signals
from indexer.freshness import is_suggestable, solution_outdated
from indexer.ranking import Candidate, RankingParams, prior_bonus, rank
from indexer.settings import Settings

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OLD = (NOW - timedelta(days=400)).isoformat()
RECENT = (NOW - timedelta(days=30)).isoformat()
PARAMS = RankingParams(
    fusion="linear",
    vector_weight=1.0,
    lexical_weight=0.0,
    coverage_weight=0.0,
    rrf_k=60.0,
    prior_solved=0.03,
    prior_kudos=0.0,
    prior_views=0.0,
    prior_replies=0.0,
    prior_recency=0.0,
    recency_half_life_days=365.0,
    confidence_models={"other": (-7.0, 9.0, 2.5, 0.0, 0.0)},
    prior_article=0.04,
    fast_moving_boards=("Tarife",),
    outdated_after_days=365.0,
    prior_outdated=0.05,
)


def candidate(thread_id: str, cosine: float) -> Candidate:
    return Candidate(thread_id, cosine, 0.0, 0.0, 0.0, None, None)


@pytest.mark.parametrize(
    ("state", "suggestable"), [("open", True), ("closed", False), ("archived", False)]
)
def test_only_open_threads_are_suggestable(state: str, suggestable: bool) -> None:
    assert is_suggestable(state, Settings().excluded_states) is suggestable


def test_excluded_states_may_keep_closed_threads_suggestable(tmp_path) -> None:
    settings = Settings(data_dir=tmp_path, excluded_states="archived")
    assert settings.excluded_states == ("archived",)
    assert is_suggestable("closed", settings.excluded_states)
    assert not is_suggestable("archived", settings.excluded_states)
    nothing = Settings(data_dir=tmp_path, excluded_states="").excluded_states
    assert is_suggestable("archived", nothing)


@pytest.mark.parametrize(
    ("board", "solution_at", "outdated"),
    [
        ("Tarife", OLD, True),
        ("Tarife", RECENT, False),
        ("Router", OLD, False),  # not a fast-moving board
        (None, OLD, False),
        ("Tarife", None, False),  # no accepted solution: nothing to distrust
        # One day past the age, and one day short of it.
        ("Tarife", (NOW - timedelta(days=366)).isoformat(), True),
        ("Tarife", (NOW - timedelta(days=364)).isoformat(), False),
    ],
)
def test_a_solution_may_be_outdated_only_on_a_fast_moving_board_past_the_age(
    board: str | None, solution_at: str | None, outdated: bool
) -> None:
    assert solution_outdated(board, solution_at, ("Tarife",), 365.0, NOW) is outdated


def test_an_article_earns_its_own_prior_instead_of_kudos_and_a_solution() -> None:
    article = Signals("a", kind="article", kudos=0)
    unsolved = Signals("t")
    solved = Signals("s", solved=True)
    assert prior_bonus(article, PARAMS, NOW) == pytest.approx(0.04)
    assert prior_bonus(unsolved, PARAMS, NOW) == pytest.approx(0.0)
    assert prior_bonus(solved, PARAMS, NOW) == pytest.approx(0.03)


def test_an_outdated_solution_costs_its_penalty_and_ranks_below_a_fresh_one() -> None:
    merged = [candidate("old", 0.80), candidate("fresh", 0.79), candidate("other", 0.785)]
    signals = {
        "old": Signals("old", solved=True, board="Tarife", solution_at=OLD),
        "fresh": Signals("fresh", solved=True, board="Tarife", solution_at=RECENT),
        "other": Signals("other", board="Tarife"),
    }

    ranked = rank(merged, signals, PARAMS, NOW)

    # old: 0.80 + 0.03 - 0.05 = 0.78: below a fresh solution, and below an open question
    # a little less similar (0.785).
    assert [r.id for r in ranked] == ["fresh", "other", "old"]
    assert [r.outdated for r in ranked] == [False, False, True]
    assert ranked[2].score == pytest.approx(0.80 + 0.03 - 0.05)


def test_without_fast_moving_boards_nothing_is_outdated() -> None:
    params = replace(PARAMS, fast_moving_boards=())
    signals = {"old": Signals("old", solved=True, board="Tarife", solution_at=OLD)}
    ranked = rank([candidate("old", 0.8)], signals, params, NOW)
    assert (ranked[0].outdated, ranked[0].score) == (False, pytest.approx(0.83))


def test_ranked_results_say_whether_they_are_articles() -> None:
    signals = {"a": Signals("a", kind="article"), "t": Signals("t")}
    ranked = rank([candidate("a", 0.5), candidate("t", 0.6)], signals, PARAMS, NOW)
    assert [(r.id, r.kind) for r in ranked] == [("t", "thread"), ("a", "article")]


def test_the_settings_fill_the_freshness_params(tmp_path) -> None:
    settings = Settings(
        data_dir=tmp_path, fast_moving_boards="Tarife, Router ,Tarife", outdated_after_days=90
    )
    params = RankingParams.from_settings(settings)
    assert params.fast_moving_boards == ("Tarife", "Router")
    assert params.outdated_after_days == 90
    assert params.prior_article == settings.prior_article > 0
