"""What ranking sees of every (query, thread) pair of an evaluation set, as arrays.

The tuner (``indexer.evaluation.tuning``) ranks each set under thousands of weightings;
asking the service each time would take hours. So each query is asked once, through the
same analyser, embedder and backend the service uses, and every thread of the set's pool
gets what ``indexer.ranking`` computes from it: each embedding model's cosine (so the
ensemble's weights can be tuned too), the max-normalised BM25 and the share of query
clauses matched (0 outside the lexical top-K, as in the service), the community priors,
the thread a duplicate folds into, and whether the thread is in another language than
the query. The pools are small (at most a few thousand threads), so every thread is
scored: a thread outside both legs' top-K could not reach the top 10 anyway.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from indexer import ranking
from indexer.backends.base import Filters
from indexer.embedding.embedder import language_bucket
from indexer.engine import Engine
from indexer.evaluation import as_you_type, datasets
from indexer.evaluation.datasets import Dataset, Query
from indexer.evaluation.harness import InProcessIndex
from indexer.evaluation.runner import TITLE, TITLE_BODY
from indexer.settings import Settings
from indexer.threads import thread_from_record

# The group of questions without an answer (``off_topic``), and how many German ones.
OFF_TOPIC = "off-topic"
OFF_TOPIC_GERMAN = 150
# When the recency prior is computed: fixed, so that a tuning run is repeatable.
TUNING_NOW = datetime(2026, 12, 1, tzinfo=UTC)


@dataclass
class SetFeatures:
    """One set's queries (rows) against its pool of threads (columns)."""

    name: str
    group: str  # the datasets that are left out together (``tuning.GROUPS``)
    qids: list[str]
    ids: list[str]
    cosines: list[np.ndarray]  # per model of the ensemble: (queries, threads)
    lexical: np.ndarray  # (queries, threads) BM25 / the query's best BM25
    coverage: np.ndarray  # (queries, threads) share of the query's clauses matched
    prior: np.ndarray  # (threads,) the community priors' bonus
    root: np.ndarray  # (threads,) index of the thread a duplicate folds into
    cross: np.ndarray  # (queries, threads) the thread is in no language of the query
    query_bucket: np.ndarray  # (queries,) the query's language, or "" when unsure
    thread_lang: list[str]  # per thread
    relevant: np.ndarray  # (queries, threads) bool
    rerank: np.ndarray | None  # (queries, candidates) SemEval's candidate lists, or None

    @property
    def has_relevant(self) -> np.ndarray:
        return self.relevant.any(axis=1)


def collect(
    engine: Engine,
    dataset: Dataset,
    group: str,
    text_of: Callable[[Query], str],
    name: str | None = None,
    max_chars: int = 1000,
) -> SetFeatures:
    """Ask every query of ``dataset`` (indexed into ``engine``) once; see the module."""
    threads = [thread_from_record(record) for record in dataset.threads()]
    ids = [thread.id for thread in threads]
    column = {thread_id: j for j, thread_id in enumerate(ids)}
    embedder, service = engine.embedder, engine.search
    with engine.writer() as writer:
        documents = np.vstack(writer.preparer.vectors(threads))
    document_parts = embedder.split(documents)
    texts = [text_of(query)[:max_chars].strip() or query.qid for query in dataset.queries]
    queries = np.vstack([service.query_vector(text) for text in texts])
    cosines = [q @ d.T for q, d in zip(embedder.split(queries), document_parts, strict=True)]

    signals = engine.backend.signals(ids)
    params = ranking.RankingParams.from_settings(engine.settings)
    prior = np.array([ranking.prior_bonus(signals[i], params, TUNING_NOW) for i in ids])
    root = np.array([column.get(ranking.canonical_id(i, signals), j) for j, i in enumerate(ids)])
    thread_lang = [signals[i].lang or "" for i in ids]

    shape = (len(texts), len(ids))
    lexical, coverage = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    cross, relevant = np.zeros(shape, bool), np.zeros(shape, bool)
    bucket = np.full(len(texts), "", dtype=object)
    k = engine.settings.lexical_candidates
    for row, (text, query) in enumerate(zip(texts, dataset.queries, strict=True)):
        analyzed = engine.analyzer.query(text, partial=False)
        hits = engine.backend.lexical_top_k(analyzed, k, Filters())
        best = max((hit.score for hit in hits), default=0.0)
        for hit in hits:
            if hit.id in column and best > 0:
                lexical[row, column[hit.id]] = hit.score / best
                coverage[row, column[hit.id]] = hit.matched / max(analyzed.clause_count, 1)
        cross[row] = [bool(lang) and lang not in analyzed.languages for lang in thread_lang]
        bucket[row] = language_bucket(analyzed.languages)
        for thread_id in dataset.relevant.get(query.qid, ()):
            if thread_id in column:
                relevant[row, column[thread_id]] = True
    rerank = None
    if dataset.candidates:
        rerank = np.array(
            [[column[i] for i in dataset.candidates[query.qid]] for query in dataset.queries]
        )
    return SetFeatures(
        name=name or dataset.name,
        group=group,
        qids=[query.qid for query in dataset.queries],
        ids=ids,
        cosines=cosines,
        lexical=lexical,
        coverage=coverage,
        prior=prior,
        root=root,
        cross=cross,
        query_bucket=bucket.astype(str),
        thread_lang=thread_lang,
        relevant=relevant,
        rerank=rerank,
    )


