"""The rows of the report's table: each figure measured, next to its goal where it has one."""

from __future__ import annotations

from typing import Any

from ..instruments.stats import median_of
from .in_process import IN_PROCESS_KEYS, TRANSFORMER

INDEX_GOAL = 100  # threads/s including embeddings (the goal)
REINDEX_GOAL = 2000  # threads/s for unchanged threads


def _ms(figures: dict[str, float]) -> str:
    return f"p50 {figures['p50']:.1f} · p95 {figures['p95']:.1f} · p99 {figures['p99']:.1f} ms"


def _median_ms(runs: list[dict[str, Any]], key: str) -> str:
    """Median over runs of each percentile of ``key``."""
    figures = {p: median_of([run[key] for run in runs], p) or 0.0 for p in ("p50", "p95", "p99")}
    return _ms(figures)


def _goal(value: float, goal: float) -> str:
    return f"≥ {goal:,} threads/s: {'met' if value >= goal else 'missed'}"


def index_rows(
    indexing: dict[str, Any] | None, threads: int, cores: int
) -> list[tuple[str, str, str]]:
    if not indexing:
        return [("Indexing", "not measured (--skip-index, no earlier results)", "")]
    runs = indexing["runs"]
    reused = f" (from the run of {indexing['reused_from']})" if "reused_from" in indexing else ""
    fresh_label = (
        "Indexing into an empty index, every embedding already cached (bulk indexing only)"
        if indexing.get("embeddings_cached")
        else "Indexing from scratch, every thread embedded"
    )
    rows = []
    for kind, label, goal in (
        ("fresh", fresh_label, INDEX_GOAL),
        ("unchanged", "Re-indexing, every thread unchanged", REINDEX_GOAL),
    ):
        done = [run[kind] for run in runs]
        rate = median_of(done, "threads_per_s") or 0.0
        spread = min(r["threads_per_s"] for r in done), max(r["threads_per_s"] for r in done)
        seconds = median_of(done, "seconds") or 0.0
        # On a shared machine CPU time says more than wall time of what the work costs.
        cpu = median_of(done, "cpu_seconds") or 1.0
        pipeline = median_of(done, "pipeline_seconds") or 0.0
        rows.append(
            (
                f"{label}{reused}",
                f"**{rate:,.0f} threads/s** ({threads:,} in {seconds:,.0f} s wall; "
                f"{len(done)} run(s): {spread[0]:,.0f}–{spread[1]:,.0f}/s)",
                "" if kind == "fresh" and indexing.get("embeddings_cached") else _goal(rate, goal),
            )
        )
        rows.append(
            (
                "… of which process start-up (wall − the pipeline's own time)",
                f"{seconds - pipeline:,.1f} s; the pipeline alone: "
                f"{median_of(done, 'pipeline_threads_per_s'):,.0f} threads/s",
                "",
            )
        )
        rows.append(
            (
                "… peak RSS of `askfind index`, CPU time",
                f"{median_of(done, 'peak_rss_mib'):,.0f} MiB, "
                f"{median_of(done, 'cpu_seconds'):,.0f} CPU-s, {threads / cpu:,.0f} threads "
                f"per CPU-second: at best ≈ {threads / cpu * cores:,.0f} threads/s with all "
                f"{cores} cores to itself",
                "",
            )
        )
    fresh = runs[-1]["fresh"]
    rows.append(
        (
            "… on disk after indexing",
            f"index {fresh['index_bytes'] / 2**20:,.0f} MiB, "
            f"embedding cache {fresh['embedding_cache_bytes'] / 2**20:,.0f} MiB",
            "",
        )
    )
    return rows


def serve_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    serving = r["serving"]
    latency = serving["latency"]
    n = f"median of {len(latency)} runs × {latency[0]['miss_ms']['n']} requests"
    rows = [
        (
            "`/api/suggest`, cache miss (distinct texts), concurrency 1",
            f"{_median_ms(latency, 'miss_ms')} ({n})",
            "",
        ),
        (
            "`/api/suggest`, query embedding cached (same texts again)",
            f"{_median_ms(latency, 'hit_ms')} ({n})",
            "",
        ),
        (
            "… answers with at least one suggestion above the floor",
            f"{median_of(latency, 'share_with_suggestions'):.0%}",
            "",
        ),
    ]
    for level, runs in serving["throughput"].items():
        latencies = [run["latency_ms"] for run in runs]
        rows.append(
            (
                f"Throughput, concurrency {level} ({r['duration']:.0f} s, distinct texts)",
                f"**{median_of(runs, 'requests_per_s'):,.1f} req/s**, "
                f"p50 {median_of(latencies, 'p50'):,.0f} · "
                f"p95 {median_of(latencies, 'p95'):,.0f} ms, "
                f"{sum(run['errors'] for run in runs)} errors in "
                f"{sum(run['requests'] for run in runs):,} requests "
                f"(median of {len(runs)} runs; load generator used "
                f"{median_of(runs, 'client_cpu_cores'):.2f} cores)",
                "",
            )
        )
    if writes := serving.get("writes"):
        rows += write_rows(writes)
    rows.append(
        (
            "Server start-up (`askfind serve` until every worker is loaded and idle)",
            f"{r['phases']['server start']['seconds']:,.0f} s",
            "",
        )
    )
    if "reindex_under_load" in serving:
        rebuild = serving["reindex_under_load"]["rebuild"]
        load = serving["reindex_under_load"]["load"]
        rows.append(
            (
                f"Full rebuild (`askfind index`, {rebuild['read']:,} threads carried over) "
                f"while {load['concurrency']} clients send suggestions",
                f"rebuilt in {rebuild['seconds']:,.0f} s; **{load['failed']} failed** of "
                f"{load['requests']:,} requests (statuses {load['statuses']}), "
                f"p50 {load['latency_ms']['p50']:,.0f} · p95 {load['latency_ms']['p95']:,.0f} ms",
                "0 failed: met" if load["failed"] == 0 else "0 failed: missed",
            )
        )
    peaks = serving["workers_peak_rss_mib"]
    rows.append(
        (
            f"Server peak RSS (VmHWM), {len(peaks)} gunicorn workers after the load",
            f"sum {sum(peaks):,.0f} MiB, max {max(peaks, default=0):,.0f} MiB "
            f"(master {serving['master_peak_rss_mib']:,.0f} MiB)",
            "",
        )
    )
    if memory := serving.get("memory_after_load_kib"):
        rows += memory_rows(memory)
    return rows


