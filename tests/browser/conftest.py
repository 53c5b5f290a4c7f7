"""Real-browser fixtures: Debian's Chromium driven by Playwright, against the app served on
a free loopback port over the sample community (plus a thread with a hostile title and two
with only the required fields).

Nothing leaves the machine: thread links (community.telvia.example) are answered by a
route in the browser, and Chromium resolves no host name but 127.0.0.1.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from indexer.engine import Engine
from indexer.sources import read_source
from tests.conftest import AGENT_KEY, engine_on, thread
from widget.app import create_app
from widget.server import BackgroundServer

pytest.importorskip("playwright", reason="playwright is a dev dependency: scripts/install --dev")
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = Path(os.environ.get("ASKFIND_CHROMIUM", "/usr/bin/chromium"))
AXE = Path(
    os.environ.get(
        "ASKFIND_AXE",
        Path.home() / ".cache/askfind/node/node_modules/axe-core/axe.min.js",
    )
)
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox cannot start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
]
COMMUNITY = "https://community.telvia.example/"
# The title as the widget receives it: decoded, and the tag it would open defused.
XSS_TITLE = "< img src=x onerror=alert(1)>"
XSS_THREAD = thread(
    "xss-001",
    # As a forum exports a title someone typed with angle brackets: escaped. The service
    # decodes it, and the "<" can open no tag for any consumer of the API (XSS_TITLE).
    "&lt;img src=x onerror=alert(1)&gt;",
    body="Seit gestern zeigt mein Browser &lt;script&gt;alert(3)&lt;/script&gt; an, "
    "img src onerror alert überall.",
    url="javascript:alert(2)",
    board="Router & WLAN",
    lang="de",
    solved=True,
    accepted_answer={"body": "&lt;b onmouseover=alert(4)&gt;Cache leeren&lt;/b&gt;"},
)
# Threads with nothing but the two required fields (no body, link, board, language, date,
# solution): the widget must show them without "null" or empty lines. Their words are in
# no other thread, so they change no other test's suggestions.
BARE_THREADS = {
    "de": thread("bare-de", "Faxgerät stempelt Sommerzeit falsch auf Faxprotokoll"),
    "en": thread("bare-en", "Voicemail greeting plays twice after number porting"),
}


def require(path: Path, what: str) -> None:
    """Skip without the tool on a developer's machine; in CI (scripts/test installs it) fail."""
    if path.is_file():
        return
    message = f"{what} not found at {path}: scripts/test installs it"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


class PartnerSite:
    """Another site that embeds the widget: its pages are whatever a test puts in ``pages``
    (any other path answers "ok", standing in for the site's own ask form).

    It is a real server on another loopback port, not a route in the browser: Chromium
    lets a page reach a loopback address (the API) only from the loopback address space.
    """

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = self.pages.get(environ["PATH_INFO"], "<!doctype html><title>ok</title>ok")
        start_response("200 OK", [("Content-Type", "text/html; charset=utf-8")])
        return [body.encode()]


@pytest.fixture(scope="session")
def partner() -> Iterator[tuple[PartnerSite, str]]:
    site = PartnerSite()
    with BackgroundServer(site) as running:
        yield site, running.url


@pytest.fixture(scope="session")
def browser_engine(
    sample_engine: Engine,
    sample_path: Path,
    tmp_path_factory: pytest.TempPathFactory,
    partner: tuple[PartnerSite, str],
) -> Iterator[Engine]:
    """The sample community and the hostile thread, in an index of the browser tests' own;
    the partner site is one of the widget's origins."""
    engine = engine_on(
        sample_engine, tmp_path_factory.mktemp("browser"), widget_origins=(partner[1],)
    )
    extra = [XSS_THREAD, *BARE_THREADS.values()]
    report = engine.indexer().run(iter([*read_source(sample_path), *extra]))
    assert report.indexed == 300 + len(extra)
    yield engine
    engine.close()


