"""The widget in a real browser: suggestions, keyboard, races, safety, ask anyway, events."""

from __future__ import annotations

import contextlib
import re
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

from tests.browser.conftest import COMMUNITY, XSS_TITLE, PartnerSite, Tab

QUESTION = "eSIM auf neues iPhone"


def expanded(tab: Tab) -> str | None:
    return tab.page.get_attribute("#question-title", "aria-expanded")


def test_typing_shows_the_ranked_suggestions_with_solved_badges(tab: Tab) -> None:
    page = tab.open_demo()
    tab.type_question(QUESTION)
    expected = tab.suggest(QUESTION)
    assert 1 <= len(expected) <= 5
    assert tab.option_titles() == [item["title"] for item in expected]
    assert expanded(tab) == "true"

    solved = page.eval_on_selector_all(
        "askfind-option",
        "os => os.map(o => [...o.shadowRoot.querySelectorAll('.b')].map(b => b.textContent))",
    )
    for item, badges in zip(expected, solved, strict=True):
        assert ("Gelöst" in badges) == item["solved"]
    assert expected[0]["solved"]
    first = page.locator("askfind-option").first
    sure = expected[0]["confidence"] >= 0.9  # the widget's default "very likely" threshold
    label = first.get_attribute("aria-label") or ""
    assert label.startswith("Sehr wahrscheinlich Ihre Frage, " if sure else expected[0]["title"])
    assert (first.get_attribute("data-sure") is not None) == sure
    marked = first.evaluate(
        "o => [...o.shadowRoot.querySelectorAll('mark')].map(m => m.textContent)"
    )
    assert {"eSIM", "iPhone"} <= set(marked)
    assert page.locator("askfind-widget [role=status]").text_content() == (
        f"{len(expected)} Vorschläge, Pfeiltasten zum Auswählen"
        if len(expected) > 1
        else "1 Vorschlag, Pfeiltasten zum Auswählen"
    )


def test_suggestions_without_help_articles_show_nothing_but_the_threads(tab: Tab) -> None:
    question = "zwangstrennung deaktivieren"
    page = tab.open_demo()
    answer = page.request.get(f"{tab.server.url}/api/suggest", params={"q": question}).json()
    assert answer["items"] and not answer.get("articles"), "the question must find no article"
    tab.type_question(question)
    assert tab.option_titles() == [item["title"] for item in tab.suggest(question)]
    # Only the options: no group, and no stray text (a count of no articles once showed "0").
    children = page.eval_on_selector(
        "askfind-list",
        "l => [...l.childNodes].map(n => n.nodeType === Node.ELEMENT_NODE ? n.localName "
        ": JSON.stringify(n.textContent))",
    )
    assert set(children) == {"askfind-option"}


def test_nothing_above_the_floor_shows_no_box_and_short_text_asks_nothing(tab: Tab) -> None:
    page = tab.open_demo()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/suggest" in r.url else None)
    page.click("#question-title")
    page.keyboard.type("WL", delay=20)
    page.wait_for_timeout(400)
    assert requests == []  # below the minimum length

    page.fill("#question-title", "")
    tab.type_question("Quantenchromodynamik der Gluonen")
    assert tab.option_ids() == []
    assert expanded(tab) == "false"
    assert page.locator("askfind-widget >> .p").is_hidden()


def test_keyboard_moves_through_the_options_and_enter_opens_the_thread(tab: Tab) -> None:
    page = tab.open_demo()
    tab.type_question(QUESTION)
    ids = tab.option_ids()
    assert len(ids) >= 3

    def active() -> str | None:
        return page.get_attribute("#question-title", "aria-activedescendant")

    def selected() -> list[str]:
        return page.eval_on_selector_all(
            "askfind-option[aria-selected=true]", "os => os.map(o => o.id)"
        )

    assert active() is None
    page.keyboard.press("ArrowDown")
    assert active() == ids[0] and selected() == [ids[0]]
    page.keyboard.press("ArrowDown")
    assert active() == ids[1] and selected() == [ids[1]]
    page.keyboard.press("End")
    assert active() == ids[-1]
    page.keyboard.press("ArrowDown")  # wraps around
    assert active() == ids[0]
    page.keyboard.press("ArrowUp")
    assert active() == ids[-1]
    page.keyboard.press("Home")
    assert active() == ids[0]
    page.keyboard.press("Escape")
    assert expanded(tab) == "false" and active() is None
    page.keyboard.press("ArrowDown")
    assert expanded(tab) == "true" and active() == ids[0]
    page.keyboard.press("ArrowDown")

    expected = tab.suggest(QUESTION)
    with tab.context.expect_page() as opened:
        page.keyboard.press("Enter")
    assert opened.value.url == expected[1]["url"]
    assert expanded(tab) == "false"
    assert page.input_value("#question-title") == QUESTION  # the question is kept

    # Back on the page: "did that answer your question?"
    page.locator("askfind-widget >> .fb button", has_text="Ja").click()
    events = tab.events(expected=3)
    # Each event is its own beacon: they may arrive in any order.
    by_type = {e.event.type: e.event for e in events}
    assert sorted(by_type) == ["click", "helpful", "impression"] and len(events) == 3
    impression, click, helpful = by_type["impression"], by_type["click"], by_type["helpful"]
    assert impression.query == QUESTION
    assert list(impression.results) == [item["id"] for item in expected]
    assert (click.thread, click.rank, click.query) == (expected[1]["id"], 2, QUESTION)
    assert (helpful.thread, helpful.helpful, helpful.rank) == (expected[1]["id"], True, 2)
    assert {e.origin for e in events} == {tab.server.url}


