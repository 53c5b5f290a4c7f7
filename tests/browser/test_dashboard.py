"""The dashboard at /admin in Chromium: charts drawn by uPlot under the strict CSP, the
experiment, content gaps with one-click pin and hide, the rules with remove and the
synonyms form; German and English, desktop and 375 px, axe-clean, screenshots in
test-artifacts/; without the charting library it says so and shows the table; a
non-admin gets the 403 page, nobody signed in the 401."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from indexer.analytics.events import Event
from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from indexer.engine import Engine
from indexer.settings import Settings
from tests.browser.conftest import ARTIFACTS, require
from tests.browser.test_accessibility import axe_scan
from tests.conftest import engine_copy
from widget.agent_access import password_entry
from widget.app import create_app
from widget.dashboard_text import PAGE
from widget.server import BackgroundServer

ADMIN = ("maria", "s3cret!")
AGENT = ("ole", "geheim!")
CHARTS = Settings.model_fields["chart_library_dir"].default
GAP = "Rufnummer ins Ausland portieren"
POOR = "Router blinkt rot nach Firmware Update"
HOSTILE = "<img src=x onerror=alert(1)> Fax geht nicht"


def sessions(day: int) -> list[tuple[str, list[Event]]]:
    """A day's sessions (``day`` days ago): found, asked anyway, helpful, in de and en."""

    def impression(session: str, text: str, results: tuple[str, ...], lang: str, board: str):
        return Event("impression", session, text, lang=lang, board=board, results=results)

    found, asked, helped = f"s-found-{day:04d}", f"s-asked-{day:04d}", f"s-help-{day:04d}"
    made = [
        (
            found,
            [
                impression(found, "WLAN bricht ab", ("wlan-001",), "de", "Internet & WLAN"),
                Event("click", found, "WLAN bricht ab", lang="de", thread="wlan-001", rank=1),
            ],
        ),
        (
            asked,
            [
                impression(asked, "cancel my contract", ("vertrag-001",), "en", "Vertrag"),
                Event("asked_anyway", asked, "cancel my contract", lang="en", board="Vertrag"),
            ],
        ),
    ]
    if day % 2:
        made.append(
            (
                helped,
                [
                    impression(helped, "eSIM aktivieren", ("mobil-001",), "de", "Mobilfunk"),
                    Event("helpful", helped, "eSIM", lang="de", thread="mobil-001", helpful=True),
                ],
            )
        )
    return made


def gap_sessions() -> list[tuple[str, list[Event]]]:
    made = []
    gaps = ((GAP, ()), (POOR, ("wlan-001", "wlan-002")), (HOSTILE, ()))
    for n in range(6):
        for kind, (text, results) in enumerate(gaps):
            session = f"s-gap-{kind}-{n:04d}"
            made.append(
                (
                    session,
                    [
                        Event("impression", session, text, lang="de", results=results),
                        Event("asked_anyway", session, text, lang="de"),
                    ],
                )
            )
    return made


def seed(data_dir: Path) -> None:
    """Events of the last 14 days, each session on its day (received_at set in SQLite)."""
    store = SqliteEventStore(data_dir / EVENTS_FILE)
    now = datetime.now(UTC)
    when: dict[str, str] = {}
    for day in range(14):
        for session, events in sessions(day):
            store.add(events)
            when[session] = (now - timedelta(days=day, hours=1)).isoformat(timespec="milliseconds")
    for _session, events in gap_sessions():
        store.add(events)
    store.close()
    with sqlite3.connect(data_dir / EVENTS_FILE) as db:
        db.executemany(
            "UPDATE event SET received_at = ? WHERE session = ?",
            [(at, session) for session, at in when.items()],
        )


