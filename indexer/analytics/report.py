"""What customers searched for and found: the report behind ``askfind report`` and
``GET /api/admin/report``, computed from stored events in one pass.

Definitions (each per period, events counted by when they arrived):

- *searches*: impressions, i.e. settled searches (the widget sends one when typing
  pauses, also when nothing cleared the confidence floor);
- *searching sessions*: sessions (page views) with at least one search;
- *click-through*: sessions that opened a suggestion, among the sessions that were shown
  at least one;
- *deflection*: sessions that opened a suggestion or answered "helpful: yes" and did not
  ask anyway, among the searching sessions: questions found instead of asked again;
- *zero-result queries*: searches that showed nothing (nothing cleared the floor);
- *no-click queries*: searches that showed suggestions in a session that neither opened
  one nor found one helpful. Both are the content gaps: what the community lacks.

Queries are grouped case-insensitively with their whitespace collapsed, and redacted
(again: the store already did) before they leave this module.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from indexer.analytics.events import StoredEvent
from indexer.privacy import redact

NONE_LABEL = "(none)"


def query_key(text: str) -> str:
    """How queries are grouped: case-folded, whitespace collapsed, redacted."""
    return redact(" ".join(text.casefold().split()))


@dataclass
class _Session:
    lang: str | None = None
    board: str | None = None
    searches: int = 0
    shown: bool = False
    clicked: bool = False
    helpful: bool = False
    asked: bool = False
    shown_queries: list[str] = field(default_factory=list)

    @property
    def deflected(self) -> bool:
        return (self.clicked or self.helpful) and not self.asked


@dataclass(frozen=True, slots=True)
class Rates:
    """The headline figures of a group of sessions."""

    searches: int
    sessions: int
    click_through: float | None
    deflection_rate: float | None
    zero_result_rate: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "searches": self.searches,
            "sessions": self.sessions,
            "click_through": _rounded(self.click_through),
            "deflection_rate": _rounded(self.deflection_rate),
            "zero_result_rate": _rounded(self.zero_result_rate),
        }


@dataclass(frozen=True, slots=True)
class Report:
    since: datetime | None
    until: datetime | None
    totals: Rates
    clicks: int
    asked_anyway: int
    helpful_yes: int
    helpful_no: int
    top_queries: list[tuple[str, int]]
    zero_result_queries: list[tuple[str, int]]
    no_click_queries: list[tuple[str, int]]
    by_language: dict[str, Rates]
    by_board: dict[str, Rates]

    def to_dict(self) -> dict[str, Any]:
        """The report as JSON-ready data (the admin API's answer)."""
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            **self.totals.to_dict(),
            "clicks": self.clicks,
            "asked_anyway": self.asked_anyway,
            "helpful": {"yes": self.helpful_yes, "no": self.helpful_no},
            "top_queries": _counted(self.top_queries, "searches"),
            "zero_result_queries": _counted(self.zero_result_queries, "searches"),
            "no_click_queries": _counted(self.no_click_queries, "searches"),
            "by_language": {key: rates.to_dict() for key, rates in self.by_language.items()},
            "by_board": {key: rates.to_dict() for key, rates in self.by_board.items()},
        }


def build_report(
    events: Iterable[StoredEvent],
    since: datetime | None = None,
    until: datetime | None = None,
    top: int = 20,
) -> Report:
    """Aggregate events (already limited to the period) into a report.

    Memory grows with the number of sessions and distinct queries, not with events.
    """
    sessions: dict[str, _Session] = {}
    searches: Counter[str] = Counter()
    zero_results: Counter[str] = Counter()
    clicks = asked = helpful_yes = helpful_no = 0
    zero_by_session: Counter[str] = Counter()
    for stored in events:
        event = stored.event
        session = sessions.setdefault(event.session, _Session())
        if session.lang is None and event.lang:
            session.lang = event.lang
        if session.board is None and event.board:
            session.board = event.board
        if event.type == "impression":
            key = query_key(event.query)
            session.searches += 1
            searches[key] += 1
            if event.results:
                session.shown = True
                session.shown_queries.append(key)
            else:
                zero_results[key] += 1
                zero_by_session[event.session] += 1
        elif event.type == "click":
            clicks += 1
            session.clicked = True
        elif event.type == "asked_anyway":
            asked += 1
            session.asked = True
        elif event.type == "helpful":
            if event.helpful:
                helpful_yes += 1
                session.helpful = True
            else:
                helpful_no += 1
    no_click: Counter[str] = Counter()
    for session in sessions.values():
        if session.shown and not (session.clicked or session.helpful):
            no_click.update(session.shown_queries)
    return Report(
        since=since,
        until=until,
        totals=_rates(sessions, zero_by_session, lambda s: True),
        clicks=clicks,
        asked_anyway=asked,
        helpful_yes=helpful_yes,
        helpful_no=helpful_no,
        top_queries=searches.most_common(top),
        zero_result_queries=zero_results.most_common(top),
        no_click_queries=no_click.most_common(top),
        by_language=_grouped(sessions, zero_by_session, lambda s: s.lang),
        by_board=_grouped(sessions, zero_by_session, lambda s: s.board),
    )


def _grouped(
    sessions: dict[str, _Session], zero_by_session: Counter[str], label: Any
) -> dict[str, Rates]:
    keys = sorted({label(s) or NONE_LABEL for s in sessions.values() if s.searches})
    return {
        key: _rates(sessions, zero_by_session, lambda s, key=key: (label(s) or NONE_LABEL) == key)
        for key in keys
    }


def _rates(sessions: dict[str, _Session], zero_by_session: Counter[str], member: Any) -> Rates:
    chosen = {sid: s for sid, s in sessions.items() if s.searches and member(s)}
    searches = sum(s.searches for s in chosen.values())
    shown = [s for s in chosen.values() if s.shown]
    zero = sum(zero_by_session[sid] for sid in chosen)
    return Rates(
        searches=searches,
        sessions=len(chosen),
        click_through=_share(sum(s.clicked for s in shown), len(shown)),
        deflection_rate=_share(sum(s.deflected for s in chosen.values()), len(chosen)),
        zero_result_rate=_share(zero, searches),
    )


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _counted(pairs: list[tuple[str, int]], name: str) -> list[dict[str, Any]]:
    return [{"query": query, name: count} for query, count in pairs]
