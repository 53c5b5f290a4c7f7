"""The tuner: its ranking is the service's, and what it leaves out is never fitted on."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from indexer.engine import Engine
from indexer.evaluation import as_you_type, tuning
from indexer.evaluation.features import SetFeatures, collect
from indexer.evaluation.runner import TITLE
from indexer.search import SearchRequest
from indexer.threads import thread_from_record
from tests.conftest import engine_on


@pytest.fixture(scope="module")
def demo(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The demo community, with the recency prior off: the tuner fixes "now", the service
    does not."""
    served = engine_on(engine, tmp_path_factory.mktemp("demo"), prior_recency=0.0)
    dataset = as_you_type.demo_dataset(as_you_type.load_questions())
    served.indexer().run([thread_from_record(record) for record in dataset.threads()])
    return served


def test_the_tuner_ranks_as_the_service_does(demo: Engine) -> None:
    questions = as_you_type.load_questions()[:40]
    dataset = as_you_type.demo_dataset(questions)
    features = collect(demo, dataset, "demo", TITLE.build)
    settings = demo.settings
    fusion = tuning.Fusion(
        (
            ("", tuple(part.weight for part in demo.embedder.parts)),
            *settings.embedding_language_shares.items(),
        ),
        settings.lexical_weight,
        settings.coverage_weight,
    )
    ranked = tuning.rank(features, fusion, depth=5)
    for row, question in enumerate(questions):
        service = demo.search.search(SearchRequest(question.text, limit=5, partial=False))
        expected = [item.thread.id for item in service.items]
        assert [features.ids[c] for c in ranked.top[row] if c >= 0] == expected, question.text


def _synthetic(group: str, lexical_helps: bool, seed: int) -> SetFeatures:
    """A pool of 30 threads and 40 queries, one right thread each: its cosine is a little
    above the rest; where ``lexical_helps``, the lexical score singles it out too, and
    elsewhere the lexical score points at a wrong thread."""
    rng = np.random.default_rng(seed)
    queries, threads = 40, 30
    right = rng.integers(0, threads, queries)
    cosine = rng.uniform(0.2, 0.6, (queries, threads)).astype(np.float32)
    cosine[np.arange(queries), right] += rng.uniform(-0.1, 0.3, queries).astype(np.float32)
    lexical = np.zeros((queries, threads), np.float32)
    target = right if lexical_helps else (right + 1) % threads
    lexical[np.arange(queries), target] = 1.0
    relevant = np.zeros((queries, threads), bool)
    relevant[np.arange(queries), right] = True
    return SetFeatures(
        name=group,
        group=group,
        qids=[f"{group}-{q}" for q in range(queries)],
        ids=[f"t{t:02d}" for t in range(threads)],
        cosines=[cosine],
        lexical=lexical,
        coverage=lexical.copy(),
        prior=np.zeros(threads),
        root=np.arange(threads),
        cross=np.zeros((queries, threads), bool),
        query_bucket=np.array(["de"] * queries),
        thread_lang=["de"] * threads,
        relevant=relevant,
        rerank=None,
    )


def test_a_group_left_out_is_measured_with_weights_fitted_without_it() -> None:
    sets = {
        "semeval": [_synthetic("semeval", lexical_helps=True, seed=1)],
        "stackexchange": [_synthetic("stackexchange", lexical_helps=True, seed=2)],
        "stsb-de-train": [_synthetic("stsb-de-train", lexical_helps=False, seed=3)],
    }
    grid = tuning.fusion_grid(1)
    final, folds = tuning.leave_one_group_out(sets, grid)
    # Two of three groups reward the lexical score: the fit on all of them uses it, and so
    # does the fold that leaves out the one that does not.
    assert final.fusion.lexical > 0
    assert folds["stsb-de-train"].fusion == final.fusion
    # Out of fold, that group is hurt by the weights the others chose ...
    held = folds["stsb-de-train"].scores["stsb-de-train"]["MRR@10"]
    alone = tuning.group_scores(
        sets["stsb-de-train"], dataclasses.replace(final.fusion, lexical=0.0, coverage=0.0)
    )
    assert held < alone["MRR@10"]
    # ... and nothing about the group left out changes the fold's fit.
    changed = {**sets, "stsb-de-train": [_synthetic("stsb-de-train", lexical_helps=True, seed=9)]}
    _, refolded = tuning.leave_one_group_out(changed, grid)
    assert refolded["stsb-de-train"].fusion == folds["stsb-de-train"].fusion
    assert refolded["stsb-de-train"].confidence == folds["stsb-de-train"].confidence


