"""Suggestions as a customer types: the demo community's typed questions, scored letter by letter.

The questions (``data/typed_questions.jsonl``, described in ``data/README.md``) are sent to
``/api/suggest`` the way the widget sends them while they are typed: every prefix from the
widget's third character on. For each question this records whether a right thread is
suggested once the whole question is typed, whether nothing is suggested then, and how much
of the question was typed before a right thread was first suggested and before it stayed
suggested to the end. The whole question is also sent to ``/api/search`` (no confidence
floor), so that what the floor costs is visible next to it.

Everything here but ``type_question`` is a pure function over plain data; the clients that
ask askfind are ``ServiceSearcher`` (in-process) and ``HttpSearcher`` (over HTTP).
"""

from __future__ import annotations

import json
import statistics
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Protocol

from indexer.errors import AskfindError
from indexer.evaluation import metrics
from indexer.evaluation.datasets import Dataset, Query

SET_NAME = "demo-typed"
QUESTIONS = Path(__file__).resolve().parent / "data" / "typed_questions.jsonl"
SAMPLE = "sample_community.jsonl"
# The widget's defaults (embed.js): shorter texts are never sent, and it asks for 5.
WIDGET_MIN_CHARS = 3
SUGGEST_LIMIT = 5
# /api/search at the full text is scored to this depth (R@1 and MRR@5).
SEARCH_DEPTH = 5
SPLITS = ("fit", "report")
LANGUAGES = ("de", "en")
TAGS = frozenset(
    {
        "colloquial",
        "cross-language",
        "error-code",
        "keywords",
        "lowercase",
        "run-on",
        "transliterated",
        "typo",
        "vague-start",
    }
)
FIELDS = ("id", "text", "lang", "tags", "answers", "split")


@dataclass(frozen=True)
class TypedQuestion:
    """A question as a customer types it, with every demo thread that answers it."""

    id: str
    text: str
    lang: str
    tags: frozenset[str]
    answers: frozenset[str]
    split: str


@dataclass(frozen=True)
class Outcome:
    """What one question got while it was typed and once it was complete.

    ``first_shown`` and ``shown_for_good`` are shares of the question's characters typed
    (0-1], or None when no right thread was ever suggested (``first_shown``) or when none
    is suggested at the full text (``shown_for_good``).
    """

    question: TypedQuestion
    keystrokes: int
    shown_at_full: bool
    nothing_at_full: bool
    first_shown: float | None
    shown_for_good: float | None
    search_first: bool
    search_reciprocal_rank: float


class Client(Protocol):
    """Asks askfind for suggestions and for a search (``ServiceSearcher``, ``HttpSearcher``)."""

    def suggest(self, text: str, limit: int) -> list[str]: ...

    def search(self, text: str, limit: int, offset: int = 0) -> tuple[list[str], int]: ...


def load_questions(path: Path = QUESTIONS) -> list[TypedQuestion]:
    """Read and check the typed questions (one JSON object a line).

    Raises AskfindError naming the line of the first bad record.
    """
    questions = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                questions.append(_question(json.loads(line)))
            except (ValueError, TypeError, KeyError) as e:
                raise AskfindError(f"{path}, line {number}: {e}") from e
    ids = [question.id for question in questions]
    if len(set(ids)) != len(ids):
        raise AskfindError(f"{path}: question ids are not unique")
    return questions


def _question(record: dict[str, Any]) -> TypedQuestion:
    missing = [name for name in FIELDS if name not in record]
    if missing:
        raise KeyError(f"missing {', '.join(missing)}")
    tags = frozenset(record["tags"])
    if not tags <= TAGS:
        raise ValueError(f"unknown tags {sorted(tags - TAGS)}")
    if record["lang"] not in LANGUAGES or record["split"] not in SPLITS:
        raise ValueError(f"lang must be one of {LANGUAGES}, split one of {SPLITS}")
    if not record["answers"]:
        raise ValueError("no answering thread")
    # The form the API searches: NFC, whitespace collapsed (widget.params.normalise_query).
    text = " ".join(unicodedata.normalize("NFC", str(record["text"])).split())
    if len(text) < WIDGET_MIN_CHARS:
        raise ValueError(f"text shorter than {WIDGET_MIN_CHARS} characters")
    return TypedQuestion(
        id=str(record["id"]),
        text=text,
        lang=record["lang"],
        tags=tags,
        answers=frozenset(str(answer) for answer in record["answers"]),
        split=record["split"],
    )


def demo_dataset(questions: Sequence[TypedQuestion]) -> Dataset:
    """The demo community with the typed questions, for the evaluation harness's indexes."""
    threads = Path(str(resources.files("indexer.data").joinpath(SAMPLE)))
    return Dataset(
        name=SET_NAME,
        threads_path=threads,
        queries=[Query(question.id, question.text, "") for question in questions],
        relevant={question.id: set(question.answers) for question in questions},
    )


