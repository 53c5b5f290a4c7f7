"""Rank candidates from both search legs: fuse, collapse known duplicates, add community
priors, and attach a calibrated confidence. Pure functions over plain data; every weight
comes from the settings (``RankingParams.from_settings``), none is written here.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

from indexer.backends.base import Hit, Signals
from indexer.freshness import solution_outdated
from indexer.settings import Settings
from indexer.threads import ARTICLE, THREAD, parse_timestamp

# Scale points of the log-scaled priors: the count at which a prior reaches its full weight.
KUDOS_SCALE = 1_000
VIEWS_SCALE = 1_000_000
REPLIES_SCALE = 100
# The confidence compares a thread's cosine with the cosine of the query's 10th-nearest
# thread: how far it stands out from the crowd. Absolute cosines run at different heights
# for short and long questions, languages and models; the margin much less (scripts/tune
# gives it the largest weight of the confidence's features).
REFERENCE_RANK = 10
# Kinds of match with a confidence model (settings.confidence_models) besides the
# languages': a thread in none of the query's languages, and the fallback for languages
# without a model of their own.
CROSS_LANGUAGE = "cross"
OTHER_LANGUAGES = "other"
# Longest duplicate_of chain followed (a -> b -> c); longer chains are moderator mistakes.
MAX_DUPLICATE_HOPS = 3

_KUDOS_NORM = math.log1p(KUDOS_SCALE)
_VIEWS_NORM = math.log1p(VIEWS_SCALE)
_REPLIES_NORM = math.log1p(REPLIES_SCALE)
_DAY_S = 86_400.0


@lru_cache(maxsize=100_000)
def _epoch_seconds(timestamp: str) -> float:
    """Seconds since the epoch of a thread's ``created_at``: candidates repeat from query
    to query, so each timestamp is parsed once."""
    return parse_timestamp(timestamp).timestamp()


@dataclass(frozen=True, slots=True)
class RankingParams:
    """The weights of ranking. They live in the settings; this is their ranking-side view."""

    fusion: str
    vector_weight: float
    lexical_weight: float
    coverage_weight: float
    rrf_k: float
    prior_solved: float
    prior_kudos: float
    prior_views: float
    prior_replies: float
    prior_recency: float
    recency_half_life_days: float
    confidence_models: Mapping[str, tuple[float, float, float, float, float]]
    # Help articles and freshness (``indexer.freshness``); the defaults leave them out.
    prior_article: float = 0.0
    fast_moving_boards: tuple[str, ...] = ()
    outdated_after_days: float = 365.0
    prior_outdated: float = 0.0

    @classmethod
    def from_settings(cls, settings: Settings) -> RankingParams:
        return cls(**{name: getattr(settings, name) for name in cls.__dataclass_fields__})

    @classmethod
    def for_other_languages(cls, settings: Settings) -> RankingParams:
        """The weights for queries in a language the embedding model was not trained on:
        its cosines are less telling there, so the lexical leg weighs more."""
        return replace(
            cls.from_settings(settings),
            vector_weight=settings.other_language_vector_weight,
            lexical_weight=settings.other_language_lexical_weight,
            coverage_weight=settings.other_language_coverage_weight,
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One thread found by either leg, with what each leg said about it."""

    id: str
    cosine: float  # exact cosine, or the weakest cosine of the vector leg if unknown
    lexical: float  # BM25 normalised to the query's best lexical hit (0..1), 0 if not found
    coverage: float  # share of the query's clauses the thread matched (0..1)
    margin: float  # cosine minus the cosine of the query's REFERENCE_RANK-th nearest thread
    lexical_rank: int | None
    vector_rank: int | None


@dataclass(frozen=True, slots=True)
class Ranked:
    """A result: the (canonical) thread, its final score and confidence, and how many
    known duplicates of it were folded in."""

    id: str
    score: float
    similarity: float
    confidence: float
    duplicates: int
    kind: str = THREAD  # a thread or a help article (``threads.KINDS``)
    outdated: bool = False  # its accepted solution may be outdated (``outdated``)