def test_a_slow_answer_never_overwrites_a_newer_one(tab: Tab) -> None:
    page = tab.open_demo()
    held: list[Any] = []
    failed: list[str] = []
    page.route(re.compile(r"/api/suggest\?q=Rechnung"), lambda r: held.append(r))  # answer later
    page.on("requestfailed", lambda r: failed.append(r.url))

    page.click("#question-title")
    page.keyboard.type("Rechnung zu hoch", delay=20)
    deadline = 50
    while not held and deadline:
        page.wait_for_timeout(100)
        deadline -= 1
    assert held, "the first request was not sent"

    page.fill("#question-title", "")
    tab.type_question(QUESTION)
    newer = tab.option_titles()
    assert newer == [item["title"] for item in tab.suggest(QUESTION)]

    stale = held[0]
    # The widget aborted it; answer anyway, as a slow server would (Playwright may refuse
    # to answer a request the page gave up on: then it is all the more sure not to land).
    with contextlib.suppress(Exception):
        stale.fulfill(response=stale.fetch())
    page.wait_for_timeout(500)
    assert tab.option_titles() == newer
    assert any("q=Rechnung" in url for url in failed), "the superseded request was not aborted"


def test_a_hostile_thread_title_is_shown_as_text_and_runs_nothing(tab: Tab) -> None:
    page = tab.open_demo()
    tab.type_question("img src onerror alert")
    titles = tab.option_titles()
    assert XSS_TITLE in titles
    index = titles.index(XSS_TITLE)
    option = page.locator("askfind-option").nth(index)
    assert option.evaluate("o => o.shadowRoot.querySelectorAll('img, script, b').length") == 0
    # The body's "&lt;script&gt;" decodes into markup, which snippets never carry.
    shown = option.evaluate("o => o.shadowRoot.textContent")
    assert "Seit gestern zeigt mein Browser" in shown and "<script>" not in shown
    assert page.evaluate("document.querySelectorAll('img').length") == 0

    # Its link is javascript:, which is never followed.
    pages_before = len(tab.context.pages)
    option.click()
    page.wait_for_timeout(300)
    assert len(tab.context.pages) == pages_before
    assert page.url.startswith(tab.server.url)
    assert tab.dialogs == []


def test_ask_anyway_hands_the_typed_text_to_the_ask_form(tab: Tab) -> None:
    page = tab.open_demo()
    question = "WLAN bricht ständig ab, schon alles probiert"
    tab.type_question(question)
    assert tab.option_ids()
    with page.expect_navigation():
        page.locator("askfind-widget >> button", has_text="Frage trotzdem stellen").click()
    assert page.url.startswith(f"{tab.server.url}/ask?")
    assert page.text_content("#asked-question") == question
    events = tab.events(expected=2)
    assert sorted((e.event.type, e.event.query) for e in events) == [
        ("asked_anyway", question),
        ("impression", question),
    ]


def test_the_widget_works_cross_origin_with_its_own_box_and_settings(
    tab: Tab, partner: tuple[PartnerSite, str]
) -> None:
    """A partner page on another origin, no target: the widget renders its own box, reads
    window.askfindSettings, calls the API cross-origin and its events are accepted."""
    site, origin = partner
    api = tab.server.url
    site.pages["/help"] = f"""<!doctype html><html lang="en"><head><title>Help</title></head>
<body><main><h1>Help</h1>
<script>window.askfindSettings = {{ newTab: false }};</script>
<script src="{api}/embed.js" data-api="{api}" async></script></main></body></html>"""
    page = tab.page
    page.goto(f"{origin}/help")
    page.wait_for_selector("label:has-text('Your question')")
    tab.type_question("cancel my contract", selector="input[role=combobox]")
    assert tab.option_ids()
    assert page.locator("askfind-widget >> button").first.text_content() == (
        "Ask your question anyway"
    )

    page.keyboard.press("ArrowDown")
    expected = tab.suggest("cancel my contract")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # newTab: false, so the thread opens here
    assert page.url == expected[0]["url"]
    events = tab.events(expected=2)
    assert sorted(e.event.type for e in events) == ["click", "impression"]
    assert {e.origin for e in events} == {origin}


