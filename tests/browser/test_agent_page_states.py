"""The agents' page beyond a typed question: a pasted message, filters changed after a
search, refusals in the page's language, a link past the last page, duplicates marked by
a typed title, and where focus and scrolling go."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import AgentTab
from widget.agent_text import SCRIPT

QUESTION = "Router WLAN bricht ab"
FILLER = "Der Router hat bisher gut funktioniert und ich war eigentlich zufrieden damit. "
# A customer's e-mail: longer than a query may be (500 characters), with its own lines.
MESSAGE = (
    "Hallo zusammen,\n\nmein WLAN bricht abends ständig ab. Was kann ich tun?\n"
    + FILLER * 12
    + "\n\nMit freundlichen Grüßen\nMax Mustermann\nKundennummer 123456"
)
ERROR_RED = "rgb(164, 22, 26)"


def searches(page: Page) -> list[str]:
    """The page's searches from now on, as "METHOD url"."""
    seen: list[str] = []
    page.on(
        "request",
        lambda r: seen.append(f"{r.method} {r.url}") if "/api/search" in r.url else None,
    )
    return seen


def test_a_pasted_message_is_searched_whole_as_a_message(agent_tab: AgentTab) -> None:
    assert 1000 < len(MESSAGE) < 5000
    page = agent_tab.open()
    page.fill("#q", MESSAGE)
    assert page.input_value("#q") == MESSAGE  # nothing cut, line breaks kept
    assert page.text_content("#q-hint").startswith(f"{len(MESSAGE):,} of 5,000 characters")
    with page.expect_response(lambda r: r.url.endswith("/api/search")) as sent:
        page.click("#search button[type=submit]")
    agent_tab.wait_for_results()
    assert sent.value.request.method == "POST"
    assert sent.value.request.post_data_json == {"q": MESSAGE, "offset": 0, "limit": 10}
    answer = sent.value.json()
    assert "Kundennummer" not in answer["searched"]
    assert page.locator("#searched").is_visible()
    assert page.text_content("#searched-text") == answer["searched"]
    assert [item["id"] for item in agent_tab.shown()] == [i["id"] for i in answer["items"]]
    assert "Max" not in page.url and "q=" not in page.url  # a message stays out of the address

    # A short question again: GET, and the searched line goes.
    page.fill("#q", QUESTION)
    with page.expect_response(lambda r: "/api/search?" in r.url):
        page.press("#q", "Enter")
    agent_tab.wait_for_results()
    assert page.locator("#searched").is_hidden()


def test_a_text_over_message_max_chars_is_refused_not_cut(
    open_agent_tab: Callable[..., AgentTab],
) -> None:
    tab = open_agent_tab(locale="de-DE")
    page = tab.open()
    sent = searches(page)
    too_long = "WLAN " * 1001
    page.fill("#q", too_long)
    assert page.input_value("#q") == too_long
    page.click("#search button[type=submit]")
    expected = SCRIPT["de"]["too_long"].format(n="5.004", max="5.000")
    expect(page.locator("#status")).to_have_text(expected)
    assert sent == []


@pytest.mark.parametrize("change", ["board", "solved", "dates", "lang"])
def test_changing_a_filter_searches_again_from_the_first_page(
    agent_tab: AgentTab, change: str
) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    with page.expect_response(lambda r: "offset=10" in r.url):
        page.click("#next")
    agent_tab.wait_for_results()
    filters = {
        "board": (
            {"board": "Router & WLAN"},
            lambda: page.select_option("#board", "Router & WLAN"),
        ),
        "solved": ({"solved": "true"}, lambda: page.check("#solved")),
        "dates": ({"from": "2024-01-01"}, lambda: page.fill("#from", "2024-01-01")),
        "lang": ({"lang": "en"}, lambda: page.select_option("#lang", "en")),
    }
    params, act = filters[change]
    with page.expect_response(lambda r: "offset=0" in r.url):
        act()
    agent_tab.wait_for_results()
    expected = agent_tab.api("/api/search", q=QUESTION, limit="10", **params)
    assert [item["id"] for item in agent_tab.shown()] == [i["id"] for i in expected["items"]]
    assert page.text_content("#status").startswith("Results 1–")
    assert page.text_content("#status").endswith(f" of {expected['total']}")


