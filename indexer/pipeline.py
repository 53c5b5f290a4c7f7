"""The indexing pipeline: read -> clean -> analyse -> embed -> backend, with counts.

A thread whose content is identical to what the live index holds is carried over as it
was indexed (no cleaning, analysis or embedding again): that is what makes a nightly full
rebuild of an unchanged community cheap. Changed threads are embedded in batches, and
vectors are looked up first in the (model, content hash) cache.

Every thread is first cut to ``thread_max_chars`` (``threads.bounded_thread``), whichever
way it came (``askfind index``, sync, webhooks, the write API), and the text handed to
the model is cut to what it reads: one thread of megabytes costs neither seconds nor a
worker's memory for good.

A thread is counted once however many records of a run hold its id (the last one is what
the index keeps): the others are counted as repeated. That keeps every id of a run in
memory (some tens of bytes each), as the JSON Lines reader does to warn of them.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from indexer.analysis.analyzer import Analyzer
from indexer.backends.base import Backend, IndexedThread
from indexer.cleaning import clean_text, clean_title
from indexer.embedding import Embedder, EmbeddingCache, content_hash
from indexer.errors import AskfindError
from indexer.settings import Settings
from indexer.sources.base import RecordError, SourceItem
from indexer.threads import Thread, bounded_thread
from indexer.visibility import grants, with_board_groups

# Bump when analysis or cleaning changes what a thread turns into: every thread is then
# prepared anew instead of carried over.
ANALYSIS_VERSION = "6"
BATCH_SIZE = 256
# The models read embedding_max_tokens word pieces (words, for USE) and drop the rest,
# but tokenisers and respelling go through all of it first: the text is cut before, at a
# length no run of that many word pieces reaches (the longest German words are ~40).
EMBEDDING_CHARS_PER_TOKEN = 32
ERRORS_KEPT = 100

Mode = Literal["rebuild", "upsert"]


@dataclass
class CutThreads:
    """Threads of a run that had a text cut on ingest, and the first ``ERRORS_KEPT`` of
    their ids."""

    count: int = 0
    ids: list[str] = field(default_factory=list)

    def add(self, thread_id: str) -> None:
        self.count += 1
        if len(self.ids) < ERRORS_KEPT:
            self.ids.append(thread_id)


@dataclass
class IndexReport:
    """Counts of an indexing run, each thread once: read = indexed + unchanged + repeated
    + skipped. ``added`` are the indexed threads the live index did not hold before (the
    rest of ``indexed`` replaced a changed version); ``repeated`` the records of an id an
    earlier record of the run held."""

    read: int = 0
    indexed: int = 0
    added: int = 0
    unchanged: int = 0
    repeated: int = 0
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    # Threads cut to size (indexed all the same); of them, those whose title was cut at
    # TITLE_MAX_CHARS and those whose body or answers were cut at thread_max_chars (a
    # thread may be in both).
    truncated: CutThreads = field(default_factory=CutThreads)
    titles_cut: CutThreads = field(default_factory=CutThreads)
    texts_cut: CutThreads = field(default_factory=CutThreads)
    seconds: float = 0.0
    published: bool = False

    @property
    def usable(self) -> int:
        return self.indexed + self.unchanged

    def summary(self) -> str:
        rate = self.read / self.seconds if self.seconds else 0.0
        repeated = f"repeated {self.repeated}, " if self.repeated else ""
        cut = f", {self.truncated.count} cut to size" if self.truncated.count else ""
        return (
            f"read {self.read}, indexed {self.indexed}, unchanged {self.unchanged}, "
            f"{repeated}skipped {self.skipped}{cut} in {self.seconds:.1f} s "
            f"({rate:.0f} threads/s)"
        )


class StrictModeError(AskfindError):
    """A bad record was met with --strict: the run stops and nothing is published."""


class ThreadPreparer:
    """Turn threads into IndexedThreads: detect language, clean, analyse, embed."""

    def __init__(
        self, settings: Settings, analyzer: Analyzer, embedder: Embedder, cache: EmbeddingCache
    ) -> None:
        self.settings = settings
        self.analyzer = analyzer
        self.embedder = embedder
        self.cache = cache
        self._board_groups = grants(settings.restricted_boards)
        self._fingerprint_prefix = "|".join(
            [
                ANALYSIS_VERSION,
                embedder.model_id,
                ",".join(settings.languages),
                settings.default_language,
            ]
        )

    def fingerprint(self, thread: Thread) -> str:
        """Content hash of a thread as given, and of everything that shapes its index entry."""
        record = json.dumps(self.restricted(thread).to_record(), sort_keys=True, ensure_ascii=False)
        return content_hash(f"{self._fingerprint_prefix}|{record}")

    def prepare(
        self, threads: Sequence[Thread], fingerprints: Sequence[str]
    ) -> list[IndexedThread]:
        """Analyse and embed a batch of threads.

        The threads the cache has no vector for are embedded by the embedder's own
        threads while this one detects languages and analyses (Python, holding the GIL;
        the models' matrix products release it): on two cores, both are busy.
        """
        threads = [self.restricted(thread) for thread in threads]
        texts = [_PlainText.of(thread) for thread in threads]
        vectors = self._vectors([self._embedding_text(text) for text in texts])
        langs = [
            thread.lang or self.analyzer.detect_language(f"{text.title}\n{text.body}").lang
            for thread, text in zip(threads, texts, strict=True)
        ]
        analysed = [
            {
                "title": self.analyzer.document_terms(text.title, lang),
                "body": self.analyzer.document_terms(f"{text.body}\n{' '.join(thread.tags)}", lang),
                "solution": self.analyzer.document_terms(text.solution, lang),
                "answers": self.analyzer.document_terms(text.answers, lang),
            }
            for thread, text, lang in zip(threads, texts, langs, strict=True)
        ]
        return [
            IndexedThread(
                thread=thread if thread.lang else thread.with_changes(lang=lang),
                terms={name: tuple(values) for name, values in terms.items()},
                vector=vector,
                content_hash=fingerprint,
            )
            for thread, lang, terms, vector, fingerprint in zip(
                threads, langs, analysed, vectors.result(), fingerprints, strict=True
            )
        ]

    def restricted(self, thread: Thread) -> Thread:
        """The thread with the groups of its board, if ``restricted_boards`` names it."""
        return with_board_groups(thread, self._board_groups) if self._board_groups else thread

    def vectors(self, threads: Sequence[Thread]) -> list:
        """The threads' vectors as indexing computes them (from the cache when there)."""
        texts = [self._embedding_text(_PlainText.of(thread)) for thread in threads]
        return self._vectors(texts).result()

    def _embedding_text(self, text: _PlainText) -> str:
        bound = self.settings.embedding_max_tokens * EMBEDDING_CHARS_PER_TOKEN
        return self.analyzer.for_embedding(text.for_embedding()[:bound])

    def _vectors(self, texts: list[str]) -> _PendingVectors:
        """The texts' vectors: cached ones at once, the others being embedded meanwhile."""
        keys = [content_hash(text) for text in texts]
        cached = self.cache.get_many(keys)
        missing = [i for i, key in enumerate(keys) if key not in cached]
        fresh = self.embedder.start_documents([texts[i] for i in missing]) if missing else None
        return _PendingVectors(self.cache, keys, cached, missing, fresh)


@dataclass
class _PendingVectors:
    """Vectors of a batch, some still being embedded; ``result`` waits for them and
    caches them (in the calling thread: the cache's SQLite connection is that thread's)."""

    cache: EmbeddingCache
    keys: list[str]
    cached: dict[str, Any]
    missing: list[int]
    fresh: Callable[[], Any] | None

    def result(self) -> list:
        if self.fresh is not None:
            vectors = self.fresh()
            self.cache.put_many((self.keys[i], vectors[n]) for n, i in enumerate(self.missing))
            self.cached.update({self.keys[i]: vectors[n] for n, i in enumerate(self.missing)})
            self.fresh = None
        return [self.cached[key] for key in self.keys]


@dataclass(frozen=True, slots=True)
class _PlainText:
    """A thread's texts after cleaning."""

    title: str
    body: str
    solution: str
    answers: str

    @classmethod
    def of(cls, thread: Thread) -> _PlainText:
        return cls(
            title=clean_title(thread.title),
            body=clean_text(thread.body),
            solution=clean_text(thread.accepted_answer.body) if thread.accepted_answer else "",
            answers="\n".join(clean_text(answer.body) for answer in thread.answers),
        )

    def for_embedding(self) -> str:
        # The title first: the model reads a limited number of word pieces.
        return f"{self.title}\n{self.body}" if self.body else self.title


class Indexer:
    """Feed source items into a backend, by full rebuild or by upsert."""

    def __init__(self, backend: Backend, preparer: ThreadPreparer) -> None:
        self.backend = backend
        self.preparer = preparer

    def run(
        self,
        items: Iterable[SourceItem],
        mode: Mode = "rebuild",
        strict: bool = False,
        on_error: Callable[[RecordError], None] | None = None,
        on_progress: Callable[[IndexReport], None] | None = None,
    ) -> IndexReport:
        """Index every thread of ``items``.

        rebuild: the result replaces the live index when the run ends with at least one
        usable thread (the old index serves until then, and stays if the run fails).
        Unchanged threads are copied over as they were indexed.
        upsert: changed threads are inserted or replaced in the live index batch by batch;
        unchanged ones are left alone.

        Raises:
            StrictModeError: ``strict`` and a record was bad; nothing was published.
        """
        report = IndexReport()
        started = time.monotonic()
        if mode == "rebuild":
            with self.backend.rebuild() as rebuild:
                sink = _Sink(rebuild.content_hashes, rebuild.add, rebuild.carry_over)
                self._feed(items, sink, report, strict, on_error, on_progress, started)
                if report.usable:
                    rebuild.commit()
                    report.published = True
        else:
            sink = _Sink(self.backend.content_hashes, self.backend.upsert, carry_over=None)
            self._feed(items, sink, report, strict, on_error, on_progress, started)
            report.published = report.indexed > 0
        report.seconds = time.monotonic() - started
        return report

    def _feed(
        self,
        items: Iterable[SourceItem],
        sink: _Sink,
        report: IndexReport,
        strict: bool,
        on_error: Callable[[RecordError], None] | None,
        on_progress: Callable[[IndexReport], None] | None,
        started: float,
    ) -> None:
        batch: list[Thread] = []
        # Every id of the run so far: True once a record of it was written, False while
        # it is counted unchanged.
        written: dict[str, bool] = {}
        for item in items:
            report.read += 1
            if isinstance(item, RecordError):
                report.skipped += 1
                if len(report.errors) < ERRORS_KEPT:
                    report.errors.append(item)
                if on_error:
                    on_error(item)
                if strict:
                    raise StrictModeError(f"bad record with --strict: {item}")
                continue
            batch.append(self._bounded(item, report))
            if len(batch) >= BATCH_SIZE:
                self._flush(batch, sink, report, written)
                batch = []
                report.seconds = time.monotonic() - started
                if on_progress:
                    on_progress(report)
        if batch:
            self._flush(batch, sink, report, written)
        report.seconds = time.monotonic() - started
        if on_progress:
            on_progress(report)

    def _bounded(self, thread: Thread, report: IndexReport) -> Thread:
        """The thread cut to size (counted in the report if it was cut, by what was cut)."""
        bounded = bounded_thread(thread, self.preparer.settings.thread_max_chars)
        if bounded is thread:
            return thread
        report.truncated.add(thread.id)
        if bounded.title != thread.title:
            report.titles_cut.add(thread.id)
        texts = (bounded.body, bounded.accepted_answer, bounded.answers)
        if texts != (thread.body, thread.accepted_answer, thread.answers):
            report.texts_cut.add(thread.id)
        return bounded

    def _flush(
        self, batch: list[Thread], sink: _Sink, report: IndexReport, written: dict[str, bool]
    ) -> None:
        # The last occurrence of an id in a batch wins, as it would in separate batches.
        latest = {thread.id: thread for thread in batch}
        fingerprints = {i: self.preparer.fingerprint(t) for i, t in latest.items()}
        live = sink.content_hashes(list(fingerprints))
        unchanged = [i for i, fingerprint in fingerprints.items() if live.get(i) == fingerprint]
        changed = [latest[i] for i in fingerprints if live.get(i) != fingerprints[i]]
        if unchanged and sink.carry_over is not None:
            sink.carry_over(unchanged)
        prepared = self.preparer.prepare(changed, [fingerprints[t.id] for t in changed])
        if prepared:
            sink.write(prepared)
        # An id repeated within a batch: its earlier versions are repeats, never written.
        report.repeated += len(batch) - len(latest)
        for thread_id in unchanged:
            if thread_id in written:
                report.repeated += 1
            else:
                written[thread_id] = False
                report.unchanged += 1
        for thread in changed:
            before = written.get(thread.id)
            written[thread.id] = True
            if before is None:
                report.indexed += 1
                if thread.id not in live:
                    report.added += 1
                continue
            report.repeated += 1
            if before is False:  # counted unchanged, then a later record changed it
                report.unchanged -= 1
                report.indexed += 1


@dataclass(frozen=True, slots=True)
class _Sink:
    """Where a run writes: new and changed threads, and (rebuilds) unchanged ones; and
    what it compares with to tell them apart."""

    content_hashes: Callable[[Sequence[str]], dict[str, str]]
    write: Callable[[Sequence[IndexedThread]], None]
    carry_over: Callable[[Sequence[str]], None] | None
