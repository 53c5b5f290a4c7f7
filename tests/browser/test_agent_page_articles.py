"""Issue 18 on the agents' page: help articles in a section of their own below the threads,
and the "may be outdated" mark, in German and English, on desktop and at 375 px;
screenshots go to test-artifacts/agent-articles-<lang>-<device>.png."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import resources

import pytest

from indexer.engine import Engine
from indexer.sources import read_source
from tests.browser.conftest import ARTIFACTS, AgentTab
from tests.browser.test_accessibility import axe_scan
from tests.conftest import AGENT_KEY, keyed_engine_copy
from widget.agent_text import PAGE, SCRIPT

QUESTION = "Roaming Schweiz"


@pytest.fixture(scope="module")
def agent_engine(
    sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The sample community with the demo's help articles, its Roaming board fast-moving
    (this module's agents' server serves it)."""
    engine = keyed_engine_copy(
        sample_engine,
        tmp_path_factory.mktemp("agent-articles"),
        AGENT_KEY,
        fast_moving_boards=("Roaming",),
    )
    folder = resources.files("indexer.data").joinpath("sample_articles")
    with resources.as_file(folder) as articles:
        report = engine.indexer().run(read_source(articles, "articles"), mode="upsert")
    assert report.indexed == 10
    yield engine
    engine.close()


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), [("desktop", 1280, 900), ("375", 375, 740)])
def test_articles_have_their_own_section_and_old_solutions_their_mark(
    open_agent_tab: Callable[..., AgentTab], lang: str, device: str, width: int, height: int
) -> None:
    tab = open_agent_tab(width, height, locale=lang)
    page = tab.open(f"?q={QUESTION}")
    tab.wait_for_results()
    answer = tab.api("/api/search", q=QUESTION, limit="10")
    assert answer["articles"], "the question finds help articles"

    section = page.locator("#articles")
    assert section.is_visible()
    assert section.locator("h2").inner_text() == PAGE[lang]["articles"]
    shown = section.locator("li").evaluate_all("items => items.map(li => li.dataset.id)")
    assert shown == [item["id"] for item in answer["articles"]]
    # Articles are not among the threads, and show no kudos or replies.
    threads = [item["id"] for item in tab.shown()]
    assert threads == [item["id"] for item in answer["items"]]
    assert not set(threads) & set(shown)
    assert section.locator(".kudos, .replies").count() == 0

    outdated = {item["id"] for item in answer["items"] if item["outdated"]}
    assert outdated, "a Roaming solution of 2023 is past the age"
    marked = page.locator("#results > li:has(.badge.outdated)").evaluate_all(
        "items => items.map(li => li.dataset.id)"
    )
    assert set(marked) == outdated
    badge = page.locator("#results .badge.outdated").first.inner_text()
    assert badge == SCRIPT[lang]["outdated"]

    box = section.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width
    ARTIFACTS.mkdir(exist_ok=True)
    section.scroll_into_view_if_needed()
    path = ARTIFACTS / f"agent-articles-{lang}-{device}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


@pytest.mark.parametrize("lang", ["de", "en"])
def test_axe_finds_no_violations_with_articles_on_show(
    open_agent_tab: Callable[..., AgentTab], axe_source: str, lang: str
) -> None:
    tab = open_agent_tab(locale=lang)
    page = tab.open(f"?q={QUESTION}")
    tab.wait_for_results()
    assert page.locator("#articles").is_visible()
    checked = axe_scan(page, axe_source)
    assert {"color-contrast", "heading-order"} <= checked
