"""The agents' page in German and English, its details line, the folding filters on a
phone, and the duplicate picker's search as the agent types."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, AgentTab
from widget.agent_text import PAGE

QUESTION = "Umzug DSL mitnehmen"  # finds vert-004, viewed 54,414 times
VIEWED = "vert-004"
SEPARATOR = '"·" / ""'


def test_the_browser_language_chooses_german_and_the_switch_english(
    open_agent_tab: Callable[..., AgentTab],
) -> None:
    tab = open_agent_tab(locale="de-DE")
    page = tab.open(f"?q={QUESTION.replace(' ', '+')}")
    tab.wait_for_results()
    assert page.get_attribute("html", "lang") == "de"
    assert page.text_content("h1 span") == PAGE["de"]["heading"]
    assert page.text_content("label[for=q]") == "Frage"
    total = tab.api("/api/search", q=QUESTION, limit="10")["total"]
    assert page.text_content("#status") == f"Ergebnisse 1–10 von {total:,}".replace(",", ".")
    viewed = next(item for item in tab.shown() if item["id"] == VIEWED)
    assert "54.414 Aufrufe" in viewed["meta"]  # German thousands separator
    assert "Deutsch" in viewed["meta"]  # the thread's language, named in German
    assert any(re.fullmatch(r"\d{2}\.\d{2}\.\d{4}", part) for part in viewed["meta"])  # a date

    # The switch keeps the search, and the choice is remembered.
    switch = page.locator("#switch-language")
    assert switch.text_content() == "English" and switch.get_attribute("lang") == "en"
    switch.click()
    page.wait_for_function("() => document.documentElement.lang === 'en'")
    tab.wait_for_results()
    assert page.text_content("#status") == f"Results 1–10 of {total:,}"
    viewed = next(item for item in tab.shown() if item["id"] == VIEWED)
    assert "54,414 views" in viewed["meta"]
    page.goto(f"{tab.server.url}/agent")
    assert page.get_attribute("html", "lang") == "en"
    assert page.locator("#switch-language").text_content() == "Deutsch"


def test_every_string_of_the_page_exists_in_both_languages() -> None:
    from widget.agent_text import SCRIPT

    assert PAGE["de"].keys() == PAGE["en"].keys()
    assert SCRIPT["de"].keys() == SCRIPT["en"].keys()
    for strings in (PAGE, SCRIPT):
        assert all(value for value in strings["de"].values())
        assert strings["de"] != strings["en"]


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_the_details_line_has_one_dot_between_parts_and_none_around_them(
    open_agent_tab: Callable[..., AgentTab], locale: str
) -> None:
    tab = open_agent_tab(locale=locale)
    page = tab.open("?q=WLAN+bricht+ab")
    tab.wait_for_results()
    separators = page.eval_on_selector_all(
        "#results .meta",
        "metas => metas.map(m => [...m.children]"
        ".map(c => [getComputedStyle(c, '::before').content,"
        " getComputedStyle(c, '::after').content]))",
    )
    assert separators
    for line in separators:
        assert {before for before, _ in line} == {"none"}
        assert [after for _, after in line] == [SEPARATOR] * (len(line) - 1) + ["none"]
    for item in tab.shown():
        assert item["meta"][-1] == f"ID {item['id']}"  # the id last, a part of its own
        assert all(part.strip() for part in item["meta"])  # no empty part
        # Views and id are separate parts: "1,234 views" and "ID wlan-002", never run on.
        assert any(re.fullmatch(r"[\d.,]+ (views?|Aufrufe?)", part) for part in item["meta"])
        assert not item["line"].lstrip().startswith("·")


def test_on_a_phone_the_filters_fold_away(open_agent_tab: Callable[..., AgentTab]) -> None:
    tab = open_agent_tab(375, 740, locale="de-DE")
    page = tab.open()
    filters = page.locator("#filters")
    assert not filters.evaluate("d => d.open")
    assert page.locator("#board").is_hidden()
    form = page.locator("#search").bounding_box()
    assert form is not None
    share = (form["y"] + form["height"]) / 740
    assert share < 0.3, f"the search form fills {share:.0%} of the first screen"
    page.locator("#filters summary").click()
    assert page.locator("#board").is_visible()
    page.select_option("#board", "Router & WLAN")
    assert page.text_content("#active-filters") == "(1 aktiv)"
    # Nothing runs off the screen sideways.
    assert page.evaluate("document.documentElement.scrollWidth") <= 375

    # A shared link with a filter set opens them, so the agent sees what narrows the list.
    page.goto(f"{tab.server.url}/agent?q=WLAN&solved=true")
    tab.wait_for_results()
    assert page.locator("#filters").evaluate("d => d.open")
    assert page.text_content("#active-filters") == "(1 aktiv)"

    desktop = open_agent_tab(1280, 900).open()
    assert desktop.locator("#filters").evaluate("d => d.open")


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), [("desktop", 1280, 900), ("375", 375, 740)])
def test_screenshots_of_the_agents_page(
    open_agent_tab: Callable[..., AgentTab],
    tmp_path: Path,
    lang: str,
    device: str,
    width: int,
    height: int,
) -> None:
    tab = open_agent_tab(width, height, locale=lang)
    page = tab.open("?q=Router+WLAN+bricht+ab")
    tab.wait_for_results()
    first = page.locator("#results > li").first
    first.locator(".mark").click()
    first.locator(".picker-input").press_sequentially("Router", delay=15)
    expect(first.locator("[role=option]").first).to_be_visible()
    path = tmp_path / f"agent-{lang}-{device}.png"
    page.screenshot(path=str(path))
    assert path.stat().st_size > 10_000
    ARTIFACTS.mkdir(exist_ok=True)
    path.replace(ARTIFACTS / path.name)
    assert page.evaluate("document.documentElement.scrollWidth") <= width


def test_the_picker_searches_as_the_agent_types_without_a_request_per_key(
    agent_tab: AgentTab,
) -> None:
    page = agent_tab.open("?q=Router+WLAN+bricht+ab")
    agent_tab.wait_for_results()
    first = page.locator("#results > li").first
    own_id = first.get_attribute("data-id")
    lookups: list[str] = []
    page.on("request", lambda r: lookups.append(r.url) if "/api/search?" in r.url else None)
    first.locator(".mark").click()
    field = first.locator(".picker-input")
    assert field.evaluate("f => f === document.activeElement")
    typed = "Vertrag kündigen Umzug"
    field.press_sequentially(typed, delay=20)
    options = first.locator("[role=option]")
    expect(options.first).to_be_visible()
    assert 1 <= len(lookups) < len(typed) // 2  # debounced: not a request per key
    expected = agent_tab.api("/api/search", q=typed, limit="9")["items"]
    shown = [meta.split(" · ")[-1] for meta in first.locator(".picker-meta").all_text_contents()]
    assert shown == [i["id"] for i in expected if i["id"] != own_id][:8]
    assert own_id not in shown  # a thread is no duplicate of itself
    assert first.locator(".picker-status").text_content().endswith("use arrow keys to choose")

    # Escape closes the list, the arrow key opens it again; the label names the field.
    field.press("Escape")
    assert field.get_attribute("aria-expanded") == "false"
    field.press("ArrowUp")
    assert field.get_attribute("aria-expanded") == "true"
    assert field.get_attribute("aria-activedescendant") == options.last.get_attribute("id")
    label = page.locator(f"label[for='{field.get_attribute('id')}']")
    assert label.text_content() == "Duplicate of (search by title)"

    # A click chooses too, and Save without any choice or text asks for one.
    options.nth(1).click()
    assert first.locator("input[name=duplicate_of]").input_value() == shown[1]
    field.fill("")
    first.locator(".duplicate button[type=submit]").click()
    expect(first.locator(".note")).to_have_text("Please choose a thread from the list.")


@pytest.mark.parametrize(
    ("locale", "unknown", "itself"),
    [
        (
            "de-DE",
            "Kein Thread hat den Titel oder die ID „no-such-thread“: "
            "bitte einen Thread aus der Liste wählen.",
            "Ein Thread kann kein Duplikat von sich selbst sein.",
        ),
        (
            "en-GB",
            "No thread has the title or id “no-such-thread”: please choose a thread from the list.",
            "A thread cannot be a duplicate of itself.",
        ),
    ],
)
def test_the_services_refusals_are_said_in_the_pages_language(
    open_agent_tab: Callable[..., AgentTab], locale: str, unknown: str, itself: str
) -> None:
    tab = open_agent_tab(locale=locale)
    page = tab.open("?q=Router+WLAN+bricht+ab")
    tab.wait_for_results()
    first = page.locator("#results > li").first
    first.locator(".mark").click()
    field = first.locator(".picker-input")
    with page.expect_response("**/api/agent/duplicates") as refused:
        field.fill("no-such-thread")
        first.locator(".duplicate button[type=submit]").click()
    # The service's own answer stays English, with a code the page translates.
    assert refused.value.status == 404
    assert refused.value.json() == {
        "error": "no thread with id 'no-such-thread'",
        "code": "thread_not_found",
        "id": "no-such-thread",
    }
    expect(first.locator(".note")).to_have_text(unknown)
    assert first.locator(".duplicate").is_visible()  # nothing saved: the form stays

    field.fill(first.get_attribute("data-id") or "")
    first.locator(".duplicate button[type=submit]").click()
    expect(first.locator(".note")).to_have_text(itself)
