"""The search service: query text in, ranked threads out, the same for every backend."""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from indexer import ranking
from indexer.analysis import message
from indexer.analysis.analyzer import AnalyzedQuery, Analyzer
from indexer.analytics.judgements import JudgedDuplicates
from indexer.backends.base import Backend, Filters, Hit, Signals
from indexer.curation.apply import Curation, put_first
from indexer.embedding import Embedder
from indexer.embedding.embedder import language_bucket
from indexer.errors import InvalidQuery
from indexer.feedback import FeedbackSource
from indexer.freshness import is_suggestable
from indexer.ranking import Ranked, RankingParams
from indexer.settings import Settings
from indexer.threads import ARTICLE, Thread

# Legs running at once: two (lexical, vector) per request a process serves concurrently
# (a gunicorn worker serves four, widget.server.THREADS_PER_WORKER).
LEG_THREADS = 8


class CurationSource(Protocol):
    """The operators' rules in force (``indexer.curation.live.CurationLoader``)."""

    def current(self) -> Curation: ...


class QueryVectorCache(Protocol):
    """A cache of query embeddings shared beyond this process (the service's Redis)."""

    def vector(self, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        """The cached embedding of ``text``, or ``embed(text)``, cached for next time."""
        ...


@dataclass(frozen=True, slots=True)
class SearchRequest:
    """What is asked: the text typed so far, the page wanted, and restrictions."""

    text: str
    limit: int = 5
    offset: int = 0
    filters: Filters = field(default_factory=Filters)
    lang: str | None = None
    apply_floor: bool = False  # suggestions: nothing below the confidence floor
    partial: bool = True  # the last word may still be being typed
    # A pasted message (e-mail, post): its question is searched, not its greeting or
    # signature (``indexer.analysis.message``); it is complete, so ``partial`` is ignored.
    message: bool = False
    # Help articles wanted in a section of their own (DESIGN.md decision 9): the best
    # ``articles`` of them come in ``SearchResult.articles`` and leave the thread list.
    # 0: articles rank among the threads like any result.
    articles: int = 0


@dataclass(frozen=True, slots=True)
class ResultItem:
    """A ranked thread with its record, ready to be presented."""

    thread: Thread
    ranked: Ranked


@dataclass(frozen=True, slots=True)
class SearchResult:
    items: list[ResultItem]
    total: int
    query: AnalyzedQuery
    searched: str  # the text the lexical leg searched: a message's question, else the query
    articles: list[ResultItem] = field(default_factory=list)  # see SearchRequest.articles


class SearchService:
    """Analyse, embed, ask the backend's two legs, rank, and fetch the page's records."""

    def __init__(
        self,
        settings: Settings,
        analyzer: Analyzer,
        embedder: Embedder,
        backend: Backend,
        judged: JudgedDuplicates | None = None,
        vector_cache: QueryVectorCache | None = None,
        feedback: FeedbackSource | None = None,
        curation: CurationSource | None = None,
    ) -> None:
        """``judged``: the agents' duplicate judgements; by default those of the data dir,
        unless ``agent_duplicates`` is off. ``vector_cache``: query embeddings shared
        between processes. ``feedback``: customers' helpful votes (``indexer.feedback``).
        ``curation``: the operators' pins, hidden threads and synonyms; by default those
        of the data dir."""
        self.settings = settings
        self.vector_cache = vector_cache
        self.feedback = feedback
        self.analyzer = analyzer
        self.embedder = embedder
        self.backend = backend
        if judged is None and settings.agent_duplicates:
            judged = JudgedDuplicates(settings.data_dir)
        self.judged = judged
        if curation is None:
            from indexer.curation.live import CurationLoader

            curation = CurationLoader(
                settings.data_dir,
                analyzer,
                embedder.embed_query,
                settings.curation_refresh_seconds,
                settings.pin_similarity,
            )
        self.curation = curation
        self.params = RankingParams.from_settings(settings)
        self._legs = ThreadPoolExecutor(max_workers=LEG_THREADS, thread_name_prefix="leg")
        self.other_language_params = RankingParams.for_other_languages(settings)

    def search(self, request: SearchRequest) -> SearchResult:
        """Answer a request.

        Raises:
            InvalidQuery: the text is empty or too long.
            BackendUnavailable: there is no index, or the backend cannot be reached.
        """
        text = request.text.strip()
        if not text:
            raise InvalidQuery("q is empty")
        max_chars = (
            self.settings.message_max_chars if request.message else self.settings.query_max_chars
        )
        if len(text) > max_chars:
            raise InvalidQuery(f"q is longer than {max_chars} characters")
        searched, embedded, partial = text, text, request.partial
        if request.message:
            asked = message.extract(text)
            searched, embedded, partial = asked.focus, asked.context, False
        query = self.analyzer.query(searched, lang=request.lang, partial=partial)
        curation = self.curation.current()
        query = curation.expand(query, searched, partial, self.analyzer)
        wanted = request.offset + request.limit
        ranked = self.rank(embedded, query, request.filters, wanted, curation.hidden)
        ranked = self._pinned_first(ranked, curation, embedded, query, request.filters)
        if request.apply_floor:
            ranked = [r for r in ranked if r.confidence >= self.floor(r)]
        articles: list[Ranked] = []
        if request.articles:
            articles = [r for r in ranked if r.kind == ARTICLE][: request.articles]
            ranked = [r for r in ranked if r.kind != ARTICLE]
        page = ranked[request.offset : request.offset + request.limit]
        records = self.backend.get_threads([r.id for r in [*page, *articles]])
        # The legs let no thread through that the viewer may not see; checked once more
        # on the records that leave, which cost nothing here.
        sees = request.filters.sees

        def presented(chosen: list[Ranked]) -> list[ResultItem]:
            return [
                ResultItem(records[r.id], r)
                for r in chosen
                if r.id in records and sees(records[r.id].visibility)
            ]

        return SearchResult(
            items=presented(page),
            total=len(ranked),
            query=query,
            searched=searched,
            articles=presented(articles),
        )

    def floor(self, ranked: Ranked) -> float:
        """The confidence a suggestion needs: a help article's floor, or a thread's."""
        if ranked.kind == ARTICLE:
            return self.settings.article_confidence_floor
        return self.settings.confidence_floor

    def rank(
        self,
        text: str,
        query: AnalyzedQuery,
        filters: Filters,
        wanted: int,
        hidden: frozenset[str] = frozenset(),
    ) -> list[Ranked]:
        """All candidates of both legs, ranked (no floor, no paging); ``text`` is embedded;
        ``hidden`` threads are left out (as threads outside the filters are).

        The lexical leg needs no vector, so it runs in another thread while the query is
        embedded (DESIGN.md: lexical top-K ∥ vector top-K); the vector leg then runs in
        another thread too, while this one asks for the cosines of the lexical hits as
        soon as they are in. The embedding and the backend's searches release the GIL,
        and a remote backend answers all three searches at once: the cosines no longer
        wait for the vector leg (at 100,000 threads on Elasticsearch, one search less on
        the critical path).
        """
        started: list[Future[Any]] = []

        def start(search: Callable[..., list[Hit]], target: Any, k: int) -> Future[list[Hit]]:
            started.append(self._legs.submit(self._leg, search, target, max(k, wanted), filters))
            return started[-1]

        try:
            lexical = start(self.backend.lexical_top_k, query, self.settings.lexical_candidates)
            vector = self.query_vector(text)
            # The models' shares for the query's language: a unit vector to search with,
            # and the length that turns its cosines into the weighted ones.
            searched, length = self.embedder.for_language(vector, language_bucket(query.languages))
            nearest = start(self.backend.vector_top_k, searched, self.settings.vector_candidates)
            lexical_hits = lexical.result()
            # Every lexical hit's cosine: which of them the vector leg returns is not
            # known yet (for those, ranking takes the vector leg's own, equal, cosine).
            ids = [hit.id for hit in lexical_hits]
            cosines = self.backend.vector_scores(searched, ids) if ids else {}
            vector_hits = nearest.result()
        finally:
            # No search is left running behind an answer, nor behind an error.
            wait(started)
        if length != 1.0:
            vector_hits = [replace(hit, score=hit.score * length) for hit in vector_hits]
            cosines = {thread_id: score * length for thread_id, score in cosines.items()}
        merged = ranking.candidates(lexical_hits, vector_hits, cosines, query.clause_count)
        signals = self._signals_with_canonicals([c.id for c in merged], filters, hidden)
        boosts = self.feedback.boosts(vector) if self.feedback is not None else None
        return ranking.rank(
            merged,
            signals,
            self.params_for(query),
            now=datetime.now(UTC),
            feedback=boosts,
            query_languages=query.languages,
        )

    def _leg(
        self, search: Callable[..., list[Hit]], target: Any, k: int, filters: Filters
    ) -> list[Hit]:
        """One leg's search, then its hits' signals, which ranking asks for next: fetched
        here, they are read while the other leg still searches, and both backends keep
        what they read (the embedded backend's cache of signals, Elasticsearch's of recent
        hits, which costs no request). At a million threads on the embedded backend those
        are 2-3 ms of SQLite reads a search; overlapped, the search's median is about half
        a millisecond shorter (the legs then share the two cores with them)."""
        hits = search(target, k, filters)
        self.backend.signals([hit.id for hit in hits])
        return hits

    def curation_version(self) -> str:
        """Changes whenever the operators' rules could change an answer, pins starting or
        ending included (cached answers are keyed by it)."""
        return self.curation.current().version(datetime.now(UTC))

    def judgements_version(self) -> int:
        """Changes whenever the agents' duplicate judgements could change an answer, in
        every process alike (cached answers are keyed by it)."""
        return self.judged.version() if self.judged is not None else 0

    def query_vector(self, text: str) -> np.ndarray:
        """The query's embedding (of the text as the models should read it: German typed
        without umlauts respelled), from the shared cache when there is one (the model's
        own in-process cache answers repeats in this process either way)."""
        text = self.analyzer.for_embedding(text)
        if self.vector_cache is None:
            return self.embedder.embed_query(text)
        return self.vector_cache.vector(text, self.embedder.embed_query)

    def params_for(self, query: AnalyzedQuery) -> RankingParams:
        """The ranking weights for a query: the model's languages, or the others."""
        known = self.settings.model_languages
        if not known or any(lang in known for lang in query.languages):
            return self.params
        return self.other_language_params

    def _pinned_first(
        self,
        ranked: list[Ranked],
        curation: Curation,
        text: str,
        query: AnalyzedQuery,
        filters: Filters,
    ) -> list[Ranked]:
        """``ranked`` with the threads pinned for this query first (``indexer.curation``),
        of those the request may see."""
        now = datetime.now(UTC)
        if not curation.has_pins(now):
            return ranked
        # The query's embedding again: the model's in-process cache answers it.
        pinned = curation.pinned(query, self.query_vector(text), now)
        signals = self.backend.signals(pinned) if pinned else {}
        shown = [t for t in pinned if t in signals and filters.admits(signals[t])]
        return put_first(ranked, shown, self.settings.confidence_floor)

    def _signals_with_canonicals(
        self, ids: list[str], filters: Filters, hidden: frozenset[str] = frozenset()
    ) -> dict[str, Signals]:
        """Signals of the candidates and of the canonical threads their duplicates point to.

        A canonical thread outside the filters (or hidden) is left out, so its duplicates
        stay visible on their own rather than pointing at something the filters exclude. So
        is every thread of an ``excluded_states`` state (closed, archived: ``freshness``):
        it is never a result, and its open duplicates show on their own.
        """
        judged = self.judged.links() if self.judged is not None else {}
        excluded = self.settings.excluded_states
        signals = _suggestable(_with_judged(self.backend.signals(ids), judged), excluded)
        if not filters.is_empty or hidden:
            # A candidate outside the filters is dropped (ranking skips ids without signals):
            # a backend that cannot apply a filter inside its legs still returns nothing
            # outside it.
            signals = {k: v for k, v in signals.items() if filters.admits(v) and k not in hidden}
        asked = set(ids)
        for _ in range(ranking.MAX_DUPLICATE_HOPS):
            missing = {s.duplicate_of for s in signals.values() if s.duplicate_of} - asked
            if not missing:
                break
            asked |= missing
            found = _with_judged(self.backend.signals(sorted(missing)), judged)
            found = _suggestable(found, excluded)
            signals.update(
                {k: v for k, v in found.items() if filters.admits(v) and k not in hidden}
            )
        return signals


def _suggestable(signals: dict[str, Signals], excluded: Collection[str]) -> dict[str, Signals]:
    """The signals of the threads that may be suggested (``freshness.is_suggestable``)."""
    return {k: v for k, v in signals.items() if is_suggestable(v.state, excluded)}


def _with_judged(signals: dict[str, Signals], judged: Mapping[str, str]) -> dict[str, Signals]:
    """Signals with the agents' duplicate judgements as ``duplicate_of`` links.

    A moderator's link wins over an agent's. The effect is bounded like a moderator's: the
    judged thread is folded into its canonical thread (which shows once, with the better
    similarity of the two, and one more duplicate), and chains stop after
    ``ranking.MAX_DUPLICATE_HOPS``.
    """
    if not judged:
        return signals
    return {
        thread_id: (
            replace(found, duplicate_of=judged[thread_id])
            if found.duplicate_of is None and thread_id in judged
            else found
        )
        for thread_id, found in signals.items()
    }
