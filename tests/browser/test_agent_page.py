"""The agents' page in a real browser: log in, filter, page, copy, mark as duplicate."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Locator, expect
from playwright.sync_api import Error as PlaywrightError

from indexer.analytics.judgements import JudgementStore
from indexer.engine import Engine
from tests.browser.conftest import AgentTab
from widget.server import BackgroundServer

QUESTION = "Router WLAN bricht ab"
# Functions, not expressions: Playwright polls an expression with eval, which the page's
# Content-Security-Policy forbids.
STATUS_STARTS = "text => document.getElementById('status').textContent.startsWith(text)"


def pick(result: Locator, title: str, thread_id: str) -> None:
    """Find ``thread_id`` in a result's duplicate picker by typing its title, and choose it
    with the keyboard as an agent would."""
    field = result.locator(".picker-input")
    field.click()
    field.press_sequentially(title, delay=15)
    listbox = result.locator("[role=listbox]")
    listbox.wait_for()
    expect(listbox.locator("[role=option]").first).to_be_visible()
    found = listbox.locator(".picker-meta").all_text_contents()
    index = next(i for i, meta in enumerate(found) if meta.endswith(thread_id))
    for _ in range(index + 1):
        field.press("ArrowDown")
    option_id = field.get_attribute("aria-activedescendant")
    assert option_id is not None
    assert result.locator(f"#{option_id} .picker-meta").text_content().endswith(thread_id)
    field.press("Enter")  # chooses; does not save yet
    assert field.input_value() == title
    assert field.get_attribute("aria-expanded") == "false"
    assert result.locator("input[name=duplicate_of]").input_value() == thread_id
    assert result.locator(".duplicate").is_visible()


def test_without_credentials_the_page_is_refused(
    browser: Browser, agent_server: BackgroundServer
) -> None:
    context = browser.new_context()
    answer = context.request.get(f"{agent_server.url}/agent")
    assert answer.status == 401
    assert answer.headers["www-authenticate"].startswith("Basic realm=")
    # A browser with no one to type a password (headless) gives up on the challenge.
    with pytest.raises(PlaywrightError, match="ERR_INVALID_AUTH_CREDENTIALS"):
        context.new_page().goto(f"{agent_server.url}/agent")
    context.close()


def test_filters_narrow_the_results_exactly_as_the_api_does(agent_tab: AgentTab) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    unfiltered = agent_tab.shown()
    assert len(unfiltered) == 10
    assert {item["board"] for item in unfiltered} != {"Router & WLAN"}

    page.select_option("#board", "Router & WLAN")
    page.check("#solved")
    page.fill("#from", "2023-01-01")
    page.fill("#to", "2025-12-31")
    agent_tab.search()
    shown = agent_tab.shown()
    assert shown, "nothing matched the filters"
    assert all(item["board"] == "Router & WLAN" and item["solved"] for item in shown), shown
    assert all("2023-01-01" <= item["created"] <= "2025-12-31" for item in shown)
    expected = agent_tab.api(
        "/api/search",
        q=QUESTION,
        board="Router & WLAN",
        solved="true",
        **{"from": "2023-01-01", "to": "2025-12-31"},
        limit="10",
    )
    assert [item["id"] for item in shown] == [item["id"] for item in expected["items"]]
    assert page.text_content("#status") == (f"Results 1–{len(shown)} of {expected['total']}")
    # The filters are in the address: a reload (or a shared link) shows the same search.
    assert "board=Router+%26+WLAN" in page.url and "solved=true" in page.url
    page.reload()
    page.wait_for_function("() => document.querySelectorAll('#results > li').length > 0")
    assert [item["id"] for item in agent_tab.shown()] == [item["id"] for item in shown]
    assert page.is_checked("#solved") and page.input_value("#from") == "2023-01-01"


def test_the_language_filter_keeps_to_one_language(agent_tab: AgentTab) -> None:
    page = agent_tab.open()
    page.fill("#q", "contract cancel Vertrag kündigen")
    agent_tab.search()
    assert {item["lang"] for item in agent_tab.shown()} >= {"de", "en"}
    page.select_option("#lang", "en")
    agent_tab.search()
    shown = agent_tab.shown()
    assert shown and {item["lang"] for item in shown} == {"en"}
    expected = agent_tab.api(
        "/api/search", q="contract cancel Vertrag kündigen", lang="en", limit="10"
    )
    assert [item["id"] for item in shown] == [item["id"] for item in expected["items"]]
    assert "lang=en" in page.url


def test_pages_move_through_the_results(agent_tab: AgentTab) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    first = [item["id"] for item in agent_tab.shown()]
    total = agent_tab.api("/api/search", q=QUESTION, limit="10")["total"]
    assert total > 20
    assert page.is_disabled("#prev") and not page.is_disabled("#next")
    with page.expect_response(lambda r: "offset=10" in r.url):
        page.click("#next")
    page.wait_for_function(STATUS_STARTS, arg="Results 11")
    second = [item["id"] for item in agent_tab.shown()]
    expected = agent_tab.api("/api/search", q=QUESTION, limit="10", offset="10")["items"]
    assert second == [item["id"] for item in expected]
    assert not set(first) & set(second)
    assert page.get_attribute("#results", "start") == "11"
    with page.expect_response(lambda r: "offset=0" in r.url):
        page.click("#prev")
    page.wait_for_function(STATUS_STARTS, arg="Results 1–")
    assert [item["id"] for item in agent_tab.shown()] == first


def test_the_full_solution_expands_and_link_and_answer_are_copied(agent_tab: AgentTab) -> None:
    page = agent_tab.open("?q=" + QUESTION.replace(" ", "+") + "&solved=true")
    page.wait_for_function("() => document.querySelectorAll('#results > li').length > 0")
    first = page.locator("#results > li").first
    thread_id = first.get_attribute("data-id")
    detail = agent_tab.api(f"/api/agent/threads/{thread_id}")
    solution = detail["solution"]["text"]
    snippet = agent_tab.api("/api/search", q=QUESTION, solved="true", limit="1")["items"][0]
    assert len(solution) > len(snippet["solution"]["snippet"])

    assert first.locator(".solution-text").is_hidden()
    first.locator(".solution summary").click()
    first.locator(".solution-text").filter(has_text=solution[:30]).wait_for()
    assert first.locator(".solution-text").text_content() == solution

    first.locator(".copy-link").click()
    first.locator(".note", has_text="Link copied.").wait_for()
    assert agent_tab.clipboard() == detail["url"]

    first.locator(".copy-answer").click()
    first.locator(".note", has_text="Answer copied.").wait_for()
    assert agent_tab.clipboard() == solution


def test_mark_as_duplicate_is_recorded_and_folds_the_thread(
    agent_tab: AgentTab, agent_engine: Engine
) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    before = [item["id"] for item in agent_tab.shown()]
    canonical, duplicate = before[0], before[2]

    title = agent_tab.shown()[0]["title"]
    second = page.locator(f"#results > li[data-id='{duplicate}']")
    second.locator(".mark").click()
    pick(second, title, canonical)
    with page.expect_response(lambda r: r.url.endswith("/api/agent/duplicates")) as sent:
        second.locator(".duplicate button[type=submit]").click()
    assert sent.value.status == 201
    assert sent.value.request.post_data_json["duplicate_of"] == canonical
    second.locator(".note", has_text=f"Marked as duplicate of “{title}” ({canonical})").wait_for()
    assert second.locator(".duplicate").is_hidden()

    store = JudgementStore(agent_engine.settings.data_dir)
    judged = store.links()
    last = list(store.read())[-1]
    store.close()
    assert judged[duplicate] == canonical
    assert last.query == QUESTION and last.agent.startswith("key:")

    agent_tab.search()
    after = [item["id"] for item in agent_tab.shown()]
    assert duplicate not in after and after[0] == canonical

    # Undo, on the note of the same result after a new search: gone from the page, so
    # withdraw through the API the page uses, as a second agent would.
    withdrawn = page.request.post(
        f"{agent_tab.server.url}/api/agent/duplicates",
        data={"thread": duplicate, "duplicate_of": None},
    )
    assert withdrawn.status == 201
    agent_tab.search()
    assert [item["id"] for item in agent_tab.shown()] == before


def test_undo_withdraws_the_mark(agent_tab: AgentTab, agent_engine: Engine) -> None:
    page = agent_tab.open()
    page.fill("#q", QUESTION)
    agent_tab.search()
    ids = [item["id"] for item in agent_tab.shown()]
    target = page.locator(f"#results > li[data-id='{ids[1]}']")
    target.locator(".mark").click()
    pick(target, agent_tab.shown()[0]["title"], ids[0])
    target.locator(".duplicate button[type=submit]").click()
    target.locator(".note .undo").click()
    target.locator(".note", has_text="Duplicate mark withdrawn.").wait_for()
    store = JudgementStore(agent_engine.settings.data_dir)
    assert ids[1] not in store.links()
    store.close()

    # Typed and never chosen from the list, and no offered thread's title: the text goes
    # as a thread id, and an unknown one is refused, asking to choose from the list.
    target.locator(".mark").click()
    target.locator(".picker-input").fill("no-such-thread")
    target.locator(".duplicate button[type=submit]").click()
    target.locator(
        ".note",
        has_text="No thread has the title or id “no-such-thread”: "
        "please choose a thread from the list.",
    ).wait_for()
    assert target.locator(".duplicate").is_visible()