def write_rows(writes: dict[str, Any]) -> list[tuple[str, str, str]]:
    """How soon a thread written or deleted through the API is seen by searches."""
    agreed = f"{writes['in_a_row']} answers in a row on new connections"
    return [
        (
            f"A thread written through the API (`POST /api/threads`), until {agreed} "
            "find it by a word of its own (`/api/search`)",
            f"{_ms(writes['visible_ms'])} after the write was sent ({writes['probes']} "
            f"threads; the write itself: {_ms(writes['write_ms'])})",
            "",
        ),
        (
            f"… deleted (`DELETE /api/threads/<id>`), until {agreed} no longer find it",
            f"{_ms(writes['gone_ms'])} (the delete itself: {_ms(writes['delete_ms'])})",
            "",
        ),
    ]


def memory_rows(memory: dict[str, Any]) -> list[tuple[str, str, str]]:
    """RSS, PSS and USS after the load: PSS counts the pages the workers share (the mapped
    index, the model) once between them, so it adds up; RSS counts them in each."""

    def mib(shares: list[dict[str, int]], key: str) -> str:
        return f"{sum(s.get(key, 0) for s in shares) / 1024:,.0f}"

    server = [memory["master"], *memory["workers"]]
    rows = [
        (
            f"Server memory after the load, master and {len(memory['workers'])} workers: "
            "RSS / PSS / USS",
            f"{mib(server, 'rss')} / **{mib(server, 'pss')}** / {mib(server, 'uss')} MiB "
            f"(workers each: PSS {', '.join(mib([w], 'pss') for w in memory['workers'])} MiB, "
            f"USS {', '.join(mib([w], 'uss') for w in memory['workers'])} MiB)",
            "",
        )
    ]
    if nodes := memory.get("elasticsearch_nodes"):
        rows.append(
            (
                f"Elasticsearch memory, {len(nodes)} node(s): RSS / PSS / USS",
                f"{mib(nodes, 'rss')} / **{mib(nodes, 'pss')}** / {mib(nodes, 'uss')} MiB",
                "",
            )
        )
    return rows


def in_process_rows(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    if not all(key in r for key in IN_PROCESS_KEYS):
        return []  # --serving-only after a run that did not get as far as these
    rows = []
    embedding = r["query_embedding"]
    if "error" in embedding:
        rows.append(("Query embedding alone, in-process", f"failed: {embedding['error']}", ""))
    else:
        rows.append(
            (
                f"Query embedding alone, in-process, uncached ({embedding['model']})",
                f"{_ms(embedding['ms'])} ({embedding['ms']['n']:,} queries)",
                "",
            )
        )
    suggest = r["in_process_suggest"]
    rows.append(
        (
            "Suggest in-process (search service, no HTTP), uncached",
            f"failed: {suggest['error']}" if "error" in suggest else _ms(suggest["ms"]),
            "",
        )
    )
    equivalence = r["equivalence"]
    if "error" in equivalence:
        rows.append(("Cosine int8 vs float32", f"failed: {equivalence['error']}", ""))
        return rows
    docs, queries = equivalence["documents"], equivalence["queries"]
    rows += [
        (
            f"Query embedding of {TRANSFORMER} in float32, for comparison",
            _ms(equivalence["float32_query_ms"]),
            "",
        ),
        (
            f"Cosine {TRANSFORMER} int8 vs float32, {docs['n']} real thread texts",
            f"min {docs['min']:.4f}, mean {docs['mean']:.4f}",
            "",
        ),
        (
            f"… {queries['n']:,} query texts",
            f"min {queries['min']:.4f}, mean {queries['mean']:.4f}",
            "",
        ),
    ]
    return rows
