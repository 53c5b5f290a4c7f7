"""Content gaps as CSV, one row per group, for spreadsheets (``askfind gaps --csv``,
``GET /api/admin/gaps?format=csv``).

Customers' words and thread titles are untrusted: a cell that a spreadsheet would take
for a formula (starting with ``=``, ``+``, ``-``, ``@``, tab or carriage return) is
prefixed with an apostrophe, as OWASP advises against CSV injection, so it shows as text.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from indexer.analytics.gaps import GapGroup, GapReport

COLUMNS = (
    "list",
    "id",
    "question",
    "lang",
    "searches",
    "sessions",
    "gap_sessions",
    "no_match_sessions",
    "poor_match_sessions",
    "found_sessions",
    "examples",
    "candidate_ids",
    "candidate_titles",
    "candidate_scores",
    "candidate_confidences",
)
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Several values in one cell: a separator that neither ids nor typed questions carry often.
JOINER = " | "


def gaps_csv(report: GapReport) -> str:
    """The groups of both lists as CSV text with a header row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for group in report.no_match + report.poor_match:
        writer.writerow([_cell(value) for value in _row(group)])
    return out.getvalue()


def _row(group: GapGroup) -> list[Any]:
    data = group.to_dict()
    candidates = data["candidates"]
    return [
        group.kind,
        group.id,
        group.question,
        group.lang or "",
        group.searches,
        group.sessions,
        group.gap_sessions,
        group.no_match_sessions,
        group.poor_match_sessions,
        group.found_sessions,
        JOINER.join(example["query"] for example in data["examples"]),
        JOINER.join(c["id"] for c in candidates),
        JOINER.join(c["title"] for c in candidates),
        JOINER.join(str(c["score"]) for c in candidates),
        JOINER.join(str(c["confidence"]) for c in candidates),
    ]


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
