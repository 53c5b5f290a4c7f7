"""Tests of ranking: candidate merging, fusion, priors, duplicate collapsing, confidence.

Every weight is given here explicitly, so the expected orders and scores do not move when
the tuned defaults do.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import os
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from indexer.backends.base import Hit, Signals
from indexer.ranking import (
    KUDOS_SCALE,
    MAX_DUPLICATE_HOPS,
    REFERENCE_RANK,
    REPLIES_SCALE,
    VIEWS_SCALE,
    Candidate,
    Ranked,
    RankingParams,
    candidates,
    canonical_id,
    confidence,
    match_kind,
    prior_bonus,
    rank,
    similarity,
)
from indexer.settings import Settings

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
# Priors that depend on counts are off unless a test turns them on, so that a score is
# the similarity plus exactly the prior under test.
PARAMS = RankingParams(
    fusion="linear",
    vector_weight=0.7,
    lexical_weight=0.3,
    coverage_weight=0.0,
    rrf_k=60.0,
    prior_solved=0.03,
    prior_kudos=0.02,
    prior_views=0.0,
    prior_replies=0.0,
    prior_recency=0.0,
    recency_half_life_days=365.0,
    confidence_models={"other": (-7.0, 9.0, 2.5, 0.0, 0.0)},
)


def candidate(
    thread_id: str,
    cosine: float,
    lexical: float = 0.0,
    coverage: float = 0.0,
    lexical_rank: int | None = None,
    vector_rank: int | None = None,
    margin: float = 0.0,
) -> Candidate:
    return Candidate(thread_id, cosine, lexical, coverage, margin, lexical_rank, vector_rank)


def signals_of(*signals: Signals) -> dict[str, Signals]:
    return {s.id: s for s in signals}


# --- candidates --------------------------------------------------------------------------


def test_candidates_merges_both_legs_into_one_candidate_per_thread() -> None:
    lexical_hits = [Hit("a", 8.0, matched=2), Hit("b", 4.0, matched=1), Hit("c", 2.0, matched=3)]
    vector_hits = [Hit("d", 0.9), Hit("a", 0.8), Hit("e", 0.6)]

    merged = candidates(lexical_hits, vector_hits, extra_cosines={"b": 0.7}, clause_count=3)

    # Fewer than REFERENCE_RANK vector hits: the margin is over the weakest one (0.6).
    assert merged == [
        Candidate(
            "a", 0.8, lexical=1.0, coverage=2 / 3, margin=0.8 - 0.6, lexical_rank=1, vector_rank=2
        ),
        # Not in the vector leg: its exact cosine came separately.
        Candidate(
            "b",
            0.7,
            lexical=0.5,
            coverage=1 / 3,
            margin=0.7 - 0.6,
            lexical_rank=2,
            vector_rank=None,
        ),
        # Not in the vector leg and no exact cosine: at most the weakest vector hit's.
        Candidate(
            "c", 0.6, lexical=0.25, coverage=1.0, margin=0.0, lexical_rank=3, vector_rank=None
        ),
        Candidate(
            "d", 0.9, lexical=0.0, coverage=0.0, margin=0.9 - 0.6, lexical_rank=None, vector_rank=1
        ),
        Candidate(
            "e", 0.6, lexical=0.0, coverage=0.0, margin=0.0, lexical_rank=None, vector_rank=3
        ),
    ]


def test_the_margin_is_over_the_tenth_nearest_thread() -> None:
    vector_hits = [Hit(f"v{i}", 0.9 - i / 100) for i in range(REFERENCE_RANK + 5)]
    merged = candidates([], vector_hits, extra_cosines={}, clause_count=1)
    tenth = vector_hits[REFERENCE_RANK - 1].score
    assert [c.margin for c in merged] == pytest.approx([h.score - tenth for h in vector_hits])


def test_candidates_without_lexical_scores_or_clauses_have_zero_lexical_and_coverage() -> None:
    merged = candidates([Hit("a", 0.0, matched=1)], [], extra_cosines={}, clause_count=0)
    assert merged == [Candidate("a", 0.0, 0.0, 0.0, 0.0, lexical_rank=1, vector_rank=None)]
    assert candidates([], [], {}, clause_count=2) == []


# --- similarity and fusion ---------------------------------------------------------------


def test_linear_similarity_is_the_weighted_sum() -> None:
    item = candidate("a", cosine=0.8, lexical=0.5, coverage=0.5)
    assert similarity(item, PARAMS) == pytest.approx(0.7 * 0.8 + 0.3 * 0.5)
    with_coverage = dataclasses.replace(PARAMS, coverage_weight=0.2)
    assert similarity(item, with_coverage) == pytest.approx(0.7 * 0.8 + 0.3 * 0.5 + 0.2 * 0.5)


def test_rrf_similarity_sums_weighted_reciprocal_ranks_of_the_legs_that_found_it() -> None:
    rrf = dataclasses.replace(PARAMS, fusion="rrf")
    both = candidate("a", cosine=0.1, lexical=0.1, lexical_rank=3, vector_rank=1)
    vector_only = candidate("b", cosine=0.9, vector_rank=2)
    assert similarity(both, rrf) == pytest.approx(0.7 / 61 + 0.3 / 63)
    assert similarity(vector_only, rrf) == pytest.approx(0.7 / 62)
    assert similarity(candidate("c", cosine=0.9), rrf) == 0.0


def test_linear_and_rrf_fusion_order_a_constructed_example_differently() -> None:
    # "a" is the best lexical hit but a weak vector hit; "c" the best vector hit, no
    # lexical hit; "b" second in both legs.
    lexical_hits = [Hit("a", 10.0, matched=1), Hit("b", 9.0, matched=1)]
    vector_hits = [Hit("c", 0.80), Hit("b", 0.79), Hit("a", 0.30)]
    merged = candidates(lexical_hits, vector_hits, extra_cosines={}, clause_count=1)
    signals = signals_of(Signals("a"), Signals("b"), Signals("c"))

    linear = rank(merged, signals, PARAMS, NOW)
    rrf = rank(merged, signals, dataclasses.replace(PARAMS, fusion="rrf"), NOW)

    # linear: b = .7*.79 + .3*.9 = .823, c = .7*.8 = .56, a = .7*.3 + .3*1 = .51
    assert [(r.id, round(r.score, 6)) for r in linear] == [
        ("b", 0.823),
        ("c", 0.56),
        ("a", 0.51),
    ]
    # rrf: b = 1/62, a = .7/63 + .3/61, c = .7/61: agreeing legs beat one strong leg.
    assert [r.id for r in rrf] == ["b", "a", "c"]
    assert [r.score for r in rrf] == pytest.approx([1 / 62, 0.7 / 63 + 0.3 / 61, 0.7 / 61])


# --- priors ------------------------------------------------------------------------------


def test_accepted_solution_outranks_an_equally_similar_unsolved_thread() -> None:
    # The ids are chosen so that the tie-break by id alone would put the unsolved one first.
    merged = [candidate("a-unsolved", cosine=0.8), candidate("z-solved", cosine=0.8)]
    signals = signals_of(Signals("a-unsolved"), Signals("z-solved", solved=True))

    ranked = rank(merged, signals, PARAMS, NOW)

    assert [r.id for r in ranked] == ["z-solved", "a-unsolved"]
    assert ranked[0].score - ranked[1].score == pytest.approx(PARAMS.prior_solved)
    assert ranked[0].similarity == ranked[1].similarity

    without_prior = rank(merged, signals, dataclasses.replace(PARAMS, prior_solved=0.0), NOW)
    assert [r.id for r in without_prior] == ["a-unsolved", "z-solved"]


def test_negative_kudos_lower_the_score_and_positive_raise_it() -> None:
    merged = [candidate(i, cosine=0.6) for i in ("a-down", "b-none", "c-up")]
    signals = signals_of(
        Signals("a-down", kudos=-10), Signals("b-none", kudos=0), Signals("c-up", kudos=10)
    )

    ranked = rank(merged, signals, PARAMS, NOW)

    assert [r.id for r in ranked] == ["c-up", "b-none", "a-down"]
    step = PARAMS.prior_kudos * math.log1p(10) / math.log1p(KUDOS_SCALE)
    assert [r.score - r.similarity for r in ranked] == pytest.approx([step, 0.0, -step])


@pytest.mark.parametrize(
    ("signals", "expected"),
    [
        (Signals("t"), 0.0),
        (Signals("t", solved=True), 0.03),
        (Signals("t", kudos=KUDOS_SCALE), 0.02),
        (Signals("t", kudos=-KUDOS_SCALE), -0.02),
        (Signals("t", kudos=10**9), 0.02),  # capped at full weight
        (Signals("t", kudos=-(10**9)), -0.02),
        (Signals("t", views=VIEWS_SCALE), 0.01),
        (Signals("t", views=10 * VIEWS_SCALE), 0.01),
        (Signals("t", views=-5), 0.0),
        (Signals("t", replies=REPLIES_SCALE), 0.005),
        (Signals("t", created_at=NOW.isoformat()), 0.004),
        (Signals("t", created_at=(NOW - timedelta(days=365)).isoformat()), 0.002),
        (Signals("t", created_at=(NOW - timedelta(days=730)).isoformat()), 0.001),
        # A date in the future (clock skew) counts as brand new, not as a bigger bonus.
        (Signals("t", created_at=(NOW + timedelta(days=30)).isoformat()), 0.004),
        # A timestamp without a zone is UTC.
        (Signals("t", created_at="2023-06-02T12:00:00"), 0.002),
    ],
)
def test_prior_bonus_reaches_full_weight_at_the_scale_points(
    signals: Signals, expected: float
) -> None:
    params = dataclasses.replace(PARAMS, prior_views=0.01, prior_replies=0.005, prior_recency=0.004)
    assert prior_bonus(signals, params, NOW) == pytest.approx(expected)


# --- duplicates --------------------------------------------------------------------------


def test_duplicate_cluster_shows_once_as_its_canonical_thread() -> None:
    # Only the duplicates were found; the canonical thread "c" represents them.
    merged = [candidate("d1", cosine=0.9), candidate("x", cosine=0.8), candidate("d2", 0.7)]
    signals = signals_of(
        Signals("c", solved=True),
        Signals("d1", duplicate_of="c", kudos=-500),
        Signals("d2", duplicate_of="c"),
        Signals("x"),
    )

    ranked = rank(merged, signals, PARAMS, NOW)

    assert [(r.id, r.duplicates) for r in ranked] == [("c", 2), ("x", 0)]
    best = candidate("d1", cosine=0.9)
    assert ranked[0] == Ranked(
        id="c",
        # The best member's similarity, plus the canonical thread's own priors.
        score=pytest.approx(0.7 * 0.9 + PARAMS.prior_solved),
        similarity=pytest.approx(0.7 * 0.9),
        confidence=pytest.approx(confidence(best, PARAMS)),
        duplicates=2,
    )


def test_canonical_and_duplicate_both_found_count_one_duplicate() -> None:
    merged = [candidate("c", cosine=0.5, coverage=1.0), candidate("d", cosine=0.9)]
    signals = signals_of(Signals("c"), Signals("d", duplicate_of="c"))

    ranked = rank(merged, signals, PARAMS, NOW)

    assert [(r.id, r.duplicates) for r in ranked] == [("c", 1)]
    assert ranked[0].similarity == pytest.approx(0.7 * 0.9)
    # Best similarity and best confidence may come from different members.
    assert ranked[0].confidence == pytest.approx(
        max(confidence(merged[0], PARAMS), confidence(merged[1], PARAMS))
    )
    assert confidence(merged[0], PARAMS) != confidence(merged[1], PARAMS)


def test_duplicate_chains_are_followed_up_to_the_hop_limit() -> None:
    chain = [f"t{i}" for i in range(MAX_DUPLICATE_HOPS + 2)]
    signals = signals_of(
        *(Signals(t, duplicate_of=nxt) for t, nxt in itertools.pairwise(chain)),
        Signals(chain[-1]),
    )
    assert canonical_id("t0", signals) == chain[MAX_DUPLICATE_HOPS]
    assert canonical_id(chain[-2], signals) == chain[-1]
    assert canonical_id(chain[-1], signals) == chain[-1]


def test_duplicate_of_a_thread_that_is_not_shown_stands_for_itself() -> None:
    # The canonical thread was filtered out (or deleted): the duplicate is shown instead.
    merged = [candidate("d", cosine=0.9), candidate("gone", cosine=0.95)]
    signals = signals_of(Signals("d", duplicate_of="filtered-out"))

    ranked = rank(merged, signals, PARAMS, NOW)

    assert [(r.id, r.duplicates) for r in ranked] == [("d", 0)]
    assert canonical_id("unknown", signals) == "unknown"


def test_duplicate_cycle_is_still_collapsed_into_one_result() -> None:
    merged = [candidate("a", cosine=0.9), candidate("b", cosine=0.8)]
    signals = signals_of(Signals("a", duplicate_of="b"), Signals("b", duplicate_of="a"))

    ranked = rank(merged, signals, PARAMS, NOW)

    assert [(r.id, r.duplicates) for r in ranked] == [("a", 1)]
    # Every member of a cycle gets the smallest id of the cycle, wherever the walk starts.
    assert canonical_id("a", signals) == canonical_id("b", signals) == "a"
    longer = signals_of(
        Signals("x", duplicate_of="c"),
        Signals("c", duplicate_of="b"),
        Signals("b", duplicate_of="c"),
    )
    assert [canonical_id(thread_id, longer) for thread_id in "xcb"] == ["b", "b", "b"]


# --- confidence and the final order ------------------------------------------------------


def test_confidence_is_the_logistic_of_cosine_and_coverage() -> None:
    assert confidence(candidate("a", 0.0), PARAMS) == pytest.approx(1 / (1 + math.exp(7)))
    assert confidence(candidate("a", 7 / 9), PARAMS) == pytest.approx(0.5)
    assert confidence(candidate("a", 0.5, coverage=1.0), PARAMS) == pytest.approx(
        1 / (1 + math.exp(-(-7 + 4.5 + 2.5)))
    )


def test_confidence_rises_with_the_margin() -> None:
    params = replace(PARAMS, confidence_models={"other": (-7.0, 9.0, 2.5, 10.0, 0.0)})
    margins = [0.0, 0.05, 0.1, 0.2]
    values = [confidence(candidate("a", 0.5, margin=m), params) for m in margins]
    assert values == sorted(set(values))
    assert values[2] == pytest.approx(1 / (1 + math.exp(-(-7 + 4.5 + 1.0))))


def test_confidence_increases_with_cosine_and_with_coverage() -> None:
    steps = [0.0, 0.25, 0.5, 0.75, 1.0]
    for coverage in steps:
        by_cosine = [confidence(candidate("a", c, coverage=coverage), PARAMS) for c in steps]
        assert by_cosine == sorted(set(by_cosine)), f"not increasing at coverage {coverage}"
    for cosine in steps:
        by_coverage = [confidence(candidate("a", cosine, coverage=v), PARAMS) for v in steps]
        assert by_coverage == sorted(set(by_coverage)), f"not increasing at cosine {cosine}"
    assert all(0.0 < confidence(candidate("a", c, coverage=c), PARAMS) < 1.0 for c in steps)


def test_each_kind_of_match_has_its_own_confidence_model() -> None:
    params = replace(
        PARAMS,
        confidence_models={
            "de": (-2.0, 0.0, 0.0, 0.0, 0.0),
            "cross": (2.0, 0.0, 0.0, 0.0, 0.0),
            "other": (0.0, 0.0, 0.0, 0.0, 0.0),
        },
    )
    assert match_kind("de", ("de",)) == "de"
    assert match_kind("en", ("de",)) == "cross"
    assert match_kind("fr", ("fr", "de")) == "fr"
    assert match_kind(None, ("de",)) == "other"  # a thread of unknown language
    assert match_kind("de", ()) == "de"  # a query of unknown language
    sure = {kind: confidence(candidate("a", 0.5), params, kind) for kind in ("de", "cross", "fr")}
    assert sure["de"] == pytest.approx(1 / (1 + math.exp(2)))
    assert sure["cross"] == pytest.approx(1 / (1 + math.exp(-2)))
    assert sure["fr"] == pytest.approx(0.5)  # no model of its own: "other"
    merged = [candidate("g", 0.5), candidate("e", 0.5)]
    ranked = rank(
        merged,
        signals_of(Signals("g", lang="de"), Signals("e", lang="en")),
        params,
        NOW,
        query_languages=("de",),
    )
    assert {r.id: r.confidence for r in ranked} == pytest.approx(
        {"g": sure["de"], "e": sure["cross"]}
    )


def test_the_first_result_gains_its_kind_s_first_place_weight() -> None:
    params = replace(PARAMS, confidence_models={"other": (0.0, 0.0, 0.0, 0.0, 2.0)})
    merged = [candidate("a", 0.9), candidate("b", 0.8), candidate("c", 0.7)]
    ranked = rank(merged, signals_of(*(Signals(i) for i in "abc")), params, NOW)
    assert [r.id for r in ranked] == ["a", "b", "c"]
    assert [r.confidence for r in ranked] == pytest.approx([1 / (1 + math.exp(-2.0)), 0.5, 0.5])
    assert confidence(candidate("a", 0.9), params, first=True) == pytest.approx(
        ranked[0].confidence
    )


def test_candidates_missing_from_signals_are_dropped() -> None:
    merged = [candidate("deleted", cosine=0.99), candidate("kept", cosine=0.5)]
    ranked = rank(merged, signals_of(Signals("kept")), PARAMS, NOW)
    assert [r.id for r in ranked] == ["kept"]


def test_equal_scores_are_ordered_by_id() -> None:
    merged = [candidate(i, cosine=0.5) for i in ("m", "b", "x", "a")]
    ranked = rank(merged, signals_of(*(Signals(i) for i in "mbxa")), PARAMS, NOW)
    assert [r.id for r in ranked] == ["a", "b", "m", "x"]


def test_rank_combines_fusion_priors_and_duplicates_into_one_order() -> None:
    merged = [
        candidate("dup", cosine=0.80),
        candidate("plain", cosine=0.82),
        candidate("popular", cosine=0.79),
        candidate("disliked", cosine=0.83),
    ]
    signals = signals_of(
        Signals("canon", solved=True),
        Signals("dup", duplicate_of="canon"),
        Signals("plain"),
        Signals("popular", kudos=KUDOS_SCALE),
        Signals("disliked", kudos=-KUDOS_SCALE),
    )

    ranked = rank(merged, signals, PARAMS, NOW)

    # canon .56+.03 = .59, popular .553+.02 = .573, plain .574, disliked .581-.02 = .561
    assert [(r.id, r.duplicates) for r in ranked] == [
        ("canon", 1),
        ("plain", 0),
        ("popular", 0),
        ("disliked", 0),
    ]


# --- parameters --------------------------------------------------------------------------


@pytest.fixture
def no_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No askfind.toml and no ASKFIND_* variables: the built-in defaults only."""
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.upper().startswith("ASKFIND_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("no_config")
def test_ranking_params_come_from_the_settings() -> None:
    models = {"de": (-3.0, 1.0, 2.0, 3.0, 1.0), "other": (0.0, 1.0, 1.0, 1.0, 1.0)}
    settings = Settings(fusion="rrf", rrf_k=10.0, prior_solved=0.5, confidence_models=models)
    params = RankingParams.from_settings(settings)
    assert (params.fusion, params.rrf_k, params.prior_solved, params.confidence_models) == (
        "rrf",
        10.0,
        0.5,
        models,
    )
    with pytest.raises(ValueError, match="other"):
        Settings(confidence_models={"de": (0.0, 1.0, 1.0, 1.0, 1.0)})


@pytest.mark.usefixtures("no_config")
def test_other_language_params_take_their_own_fusion_weights() -> None:
    settings = Settings(vector_weight=0.5, other_language_lexical_weight=0.7)
    assert RankingParams.from_settings(settings).vector_weight == 0.5
    other = RankingParams.for_other_languages(settings)
    assert other.lexical_weight == 0.7
    assert other.vector_weight == settings.other_language_vector_weight
    assert other.confidence_models == settings.confidence_models
