"""Regression guard on relevance measured out of fold: what the tuning procedure achieves on
data of a kind it was not fitted on must not fall more than TOLERANCE below the record.

The whole tuning runs here (``indexer.evaluation.tuning``): each group of evaluation sets
is measured with the weights, confidence and floor fitted without it, and the sets that
are never fitted on (STS-b dev, the typed questions' report half) with the fit on every
group. An in-sample gain cannot pass this guard; a change that only fits the sets
better than before and carries to nothing else does not raise these figures.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from indexer.embedding.models import parse_models
from indexer.evaluation import features, tuning
from tests.conftest import REQUIRE_EVAL_DATA_ENV, make_settings

BASELINE = Path(__file__).with_name("relevance_baseline.json")
TOLERANCE = 1.0


@pytest.mark.slow
def test_out_of_fold_relevance_stays_at_the_recorded_level(
    eval_data: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    work = tmp_path_factory.mktemp("tune")
    settings = make_settings(work / "data")
    sets = features.collect_groups(eval_data, work, settings, progress=lambda line: None)
    models = len(next(iter(sets.values()))[0].cosines)
    final, folds = tuning.leave_one_group_out(sets, tuning.fusion_grid(models))
    measured = {group: fit.scores[group] for group, fit in folds.items()}
    measured.update(
        {group: final.scores[group] for group in (*tuning.REPORT_ONLY, *tuning.CONFIDENCE_ONLY)}
    )
    record = json.loads(BASELINE.read_text())["out of fold"]
    failures = []
    for group, recorded in record.items():
        for metric, value in recorded.items():
            now = measured[group][metric]
            # Showing nothing is a loss where there is an answer, and right where there is none.
            fewer_is_better = metric == "nothing shown" and group not in tuning.CONFIDENCE_ONLY
            worse = now > value + TOLERANCE if fewer_is_better else now < value - TOLERANCE
            if worse:
                failures.append(f"{group} {metric}: {now:.2f} (recorded {value:.2f})")
    assert not failures, "; ".join(failures)
    # The shipped settings are the fit on every group.
    default = tuple(part.weight for part in parse_models(settings.embedding_model))
    assert final.fusion.shares_for("") == pytest.approx(default)
    for lang, shares in settings.embedding_language_shares.items():
        assert final.fusion.shares_for(lang) == pytest.approx(shares), lang
    assert final.fusion.lexical == settings.lexical_weight
    assert final.fusion.coverage == settings.coverage_weight
    assert final.confidence.floor == settings.confidence_floor
    # Refitting may move a rounded coefficient by a hundredth (BLAS sums in another order).
    assert final.confidence.models.keys() == settings.confidence_models.keys()
    for kind, model in final.confidence.models.items():
        assert model == pytest.approx(settings.confidence_models[kind], abs=0.05), kind


def test_ci_requires_the_evaluation_data() -> None:
    """CI runs the guard: .ci/run sets the variable that turns a missing data set into a
    failure (a skipped guard let a lost vector leg pass once)."""
    ci = (Path(__file__).parent.parent / ".ci" / "run").read_text()
    assert f"export {REQUIRE_EVAL_DATA_ENV}=1" in ci