def collect_groups(
    data: Path, work_dir: Path, settings: Settings, progress: Callable[[str], None] = print
) -> dict[str, list[SetFeatures]]:
    """Every evaluation set, by the group it is fitted on or left out with (see
    ``indexer.evaluation.tuning``): SemEval and Stack Exchange queried with the title and
    with title and body, STS-b with its sentence, the typed questions as typed."""
    groups: dict[str, list[SetFeatures]] = {}
    plan = [
        ("semeval2016-task3-dev", "semeval", (TITLE, TITLE_BODY)),
        ("stackexchange-cardano", "stackexchange", (TITLE, TITLE_BODY)),
        ("stackexchange-iot", "stackexchange", (TITLE, TITLE_BODY)),
        ("stackexchange-quantumcomputing", "stackexchange", (TITLE, TITLE_BODY)),
        ("stsb-de-train-retrieval", "stsb-de-train", (TITLE,)),
        ("stsb-de-retrieval", "stsb-de", (TITLE,)),
    ]
    for set_name, group, kinds in plan:
        dataset = datasets.load(data, set_name)
        index = InProcessIndex(dataset, settings, work_dir)
        try:
            for kind in kinds:
                features = collect(
                    index.engine, dataset, group, kind.build, f"{set_name} {kind.name}"
                )
                groups.setdefault(group, []).append(features)
        finally:
            index.close()
        progress(f"collected {set_name}")
    questions = as_you_type.load_questions()
    index = InProcessIndex(as_you_type.demo_dataset(questions), settings, work_dir)
    try:
        for split in as_you_type.SPLITS:
            chosen = [q for q in questions if q.split == split]
            dataset = as_you_type.demo_dataset(chosen)
            group = f"{as_you_type.SET_NAME}-{split}"
            groups[group] = [collect(index.engine, dataset, group, TITLE.build, group)]
        unanswerable = off_topic(data, as_you_type.demo_dataset([]))
        groups[OFF_TOPIC] = [collect(index.engine, unanswerable, OFF_TOPIC, TITLE.build)]
    finally:
        index.close()
    progress(f"collected {as_you_type.SET_NAME} and {OFF_TOPIC}")
    return groups


def off_topic(data: Path, community: Dataset) -> Dataset:
    """Questions the demo community has no answer to: German STS-b sentences (train
    split) and Qatar Living forum questions (SemEval), asked of the telecom community. A
    confidence fitted only on questions that have an answer learns to show something to
    everybody; these teach it that the best of nothing is nothing."""
    german = datasets.load(data, "stsb-de-train-retrieval").queries[:OFF_TOPIC_GERMAN]
    english = datasets.load(data, "semeval2016-task3-dev").queries
    queries = [Query(f"off-topic-{q.qid}", q.title, "") for q in [*german, *english]]
    return Dataset(OFF_TOPIC, community.threads_path, queries, relevant={})
