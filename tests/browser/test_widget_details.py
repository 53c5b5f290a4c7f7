"""The widget watching the details field too: title and details searched as one query,
debounced, never longer than a GET takes, and nothing changed where it is not configured."""

from __future__ import annotations

import math
import time
from urllib.parse import parse_qs, urlsplit

from playwright.sync_api import Page, Request, Response

from tests.browser.conftest import ARTIFACTS, PartnerSite, Tab

DEBOUNCE_MS = 150  # the widget's default
QUERY_MAX = 500  # the API's query_max_chars: a longer GET q is refused
VAGUE_TITLE = "Internet geht nicht"
# The thread's own words (Glasfasermodem, LOS, rot) are only in the details.
DETAILS = "Das Glasfasermodem zeigt LOS in rot"
THREAD = "Glasfasermodem zeigt LOS rot, kein Internet"


class Requests:
    """The suggest requests a page sends, and the answers it gets."""

    def __init__(self, page: Page) -> None:
        self.sent: list[dict[str, str]] = []
        self.statuses: list[int] = []
        page.on("request", self._request)
        page.on("response", self._response)

    def _request(self, request: Request) -> None:
        if "/api/suggest" in request.url:
            query = parse_qs(urlsplit(request.url).query, keep_blank_values=True)
            # All but the page view's id (the deflection experiment's; test_widget.py).
            self.sent.append({k: v[0] for k, v in query.items() if k != "session"})

    def _response(self, response: Response) -> None:
        if "/api/suggest" in response.url:
            self.statuses.append(response.status)

    def queries(self) -> list[str]:
        return [params["q"] for params in self.sent]


def title_and_details(tab: Tab, title: str, details: str) -> str:
    """Type the title, then the details; the query the widget searches at the end."""
    tab.type_question(title)
    to_details(tab.page)
    tab.page.keyboard.type(details, delay=20)
    query = f"{title} {details}"
    tab.wait_for_answer(query)
    return query


def to_details(page: Page) -> None:
    """Close the title's suggestions (they cover the details field) and click the details."""
    page.keyboard.press("Escape")
    page.click("#question-details")


def test_a_vague_title_with_telling_details_shows_the_thread_they_name(tab: Tab) -> None:
    page = tab.open_demo()
    requests = Requests(page)
    query = title_and_details(tab, VAGUE_TITLE, DETAILS)
    assert THREAD not in [item["title"] for item in tab.suggest(VAGUE_TITLE)]  # title alone
    assert tab.option_titles()[0] == THREAD
    assert tab.option_titles() == [item["title"] for item in tab.suggest(query)]
    # Written in the details, whose last word ends the query: it may be half-typed.
    assert requests.sent[-1]["q"] == query and "partial" not in requests.sent[-1]

    # The list opens under the field being written in, not over it.
    panel = page.locator("askfind-widget >> .p")
    assert panel.is_visible()
    details_box = page.locator("#question-details").bounding_box()
    panel_box = panel.bounding_box()
    assert details_box and panel_box and panel_box["y"] >= details_box["y"] + details_box["height"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "widget-details.png", full_page=True)

    # The arrow keys stay the textarea's; Escape closes the list.
    page.keyboard.press("ArrowUp")
    assert page.get_attribute("#question-title", "aria-activedescendant") is None
    page.keyboard.press("Escape")
    assert panel.is_hidden()


def test_typing_in_the_title_below_details_takes_no_word_as_half_typed(tab: Tab) -> None:
    page = tab.open_demo()
    page.fill("#question-details", DETAILS)
    requests = Requests(page)
    page.click("#question-title")
    page.keyboard.type(VAGUE_TITLE, delay=20)  # its last word is not the end of the query
    tab.wait_for_answer(f"{VAGUE_TITLE} {DETAILS}")
    assert requests.sent[-1]["q"] == f"{VAGUE_TITLE} {DETAILS}"
    assert requests.sent[-1]["partial"] == "false"
    assert tab.option_titles()[0] == THREAD


