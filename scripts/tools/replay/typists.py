"""A person typing a question, and the requests the widget sends for it.

The widget's side is embed.js's: a request after ``debounce`` ms of quiet, from three
characters on, trimmed, never twice for a text it has already shown.
"""

from __future__ import annotations

import itertools
import random
import threading

import numpy as np

# The widget's defaults (embed.js): characters before suggesting, ms of quiet first.
MIN_CHARS = 3
DEBOUNCE_MS = 150
# Typing: about 200 ms a key (40 words a minute) with a lognormal spread, a longer
# pause between words now and then, a typo in one word of twelve, noticed after 0-2
# more keys, backspaced and retyped.
KEY_MEDIAN_S = 0.19
KEY_SIGMA = 0.45
WORD_PAUSE_CHANCE = 0.25
WORD_PAUSE_S = (0.3, 1.2)
TYPO_CHANCE = 1 / 12
NEIGHBOURS = "qwertzuiopasdfghjklyxcvbnm"
# Recovery after an outage: 1-s windows; "normal" is a p95 within this factor of before.
WINDOW_S = 1.0
NORMAL_FACTOR = 1.5
HIT_REQUESTS = 1000
HIT_QUERY = "router restarts every night"
ELASTICSEARCH_PREFIX = "askfind-replay"


# --- the keystroke stream ----------------------------------------------------------------


def keystrokes(title: str, rng: random.Random) -> list[tuple[float, str]]:
    """(seconds since the first key, the input's text after the key) for typing ``title``."""
    text, clock, strokes = "", 0.0, []

    def press(new_text: str, pause: float) -> None:
        nonlocal text, clock
        clock += pause
        text = new_text
        strokes.append((clock, text))

    def key_gap() -> float:
        return float(rng.lognormvariate(np.log(KEY_MEDIAN_S), KEY_SIGMA))

    for index, char in enumerate(title):
        gap = key_gap() if index else 0.0
        if index and char == " " and rng.random() < WORD_PAUSE_CHANCE:  # between words
            gap += rng.uniform(*WORD_PAUSE_S)
        if char.isalpha() and rng.random() < TYPO_CHANCE / 5:  # words are ~5 letters
            wrong = [rng.choice(NEIGHBOURS) for _ in range(1 + rng.randint(0, 2))]
            for letter in wrong:  # text grows by one wrong letter per key
                press(text + letter, gap)
                gap = key_gap()
            gap += 0.3  # noticing the mistake
            for _ in wrong:
                press(text[:-1], gap)
                gap = 0.6 * key_gap()  # backspace is held or tapped quickly
        press(title[: index + 1], gap)
    return strokes


def widget_requests(
    strokes: list[tuple[float, str]], debounce_s: float, shown: set[str]
) -> list[tuple[float, str]]:
    """The (time, text) requests the widget sends for ``strokes``.

    A keystroke's text is sent when no key follows within ``debounce_s``, if it has at
    least MIN_CHARS characters once trimmed and the widget has not shown it already
    (``shown``: the widget's own cache, updated here).
    """
    sent = []
    for (at, text), following in itertools.zip_longest(strokes, strokes[1:]):
        if following is not None and following[0] - at < debounce_s:
            continue
        query = " ".join(text.split())
        if len(query) < MIN_CHARS or query in shown:
            continue
        shown.add(query)
        sent.append((at + debounce_s, query))
    return sent


class TitleSupply:
    """Real titles in a seeded random order, each person taking the next; wraps around."""

    def __init__(self, titles: list[str], seed: int) -> None:
        self._titles = list(titles)
        random.Random(seed).shuffle(self._titles)
        self._next = itertools.count()
        self._lock = threading.Lock()

    def next(self) -> str:
        with self._lock:
            return self._titles[next(self._next) % len(self._titles)]
