"""The report: one markdown section per backend and corpus size in docs/benchmarks.md.

A new run replaces its own section and keeps every other one.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .rows import in_process_rows, index_rows, serve_rows

HEADER = """# askfind benchmarks

Written by `scripts/bench` (one section per backend and corpus size; a new run replaces
its own section). Speed is measured here, on the 2-core reference machine, never by timed
assertions in tests. Goals from the issue: indexing from scratch >= 100 threads/s
including embeddings, re-indexing unchanged threads >= 2,000 threads/s.
"""


def _other_cpu(phase: dict[str, Any]) -> str:
    # CPU time is counted in clock ticks: over a second or two the share is noise.
    if phase["seconds"] < 3:
        return "–"
    return f"{phase['other_cpu_cores']:.2f} cores"


def render_section(r: dict[str, Any]) -> str:
    """The markdown section of one (backend, thread count)."""
    key = f"{r['backend']}:{r['threads']}"
    m, corpus, settings = r["machine"], r["corpus"], r["settings"]
    rows = (
        index_rows(r["indexing"], r["threads"], r["machine"]["cores"])
        + serve_rows(r)
        + in_process_rows(r)
    )
    table = ["| measure | result | goal |", "|---|---|---|"]
    table += [f"| {a} | {b} | {c} |" for a, b, c in rows]
    phases = [
        "| phase | wall time | load avg 1 min (mean / max) | other processes' CPU |",
        "|---|---|---|---|",
    ]
    phases += [
        f"| {name} | {p['seconds']:,.0f} s | {p['load1_mean']:.1f} / {p['load1_max']:.1f} "
        f"| {_other_cpu(p)} |"
        for name, p in r["phases"].items()
    ]
    dirty = ", ".join(r["askfind"]["modified"]) or "none"
    if r.get("askfind_at_end", r["askfind"]) != r["askfind"]:
        dirty += (
            f"; **the working tree changed during the run** (at the end: "
            f"{r['askfind_at_end']['commit']}, modified "
            f"{', '.join(r['askfind_at_end']['modified']) or 'none'})"
        )
    return "\n".join(
        [
            f"<!-- bench:{key} -->",
            f"## {r['backend']} backend, {r['threads']:,} threads",
            "",
            f"Measured {r['started']} on {m['cpu']}, {m['cores']} cores, {m['ram_gib']} GiB RAM, "
            f"Linux {m['kernel']}, Python {m['python']}; askfind {r['askfind']['commit']} "
            f"(uncommitted changes: {dirty}). The machine is shared: see the load of each phase "
            "below."
            + (
                f" Indexing, the rebuild under load and the in-process figures are those of the "
                f"run of {r['reused']} (`--serving-only`)."
                if r.get("reused")
                else ""
            ),
            "",
            f"    {r['command']}",
            "",
            *table,
            "",
            f"Corpus: {corpus['threads']:,} threads "
            f"({corpus['bytes'] / 2**20:,.0f} MiB JSON Lines) "
            f"recombined from the {corpus['real_threads']:,} real threads of the evaluation data "
            "(SemEval-2016 Qatar Living, Stack Exchange cardano/iot/quantumcomputing, STSb-de) "
            f"with seed {corpus['seed']}: thread i takes the title, tags and `lang` of one random "
            "real thread, the body of another (among those with a body) and the accepted answer "
            "and answers of a third (which may have none); board (10 boards of a telecom "
            "community, Zipf-weighted), kudos (Pareto, 5 % negative), views (log-normal), "
            "replies (≥ the answers given), created_at (2012–2025) are random, `solved` is true "
            "exactly when there is an accepted answer, ids are `bench-<i>`, no `duplicate_of`. "
            f"German: {corpus['share_de']:.0%}, solved: {corpus['share_solved']:.0%}, with "
            f"replies: {corpus['share_with_replies']:.0%}.",
            "",
            "Queries: as-you-type prefixes of real titles of the evaluation data (thread and "
            "query titles, German and English), cut after 2–6 words, 40 % of them in the middle "
            "of the next word; none equals a corpus title, and every text is sent once per "
            "measurement so that it misses the query cache (the cached figures send the same "
            "texts again on the same connection). Latency is client-side over loopback HTTP "
            "with keep-alive connections (`http.client`); the load generator runs on the same "
            "two cores as the server.",
            "",
            "Settings: " + ", ".join(f"{k}={v}" for k, v in settings.items()) + ".",
            "",
            "Phases, with the 1-minute load average sampled every 2 s (it counts this "
            "benchmark's own server and indexer too) and the CPU that everything outside "
            "this benchmark's process tree used meanwhile (the machine's busy time from "
            "/proc/stat minus the benchmark's own), i.e. the other sessions on the machine:",
            "",
            *phases,
            f"<!-- /bench:{key} -->",
        ]
    )


def update_document(path: Path, key: str, section: str) -> None:
    """Replace the section of the same backend and size, keep every other one."""
    text = path.read_text() if path.is_file() else HEADER
    pattern = re.compile(
        rf"<!-- bench:{re.escape(key)} -->.*?<!-- /bench:{re.escape(key)} -->", re.DOTALL
    )
    if pattern.search(text):
        text = pattern.sub(lambda _: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def report(results: dict[str, Any], output: Path) -> int:
    """Write the section into the benchmarks document and show it."""
    section = render_section(results)
    update_document(output, f"{results['backend']}:{results['threads']}", section)
    print(section)
    return 0
