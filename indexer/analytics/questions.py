"""The questions customers settled on, read from the events of their sessions.

The widget sends an impression whenever typing pauses, so one question typed letter by
letter arrives as a run of its prefixes ("Gla", "Glasfaser Au", ...), with typos that are
backspaced and retyped. Here each run becomes one :class:`Question`: its *settled* text
(what typing stopped at), how many searches it took, whether the settled text was shown
anything, and what the customer then did. Grouping questions by meaning
(``indexer.analytics.gaps``) then sees whole questions, never half-typed words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from indexer.analytics.events import StoredEvent
from indexer.analytics.report import query_key

# A typo is noticed within a few keys (scripts/tools/replay/typists.py: 1 to 3 wrong
# letters): a text still continues the question if it leaves the common prefix by at most
# this many characters.
TYPO_SLACK = 3

NO_MATCH = "no_match"  # the settled text was shown nothing
POOR_MATCH = "poor_match"  # shown suggestions, opened none, asked anyway
FOUND = "found"  # opened a suggestion or found one helpful
LEFT = "left"  # shown suggestions, opened none, did not ask: we cannot tell
# Typed prefixes repeat across sessions ("Gla", "Glas", ...): their keys (a redaction
# each, the costly part of reading events) are worked out once.
KEYS_CACHED = 65_536


@dataclass
class Question:
    """One question of one session: the run of texts typed for it and what followed."""

    session: str
    lang: str | None
    texts: list[str] = field(default_factory=list)  # redacted keys, in the order sent
    shown: dict[str, bool] = field(default_factory=dict)  # text -> anything shown
    searches: int = 0
    found: bool = False
    asked: bool = False

    @property
    def settled(self) -> str:
        """What typing stopped at: the last text sent, or a longer one sent before it that
        it begins (the widget does not send a text again that it has shown already)."""
        last = self.texts[-1]
        return max((t for t in self.texts if t.startswith(last)), key=len)

    @property
    def outcome(self) -> str:
        if not self.shown[self.settled]:
            return NO_MATCH
        if self.found:
            return FOUND
        return POOR_MATCH if self.asked else LEFT

    @property
    def false_start(self) -> bool:
        """Searched once and left for another question without a click, a vote or asking: keys
        hit by mistake ("wcy" before "Seniorenhandy"), not a question."""
        return self.searches == 1 and not (self.found or self.asked)

    def continued_by(self, text: str) -> bool:
        """Whether ``text`` is more typing of this question: the two agree up to a typo
        being fixed, or up to the shorter one's last word, which was still being typed
        (and may read differently once whole: "kim@exa" is "[email]" when redacted)."""
        last = self.texts[-1]
        shorter = min(last, text, key=len)
        common = _common_prefix(last, text)
        head, space, _ = shorter.rpartition(" ")
        needed = len(shorter) - TYPO_SLACK
        if space:
            needed = min(needed, len(head) + 1)
        return common >= needed and common > 0


def settled_questions(events: Iterable[StoredEvent]) -> list[Question]:
    """The questions of these events (oldest first), in the order they were started.

    A click, a helpful vote or "asked anyway" belongs to the session's question being
    typed when it arrived. Sessions without an impression have no question, and false
    starts (:attr:`Question.false_start`) are none either.
    """
    current: dict[str, Question] = {}
    questions: list[Question] = []
    false_starts: set[int] = set()
    for stored in events:
        event = stored.event
        question = current.get(event.session)
        if event.type == "impression":
            text = _key(event.query)
            if not text:
                continue
            if question is None or not question.continued_by(text):
                if question is not None and question.false_start:
                    false_starts.add(id(question))
                question = Question(event.session, event.lang)
                current[event.session] = question
                questions.append(question)
            question.texts.append(text)
            question.shown[text] = bool(event.results)
            question.searches += 1
        elif question is None:
            continue
        elif event.type == "click" or (event.type == "helpful" and event.helpful):
            question.found = True
        elif event.type == "asked_anyway":
            question.asked = True
    return [q for q in questions if id(q) not in false_starts]


_key = lru_cache(maxsize=KEYS_CACHED)(query_key)


def _common_prefix(a: str, b: str) -> int:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return length