def test_quick_typing_in_the_details_fires_one_request_per_debounce_at_most(tab: Tab) -> None:
    page = tab.open_demo()
    tab.type_question(VAGUE_TITLE)
    requests = Requests(page)
    to_details(page)
    started = time.monotonic()
    page.keyboard.type(DETAILS, delay=20)
    typing_ms = (time.monotonic() - started) * 1000
    tab.wait_for_answer(f"{VAGUE_TITLE} {DETAILS}")
    page.wait_for_timeout(2 * DEBOUNCE_MS)  # any late request would be on its way now

    assert 1 <= len(requests.sent) <= math.ceil(typing_ms / DEBOUNCE_MS) + 1
    assert len(requests.sent) < len(DETAILS)  # not one per key
    assert requests.queries()[-1] == f"{VAGUE_TITLE} {DETAILS}"


def test_a_change_that_leaves_the_query_equal_sends_nothing(tab: Tab) -> None:
    page = tab.open_demo()
    title_and_details(tab, VAGUE_TITLE, DETAILS)
    shown = tab.option_titles()
    requests = Requests(page)

    page.keyboard.type("  ", delay=20)  # trailing spaces in the details
    page.keyboard.press("Enter")  # a new line is whitespace too
    page.keyboard.type(" ", delay=20)
    page.click("#question-title")
    page.keyboard.press("End")
    page.keyboard.type("   ", delay=20)  # and in the title
    for _ in range(3):
        page.keyboard.press("Backspace")  # taken away again
    page.wait_for_timeout(3 * DEBOUNCE_MS)
    assert requests.sent == []
    assert tab.option_titles() == shown

    page.keyboard.type("!", delay=20)  # a real change still searches
    tab.wait_for_answer(f"{VAGUE_TITLE}! {DETAILS}")
    assert requests.queries() == [f"{VAGUE_TITLE}! {DETAILS}"]


def test_long_details_are_cut_after_a_word_within_the_query_limit(tab: Tab) -> None:
    page = tab.open_demo()
    tries = [f"Versuch {n}: Modem neu gestartet, Kabel geprüft." for n in range(1, 25)]
    details = f"{DETAILS}. {' '.join(tries)}"  # about 1,200 characters
    page.fill("#question-title", VAGUE_TITLE)
    requests = Requests(page)
    page.fill("#question-details", details)
    whole = f"{VAGUE_TITLE} {details}"
    page.wait_for_function(
        "() => performance.getEntriesByName('askfind:suggest')"
        ".some(e => e.detail.query.includes('Versuch'))"
    )
    sent = requests.queries()[-1]
    assert len(sent) <= QUERY_MAX and len(whole) > QUERY_MAX
    assert whole.startswith(sent + " ")  # a prefix ending at a whole word
    assert len(sent) > QUERY_MAX - len(" gestartet,")  # as much as fits
    assert requests.sent[-1]["partial"] == "false"  # the cut word is not being typed
    assert requests.statuses and set(requests.statuses) == {200}
    assert tab.option_titles()[0] == THREAD

    # More details past the cut change nothing that is searched.
    before = len(requests.sent)
    page.click("#question-details")
    page.keyboard.press("Control+End")
    page.keyboard.type(" und noch mehr", delay=20)
    page.wait_for_timeout(3 * DEBOUNCE_MS)
    assert len(requests.sent) == before


def test_a_page_without_the_details_option_searches_the_title_alone(
    tab: Tab, partner: tuple[PartnerSite, str]
) -> None:
    """Unconfigured, or pointing at nothing: the details field is not the widget's."""
    site, origin = partner
    api = tab.server.url
    for path, option in (("/ohne", ""), ("/falsch", 'data-details="#gibt-es-nicht"')):
        site.pages[path] = f"""<!doctype html><html lang="de"><body><main>
<label for="question-title">Frage</label><input id="question-title">
<label for="question-details">Details</label><textarea id="question-details"></textarea>
<script src="{api}/embed.js" data-target="#question-title" {option}></script>
</main></body></html>"""
        page = tab.page
        page.goto(f"{origin}{path}")
        page.wait_for_function("window.askfind !== undefined")
        requests = Requests(page)
        page.click("#question-details")
        page.keyboard.type(DETAILS, delay=20)
        page.wait_for_timeout(3 * DEBOUNCE_MS)
        assert requests.sent == [], path

        tab.type_question(VAGUE_TITLE)
        # A loaded machine may pause between keys past the debounce: then a prefix is
        # searched on the way, but never anything of the details.
        assert all(VAGUE_TITLE.startswith(q) for q in requests.queries()), path
        assert requests.sent[-1] == {"q": VAGUE_TITLE, "limit": "5"}, path
        assert THREAD not in tab.option_titles()
