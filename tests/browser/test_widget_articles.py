"""Issue 18 in Chromium: help articles in a section of their own under the threads, and
the "may be outdated" mark, in German and English, on desktop and at 375 px; screenshots
go to test-artifacts/widget-articles-<lang>-<device>.png.

The index is the sample community with the demo's help articles, its Roaming board
fast-moving (as ``askfind demo`` serves it): the Roaming threads of 2023 have solutions
past the age.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser

from indexer.engine import Engine
from indexer.sources import read_source
from tests.browser.conftest import ARTIFACTS, Tab
from tests.browser.test_accessibility import axe_scan
from tests.conftest import engine_on
from widget.app import create_app
from widget.server import BackgroundServer

QUESTIONS = {"de": "Roaming in der Schweiz", "en": "roaming in Switzerland"}
PATHS = {"de": "/", "en": "/en"}
SECTION = {"de": "Hilfe-Artikel", "en": "Help articles"}
LISTBOX = {"de": "Vorschläge aus der Community", "en": "Suggestions from the community"}
OUTDATED = {"de": "Möglicherweise veraltet", "en": "May be outdated"}
# What each option shows: its id, title, badges, aria-label, and the label of what holds
# it (the listbox, or the articles' group).
READ_OPTIONS = """options => options.map(o => ({
    id: o.id,
    title: o.shadowRoot.querySelector('.t > span:not(.b)').textContent,
    badges: [...o.shadowRoot.querySelectorAll('.b')].map(b => b.textContent),
    label: o.getAttribute('aria-label'),
    group: o.parentElement.getAttribute('aria-label'),
}))"""


@pytest.fixture(scope="module")
def articles_server(
    sample_engine: Engine, sample_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundServer]:
    engine = engine_on(
        sample_engine, tmp_path_factory.mktemp("articles"), fast_moving_boards=("Roaming",)
    )
    folder = resources.files("indexer.data").joinpath("sample_articles")
    with resources.as_file(folder) as articles:
        items = [*read_source(sample_path), *read_source(articles, "articles")]
    report = engine.indexer().run(iter(items))
    assert (report.indexed, report.skipped) == (310, 0)
    with BackgroundServer(create_app(engine=engine)) as running:
        yield running
    engine.close()


@pytest.fixture
def open_tab(
    browser: Browser, articles_server: BackgroundServer, tmp_path: Path
) -> Iterator[Callable[..., Tab]]:
    """Tabs on the articles' server; none may see an error, a dialog or a CSP violation."""
    tabs: list[Tab] = []

    def opener(width: int = 1280, height: int = 900) -> Tab:
        tabs.append(Tab(browser, articles_server, tmp_path, width, height))
        return tabs[-1]

    yield opener
    for tab in tabs:
        tab.close()
        assert (tab.errors, tab.dialogs, tab.csp_violations) == ([], [], [])


def asked(tab: Tab, lang: str) -> dict[str, Any]:
    """Open the demo page in ``lang``, type its question; the API's answer for it."""
    tab.open_demo(PATHS[lang])
    tab.type_question(QUESTIONS[lang])
    answer = tab.page.request.get(
        f"{tab.server.url}/api/suggest", params={"q": QUESTIONS[lang], "limit": "5"}
    )
    return answer.json()


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), [("desktop", 1280, 900), ("375", 375, 740)])
def test_articles_show_in_their_own_section_and_old_solutions_are_marked(
    open_tab: Callable[..., Tab], lang: str, device: str, width: int, height: int
) -> None:
    tab = open_tab(width, height)
    answer = asked(tab, lang)
    page = tab.page
    shown = page.eval_on_selector_all("askfind-option", READ_OPTIONS)
    threads = [item["id"] for item in answer["items"]]
    articles = [item["id"] for item in answer["articles"]]
    assert threads and articles, "the question finds threads and help articles"
    # Threads first, in the API's order, then the articles in a group of their own.
    assert [o["title"] for o in shown] == [
        item["title"] for item in [*answer["items"], *answer["articles"]]
    ]
    in_section = [LISTBOX[lang]] * len(threads) + [SECTION[lang]] * len(articles)
    assert [o["group"] for o in shown] == in_section
    heading = page.locator("askfind-group >> .hd")
    assert heading.inner_text() == SECTION[lang] and heading.is_visible()

    # The mark: on exactly the threads the API calls outdated, as a badge and in the name.
    outdated = [item["outdated"] for item in answer["items"]]
    assert any(outdated), "a Roaming solution of 2023 is past the age"
    for option, old in zip(shown, outdated, strict=False):
        assert (OUTDATED[lang] in option["badges"]) is old, option
        assert (OUTDATED[lang] in option["label"]) is old, option
    # Articles carry no solved, sure or outdated badge.
    assert all(o["badges"] == [] for o in shown[len(threads) :])

    # The keyboard reaches the articles like any option.
    for _ in shown:
        page.keyboard.press("ArrowDown")
    last = shown[-1]["id"]
    assert page.get_attribute("#question-title", "aria-activedescendant") == last

    panel = page.locator("askfind-widget >> .p")
    box = panel.bounding_box()
    assert box is not None and box["width"] <= width
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"widget-articles-{lang}-{device}.png"
    page.wait_for_timeout(200)  # past the opening fade
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["de", "en"])
def test_axe_finds_no_violations_with_articles_and_marks(
    open_tab: Callable[..., Tab], axe_source: str, lang: str
) -> None:
    tab = open_tab()
    asked(tab, lang)
    tab.page.keyboard.press("ArrowDown")
    checked = axe_scan(tab.page, axe_source)
    assert {"aria-required-children", "aria-required-parent", "color-contrast"} <= checked
