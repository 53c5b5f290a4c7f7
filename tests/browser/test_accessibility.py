"""The open widget passes an axe-core scan, respects reduced motion, spans narrow screens;
screenshots of it (German and English, desktop and 375 px) go to test-artifacts/."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, Tab

QUESTIONS = {"de": "WLAN bricht ständig ab", "en": "cancel my contract"}
PATHS = {"de": "/", "en": "/en"}


def open_widget(tab: Tab, lang: str) -> None:
    tab.open_demo(PATHS[lang])
    tab.type_question(QUESTIONS[lang])
    assert tab.option_ids(), "the widget did not open"
    tab.page.keyboard.press("ArrowDown")  # an active option: focus styles in the scan too


@pytest.mark.parametrize("lang", ["de", "en"])
def test_axe_finds_no_violations_with_the_widget_open(tab: Tab, axe_source: str, lang: str) -> None:
    open_widget(tab, lang)
    # Evaluated by the test driver, not by the page: the page's CSP does not apply to it.
    tab.page.evaluate(axe_source)
    results: dict[str, Any] = tab.page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    violations = [
        (v["id"], v["impact"], [node["target"] for node in v["nodes"]])
        for v in results["violations"]
    ]
    assert violations == []
    assert results["passes"], "axe checked nothing"
    checked = {rule["id"] for rule in results["passes"]}
    assert {"aria-required-children", "aria-valid-attr-value", "color-contrast"} <= checked


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
