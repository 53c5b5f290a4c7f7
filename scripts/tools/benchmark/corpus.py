"""The benchmark's corpus: real threads recombined into as many as asked, the same for a seed.

Real titles, bodies and answers keep the text realistic for the embedding and the analysis;
the community signals (board, kudos, views, dates) are drawn at random.
"""

from __future__ import annotations

import argparse
import json
import os
import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

# The seed of the corpus, the query pool and the sample compared in float32: the same
# texts in every run.
SEED = 20240601
# Boards of a telecom help community, most popular first; weights fall off like Zipf's law.
BOARDS = (
    "Internet & Telefonie",
    "Mobilfunk",
    "Rechnung & Vertrag",
    "MagentaTV",
    "Geräte & Zubehör",
    "Glasfaser",
    "E-Mail & Cloud",
    "Smart Home",
    "Festnetz",
    "Sonstiges",
)
FIRST_POST = datetime(2012, 1, 1, tzinfo=UTC)
LAST_POST = datetime(2025, 6, 30, tzinfo=UTC)


def synthetic_threads(real: list[dict[str, Any]], count: int, seed: int) -> Iterator[dict]:
    """Recombine real threads into ``count`` new ones, identically for the same seed.

    Thread i takes the title (and lang, tags) of one real thread, the body of another
    (among real threads with a body) and the replies of a third (which may have none:
    unanswered threads are real too), plus random community signals.
    """
    rng = random.Random(seed)
    with_body = [thread for thread in real if (thread.get("body") or "").strip()]
    board_weights = [1 / rank for rank in range(1, len(BOARDS) + 1)]
    for i in range(count):
        titled, bodied, answered = rng.choice(real), rng.choice(with_body), rng.choice(real)
        thread_id = f"bench-{i}"
        accepted = _answer(answered.get("accepted_answer"), f"{thread_id}-a")
        answers = [
            _answer(answer, f"{thread_id}-c{n}")
            for n, answer in enumerate(answered.get("answers") or [])
        ]
        replies = len(answers) + (accepted is not None) + rng.choice((0, 0, 0, 1, 2, 5))
        yield {
            "id": thread_id,
            "title": titled["title"],
            "body": bodied["body"],
            "url": f"https://community.example.invalid/t/{thread_id}",
            "board": rng.choices(BOARDS, weights=board_weights)[0],
            "tags": list(titled.get("tags") or []),
            "lang": titled.get("lang"),
            "created_at": _random_time(rng).isoformat(timespec="seconds"),
            "kudos": _kudos(rng),
            "views": int(rng.lognormvariate(5.5, 1.4)) + 10 * replies,
            "replies": replies,
            "solved": accepted is not None,
            "accepted_answer": accepted,
            "answers": [answer for answer in answers if answer is not None],
        }


def _answer(answer: dict[str, Any] | None, new_id: str) -> dict[str, Any] | None:
    if not answer or not (answer.get("body") or "").strip():
        return None
    return {
        "id": new_id,
        "body": answer["body"],
        "author": answer.get("author"),
        "kudos": int(answer.get("kudos") or 0),
    }


def _kudos(rng: random.Random) -> int:
    """Mostly a handful, a long tail into the hundreds, and a few downvoted threads."""
    if rng.random() < 0.05:
        return -rng.randint(1, 3)
    return min(int(rng.paretovariate(1.3)) - 1, 2000)


def _random_time(rng: random.Random) -> datetime:
    span = (LAST_POST - FIRST_POST).total_seconds()
    return FIRST_POST + timedelta(seconds=int(rng.random() * span))


def write_corpus(path: Path, threads: Iterator[dict[str, Any]]) -> int:
    """Write threads as JSON Lines (aside, then renamed); returns how many."""
    scratch = path.with_suffix(".tmp")
    written = 0
    with scratch.open("w", encoding="utf-8") as out:
        for thread in threads:
            out.write(json.dumps(thread, ensure_ascii=False, sort_keys=True) + "\n")
            written += 1
    os.replace(scratch, path)
    return written


def build_corpus(
    args: argparse.Namespace, work: Path, real: list[dict], earlier: dict[str, Any]
) -> dict[str, Any]:
    """Write the recombined corpus (the same bytes for the same size and seed).

    With ``--skip-index`` the index served was built from the corpus already in the work
    dir, and its figures from the last run (``earlier``) are kept: writing 1.7 GB again at
    a million threads had the disk still writing back while the latency was measured,
    and reading it back held gigabytes in this process beside the server.
    """
    path = work / f"corpus-{args.threads}.jsonl"
    kept = earlier.get("corpus")
    if args.skip_index and kept and kept.get("path") == str(path) and path.is_file():
        return {**kept, "reused_from": kept.get("reused_from") or earlier.get("started")}
    write_corpus(path, synthetic_threads(real, args.threads, SEED))
    records = [json.loads(line) for line in path.open(encoding="utf-8")]
    count = len(records)
    return {
        "path": str(path),
        "threads": count,
        "bytes": path.stat().st_size,
        "real_threads": len(real),
        "seed": SEED,
        "share_de": sum(r["lang"] == "de" for r in records) / count,
        "share_solved": sum(r["solved"] for r in records) / count,
        "share_with_replies": sum(bool(r["answers"] or r["accepted_answer"]) for r in records)
        / count,
    }
