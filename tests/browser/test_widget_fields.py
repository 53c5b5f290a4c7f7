"""Suggestions whose optional fields are missing: unsolved threads, threads without
duplicates, threads with only an id and a title. None may show "null" (or "undefined",
"NaN", "Invalid Date") or leave an empty line, in German and English, on a desktop and on
a 375 px phone; screenshots of each go to the test's directory and to test-artifacts/."""

from __future__ import annotations

import json
import shutil
import struct
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, BARE_THREADS, Tab

# Questions whose suggestions mix unsolved threads, solved ones, and threads with and
# without duplicates (asserted below).
UNSOLVED = {"de": "WLAN Box 4", "en": "wifi keeps dropping"}
PATHS = {"de": "/", "en": "/en"}
DEVICES = [("desktop", 1280, 900), ("375", 375, 740)]
NOT_A_VALUE = ("null", "undefined", "NaN", "Invalid Date", "[object")
ASKED = {"de": "gefragt", "en": "asked"}
ZERO_COUNTS = {
    "de": ["0 Kudos", "0 Antworten", "0 Aufrufe"],
    "en": ["0 kudos", "0 replies", "0 views"],
}

# What each option shows, read from its shadow root: its text, the elements in it with no
# text (none may exist), and the boxes of its lines.
READ_OPTIONS = """options => options.map(o => {
  const root = o.shadowRoot;
  const elements = [...root.querySelectorAll('*')].filter(e => e.tagName !== 'STYLE');
  return {
    // All of it, text nodes at the top included (where a bare "null" would land).
    text: [...root.childNodes].filter(n => n.nodeName !== 'STYLE')
      .map(n => n.textContent).join('\\n'),
    empty: elements.filter(e => e.textContent.trim() === '').map(e => e.outerHTML),
    solution: root.querySelector('.so') ? root.querySelector('.so').textContent : null,
    snippet: root.querySelector('p:not(.so)') ? root.querySelector('p:not(.so)').textContent : null,
    meta: [...root.querySelectorAll('.mt > span')].map(s => s.textContent),
    boxes: [...root.children].filter(e => e.tagName !== 'STYLE').map(e => {
      const r = e.getBoundingClientRect();
      return {left: r.left, right: r.right, height: r.height};
    }),
  };
})"""


def read_options(tab: Tab) -> list[dict[str, Any]]:
    return tab.page.eval_on_selector_all("askfind-option", READ_OPTIONS)


def assert_nothing_missing_shows(options: list[dict[str, Any]], viewport_width: int) -> None:
    assert options, "the widget showed nothing"
    for option in options:
        for word in NOT_A_VALUE:
            assert word not in option["text"], f"{word!r} shown: {option['text']!r}"
        assert option["empty"] == [], "an empty element for a missing field"
        for box in option["boxes"]:  # every line is drawn, inside the screen
            assert box["height"] > 0 and box["left"] >= 0 and box["right"] <= viewport_width


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's header (the IHDR chunk follows the signature)."""
    header = path.read_bytes()[:24]
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", header[16:24])


def screenshot(tab: Tab, directory: Path, name: str, width: int, height: int) -> Path:
    tab.page.wait_for_timeout(200)  # past the opening fade
    path = directory / f"{name}.png"
    tab.page.screenshot(path=str(path))
    assert png_size(path) == (width, height)
    assert path.stat().st_size > 10_000  # a page with a panel on it, not a blank image
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(path, ARTIFACTS / path.name)
    return path


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), DEVICES)
def test_unsolved_suggestions_show_no_null_and_no_empty_line(
    open_tab: Callable[..., Tab], tmp_path: Path, lang: str, device: str, width: int, height: int
) -> None:
    tab = open_tab(width, height)
    tab.open_demo(PATHS[lang])
    tab.type_question(UNSOLVED[lang])
    expected = tab.suggest(UNSOLVED[lang])
    assert any(item["solution"] is None for item in expected), "no unsolved thread to show"
    assert any(item["solution"] is not None for item in expected)
    assert {item["duplicates"] > 0 for item in expected} == {True, False}
    assert tab.option_titles() == [item["title"] for item in expected]

    options = read_options(tab)
    assert_nothing_missing_shows(options, width)
    for item, option in zip(expected, options, strict=True):
        if item["solution"] is None:
            assert option["solution"] is None
        else:
            assert option["solution"] == item["solution"]["snippet"]
        assert option["snippet"] == item["snippet"]
        assert any(ASKED[lang] in part for part in option["meta"]) == (item["duplicates"] > 0)
    # Nothing runs off a phone's screen sideways.
    assert tab.page.evaluate("document.documentElement.scrollWidth") <= width
    screenshot(tab, tmp_path, f"widget-unsolved-{lang}-{device}", width, height)


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), DEVICES)
def test_a_thread_with_only_id_and_title_shows_its_title_and_counts(
    open_tab: Callable[..., Tab], tmp_path: Path, lang: str, device: str, width: int, height: int
) -> None:
    bare = BARE_THREADS[lang]
    tab = open_tab(width, height)
    tab.open_demo(PATHS[lang])
    tab.type_question(bare.title)
    titles = tab.option_titles()
    assert bare.title in titles
    option = read_options(tab)[titles.index(bare.title)]
    assert_nothing_missing_shows([option], width)
    # No snippet, no solution, no board, no date: the title and the counts the API gives
    # (a thread's counts default to 0), nothing else.
    assert option["snippet"] is None and option["solution"] is None
    assert option["meta"] == ZERO_COUNTS[lang]
    screenshot(tab, tmp_path, f"widget-bare-{lang}-{device}", width, height)


def test_an_item_with_every_optional_field_null_or_absent_shows_only_its_title(tab: Tab) -> None:
    """The API always sends every field, so this answer cannot come from the real service:
    it stands in for an older or third-party server that leaves fields out or sends null
    counts, and only the widget's reading of it is under test."""
    items = [
        {"id": "nulls", "title": "Alles leer gesendet", "url": None, "snippet": None, "board": None,
         "lang": None, "solved": None, "solution": None, "kudos": None, "views": None,
         "replies": None, "created_at": None, "confidence": None, "duplicates": None},
        {"id": "absent", "title": "Alles weg"},
        {"id": "empty", "title": "Alles leer", "snippet": "", "board": "", "created_at": "",
         "solution": {"snippet": "", "url": None}, "duplicates": 0},
        {"id": "odd", "title": "Unlesbar", "created_at": "gestern", "solution": {}},
    ]  # fmt: skip
    page = tab.open_demo()
    answer = json.dumps({"items": items})
    page.route(
        "**/api/suggest?*",
        lambda route: route.fulfill(content_type="application/json", body=answer),
    )
    tab.type_question("irgendeine Frage")
    assert tab.option_titles() == [item["title"] for item in items]
    options = read_options(tab)
    assert_nothing_missing_shows(options, 1280)
    assert [option["text"] for option in options] == [item["title"] for item in items]
    assert [option["meta"] for option in options] == [[], [], [], []]