def test_the_floor_is_the_highest_that_shows_enough_right_results() -> None:
    labels = np.array([True] * 10 + [False] * 10)
    sure = np.concatenate([np.linspace(0.1, 1.0, 10), np.linspace(0.0, 0.5, 10)])
    pairs = tuning.Pairs(
        features=np.zeros((20, 3)),
        labels=labels,
        kinds=np.array(["de"] * 20),
        query=np.arange(20),
        group=np.array(["a"] * 20),
    )
    floor = tuning.choose_floor(pairs, sure)
    shown_right = (sure[labels] >= floor).mean()
    assert shown_right >= tuning.FLOOR_RECALL
    assert (sure[labels] >= floor + 0.05).mean() < tuning.FLOOR_RECALL
    report = tuning.floor_report(pairs, sure, floor)
    assert report["shown when right"] == pytest.approx(100 * shown_right)


def test_the_confidence_is_fitted_per_kind_where_there_are_enough_pairs() -> None:
    rng = np.random.default_rng(0)
    n = 4000
    cosine = rng.uniform(0, 1, n)
    kinds = np.array(["de"] * 2000 + ["cross"] * 1990 + ["en"] * 10)
    # Right with a probability rising through 0.5 at cosine 0.5 for German matches and at
    # 0.3 for matches across languages.
    centre = np.where(kinds == "cross", 0.3, 0.5)
    labels = rng.uniform(0, 1, n) < 1 / (1 + np.exp(-10 * (cosine - centre)))
    pairs = tuning.Pairs(
        np.column_stack([cosine, np.zeros(n), np.zeros(n), np.zeros(n)]),
        labels,
        kinds,
        np.arange(n),
        np.array(["g"] * n),
    )
    models = tuning.fit_confidence(pairs)
    assert models["en"] == models[tuning.OTHER]  # ten pairs: too few for a model of its own
    at = {k: -models[k][0] / models[k][1] for k in ("de", "cross")}  # where p = 0.5
    assert at["de"] == pytest.approx(0.5, abs=0.05)
    assert at["cross"] == pytest.approx(0.3, abs=0.05)


def test_a_feature_that_would_lower_the_confidence_is_dropped() -> None:
    rng = np.random.default_rng(1)
    n = 2000
    cosine = rng.uniform(0, 1, n)
    # The second feature is the cosine again minus noise: a fit would trade them.
    twin = cosine + rng.normal(0, 0.05, n)
    labels = rng.uniform(0, 1, n) < cosine
    weights = tuning.fit_monotone(np.column_stack([cosine, twin]), labels)
    assert min(weights[1:]) >= 0


def test_features_cover_every_thread_of_the_pool(demo: Engine, tmp_path: Path) -> None:
    questions = [q for q in as_you_type.load_questions() if "cross-language" in q.tags][:5]
    features = collect(demo, as_you_type.demo_dataset(questions), "demo", TITLE.build)
    assert features.lexical.shape == (5, len(features.ids)) == features.cosines[0].shape
    assert len(features.cosines) == len(demo.embedder.parts)
    # Every answer of a cross-language question is in another language than the question.
    rows, cols = np.nonzero(features.relevant)
    assert features.cross[rows, cols].all()