def candidates(
    lexical_hits: Sequence[Hit],
    vector_hits: Sequence[Hit],
    extra_cosines: Mapping[str, float],
    clause_count: int,
) -> list[Candidate]:
    """Merge the two legs' hits into one candidate per thread.

    ``extra_cosines`` holds exact cosines of lexical hits (where the vector leg returned
    a hit too, its cosine is taken; they are the same number).
    A cosine still unknown is taken as the weakest cosine the vector leg returned: the
    thread was not among the top-K, so its cosine is at most that.
    """
    best_lexical = max((hit.score for hit in lexical_hits), default=0.0)
    weakest_cosine = min((hit.score for hit in vector_hits), default=0.0)
    reference = vector_hits[min(REFERENCE_RANK, len(vector_hits)) - 1].score if vector_hits else 0.0
    cosines = {hit.id: hit.score for hit in vector_hits}
    vector_ranks = {hit.id: rank for rank, hit in enumerate(vector_hits, start=1)}
    lexical = {hit.id: (rank, hit) for rank, hit in enumerate(lexical_hits, start=1)}
    merged: list[Candidate] = []
    for thread_id in dict.fromkeys([*lexical, *cosines]):
        rank_and_hit = lexical.get(thread_id)
        hit = rank_and_hit[1] if rank_and_hit else None
        cosine = cosines.get(thread_id, extra_cosines.get(thread_id, weakest_cosine))
        merged.append(
            Candidate(
                id=thread_id,
                cosine=cosine,
                lexical=hit.score / best_lexical if hit and best_lexical > 0 else 0.0,
                coverage=hit.matched / clause_count if hit and clause_count else 0.0,
                margin=cosine - reference,
                lexical_rank=rank_and_hit[0] if rank_and_hit else None,
                vector_rank=vector_ranks.get(thread_id),
            )
        )
    return merged


def similarity(candidate: Candidate, params: RankingParams) -> float:
    """How similar a candidate is to the query, by the configured fusion.

    linear: a weighted sum of the cosine, the max-normalised BM25 score and the share of
    query terms matched. Convex
    combination of normalised scores beat rank fusion on this project's evaluation data
    (Bruch et al., "An Analysis of Fusion Functions for Hybrid Retrieval", 2023, found
    the same); ``scripts/eval`` reports both.
    rrf: weighted reciprocal rank fusion (Cormack et al., SIGIR 2009), sum of
    weight / (k + rank) over the legs that found the thread; k = 60 as in the paper.
    """
    if params.fusion == "rrf":
        total = 0.0
        if candidate.vector_rank is not None:
            total += params.vector_weight / (params.rrf_k + candidate.vector_rank)
        if candidate.lexical_rank is not None:
            total += params.lexical_weight / (params.rrf_k + candidate.lexical_rank)
        return total
    return (
        params.vector_weight * candidate.cosine
        + params.lexical_weight * candidate.lexical
        + params.coverage_weight * candidate.coverage
    )


def match_kind(thread_lang: str | None, query_languages: Sequence[str]) -> str:
    """Which confidence model judges a match: ``cross`` for a thread in none of the query's
    languages, else the thread's language if it has a model of its own, else ``other``.
    A thread or query of unknown language counts as the same language."""
    if thread_lang and query_languages and thread_lang not in query_languages:
        return CROSS_LANGUAGE
    return thread_lang or OTHER_LANGUAGES


def confidence(
    candidate: Candidate, params: RankingParams, kind: str = OTHER_LANGUAGES, first: bool = False
) -> float:
    """Probability that the candidate answers the customer's question.

    A logistic model (Platt scaling) over four features - the cosine, the share of query
    clauses matched, the cosine's margin over the query's 10th-nearest thread, and whether
    the thread ranks first - with coefficients of its own per kind of match
    (``match_kind``): the cosines of a German pair, an English pair and a pair across
    languages run at different heights. The first result is right more often than its
    cosine says: in a cluster of similar threads (routers, LEDs) the margin of the right
    one is small, but it is still the best. ``scripts/tune`` fits the models on data the
    report then leaves out; the reliability figures are in docs/relevance.md.
    """
    logit, first_weight = _logit(candidate, params, kind)
    return _sigmoid(logit + first_weight * first)


def _logit(candidate: Candidate, params: RankingParams, kind: str) -> tuple[float, float]:
    """The confidence's logit without the first-place feature, and that feature's weight."""
    models = params.confidence_models
    bias, cosine, coverage, margin, first = models.get(kind) or models[OTHER_LANGUAGES]
    logit = bias + cosine * candidate.cosine + coverage * candidate.coverage
    return logit + margin * candidate.margin, first


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z))


def prior_bonus(signals: Signals, params: RankingParams, now: datetime) -> float:
    """Bonus from the community's own signals: accepted solution, kudos, views, replies, age.

    Counts are log-scaled (the 1,000th kudo says less than the 10th) and reach their full
    weight at the *_SCALE constants; negative votes count against a thread.

    A help article has no accepted solution, kudos or replies: ``prior_article`` stands
    for the accepted solution (it is the operator's own answer), and its views and age
    count as a thread's. An accepted solution that may be outdated
    (``freshness.solution_outdated``) costs ``prior_outdated``.
    """
    bonus = _standing(
        signals,
        params.prior_article,
        params.prior_solved,
        params.prior_kudos,
        params.prior_views,
        params.prior_replies,
    )
    if outdated(signals, params, now):
        bonus -= params.prior_outdated
    if signals.created_at and params.prior_recency:
        age_days = max(0.0, (now.timestamp() - _epoch_seconds(signals.created_at)) / _DAY_S)
        bonus += params.prior_recency * 0.5 ** (age_days / params.recency_half_life_days)
    return bonus


