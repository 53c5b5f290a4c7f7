"""Fit the ranking's weights, the confidence and the floor, and measure them on data they
were not fitted on.

What is fitted (all of it by ``fit``): the share of each embedding model in the
ensemble's cosine, the weights of the lexical score and of the share of query clauses
matched in the linear fusion (the cosine's weight stays 1: only ratios matter), a
logistic confidence per kind of match (a German thread for a German query, an English
one, another language, or a thread in another language than the query), and the floor
below which a suggestion is not shown.

How it is judged (``leave_one_group_out``): each group of datasets (``GROUPS``: SemEval,
the Stack Exchange duplicates, the German STS-b train split, the demo community's typed
questions) is left out in turn, everything is fitted on the others, and the group left
out is measured. Those out-of-fold figures are what the service can be expected to do on
data of a kind it was not fitted on; the in-sample figures beside them show how much of
a fit is fitted to its data. The German STS-b dev split and the typed questions'
``report`` half are never fitted on, only measured.

The ranking here is ``indexer.ranking``'s, computed on whole arrays (a test checks that it
orders like the service): the similarity of the linear fusion plus the priors, known
duplicates folded into their canonical thread (best similarity and confidence of the
cluster), ties broken by id.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from indexer.evaluation.features import SetFeatures
from indexer.ranking import REFERENCE_RANK

# Groups of datasets that are fitted on or left out together.
GROUPS = ("semeval", "stackexchange", "stsb-de-train", "demo-typed-fit")
# Measured with every fit, never fitted on.
REPORT_ONLY = ("stsb-de", "demo-typed-report")
# Questions without an answer: the confidence of every fit learns from them (they are no
# kind of data the fusion could be fitted to), and "nothing shown" on them is reported.
CONFIDENCE_ONLY = ("off-topic",)
# The share of the questions the confidence learns from that have no answer. In the
# evaluation sets nearly every question has one, so a first result is nearly always
# right there; a help page is also asked what its community never discussed. A third is
# an assumption (no public data says how many), stated here rather than hidden.
UNANSWERED_SHARE = 1 / 3
# The score of a fit on a group: the mean of these metrics over its sets.
OBJECTIVE_METRICS = ("MRR@10", "Rcap@5", "MAP")
# The grid. The lexical score is BM25 over the query's best BM25 (0..1), the coverage the
# share of query clauses matched (0..1); the cosine's weight is 1.
LEXICAL_WEIGHTS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.3)
COVERAGE_WEIGHTS = (0.0, 0.05, 0.1, 0.2, 0.3)
# Share of the first model of a two-model ensemble (the multilingual one).
ENSEMBLE_SHARES = (0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
# Results per query a customer is shown at most (/api/suggest's default limit), and those
# the confidence is fitted on.
SHOWN = 5
# Query languages with ensemble shares of their own (``embedding_language_shares``), and
# the bucket of queries whose language is unsure (they take ``embedding_model``'s).
SHARE_BUCKETS = ("de", "en")
DEFAULT_BUCKET = ""
# Kinds of match with a confidence model of their own; languages without one use OTHER.
CONFIDENCE_KINDS = ("de", "en", "cross")
OTHER = "other"
# The L2 penalty of the confidence's weights: a kind fitted on a hundred pairs (matches
# across languages) must not take a feature that happens to separate them as certainty.
RIDGE = 1.0
# A kind is fitted on its own only with this many right results among its pairs;
# otherwise it takes the model fitted on every pair.
MIN_POSITIVES = 30
# The floor: the highest at which suggestions still show this share of the right threads
# among the top SHOWN of the groups fitted on (each group counting alike). Showing a
# wrong thread among five costs the customer a glance; hiding the right one costs a
# question asked again.
FLOOR_RECALL = 0.9
FLOORS = tuple(round(f, 2) for f in np.arange(0.05, 0.96, 0.05))


@dataclass(frozen=True)
class Fusion:
    """The weights of the linear fusion and, per query language, the ensemble's shares."""

    shares: tuple[tuple[str, tuple[float, ...]], ...]  # (language bucket, shares); "": default
    lexical: float
    coverage: float

    @classmethod
    def uniform(cls, shares: tuple[float, ...], lexical: float, coverage: float) -> Fusion:
        """The same shares for queries in every language."""
        return cls(((DEFAULT_BUCKET, shares),), lexical, coverage)

    def shares_for(self, bucket: str) -> tuple[float, ...]:
        table = dict(self.shares)
        return table.get(bucket, table[DEFAULT_BUCKET])


