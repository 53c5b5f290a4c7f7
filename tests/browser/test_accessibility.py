"""The open widget and the agents' page pass an axe-core scan in German and English; the
widget respects reduced motion and spans narrow screens; screenshots of it (German and
English, desktop and 375 px) go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import Page

from tests.browser.conftest import ARTIFACTS, AgentTab, Tab

QUESTIONS = {"de": "WLAN bricht ständig ab", "en": "cancel my contract"}
PATHS = {"de": "/", "en": "/en"}


def open_widget(tab: Tab, lang: str) -> None:
    tab.open_demo(PATHS[lang])
    tab.type_question(QUESTIONS[lang])
    assert tab.option_ids(), "the widget did not open"
    tab.page.keyboard.press("ArrowDown")  # an active option: focus styles in the scan too


def axe_scan(page: Page, axe_source: str) -> set[str]:
    """Run axe-core on the page as it is; assert no violations, return the rules passed."""
    # Evaluated by the test driver, not by the page: the page's CSP does not apply to it.
    page.evaluate(axe_source)
    results: dict[str, Any] = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in results["violations"]
    ]
    assert violations == []
    assert results["passes"], "axe checked nothing"
    return {rule["id"] for rule in results["passes"]}


@pytest.mark.parametrize("lang", ["de", "en"])
def test_axe_finds_no_violations_with_the_widget_open(tab: Tab, axe_source: str, lang: str) -> None:
    open_widget(tab, lang)
    checked = axe_scan(tab.page, axe_source)
    assert {"aria-required-children", "aria-valid-attr-value", "color-contrast"} <= checked


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("width", "height"), [(1280, 900), (375, 740)])
def test_axe_finds_no_violations_on_the_agents_page(
    open_agent_tab: Callable[..., AgentTab], axe_source: str, lang: str, width: int, height: int
) -> None:
    """Scanned with results on show, the filters open and the duplicate picker's list open
    with an active option: every part of the page is in the scan."""
    tab = open_agent_tab(width, height, locale=lang)
    page = tab.open("?q=Router+WLAN+bricht+ab")
    tab.wait_for_results()
    assert page.get_attribute("html", "lang") == lang
    page.locator("#filters").evaluate("d => { d.open = true }")
    first = page.locator("#results > li").first
    first.locator(".solution summary").click()
    first.locator(".mark").click()
    first.locator(".picker-input").press_sequentially("Router", delay=15)
    first.locator("[role=option]").first.wait_for()
    first.locator(".picker-input").press("ArrowDown")
    checked = axe_scan(page, axe_source)
    assert {
        "aria-allowed-attr",
        "aria-required-children",
        "aria-valid-attr-value",
        "color-contrast",
        "html-lang-valid",
        "label",
    } <= checked


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), [("desktop", 1280, 900), ("375", 375, 740)])
def test_screenshots_of_the_open_widget(
    open_tab: Callable[..., Tab], lang: str, device: str, width: int, height: int
) -> None:
    tab = open_tab(width, height)
    open_widget(tab, lang)
    page = tab.page
    panel = page.locator("askfind-widget >> .p")
    box = panel.bounding_box()
    assert box is not None
    if width < 500:  # full width on phones
        assert box["x"] == 0 and box["width"] == page.evaluate(
            "document.documentElement.clientWidth"
        )
    else:  # under the input, as wide as it
        field = page.locator("#question-title").bounding_box()
        assert field is not None
        assert abs(box["x"] - field["x"]) < 1 and abs(box["width"] - field["width"]) < 1
        assert box["y"] >= field["y"] + field["height"]
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"widget-{lang}-{device}.png"
    page.wait_for_timeout(200)  # past the opening fade
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000


def test_reduced_motion_turns_off_the_animation(tab: Tab) -> None:
    tab.page.emulate_media(reduced_motion="reduce")
    open_widget(tab, "de")
    animation = tab.page.locator("askfind-widget >> .p").evaluate(
        "p => getComputedStyle(p).animationName"
    )
    assert animation == "none"
    tab.page.emulate_media(reduced_motion="no-preference")
    assert (
        tab.page.locator("askfind-widget >> .p").evaluate("p => getComputedStyle(p).animationName")
        != "none"
    )


def test_the_active_option_has_a_visible_focus_outline(tab: Tab) -> None:
    open_widget(tab, "de")
    outline = tab.page.locator("askfind-option[aria-selected=true]").evaluate(
        "o => { const s = getComputedStyle(o); return [s.outlineStyle, s.outlineWidth] }"
    )
    assert outline == ["solid", "3px"]