def keystrokes(text: str, min_chars: int = WIDGET_MIN_CHARS) -> list[tuple[int, str]]:
    """The texts the widget sends while ``text`` is typed, each with the number of
    characters typed by then: every prefix of at least ``min_chars`` characters, except
    those ending in a space (the widget trims them, so they repeat the text before)."""
    return [
        (typed, text[:typed])
        for typed in range(min_chars, len(text) + 1)
        if not text[typed - 1].isspace()
    ]


def score(
    question: TypedQuestion,
    typed: Sequence[tuple[int, Sequence[str]]],
    searched: Sequence[str],
) -> Outcome:
    """Score one question from its suggestions while typed and its search at the end.

    ``typed``: (characters typed, suggested ids) for each keystroke sent, in typing order,
    the last one the full text. ``searched``: /api/search's ids at the full text, best first.
    """
    if not typed:
        raise ValueError(f"{question.id}: nothing was typed")
    length = len(question.text)
    shown = [bool(question.answers & set(ids)) for _, ids in typed]
    first = next((i for i, hit in enumerate(shown) if hit), None)
    # The first keystroke from which a right thread is suggested at every later one.
    settled = len(shown)
    while settled > 0 and shown[settled - 1]:
        settled -= 1
    return Outcome(
        question=question,
        keystrokes=len(typed),
        shown_at_full=shown[-1],
        nothing_at_full=not typed[-1][1],
        first_shown=None if first is None else typed[first][0] / length,
        shown_for_good=typed[settled][0] / length if shown[-1] else None,
        search_first=metrics.recall_at(searched, question.answers, 1) > 0,
        search_reciprocal_rank=metrics.reciprocal_rank_at(searched, question.answers, SEARCH_DEPTH),
    )


def type_question(client: Client, question: TypedQuestion, limit: int = SUGGEST_LIMIT) -> Outcome:
    """Type one question into askfind letter by letter, then search it whole."""
    typed = [(count, client.suggest(text, limit)) for count, text in keystrokes(question.text)]
    searched, _ = client.search(question.text, SEARCH_DEPTH)
    return score(question, typed, searched)


def groups(questions: Iterable[TypedQuestion]) -> dict[str, list[str]]:
    """The rows of the report, each the ids of its questions: all, each split, each
    language, each direction of the cross-language questions, each tag."""
    questions = list(questions)
    rows: dict[str, list[str]] = {"all": [q.id for q in questions]}
    for split in SPLITS:
        rows[f"split {split}"] = [q.id for q in questions if q.split == split]
    for lang in LANGUAGES:
        rows[lang] = [q.id for q in questions if q.lang == lang]
    for lang in LANGUAGES:
        other = "en" if lang == "de" else "de"
        rows[f"{lang}, answered in {other} only"] = [
            q.id for q in questions if q.lang == lang and "cross-language" in q.tags
        ]
    for tag in sorted(TAGS):
        rows[tag] = [q.id for q in questions if tag in q.tags]
    return {name: ids for name, ids in rows.items() if ids}


def summarise(outcomes: Sequence[Outcome]) -> dict[str, dict[str, float | None]]:
    """The metrics of each report row (``groups``), in percent except the count ``n``.

    The typed shares are medians over the questions where a right thread was suggested
    at all (first shown) and where it was still suggested at the full text (for good);
    None where there is none.
    """
    by_id = {outcome.question.id: outcome for outcome in outcomes}
    table: dict[str, dict[str, float | None]] = {}
    for name, ids in groups(outcome.question for outcome in outcomes).items():
        rows = [by_id[question_id] for question_id in ids]
        first = [o.first_shown for o in rows if o.first_shown is not None]
        settled = [o.shown_for_good for o in rows if o.shown_for_good is not None]
        table[name] = {
            "n": len(rows),
            "shown at full %": _percent(o.shown_at_full for o in rows),
            "nothing at full %": _percent(o.nothing_at_full for o in rows),
            "ever shown %": _percent(o.first_shown is not None for o in rows),
            "typed % first shown": _median_percent(first),
            "typed % shown for good": _median_percent(settled),
            "search R@1": _percent(o.search_first for o in rows),
            "search MRR@5": 100 * statistics.fmean(o.search_reciprocal_rank for o in rows),
        }
    return table


def _percent(flags: Iterable[bool]) -> float:
    return 100 * statistics.fmean(float(flag) for flag in flags)


def _median_percent(shares: Sequence[float]) -> float | None:
    return 100 * statistics.median(shares) if shares else None


def markdown(table: dict[str, dict[str, float | None]], via: str) -> str:
    """The table of ``summarise`` in the form of scripts/eval's other tables."""
    columns = list(next(iter(table.values())))
    lines = [f"\n### {SET_NAME} (via {via})\n"]
    lines.append("| questions | " + " | ".join(columns) + " |")
    lines.append("|---" * (len(columns) + 1) + "|")
    for name, row in table.items():
        cells = [_cell(column, row[column]) for column in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _cell(column: str, value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.0f}" if column == "n" else f"{value:.1f}"