@dataclass(frozen=True)
class Confidence:
    """Logistic confidence per kind of match: (bias, cosine, coverage, margin, first)."""

    models: Mapping[str, tuple[float, ...]]
    floor: float


@dataclass
class Ranking:
    """Every query's top results under one fusion (columns of the set's pool)."""

    top: np.ndarray  # (queries, depth) thread columns, best first (-1: none)
    similarity: np.ndarray  # (queries, threads) fused similarity, clusters folded
    margin: np.ndarray  # (queries, threads) cosine minus the REFERENCE_RANK-th cosine
    cosine: np.ndarray  # (queries, threads)
    relevant: np.ndarray  # (queries, threads) relevance of the (canonical) thread


@dataclass
class Fit:
    fusion: Fusion
    confidence: Confidence
    scores: dict[str, dict[str, float]] = field(default_factory=dict)  # group -> metrics


def rank(features: SetFeatures, fusion: Fusion, depth: int = 10) -> Ranking:
    """Rank every query's pool by the fused similarity plus the priors (see the module)."""
    cosine = np.zeros(features.lexical.shape, dtype=np.float32)
    for bucket in np.unique(features.query_bucket):
        rows = features.query_bucket == bucket
        shares = fusion.shares_for(str(bucket))
        cosine[rows] = sum(
            share * part[rows] for share, part in zip(shares, features.cosines, strict=True)
        )
    similarity = cosine + fusion.lexical * features.lexical + fusion.coverage * features.coverage
    relevant = features.relevant.copy()
    members = np.flatnonzero(features.root != np.arange(len(features.ids)))
    if len(members):
        roots = features.root[members]
        for member, root in zip(members, roots, strict=True):
            similarity[:, root] = np.maximum(similarity[:, root], similarity[:, member])
            relevant[:, root] |= relevant[:, member]
    score = similarity + features.prior
    if len(members):
        score[:, members] = -np.inf
    reference = -np.partition(-cosine, REFERENCE_RANK - 1, axis=1)[
        :, REFERENCE_RANK - 1 : REFERENCE_RANK
    ]
    depth = min(depth, score.shape[1])
    top = np.argpartition(-score, depth - 1, axis=1)[:, :depth]
    # Best first, ties by id (as ranking.rank orders them).
    order = np.lexsort((np.array(features.ids)[top], -np.take_along_axis(score, top, 1)), axis=1)
    top = np.take_along_axis(top, order, 1)
    top = np.where(np.isfinite(np.take_along_axis(score, top, 1)), top, -1)
    return Ranking(top, similarity, cosine - reference, cosine, relevant)


def metrics(features: SetFeatures, ranked: Ranking) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per-query values of MRR@10, Rcap@5, R@1 (queries with a right thread) and MAP of
    SemEval's candidate lists (every query), each with the rows they belong to."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    rows = np.flatnonzero(features.has_relevant)
    hit = np.take_along_axis(ranked.relevant[rows], np.maximum(ranked.top[rows], 0), 1)
    hit &= ranked.top[rows] >= 0
    first = np.where(hit[:, :10].any(1), hit[:, :10].argmax(1) + 1, 0)
    out["MRR@10"] = (np.where(first > 0, 1.0 / np.maximum(first, 1), 0.0), rows)
    count = ranked.relevant[rows].sum(1)
    out["Rcap@5"] = (hit[:, :5].sum(1) / np.minimum(5, count), rows)
    out["R@1"] = (hit[:, 0].astype(float), rows)
    if features.rerank is not None:
        every = np.arange(len(features.qids))
        out["MAP"] = (np.array([_average_precision(features, ranked, r) for r in every]), every)
    return out


def _average_precision(features: SetFeatures, ranked: Ranking, row: int) -> float:
    """SemEval's MAP of one query: its candidates in the order of the pooled ranking."""
    relevant = features.relevant[row]
    total = int(relevant[features.rerank[row]].sum()) if features.rerank is not None else 0
    if not total or features.rerank is None:
        return 0.0
    candidates = features.rerank[row]
    score = ranked.similarity[row, candidates] + features.prior[candidates]
    order = candidates[np.lexsort((np.array(features.ids)[candidates], -score))]
    hits = relevant[order]
    precision = np.cumsum(hits) / np.arange(1, len(hits) + 1)
    return float((precision * hits).sum() / total)


def group_scores(sets: Sequence[SetFeatures], fusion: Fusion) -> dict[str, float]:
    """A group's metrics (x100) over all its sets' queries pooled."""
    pooled: dict[str, list[np.ndarray]] = {}
    for features in sets:
        for name, (values, _) in metrics(features, rank(features, fusion)).items():
            pooled.setdefault(name, []).append(values)
    return {
        name: 100 * float(np.concatenate(parts).mean())
        for name, parts in pooled.items()
        if sum(len(p) for p in parts)
    }