@pytest.mark.parametrize(("locale", "lang"), [("de-DE", "de"), ("en-GB", "en")])
def test_a_reversed_date_range_is_said_in_the_pages_language(
    open_agent_tab: Callable[..., AgentTab], locale: str, lang: str
) -> None:
    tab = open_agent_tab(locale=locale)
    page = tab.open("?q=WLAN&from=2024-06-01&to=2024-05-01")
    expect(page.locator("#status")).to_have_text(SCRIPT[lang]["reversed_dates"])
    assert page.locator("#results > li").count() == 0
    assert page.locator("#status").evaluate("e => getComputedStyle(e).color") == ERROR_RED
    # Setting it right searches at once.
    with page.expect_response(lambda r: "to=2024-07-01" in r.url):
        page.fill("#to", "2024-07-01")
    tab.wait_for_results()
    assert page.locator("#results > li").count() > 0


@pytest.mark.parametrize("offset", ["500", "20000"])
def test_a_link_past_the_last_page_shows_the_last_page(
    open_agent_tab: Callable[..., AgentTab], offset: str
) -> None:
    tab = open_agent_tab(locale="de-DE")
    page = tab.open(f"?q=wlan&offset={offset}")
    expect(page.locator("#status")).to_have_text(re.compile(r"Ergebnisse \d+–\d+ von \d+"))
    first, last, total = map(int, re.findall(r"\d+", page.text_content("#status") or ""))
    assert 20 < total < 500 and last == total and first == (total - 1) // 10 * 10 + 1
    # The last page as the API answers it (its total counts the results up to that depth).
    expected = tab.api("/api/search", q="wlan", limit="10", offset=str(first - 1))
    assert expected["total"] == total
    assert [item["id"] for item in tab.shown()] == [i["id"] for i in expected["items"]]
    pages = (total + 9) // 10
    assert page.text_content("#range") == f"Seite {pages} von {pages}"
    assert page.is_enabled("#prev") and page.is_disabled("#next")
    assert f"offset={first - 1}" in page.url


def test_a_typed_title_is_that_thread_and_unknown_text_asks_to_choose(
    agent_tab: AgentTab,
) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    shown = agent_tab.shown()
    canonical = shown[0]
    target = page.locator(f"#results > li[data-id='{shown[3]['id']}']")
    target.locator(".mark").click()
    # The exact title, typed (here: all at once) and saved without choosing from the list.
    target.locator(".picker-input").fill(canonical["title"].upper())
    with page.expect_response(lambda r: r.url.endswith("/api/agent/duplicates")) as sent:
        target.locator(".duplicate button[type=submit]").click()
    assert sent.value.status == 201
    assert sent.value.request.post_data_json["duplicate_of"] == canonical["id"]
    note = target.locator(".note")
    expect(note).to_contain_text(f"Marked as duplicate of “{canonical['title']}”")
    success = note.evaluate("e => getComputedStyle(e).color")

    # Save hid the form that held the focus: focus is back on the button that opened it.
    opener = target.locator(".mark")
    assert opener.evaluate("e => e === document.activeElement")
    # Undo removes the button it was on: focus goes back to the opener too.
    note.locator(".undo").focus()
    page.keyboard.press("Enter")
    expect(note).to_have_text("Duplicate mark withdrawn.")
    assert opener.evaluate("e => e === document.activeElement")

    opener.click()
    target.locator(".picker-input").fill("WLAN Router irgendwas")
    target.locator(".duplicate button[type=submit]").click()
    expect(note).to_have_text(
        "No thread has the title or id “WLAN Router irgendwas”: "
        "please choose a thread from the list."
    )
    # An error looks like one: red, with a bar, not the green of success.
    assert note.evaluate("e => getComputedStyle(e).color") == ERROR_RED != success
    assert note.evaluate("e => getComputedStyle(e).borderLeftStyle") == "solid"


def test_a_new_page_starts_at_its_top_with_focus_on_its_status(agent_tab: AgentTab) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    page.focus("#next")  # scrolls to the pager, at the bottom of the page
    assert page.evaluate("window.scrollY") > 300
    with page.expect_response(lambda r: "offset=10" in r.url):
        page.keyboard.press("Enter")
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Results 11')"
    )
    assert page.evaluate("document.activeElement.id") == "status"
    top = page.locator("#status").evaluate("e => e.getBoundingClientRect().top")
    assert -1 < top < 20  # scrolled to it (a fraction of a pixel aside)
    with page.expect_response(lambda r: "offset=0" in r.url):
        page.click("#prev")
    page.wait_for_function(
        "() => document.getElementById('status').textContent.startsWith('Results 1–')"
    )
    assert page.evaluate("document.activeElement.id") == "status"
