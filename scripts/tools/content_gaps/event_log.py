"""A synthetic event log: people typing the topics' questions letter by letter into the
widget, over a real index, written through the real event store.

Each person is one session: they type one phrasing (scripts/tools/replay/typists: human
key gaps, typos backspaced and retyped), the widget sends an impression whenever typing
pauses, with what /api/suggest shows for that text (the search service with the
confidence floor, the widget's limit), and then the person acts on what was shown last:

- an answered topic shown suggestions: opens one (usually the first) and sometimes says
  it helped; now and then leaves, or asks anyway without looking;
- a gap topic shown suggestions: rarely opens one; mostly asks anyway, or leaves;
- nothing shown: mostly asks anyway, or leaves.

Every person's choices come from one seeded generator: the same seed, the same log.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from indexer.analytics.events import Event
from indexer.analytics.store import EventStore
from indexer.search import SearchRequest, SearchService

from ..replay.typists import DEBOUNCE_MS, keystrokes, widget_requests
from .topics import GAP_TOPICS, ONE_OFF_QUESTIONS, TOPICS, Topic

SUGGEST_LIMIT = 5
# What a person does after the last suggestions they saw: (open one, ask anyway) chances;
# the rest leave.
ANSWERED_SHOWN = (0.75, 0.08)
GAP_SHOWN = (0.05, 0.65)
NOTHING_SHOWN = (0.0, 0.65)
HELPFUL_CHANCE = 0.3
# Of the people, this share asks a one-off question (while one-offs are left).
ONE_OFF_SHARE = 0.02


@dataclass
class LogSummary:
    """What was written: events by type, sessions by topic, and the phrasings' topics."""

    events: Counter[str] = field(default_factory=Counter)
    sessions: Counter[str] = field(default_factory=Counter)
    searches: Counter[str] = field(default_factory=Counter)  # impressions by topic

    @property
    def total(self) -> int:
        return sum(self.events.values())

    def ground_truth(self) -> dict[str, object]:
        return {
            "gap_topics": [topic.name for topic in GAP_TOPICS],
            "answered_topics": [topic.name for topic in TOPICS if not topic.gap],
            "phrasings": {text: topic.name for topic in TOPICS for text in topic.phrasings},
            "sessions": dict(self.sessions),
            "searches": dict(self.searches),
            "events": dict(self.events),
        }


class Suggestions:
    """What the widget shows for a text: /api/suggest's thread ids, asked once per text
    (the widget's own cache and the service's make repeats free as well)."""

    def __init__(self, search: SearchService) -> None:
        self._search = search
        self._shown: dict[str, tuple[str, ...]] = {}

    def __call__(self, text: str, lang: str) -> tuple[str, ...]:
        if text not in self._shown:
            asked = SearchRequest(text=text, limit=SUGGEST_LIMIT, lang=lang, apply_floor=True)
            result = self._search.search(asked)
            self._shown[text] = tuple(item.thread.id for item in result.items)
        return self._shown[text]


def person_events(
    session: str,
    text: str,
    topic: Topic | None,
    lang: str,
    shown_for: Callable[[str, str], tuple[str, ...]],
    rng: random.Random,
) -> list[Event]:
    """The events one person's session sends while typing ``text`` and after."""
    events = []
    results: tuple[str, ...] = ()
    query = text
    for _, query in widget_requests(keystrokes(text, rng), DEBOUNCE_MS / 1000, set()):
        results = shown_for(query, lang)
        events.append(Event("impression", session, query, lang=lang, results=results))
    if not events:
        return []
    if not results:
        opens, asks = NOTHING_SHOWN
    else:
        opens, asks = GAP_SHOWN if topic is None or topic.gap else ANSWERED_SHOWN
    draw = rng.random()
    if draw < opens:
        rank = 1 if rng.random() < 0.7 else rng.randint(1, len(results))
        thread = results[rank - 1]
        events.append(Event("click", session, query, lang=lang, thread=thread, rank=rank))
        if rng.random() < HELPFUL_CHANCE:
            events.append(
                Event("helpful", session, query, lang=lang, thread=thread, rank=rank, helpful=True)
            )
    elif draw < opens + asks:
        events.append(Event("asked_anyway", session, query, lang=lang))
    return events


def write_log(store: EventStore, search: SearchService, min_events: int, seed: int) -> LogSummary:
    """Replay people until at least ``min_events`` events are in ``store``."""
    rng = random.Random(seed)
    shown_for = Suggestions(search)
    one_offs = list(ONE_OFF_QUESTIONS)
    summary = LogSummary()
    for number in itertools.count():
        if summary.total >= min_events:
            return summary
        topic: Topic | None
        if one_offs and rng.random() < ONE_OFF_SHARE:
            topic, text, name = None, one_offs.pop(), "one-off"
        else:
            topic = rng.choice(TOPICS)
            text, name = rng.choice(topic.phrasings), topic.name
        lang = topic.lang if topic else "de"
        session = f"replay-{seed}-{number:07d}"
        events = person_events(session, text, topic, lang, shown_for, rng)
        store.add(events, origin="http://replay.invalid")
        summary.events.update(event.type for event in events)
        summary.sessions[name] += 1
        summary.searches[name] += sum(event.type == "impression" for event in events)
    raise AssertionError("unreachable")