def objective(scores: Mapping[str, float]) -> float:
    return statistics.fmean(scores[m] for m in OBJECTIVE_METRICS if m in scores)


def fusion_grid(models: int) -> list[Fusion]:
    """Uniform fusions: one share vector for every query (``best_fusion`` then combines the
    best per query language, which the objective allows: it is a sum over queries)."""
    shares = [(1.0,)] if models == 1 else [(s, round(1 - s, 6)) for s in ENSEMBLE_SHARES]
    if models > 2:
        shares = [tuple([1 / models] * models)]
    return [
        Fusion.uniform(share, lexical, coverage)
        for share, lexical, coverage in itertools.product(shares, LEXICAL_WEIGHTS, COVERAGE_WEIGHTS)
    ]


# Per fusion of the grid, per group, per metric: each query's value and language bucket.
RowTable = Mapping[Fusion, Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]]]


def row_table(sets: Mapping[str, Sequence[SetFeatures]], grid: Sequence[Fusion]) -> RowTable:
    table: dict[Fusion, dict[str, dict[str, tuple[np.ndarray, np.ndarray]]]] = {}
    for fusion in grid:
        table[fusion] = {}
        for group, members in sets.items():
            pooled: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
            for features in members:
                for name, (values, rows) in metrics(features, rank(features, fusion)).items():
                    pooled.setdefault(name, []).append((values, features.query_bucket[rows]))
            table[fusion][group] = {
                name: (np.concatenate([v for v, _ in parts]), np.concatenate([b for _, b in parts]))
                for name, parts in pooled.items()
            }
    return table


def best_fusion(table: RowTable, groups: Iterable[str]) -> Fusion:
    """The fusion with the best mean objective over ``groups`` (each group counting alike),
    the ensemble's shares chosen per query language.

    A group's objective is a mean over its queries, so it is a sum of per-query parts:
    for given fusion weights, the best shares for German queries and those for English
    ones can be chosen apart.
    """
    chosen = list(groups)
    best: tuple[float, Fusion] | None = None
    weights = {(f.lexical, f.coverage) for f in table}
    for lexical, coverage in sorted(weights):
        candidates = [f for f in table if (f.lexical, f.coverage) == (lexical, coverage)]
        picked, total = [], 0.0
        for bucket in (*SHARE_BUCKETS, DEFAULT_BUCKET):
            gains = {f: _bucket_part(table[f], chosen, bucket) for f in candidates}
            if any(np.isfinite(g) for g in gains.values()):
                winner = max(candidates, key=lambda f: (gains[f], f.shares))
                picked.append((bucket, winner.shares_for(DEFAULT_BUCKET)))
                total += gains[winner]
        if not any(bucket == DEFAULT_BUCKET for bucket, _ in picked):
            picked.append((DEFAULT_BUCKET, candidates[0].shares_for(DEFAULT_BUCKET)))
        fusion = Fusion(tuple(picked), lexical, coverage)
        if best is None or total > best[0] + 1e-9:
            best = (total, fusion)
    assert best is not None
    return best[1]


def _bucket_part(
    groups: Mapping[str, Mapping[str, tuple[np.ndarray, np.ndarray]]],
    chosen: Sequence[str],
    bucket: str,
) -> float:
    """The share of the mean objective over ``chosen`` that the queries of ``bucket`` make
    (-inf when there are none)."""
    total, seen = 0.0, False
    for group in chosen:
        names = [m for m in OBJECTIVE_METRICS if m in groups[group]]
        for name in names:
            values, buckets = groups[group][name]
            mine = buckets == bucket
            seen |= bool(mine.any())
            total += 100 * values[mine].sum() / len(values) / len(names) / len(chosen)
    return total if seen else float("-inf")


# --- confidence and floor ---------------------------------------------------------------


@dataclass
class Pairs:
    """The top results of queries as (features, label, kind) rows for the confidence."""

    features: np.ndarray  # (n, 4): cosine, coverage, margin, first
    labels: np.ndarray  # (n,) bool
    kinds: np.ndarray  # (n,) str
    query: np.ndarray  # (n,) a query number unique over the pairs
    group: np.ndarray  # (n,) str

    @classmethod
    def concat(cls, parts: Sequence[Pairs]) -> Pairs:
        return cls(
            *(np.concatenate([getattr(p, f) for p in parts]) for f in cls.__dataclass_fields__)
        )


