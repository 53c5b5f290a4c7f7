"""The deflection experiment: stable random arms, and an estimate that finds a known effect
within its confidence interval and no effect where there is none."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.analytics.events import Event, StoredEvent
from indexer.analytics.experiment import (
    HOLDOUT,
    WIDGET,
    Arm,
    Experiment,
    compare_arms,
    estimate,
    report_with_experiment,
)
from indexer.analytics.store import SqliteEventStore
from indexer.errors import InvalidQuery

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def session_ids(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return [f"{rng.getrandbits(64):016x}" for _ in range(count)]


def simulated_events(
    experiment: Experiment, sessions: int, posted_without: float, deflected: float, seed: int
) -> list[Event]:
    """Sessions that search, then post their question: with probability ``posted_without``
    when held back, and ``deflected`` less often (relatively) when shown the widget."""
    rng = random.Random(seed)
    events = []
    for session in session_ids(sessions, seed):
        held = experiment.arm(session) == HOLDOUT
        shown = () if held else ("wlan-001",)
        events.append(Event("impression", session, "WLAN bricht ab", results=shown))
        if rng.random() < posted_without * (1 if held else 1 - deflected):
            events.append(Event("asked_anyway", session, "WLAN bricht ab"))
    return events


def test_a_session_keeps_its_arm_and_the_share_is_held_back() -> None:
    experiment = Experiment("deflection", 0.3)
    sessions = session_ids(20_000, seed=1)
    arms = [experiment.arm(s) for s in sessions]
    assert arms == [experiment.arm(s) for s in sessions]  # stable
    assert arms.count(HOLDOUT) / len(arms) == pytest.approx(0.3, abs=0.015)
    # Another experiment draws anew: its holdout overlaps the first only by chance.
    other = Experiment("deflection-2", 0.3)
    both = sum(experiment.arm(s) == other.arm(s) == HOLDOUT for s in sessions)
    assert both / len(sessions) == pytest.approx(0.09, abs=0.015)


def test_no_experiment_holds_nobody_back() -> None:
    experiment = Experiment("deflection", 0.0)
    assert not experiment.running
    assert {experiment.arm(s) for s in session_ids(1000, seed=2)} == {WIDGET}
    assert not experiment.holds_back("abcdefgh12")
    assert not Experiment("deflection", 0.5).holds_back(None)


@pytest.mark.parametrize("session", ["short", "x" * 65, "bad session!", "ab/cdefgh"])
def test_a_malformed_session_is_refused(session: str) -> None:
    with pytest.raises(InvalidQuery, match="session"):
        Experiment("deflection", 0.2).holds_back(session)


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_a_known_effect_is_recovered_within_the_interval(tmp_path: Path, seed: int) -> None:
    """20 % of questions deflected, 20 % of sessions held back, through the real store."""
    experiment = Experiment("deflection", 0.2)
    store = SqliteEventStore(tmp_path / "events.sqlite")
    store.add(simulated_events(experiment, 10_000, posted_without=0.5, deflected=0.2, seed=seed))
    found = compare_arms(experiment, store.read(None, None))
    deflection = found["deflection"]
    assert deflection["low"] <= 0.2 <= deflection["high"]
    assert deflection["low"] > 0  # an effect, not noise
    assert found["arms"][HOLDOUT]["sessions"] == pytest.approx(2000, rel=0.1)
    assert found["arms"][HOLDOUT]["posted_rate"] == pytest.approx(0.5, abs=0.04)
    store.close()


@pytest.mark.parametrize("seed", [21, 22, 23])
def test_no_effect_shows_none(seed: int) -> None:
    experiment = Experiment("deflection", 0.2)
    events = simulated_events(experiment, 10_000, posted_without=0.5, deflected=0.0, seed=seed)
    found = compare_arms(experiment, [StoredEvent(n, T0, e, None) for n, e in enumerate(events)])
    assert found["deflection"]["low"] <= 0 <= found["deflection"]["high"]
    assert found["difference"]["low"] <= 0 <= found["difference"]["high"]


def test_too_little_data_gives_no_estimate() -> None:
    assert estimate(Arm(100, 40), Arm(0, 0)) == {"deflection": None, "difference": None}
    assert estimate(Arm(100, 40), Arm(10, 0))["deflection"] is None


def test_the_usual_report_counts_only_the_sessions_that_saw_the_widget() -> None:
    """Held-back sessions search without seeing anything: counted as zero results they
    would pass for content gaps."""
    experiment = Experiment("deflection", 0.5)
    events = simulated_events(experiment, 400, posted_without=0.5, deflected=0.2, seed=5)
    stored = [StoredEvent(n, T0, e, None) for n, e in enumerate(events)]
    data = report_with_experiment(stored, None, None, 5, experiment)
    assert data["zero_result_queries"] == []  # every session of the widget's arm saw one
    assert data["sessions"] == data["experiment"]["arms"][WIDGET]["sessions"]
    assert data["sessions"] + data["experiment"]["arms"][HOLDOUT]["sessions"] == 400