def serve(
    sample_engine: Engine, data_dir: Path, seeded: bool = True, **overrides: Any
) -> Iterator[BackgroundServer]:
    """The dashboard over the sample community, with ``seed``'s events unless not ``seeded``."""
    engine = engine_copy(
        sample_engine,
        data_dir,
        agent_auth="password",
        agent_users=(password_entry(*ADMIN), password_entry(*AGENT)),
        admin_users=(ADMIN[0],),
        rate_limit_per_second=0.0,
        experiment_holdout_share=0.2,
        **overrides,
    )
    if seeded:
        seed(data_dir)
    with BackgroundServer(create_app(engine=engine)) as running:
        yield running
    engine.close()


@pytest.fixture(scope="module")
def dashboard_server(
    sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundServer]:
    yield from serve(sample_engine, tmp_path_factory.mktemp("dashboard"))


@pytest.fixture(scope="module")
def chartless_server(
    sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundServer]:
    data_dir = tmp_path_factory.mktemp("chartless")
    yield from serve(sample_engine, data_dir, chart_library_dir=data_dir / "no-charts")


class AdminTab:
    """A signed-in tab that records JavaScript errors and CSP violations."""

    def __init__(self, context: BrowserContext, server: BackgroundServer) -> None:
        self.context, self.server = context, server
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on(
            "console",
            lambda m: self.problems.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def open(self, query: str = "") -> Page:
        answer = self.page.goto(f"{self.server.url}/admin{query}")
        assert answer is not None and answer.status == 200
        self.wait()
        return self.page

    def wait(self) -> None:
        # A function, not an expression: the page's CSP forbids Playwright's eval.
        self.page.wait_for_function("() => window.askfindAdmin && window.askfindAdmin.ready")

    def rules(self) -> list[dict[str, Any]]:
        answer = self.page.request.get(f"{self.server.url}/api/admin/rules")
        assert answer.ok, answer.text()
        rules: list[dict[str, Any]] = answer.json()["rules"]
        return rules


@pytest.fixture
def open_admin_tab(browser: Browser) -> Iterator[Callable[..., AdminTab]]:
    tabs: list[AdminTab] = []

    def opener(
        server: BackgroundServer,
        width: int = 1280,
        height: int = 900,
        locale: str = "en-US",
        user: tuple[str, str] | None = ADMIN,
    ) -> AdminTab:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,
            **({"http_credentials": {"username": user[0], "password": user[1]}} if user else {}),
        )
        tab = AdminTab(context, server)
        tabs.append(tab)
        return tab

    yield opener
    for tab in tabs:
        tab.context.close()
    for tab in tabs:
        assert tab.problems == [], "JavaScript errors or CSP violations on the dashboard"


def require_charts() -> None:
    """Skip without uPlot on a developer's machine; in CI (scripts/install puts it) fail."""
    require(CHARTS / "uPlot.iife.min.js", "uPlot (scripts/install)")


@pytest.mark.parametrize("lang", ["de", "en"])
@pytest.mark.parametrize(("device", "width", "height"), [("desktop", 1280, 900), ("375", 375, 740)])
def test_the_dashboard_is_drawn_axe_clean_in_each_language_and_size(
    open_admin_tab: Callable[..., AdminTab],
    dashboard_server: BackgroundServer,
    axe_source: str,
    lang: str,
    device: str,
    width: int,
    height: int,
) -> None:
    require_charts()
    tab = open_admin_tab(dashboard_server, width, height, locale=lang)
    page = tab.open()
    assert page.get_attribute("html", "lang") == lang
    # Three charts, each a uPlot canvas as wide as the page allows and no wider.
    assert page.locator("#charts figure.chart canvas").count() == 3
    widest = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll('.uplot')].map(u => u.offsetWidth))"
    )
    assert 200 < widest <= width
    # Nothing sticks out sideways but what scrolls in a box of its own (the tables).
    sticking_out = page.evaluate(
        """width => [...document.querySelectorAll('body *')]
            .filter(e => !e.closest('.scroll') && e.getBoundingClientRect().right > width)
            .map(e => e.tagName + '.' + e.className)""",
        width,
    )
    assert sticking_out == []
    # The table holds every day of the period (30 days by default, today included).
    assert page.locator("#figures-table tbody tr").count() == 31
    assert page.locator("#experiment-body table tbody tr").count() == 2
    assert page.locator("#gaps-no-match > li.gap").count() >= 1
    assert page.locator("#gaps-poor-match > li.gap").count() >= 1
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"dashboard-{lang}-{device}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 20_000
    page.locator("#figures").evaluate("d => { d.open = true }")  # the table in the scan too
    axe_scan(page, axe_source)