def shown_pairs(features: SetFeatures, fusion: Fusion, first_query: int = 0) -> Pairs:
    """Each query's top SHOWN results with what the confidence reads of them: the cosine,
    the share of clauses matched, the margin, and whether the result ranks first."""
    ranked = rank(features, fusion, depth=SHOWN)
    rows, cols = np.nonzero(ranked.top >= 0)
    threads = ranked.top[rows, cols]
    cross = features.cross[rows, threads]
    langs = np.array(features.thread_lang, dtype=object)[threads]
    kinds = np.where(cross, "cross", np.where(np.isin(langs, CONFIDENCE_KINDS), langs, OTHER))
    return Pairs(
        features=np.column_stack(
            [
                ranked.cosine[rows, threads],
                features.coverage[rows, threads],
                ranked.margin[rows, threads],
                (cols == 0).astype(float),
            ]
        ),
        labels=ranked.relevant[rows, threads],
        kinds=kinds.astype(str),
        query=rows + first_query,
        group=np.full(len(rows), features.group),
    )


def fit_logistic(
    x: np.ndarray,
    y: np.ndarray,
    weight: np.ndarray | None = None,
    ridge: float = RIDGE,
    steps: int = 50,
) -> np.ndarray:
    """Logistic regression (Platt 1999) by Newton-Raphson, the weights (not the bias)
    under an L2 penalty, each row counting ``weight`` times: (bias, *weights)."""
    weight = np.ones(len(y)) if weight is None else weight
    x = np.hstack([np.ones((len(y), 1)), x])
    penalty = np.full(x.shape[1], ridge)
    penalty[0] = 1e-6
    weights = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-np.clip(x @ weights, -30, 30)))
        gradient = x.T @ (weight * (p - y)) + penalty * weights
        hessian = (x * (weight * p * (1 - p))[:, None]).T @ x + np.diag(penalty)
        step = np.linalg.solve(hessian, gradient)
        weights -= step
        if np.abs(step).max() < 1e-8:
            break
    return weights


def fit_confidence(pairs: Pairs, weight: np.ndarray | None = None) -> dict[str, tuple[float, ...]]:
    """A logistic model per kind of match, and OTHER fitted on every pair; each pair
    counting ``weight`` times (1 by default)."""
    weight = np.ones(len(pairs.labels)) if weight is None else weight
    pooled = fit_monotone(pairs.features, pairs.labels, weight)
    models = {OTHER: pooled}
    for kind in CONFIDENCE_KINDS:
        mine = pairs.kinds == kind
        right, wrong = pairs.labels[mine].sum(), (~pairs.labels[mine]).sum()
        enough = right >= MIN_POSITIVES and wrong >= MIN_POSITIVES
        models[kind] = (
            fit_monotone(pairs.features[mine], pairs.labels[mine], weight[mine])
            if enough
            else pooled
        )
    return models


def fit_monotone(
    x: np.ndarray, y: np.ndarray, weight: np.ndarray | None = None
) -> tuple[float, ...]:
    """A logistic model whose confidence never falls as a feature rises: the cosine and
    its margin move together, and a fit may trade one against the other with a negative
    weight; such a feature is dropped (weight 0) and the rest fitted again."""
    kept = list(range(x.shape[1]))
    while True:
        weights = fit_logistic(x[:, kept], y.astype(float), weight)
        negative = [i for i, w in zip(kept, weights[1:], strict=True) if w < 0]
        if not negative:
            full = np.zeros(x.shape[1] + 1)
            full[0] = weights[0]
            full[[i + 1 for i in kept]] = weights[1:]
            return _rounded(full)
        kept.remove(min(negative, key=lambda i: weights[1 + kept.index(i)]))


def _rounded(weights: np.ndarray) -> tuple[float, ...]:
    return tuple(round(float(w), 2) for w in weights)


def confidences(pairs: Pairs, models: Mapping[str, tuple[float, ...]]) -> np.ndarray:
    """What ``indexer.ranking.confidence`` gives each pair."""
    table = np.array([models.get(kind, models[OTHER]) for kind in pairs.kinds])
    z = table[:, 0] + (table[:, 1:] * pairs.features).sum(1)
    return 1 / (1 + np.exp(-z))


def choose_floor(pairs: Pairs, sure: np.ndarray) -> float:
    """The highest floor at which, of the questions with a right thread among their top
    results, at least FLOOR_RECALL still see one (mean over the groups)."""
    groups = sorted(set(pairs.group))
    chosen = FLOORS[0]
    for floor in FLOORS:
        recall = statistics.fmean(
            _right_shown(pairs, sure, floor, pairs.group == g) for g in groups
        )
        if recall >= FLOOR_RECALL:
            chosen = floor
    return chosen


