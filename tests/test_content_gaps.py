"""Acceptance of issue 18's content gaps: over a replayed log of 10,000 events (people typing
questions letter by letter into the widget over the demo index, written through the real
event store), every gap topic of the ground truth is found as a group, and no answered
topic is taken for a gap (scripts/content-gaps reports the same figures, and at 100,000)."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.analytics.events import Event, StoredEvent
from indexer.analytics.gaps import search_gaps
from indexer.analytics.questions import TYPO_SLACK, settled_questions
from indexer.analytics.report import query_key
from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from indexer.engine import Engine
from tests.services import script_module

EVENTS = 10_000
SEED = 20261206
T0 = datetime(2026, 12, 6, tzinfo=UTC)


def test_the_gap_topics_of_a_replayed_log_are_found(sample_engine: Engine, tmp_path: Path) -> None:
    event_log = script_module("tools.content_gaps.event_log")
    score = script_module("tools.content_gaps.score").score
    store = SqliteEventStore(tmp_path / EVENTS_FILE)
    try:
        summary = event_log.write_log(store, sample_engine.search, EVENTS, SEED)
        events = list(store.read())
    finally:
        store.close()
    assert len(events) == summary.total >= EVENTS
    assert summary.events["impression"] > 0.9 * summary.total  # typed letter by letter

    report = search_gaps(sample_engine.search, events)
    figures = score(report, summary.ground_truth()).to_dict()
    print("content gaps of the replay:", figures)
    assert figures["recall"] == 1.0, figures["missed"]
    assert figures["answered_as_gaps"] == [], figures
    assert figures["precision"] >= 0.9 and figures["purity"] >= 0.95, figures
    # The prefixes typed on the way are counted in their question's group.
    assert figures["searches_kept"] >= 0.95, figures
    # Both kinds occur: nothing shown, and shown but asked anyway.
    assert report.no_match and report.poor_match
    for group in report.no_match + report.poor_match:
        assert group.candidates, group.question
        assert all(len(text) > 8 for text, _ in group.phrasings), group.phrasings


@settings(max_examples=300, deadline=None, database=None)
@given(
    title=st.text(alphabet="abcdefghijklmnopqrstuvwxyzäöüß ÄÖÜABC", min_size=3, max_size=60),
    seed=st.integers(0, 2**32),
)
def test_a_question_typed_as_people_type_it_is_one_question(title: str, seed: int) -> None:
    """Whatever the typos and pauses of scripts/replay's typists, the impressions the widget
    sends for one title are folded into one question, settled on the whole title.

    Unless the last typo began with the right letter ("AAAAs", "AAAAsk", backspace): the
    widget then shows the title from its cache, and no event says that the typo went.
    """
    typists = script_module("tools.replay.typists")
    sent = typists.widget_requests(typists.keystrokes(title, random.Random(seed)), 0.15, set())
    events = [
        StoredEvent(n, T0, Event("impression", "s-typist", text, results=()), None)
        for n, (_, text) in enumerate(sent, start=1)
    ]
    questions = settled_questions(events)
    if len(" ".join(title.split())) >= typists.MIN_CHARS:  # the widget sends the title
        [question] = questions
        whole = query_key(title)
        assert question.settled.startswith(whole), sent
        assert len(question.settled) - len(whole) <= TYPO_SLACK, sent