def test_the_figures_follow_the_filters(
    open_admin_tab: Callable[..., AdminTab], dashboard_server: BackgroundServer
) -> None:
    page = open_admin_tab(dashboard_server).open()

    def searches() -> int:
        cells = page.locator("#figures-table tbody tr td:nth-child(2)").all_text_contents()
        return sum(int(cell.replace(",", "")) for cell in cells)

    everything = searches()
    page.select_option("#lang", "en")
    page.evaluate("() => { window.askfindAdmin.ready = false }")
    page.click("#filters button[type=submit]")
    tab_ready = "() => window.askfindAdmin.ready"
    page.wait_for_function(tab_ready)
    english = searches()
    assert 0 < english < everything
    page.select_option("#bucket", "week")
    page.click("#filters button[type=submit]")
    page.wait_for_function(tab_ready)
    assert 5 <= page.locator("#figures-table tbody tr").count() <= 6
    assert searches() == english


def test_gaps_show_hostile_text_as_text_and_pin_or_hide_in_one_click(
    open_admin_tab: Callable[..., AdminTab], dashboard_server: BackgroundServer
) -> None:
    tab = open_admin_tab(dashboard_server)
    page = tab.open()
    assert page.locator("#gaps img").count() == 0
    assert "<img src=x onerror=alert(1)> fax geht nicht" in page.locator("#gaps").inner_text()
    links = page.locator("#gaps a.title").evaluate_all("links => links.map(a => a.href)")
    assert links and all(link.startswith("https://") for link in links)
    group = page.locator("#gaps-no-match > li.gap", has_text="rufnummer ins ausland").first
    candidate = group.locator(".candidate").first
    thread = candidate.get_attribute("data-id")
    with page.expect_response(lambda r: r.url.endswith("/api/admin/rules") and r.status == 201):
        candidate.locator(".pin").click()
    group.locator(".note", has_text="rule").wait_for()
    [pin] = [rule for rule in tab.rules() if rule["kind"] == "pin"]
    assert pin["thread"] == thread and "rufnummer ins ausland portieren" in pin["queries"]
    assert pin["author"] == "admin:maria"
    page.locator(f"#rules li.rule[data-id='{pin['id']}']").wait_for()

    with page.expect_response(lambda r: r.url.endswith("/api/admin/rules") and r.status == 201):
        candidate.locator(".hide").click()
    page.locator("#rules li.rule[data-kind=hidden]").wait_for()
    assert {rule["kind"] for rule in tab.rules()} == {"pin", "hidden"}

    # Remove both again, from the list of rules.
    for rule in tab.rules():
        item = page.locator(f"#rules li.rule[data-id='{rule['id']}']")
        item.locator(".remove").click()
        item.wait_for(state="detached")
    assert tab.rules() == []


def test_synonyms_are_added_per_language_and_shown_as_text(
    open_admin_tab: Callable[..., AdminTab], dashboard_server: BackgroundServer
) -> None:
    tab = open_admin_tab(dashboard_server, locale="de")
    page = tab.open()
    page.select_option("#synonyms-lang", "en")
    page.fill("#synonyms-terms", "WiFi, wireless LAN, <b>WLAN</b>")
    page.click("#synonyms button[type=submit]")
    item = page.locator("#rules li.rule[data-kind=synonyms]")
    item.wait_for()
    assert item.locator(".what").inner_text() == "en: WiFi, wireless LAN, <b>WLAN</b>"
    assert page.locator("#rules b").count() == 0
    assert "Synonyme hinzugefügt" in page.locator("#curation-status").inner_text()
    [rule] = tab.rules()
    assert (rule["lang"], rule["terms"]) == ("en", ["WiFi", "wireless LAN", "<b>WLAN</b>"])
    item.locator(".remove").click()
    item.wait_for(state="detached")
    # A group of one term is refused: not saved (no loading error), the service's reason
    # beside the form, and what was typed kept to be corrected.
    page.fill("#synonyms-terms", "WLAN")
    page.click("#synonyms button[type=submit]")
    status = page.locator("#curation-status.refused")
    status.wait_for()
    assert status.inner_text() == (
        "Nicht gespeichert: a synonym group needs at least two different terms"
    )
    assert page.locator("#status").inner_text() == ""
    assert page.input_value("#synonyms-terms") == "WLAN"
    assert tab.rules() == []