@lru_cache(maxsize=50_000)
def _standing(
    signals: Signals, article: float, solved: float, kudos: float, views: float, replies: float
) -> float:
    """The part of ``prior_bonus`` that does not change with time: candidates repeat from
    keystroke to keystroke, and this was a twentieth of a suggestion's CPU at 100,000
    threads when computed afresh for each of a query's ~200."""
    endorsed = article if signals.kind == ARTICLE else solved * float(signals.solved)
    scaled_kudos = math.copysign(math.log1p(abs(signals.kudos)), signals.kudos) / _KUDOS_NORM
    return (
        endorsed
        + kudos * max(-1.0, min(1.0, scaled_kudos))
        + views * min(1.0, math.log1p(max(0, signals.views)) / _VIEWS_NORM)
        + replies * min(1.0, math.log1p(max(0, signals.replies)) / _REPLIES_NORM)
    )


def outdated(signals: Signals, params: RankingParams, now: datetime) -> bool:
    """Tell whether a thread's accepted solution may be outdated (``indexer.freshness``)."""
    return bool(params.fast_moving_boards) and solution_outdated(
        signals.board,
        signals.solution_at,
        params.fast_moving_boards,
        params.outdated_after_days,
        now,
    )


def canonical_id(thread_id: str, signals: Mapping[str, Signals]) -> str:
    """Follow duplicate_of links to the thread a cluster is folded into.

    Moderators make mistakes: in a cycle (a -> b -> a) every member gets the same
    canonical thread, the smallest id of the cycle, so the cluster still shows once.
    """
    path = [thread_id]
    for _ in range(MAX_DUPLICATE_HOPS):
        current = path[-1]
        target = signals[current].duplicate_of if current in signals else None
        if not target or target not in signals:
            break
        if target in path:
            return min(path[path.index(target) :])
        path.append(target)
    return path[-1]


def rank(
    merged: Sequence[Candidate],
    signals: Mapping[str, Signals],
    params: RankingParams,
    now: datetime | None = None,
    feedback: Mapping[str, float] | None = None,
    query_languages: Sequence[str] = (),
) -> list[Ranked]:
    """Order candidates: collapse duplicate clusters, add priors and feedback, attach
    confidence.

    ``signals`` must hold every candidate and every canonical thread a candidate points to
    (and only canonical threads that pass the search's filters). A cluster is represented
    by its canonical thread with the best similarity and confidence of its members.
    ``feedback`` holds the bounded bonus of threads customers found helpful for similar
    queries (``indexer.feedback``); a cluster gets the largest bonus of its members. It
    moves the score only: the confidence says how sure the match is, not how popular.
    ``query_languages`` (the analysed query's) choose each match's confidence model.
    """
    now = now or datetime.now(UTC)
    # root -> (best similarity, best confidence logit and its first-place weight, folded)
    clusters: dict[str, tuple[float, tuple[float, float], int]] = {}
    for candidate in merged:
        if candidate.id not in signals:
            continue  # deleted between search and ranking
        root = canonical_id(candidate.id, signals)
        fused = similarity(candidate, params)
        sure = _logit(candidate, params, match_kind(signals[candidate.id].lang, query_languages))
        if root in clusters:
            best_similarity, best_sure, folded = clusters[root]
            clusters[root] = (
                max(best_similarity, fused),
                max(best_sure, sure),
                folded + (root != candidate.id),
            )
        else:
            clusters[root] = (fused, sure, int(root != candidate.id))
    bonuses = _cluster_bonuses(merged, signals, feedback) if feedback else {}
    plain = {
        root: fused + prior_bonus(signals[root], params, now)
        for root, (fused, _, _) in clusters.items()
    }
    scores = {root: score + bonuses.get(root, 0.0) for root, score in plain.items()}
    # The confidence's first place is the first by similarity and priors: feedback moves
    # a thread up, but does not make the match surer (see above).
    first = min(plain, key=lambda root: (-plain[root], root), default=None)
    ranked = []
    for root in sorted(scores, key=lambda root: (-scores[root], root)):
        fused, (logit, first_weight), folded = clusters[root]
        ranked.append(
            Ranked(
                id=root,
                score=scores[root],
                similarity=fused,
                confidence=_sigmoid(logit + first_weight * (root == first)),
                duplicates=folded,
                kind=signals[root].kind,
                outdated=outdated(signals[root], params, now),
            )
        )
    return ranked


def _cluster_bonuses(
    merged: Sequence[Candidate], signals: Mapping[str, Signals], feedback: Mapping[str, float]
) -> dict[str, float]:
    """The feedback bonus of each cluster: the largest of its members' (canonical included,
    even when the canonical thread itself was not among the candidates)."""
    bonuses: dict[str, float] = {}
    for thread_id in {c.id for c in merged if c.id in signals}:
        root = canonical_id(thread_id, signals)
        best = max(feedback.get(thread_id, 0.0), feedback.get(root, 0.0))
        if best > 0:
            bonuses[root] = max(bonuses.get(root, 0.0), best)
    return bonuses
