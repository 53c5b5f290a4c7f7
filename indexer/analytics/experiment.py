"""Deflection measured by experiment: a random share of sessions gets no suggestions.

The report's ``deflection_rate`` counts sessions that opened a suggestion and did not ask:
a proxy, which credits the widget with questions nobody would have asked anyway. The
honest measure compares like with like (Kohavi et al. 2020, "Trustworthy Online
Controlled Experiments"): with ``experiment_holdout_share`` above 0, that share of
sessions, chosen at random, is held back - ``/api/suggest`` answers them with no
suggestions and ``"holdout": true`` - and the share of searching sessions that go on to
post their question is compared between the arms. The widget keeps reporting searches
and posted questions in both arms alike.

A session's arm is a hash of the experiment's name and the session id: the same for the
session on every worker and in every report, with nothing stored to look it up.
Renaming the experiment (``experiment_name``) draws the arms anew; so does changing the
share, so a report should cover one setting of both.

The estimate is the relative reduction of the posting rate, 1 - p(widget) / p(holdout),
with the confidence interval of the ratio of two proportions by the log method (Katz et
al. 1978), and the absolute difference with its Wald interval.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from statistics import NormalDist
from typing import Any

from indexer.analytics.events import SESSION_PATTERN, StoredEvent
from indexer.analytics.report import build_report
from indexer.errors import InvalidQuery
from indexer.settings import Settings

WIDGET = "widget"
HOLDOUT = "holdout"
CONFIDENCE = 0.95


@dataclass(frozen=True, slots=True)
class Experiment:
    """Which sessions are held back from the suggestions."""

    name: str
    holdout_share: float

    @classmethod
    def of(cls, settings: Settings) -> Experiment:
        return cls(settings.experiment_name, settings.experiment_holdout_share)

    @property
    def running(self) -> bool:
        return self.holdout_share > 0

    def arm(self, session: str) -> str:
        """``HOLDOUT`` or ``WIDGET``: the same answer for a session every time."""
        if not self.running:
            return WIDGET
        digest = hashlib.blake2b(f"{self.name}\0{session}".encode(), digest_size=8).digest()
        draw = int.from_bytes(digest, "big") / 2**64  # uniform in [0, 1)
        return HOLDOUT if draw < self.holdout_share else WIDGET

    def holds_back(self, session: str | None) -> bool:
        """Whether the widget's session ``session`` (None: not given) gets no suggestions.

        Raises:
            InvalidQuery: ``session`` is not a session id as the events carry them.
        """
        if session is None:
            return False
        if not SESSION_PATTERN.fullmatch(session):
            raise InvalidQuery("session must be 8 to 64 letters, digits, '-' or '_'", "session")
        return self.arm(session) == HOLDOUT

    def events_of(self, arm: str, events: Iterable[StoredEvent]) -> Iterator[StoredEvent]:
        """The events of the sessions in ``arm``: the usual report is of the widget's arm,
        whose customers saw suggestions."""
        return (stored for stored in events if self.arm(stored.event.session) == arm)


@dataclass(frozen=True, slots=True)
class Arm:
    """Searching sessions of an arm, and how many of them posted their question."""

    sessions: int
    posted: int

    @property
    def rate(self) -> float | None:
        return self.posted / self.sessions if self.sessions else None

    def to_dict(self) -> dict[str, Any]:
        rate = self.rate
        return {
            "sessions": self.sessions,
            "posted": self.posted,
            "posted_rate": None if rate is None else round(rate, 4),
        }


def report_with_experiment(
    events: Iterable[StoredEvent],
    since: datetime | None,
    until: datetime | None,
    top: int,
    experiment: Experiment,
) -> dict[str, Any]:
    """The report of a period as JSON-ready data: the usual figures of the sessions that
    were shown the widget, and ``"experiment"``, the comparison of the arms, from one
    pass over the period's ``events``."""
    tally = _ArmTally(experiment)
    widget_events = (stored for stored in events if tally.add(stored) == WIDGET)
    data = build_report(widget_events, since, until, top).to_dict()
    data["experiment"] = tally.comparison()
    return data


def compare_arms(experiment: Experiment, events: Iterable[StoredEvent]) -> dict[str, Any]:
    """The experiment's report: both arms and the deflection estimated from them.

    A session counts once it searched (the widget reports a search in both arms); it
    posted if it sent ``asked_anyway``.
    """
    tally = _ArmTally(experiment)
    for stored in events:
        tally.add(stored)
    return tally.comparison()


class _ArmTally:
    """The searching and the posting sessions of each arm, gathered event by event."""

    def __init__(self, experiment: Experiment) -> None:
        self.experiment = experiment
        self.searched: dict[str, set[str]] = {WIDGET: set(), HOLDOUT: set()}
        self.posted: dict[str, set[str]] = {WIDGET: set(), HOLDOUT: set()}

    def add(self, stored: StoredEvent) -> str:
        """Count ``stored``; returns the arm of its session."""
        event = stored.event
        arm = self.experiment.arm(event.session)
        if event.type == "impression":
            self.searched[arm].add(event.session)
        elif event.type == "asked_anyway":
            self.posted[arm].add(event.session)
        return arm

    def comparison(self) -> dict[str, Any]:
        arms = {
            arm: Arm(len(self.searched[arm]), len(self.posted[arm] & self.searched[arm]))
            for arm in (WIDGET, HOLDOUT)
        }
        experiment = self.experiment
        return {
            "name": experiment.name,
            "holdout_share": experiment.holdout_share,
            "running": experiment.running,
            "confidence": CONFIDENCE,
            "arms": {arm: figures.to_dict() for arm, figures in arms.items()},
            **estimate(arms[WIDGET], arms[HOLDOUT]),
        }


def estimate(widget: Arm, holdout: Arm, confidence: float = CONFIDENCE) -> dict[str, Any]:
    """Deflection (1 - p_widget / p_holdout) and the difference of the posting rates
    (p_holdout - p_widget), each with its confidence interval; None where an arm has too
    little to say (no sessions, or no posted question for the ratio)."""
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    p_w, p_h = widget.rate, holdout.rate
    if p_w is None or p_h is None:
        return {"deflection": None, "difference": None}
    spread = math.sqrt(p_w * (1 - p_w) / widget.sessions + p_h * (1 - p_h) / holdout.sessions)
    difference = {
        "estimate": round(p_h - p_w, 4),
        "low": round(p_h - p_w - z * spread, 4),
        "high": round(p_h - p_w + z * spread, 4),
    }
    if not (widget.posted and holdout.posted):
        return {"deflection": None, "difference": difference}
    log_ratio = math.log(p_w / p_h)
    log_spread = math.sqrt(
        1 / widget.posted - 1 / widget.sessions + 1 / holdout.posted - 1 / holdout.sessions
    )
    deflection = {
        "estimate": round(1 - p_w / p_h, 4),
        "low": round(1 - math.exp(log_ratio + z * log_spread), 4),
        "high": round(1 - math.exp(log_ratio - z * log_spread), 4),
    }
    return {"deflection": deflection, "difference": difference}