def test_without_the_charting_library_the_page_says_so_and_shows_the_table(
    open_admin_tab: Callable[..., AdminTab], chartless_server: BackgroundServer
) -> None:
    tab = open_admin_tab(chartless_server, 375, 740)
    page = tab.open()
    assert "Charts are unavailable" in page.locator("#charts-note").inner_text()
    assert page.locator("#charts canvas").count() == 0
    assert page.locator("#figures").evaluate("d => d.open") is True
    assert page.locator("#figures-table tbody tr").count() == 31
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-no-charts-375.png"), full_page=True)


def test_a_non_admin_gets_the_403_page_and_nobody_signed_in_the_401(
    open_admin_tab: Callable[..., AdminTab], dashboard_server: BackgroundServer
) -> None:
    tab = open_admin_tab(dashboard_server, locale="de", user=AGENT)
    answer = tab.page.goto(f"{dashboard_server.url}/admin")
    assert answer is not None and answer.status == 403
    assert "Kein Zugriff auf das Dashboard" in tab.page.inner_text("h2")
    assert "ole" in tab.page.inner_text("#forbidden")
    nobody = open_admin_tab(dashboard_server, user=None)
    refused = nobody.page.request.get(f"{dashboard_server.url}/admin")
    assert refused.status == 401 and refused.headers["www-authenticate"].startswith("Basic")


# --- What the dashboard answers an operator: a change the service refuses is "not saved"
# (or "not removed") beside the control that asked for it, the reason shown as text; a list
# with nothing in it shows a note in its place, not a (numbered) list item.

GAP_GROUP = "rufnummer ins ausland"
HOSTILE_TERM = "<img src=x onerror=alert(1)>"
# Every list of the dashboard that can be empty, and the note that then stands in for it.
EMPTY_NOTES = {"gaps-no-match": "no_gaps", "gaps-poor-match": "no_gaps", "rules": "no_rules"}


@pytest.fixture(scope="module")
def empty_server(
    sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BackgroundServer]:
    """The dashboard before anyone searched: no events, so no gaps, and no rules."""
    yield from serve(sample_engine, tmp_path_factory.mktemp("empty-dashboard"), seeded=False)


def remove_rules(tab: AdminTab) -> None:
    for rule in tab.rules():
        answer = tab.page.request.delete(f"{tab.server.url}/api/admin/rules/{rule['id']}")
        assert answer.ok, answer.text()


@pytest.mark.parametrize(
    ("lang", "not_saved"), [("en", "Not saved: "), ("de", "Nicht gespeichert: ")]
)
def test_a_pin_already_in_force_is_not_saved_and_says_why_beside_the_gap(
    open_admin_tab: Callable[..., AdminTab],
    dashboard_server: BackgroundServer,
    lang: str,
    not_saved: str,
) -> None:
    tab = open_admin_tab(dashboard_server, locale=lang)
    page = tab.open()
    assert page.locator("#gaps-no-match-empty").is_hidden()
    group = page.locator("#gaps-no-match > li.gap", has_text=GAP_GROUP).first
    thread = group.locator(".candidate").first.get_attribute("data-id")
    with page.expect_response(lambda r: r.url.endswith("/api/admin/rules") and r.status == 201):
        group.locator(f".candidate[data-id='{thread}'] .pin").click()
    [pin] = tab.rules()
    # The same pin again, after a reload: the service refuses the copy (409).
    page = tab.open()
    group = page.locator("#gaps-no-match > li.gap", has_text=GAP_GROUP).first
    button = group.locator(f".candidate[data-id='{thread}'] .pin")
    with page.expect_response(lambda r: r.url.endswith("/api/admin/rules") and r.status == 409):
        button.click()
    note = group.locator(".note.refused")
    note.wait_for()
    assert note.inner_text().startswith(f"{not_saved}rule {pin['id']} is already a pin of {thread}")
    assert button.is_enabled()
    # Nothing failed to load: the page's status line stays empty.
    assert page.locator("#status").inner_text() == ""
    ARTIFACTS.mkdir(exist_ok=True)
    group.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / f"dashboard-not-saved-{lang}.png"))
    assert [rule["id"] for rule in tab.rules()] == [pin["id"]]
    remove_rules(tab)