def test_ask_url_receives_the_typed_text(tab: Tab, partner: tuple[PartnerSite, str]) -> None:
    site, origin = partner
    api = tab.server.url
    site.pages["/frage"] = f"""<!doctype html><html lang="de"><body><main>
<label for="q">Frage</label><input id="q">
<script src="{api}/embed.js" data-target="#q" data-ask-url="{origin}/neu?titel={{q}}"></script>
</main></body></html>"""
    tab.page.goto(f"{origin}/frage")
    question = "WLAN bricht ständig ab & Router blinkt"
    tab.type_question(question, selector="#q")
    assert tab.option_ids()
    with tab.page.expect_navigation():
        tab.page.locator("askfind-widget >> button").first.click()
    assert tab.page.url == f"{origin}/neu?titel={quote(question, safe='')}"
    assert sorted(e.event.type for e in tab.events(expected=2)) == ["asked_anyway", "impression"]


def test_links_point_only_at_the_community(tab: Tab) -> None:
    tab.open_demo()
    tab.type_question(QUESTION)
    assert all(item["url"].startswith(COMMUNITY) for item in tab.suggest(QUESTION))


def test_no_search_while_an_ime_composes_one_when_it_commits(tab: Tab) -> None:
    page = tab.open_demo()
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url) if "/api/suggest" in r.url else None)
    page.click("#question-title")
    cdp = tab.context.new_cdp_session(page)
    for partial in ("e", "eS", "eSI", "eSIM", "eSIM t", "eSIM ta", "eSIM tauschen"):
        cdp.send("Input.imeSetComposition", {"text": partial, "selectionStart": len(partial),
                                             "selectionEnd": len(partial)})  # fmt: skip
    page.wait_for_timeout(400)  # well past the debounce
    assert requests == []
    assert page.input_value("#question-title") == "eSIM tauschen"

    cdp.send("Input.insertText", {"text": "eSIM tauschen"})  # commits the composition
    tab.wait_for_answer("eSIM tauschen")
    assert len(requests) == 1 and "q=eSIM+tauschen" in requests[0]


def test_suggestions_carry_the_session_of_the_events_and_a_held_back_one_shows_nothing(
    tab: Tab,
) -> None:
    """The deflection experiment's arm is drawn from the session id: the widget sends the
    id its events carry, and shows nothing to a session the server holds back."""
    page = tab.open_demo()
    sent: list[list[str]] = []
    page.on(
        "request",
        lambda r: (
            sent.append(parse_qs(urlparse(r.url).query).get("session", []))
            if "/api/suggest" in r.url
            else None
        ),
    )
    tab.type_question(QUESTION)
    assert tab.option_ids()
    assert sent and all(len(ids) == 1 for ids in sent)
    sessions = {ids[0] for ids in sent}
    assert len(sessions) == 1
    page.wait_for_timeout(1200)  # typing settled: the impression goes out
    page.click("body")
    assert {stored.event.session for stored in tab.events(1)} == sessions

    page.route(
        re.compile(r"/api/suggest"),
        lambda route: route.fulfill(json={"query": "x", "items": [], "holdout": True}),
    )
    page.fill("#question-title", "")
    tab.type_question("Rechnung zu hoch")
    assert tab.option_ids() == []
    assert expanded(tab) == "false"


def test_a_box_emptied_asks_nothing_even_with_min_chars_0(
    tab: Tab, partner: tuple[PartnerSite, str]
) -> None:
    site, origin = partner
    api = tab.server.url
    site.pages["/leer"] = f"""<!doctype html><html lang="de"><body><main>
<label for="q">Frage</label><input id="q">
<script src="{api}/embed.js" data-target="#q" data-min-chars="0"></script>
</main></body></html>"""
    page = tab.page
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/api/suggest" in r.url else None)
    page.goto(f"{origin}/leer")
    tab.type_question("WLAN", selector="#q")
    assert tab.option_ids()
    page.fill("#q", "")
    page.wait_for_timeout(400)
    assert asked and all("q=&" not in url and not url.endswith("q=") for url in asked), asked