def _right_shown(pairs: Pairs, sure: np.ndarray, floor: float, rows: np.ndarray) -> float:
    """Of the questions (among ``rows``) with a right result, the share shown one."""
    answered = np.unique(pairs.query[rows & pairs.labels])
    if not len(answered):
        return float("nan")
    shown = np.unique(pairs.query[rows & pairs.labels & (sure >= floor)])
    return len(shown) / len(answered)


def floor_report(pairs: Pairs, sure: np.ndarray, floor: float) -> dict[str, float]:
    """What the floor does, in percent: of the questions with a right thread among their
    top results, those shown one ("right thread shown"); of the top results, the right
    ones shown ("shown when right") and the wrong ones shown ("shown when wrong"); and the
    questions shown nothing. Per kind of match too ("de: shown when right", ...)."""
    shown = sure >= floor
    everything = np.ones(len(shown), bool)
    queries = np.unique(pairs.query)
    report = {
        "right thread shown": 100 * _right_shown(pairs, sure, floor, everything),
        "nothing shown": 100 * float(np.mean([not shown[pairs.query == q].any() for q in queries])),
    }
    for kind in ("", *CONFIDENCE_KINDS):
        mine = pairs.kinds == kind if kind else everything
        prefix = f"{kind}: " if kind else ""
        if (mine & pairs.labels).any():
            report[f"{prefix}shown when right"] = 100 * float(shown[mine & pairs.labels].mean())
        if (mine & ~pairs.labels).any():
            report[f"{prefix}shown when wrong"] = 100 * float(shown[mine & ~pairs.labels].mean())
    return report


# --- fitting and leaving out -------------------------------------------------------------


def fit(sets: Mapping[str, Sequence[SetFeatures]], groups: Sequence[str], table: RowTable) -> Fit:
    """Fusion, confidence and floor fitted on ``groups`` only (and the confidence on the
    questions without an answer too)."""
    fusion = best_fusion(table, groups)
    pairs = _pairs([s for g in groups for s in sets[g]], fusion)
    unanswerable = [s for g in CONFIDENCE_ONLY if g in sets for s in sets[g]]
    if unanswerable:
        off = _pairs(unanswerable, fusion)
        # Questions without an answer count as UNANSWERED_SHARE of the questions.
        asked, unanswered = len(np.unique(pairs.query)), len(np.unique(off.query))
        scale = UNANSWERED_SHARE / (1 - UNANSWERED_SHARE) * asked / unanswered
        weight = np.concatenate([np.ones(len(pairs.labels)), np.full(len(off.labels), scale)])
        models = fit_confidence(Pairs.concat([pairs, off]), weight)
    else:
        models = fit_confidence(pairs)
    floor = choose_floor(pairs, confidences(pairs, models))
    return Fit(fusion, Confidence(models, floor))


def _pairs(sets: Sequence[SetFeatures], fusion: Fusion) -> Pairs:
    parts, offset = [], 0
    for features in sets:
        parts.append(shown_pairs(features, fusion, offset))
        offset += len(features.qids)
    return Pairs.concat(parts)


def evaluate_fit(
    sets: Mapping[str, Sequence[SetFeatures]], result: Fit, group: str
) -> dict[str, float]:
    """A fit's ranking metrics and floor figures on one group."""
    scores = group_scores(sets[group], result.fusion)
    pairs = _pairs(sets[group], result.fusion)
    sure = confidences(pairs, result.confidence.models)
    scores.update(floor_report(pairs, sure, result.confidence.floor))
    return scores


def leave_one_group_out(
    sets: Mapping[str, Sequence[SetFeatures]], grid: Sequence[Fusion]
) -> tuple[Fit, dict[str, Fit]]:
    """The fit on every group, and per group the fit without it, each scored on the group
    left out (and on the report-only sets)."""
    table = row_table(sets, grid)
    fitted = [g for g in GROUPS if g in sets]
    folds = {}
    for held in fitted:
        result = fit(sets, [g for g in fitted if g != held], table)
        result.scores = {
            g: evaluate_fit(sets, result, g)
            for g in (held, *REPORT_ONLY, *CONFIDENCE_ONLY)
            if g in sets
        }
        folds[held] = result
    final = fit(sets, fitted, table)
    final.scores = {g: evaluate_fit(sets, final, g) for g in sets}
    return final, folds