def test_the_services_reason_is_shown_as_text_where_the_change_was_asked_for(
    open_admin_tab: Callable[..., AdminTab],
    dashboard_server: BackgroundServer,
) -> None:
    tab = open_admin_tab(dashboard_server)
    page = tab.open()
    rules = f"{dashboard_server.url}/api/admin/rules"
    terms = [HOSTILE_TERM, "Fax"]
    first = page.request.post(rules, data={"kind": "synonyms", "lang": "en", "terms": terms})
    assert first.status == 201, first.text()
    # The same group from the form: refused (409), with the terms in the service's reason.
    page.select_option("#synonyms-lang", "en")
    page.fill("#synonyms-terms", ", ".join(terms))
    with page.expect_response(lambda r: r.url == rules and r.status == 409):
        page.click("#synonyms button[type=submit]")
    status = page.locator("#curation-status.refused")
    status.wait_for()
    assert status.inner_text().startswith("Not saved: ")
    assert f"{HOSTILE_TERM} = Fax" in status.inner_text()
    assert page.locator("#curation img").count() == 0
    assert page.locator("#status").inner_text() == ""

    # A rule removed meanwhile elsewhere: not removed, said beside the list of rules.
    page = tab.open()
    [rule] = tab.rules()
    item = page.locator(f"#rules li.rule[data-id='{rule['id']}']")
    remove_rules(tab)
    with page.expect_response(lambda r: r.url.endswith(f"/rules/{rule['id']}") and r.status == 404):
        item.locator(".remove").click()
    refused = page.locator("#rules-status.refused")
    refused.wait_for()
    assert refused.inner_text() == f"Not removed: no rule with id {rule['id']}"
    assert page.locator("#curation-status").inner_text() == ""
    assert page.locator("#status").inner_text() == ""


@pytest.mark.parametrize("lang", ["de", "en"])
def test_an_empty_list_shows_a_note_and_no_list_item(
    open_admin_tab: Callable[..., AdminTab],
    empty_server: BackgroundServer,
    axe_source: str,
    lang: str,
) -> None:
    tab = open_admin_tab(empty_server, locale=lang)
    page = tab.open()
    for list_id, key in EMPTY_NOTES.items():
        assert page.locator(f"#{list_id} > li").count() == 0, list_id
        assert page.locator(f"#{list_id}").is_hidden(), list_id
        note = page.locator(f"#{list_id}-empty")
        assert note.evaluate("e => e.tagName") == "P" and note.is_visible(), list_id
        assert note.inner_text() == PAGE[lang][key]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"dashboard-empty-{lang}.png"), full_page=True)
    axe_scan(page, axe_source)

    # A rule fills the list and puts its note away; the last one removed, the note is back.
    page.fill("#synonyms-terms", "WLAN, WiFi")
    page.click("#synonyms button[type=submit]")
    page.locator("#rules li.rule").wait_for()
    assert page.locator("#rules-empty").is_hidden()
    page.locator("#rules li.rule .remove").click()
    page.locator("#rules-empty").wait_for()
    assert page.locator("#rules").is_hidden() and page.locator("#rules > li").count() == 0
    assert tab.rules() == []