@pytest.fixture(scope="session")
def server(browser_engine: Engine) -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(engine=browser_engine)) as running:
        yield running


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    require(CHROMIUM, "Chromium")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class Tab:
    """A page of a fresh browser context that records what must never happen on it:
    JavaScript errors, dialogs (alert: a script injected through thread text ran) and
    Content-Security-Policy violations."""

    def __init__(
        self, browser: Browser, server: BackgroundServer, data_dir: Path, width: int, height: int
    ) -> None:
        self.server = server
        self.data_dir = data_dir
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.context.route(f"{COMMUNITY}**", self._thread_page)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.csp_violations: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)
        self.started = datetime.now(UTC)

    def _thread_page(self, route: Any) -> None:
        route.fulfill(content_type="text/html", body="<!doctype html><title>thread</title>")

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def _console(self, message: Any) -> None:
        if "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def open_demo(self, path: str = "/") -> Page:
        self.page.goto(self.server.url + path)
        self.page.wait_for_function("window.askfind !== undefined")
        return self.page

    def type_question(self, text: str, selector: str = "#question-title") -> None:
        """Type like a person (one key at a time) and wait until the widget has answered."""
        self.page.click(selector)
        self.page.keyboard.type(text, delay=20)
        self.wait_for_answer(text)

    def wait_for_answer(self, text: str) -> None:
        """Wait for the widget's measure of the answer for ``text`` (shown or empty)."""
        self.page.wait_for_function(
            "text => performance.getEntriesByName('askfind:suggest')"
            ".some(e => e.detail.query === text)",
            arg=" ".join(text.split()),
        )

    def option_ids(self) -> list[str]:
        return self.page.eval_on_selector_all("askfind-option", "options => options.map(o => o.id)")

    def option_titles(self) -> list[str]:
        return self.page.eval_on_selector_all(
            "askfind-option",
            "options => options.map(o => o.shadowRoot.querySelector('.t > span:not(.b)')"
            ".textContent)",
        )

    def suggest(self, text: str) -> list[dict[str, Any]]:
        """What the API answers for ``text``: the order the widget must show."""
        answer = self.page.request.get(
            f"{self.server.url}/api/suggest", params={"q": text, "limit": "5"}
        )
        return answer.json()["items"]

    def events(self, expected: int, timeout_s: float = 5.0) -> list[Any]:
        """The events stored since this tab opened, once at least ``expected`` arrived
        (beacons are sent in the background)."""
        path = self.data_dir / EVENTS_FILE
        deadline = time.monotonic() + timeout_s
        found: list[Any] = []
        while time.monotonic() < deadline:
            if path.exists():
                store = SqliteEventStore(path)
                found = list(store.read(since=self.started))
                store.close()
                if len(found) >= expected:
                    break
            time.sleep(0.1)
        return found

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def open_tab(
    browser: Browser, server: BackgroundServer, browser_engine: Engine
) -> Iterator[Callable[..., Tab]]:
    """Open tabs (any viewport); after the test, none may have seen an error, a dialog or
    a CSP violation."""
    tabs: list[Tab] = []

    def opener(width: int = 1280, height: int = 900) -> Tab:
        tab = Tab(browser, server, browser_engine.settings.data_dir, width, height)
        tabs.append(tab)
        return tab

    yield opener
    for tab in tabs:
        tab.close()
    for tab in tabs:
        assert tab.errors == [], "JavaScript errors on the page"
        assert tab.dialogs == [], "a dialog opened: injected script ran"
        assert tab.csp_violations == [], "the widget broke the page's CSP"


@pytest.fixture
def tab(open_tab: Callable[..., Tab]) -> Tab:
    return open_tab()


@pytest.fixture(scope="session")
def axe_source() -> str:
    require(AXE, "axe-core")
    return AXE.read_text(encoding="utf-8")


# --- the agents' page -------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent_server(agent_engine: Engine) -> Iterator[BackgroundServer]:
    with BackgroundServer(create_app(engine=agent_engine)) as running:
        yield running


class AgentTab:
    """A logged-in agent's tab that records JavaScript errors and CSP violations."""

    def __init__(self, context: BrowserContext, server: BackgroundServer) -> None:
        self.server = server
        self.context = context
        self.page: Page = context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on(
            "console",
            lambda m: self.problems.append(m.text) if "Content Security Policy" in m.text else None,
        )

    def open(self, query: str = "") -> Page:
        answer = self.page.goto(f"{self.server.url}/agent{query}")
        assert answer is not None and answer.status == 200
        self.page.wait_for_function("() => window.askfindAgent && window.askfindAgent.ready")
        return self.page

    def search(self) -> None:
        with self.page.expect_response(lambda r: "/api/search?" in r.url):
            self.page.click("#search button[type=submit]")
        self.wait_for_results()

    def wait_for_results(self) -> None:
        # A function, not an expression: Playwright polls an expression with eval, which
        # the page's Content-Security-Policy forbids.
        self.page.wait_for_function(
            "() => document.getElementById('status').textContent !== ''"
            " && !document.getElementById('results').hasAttribute('aria-busy')"
        )

    def shown(self) -> list[dict[str, Any]]:
        return self.page.eval_on_selector_all(
            "#results > li",
            """items => items.map(li => {
                const text = s => li.querySelector(s) ? li.querySelector(s).textContent : null;
                const created = li.querySelector('.created');
                const lang = li.querySelector('.lang');
                return {
                    id: li.dataset.id,
                    title: text('.title'),
                    board: text('.board'),
                    created: created ? created.dateTime : null,
                    solved: li.querySelector('.solved') !== null,
                    lang: lang ? lang.dataset.code : null,
                    meta: [...li.querySelectorAll('.meta > *')].map(e => e.textContent),
                    line: li.querySelector('.meta').innerText,
                };
            })""",
        )

    def api(self, path: str, **params: str) -> Any:
        answer = self.page.request.get(f"{self.server.url}{path}", params=params)
        assert answer.ok, answer.text()
        return answer.json()

    def clipboard(self) -> str:
        return str(self.page.evaluate("navigator.clipboard.readText()"))


@pytest.fixture
def open_agent_tab(
    browser: Browser, agent_server: BackgroundServer
) -> Iterator[Callable[..., AgentTab]]:
    """Open logged-in agents' tabs (any viewport and browser language); after the test,
    none may have seen a JavaScript error or a CSP violation."""
    tabs: list[AgentTab] = []

    def opener(width: int = 1280, height: int = 900, locale: str = "en-US") -> AgentTab:
        context = browser.new_context(
            viewport={"width": width, "height": height},
            locale=locale,  # the browser's Accept-Language
            http_credentials={"username": "agent", "password": AGENT_KEY},
        )
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=agent_server.url)
        context.route(
            f"{COMMUNITY}**",
            lambda route: route.fulfill(content_type="text/html", body="<!doctype html><title>t"),
        )
        tab = AgentTab(context, agent_server)
        tabs.append(tab)
        return tab

    yield opener
    for tab in tabs:
        tab.context.close()
    for tab in tabs:
        assert tab.problems == [], "JavaScript errors or CSP violations on the agents' page"


@pytest.fixture
def agent_tab(open_agent_tab: Callable[..., AgentTab]) -> AgentTab:
    return open_agent_tab()
