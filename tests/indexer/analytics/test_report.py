"""The report: searches, click-through, deflection, content gaps, by language and board."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from indexer.analytics.events import Event, StoredEvent
from indexer.analytics.report import build_report, query_key

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def stored(*events: Event) -> list[StoredEvent]:
    return [StoredEvent(n, T0, event, None) for n, event in enumerate(events, start=1)]


def impression(session: str, query: str, *results: str, lang: str = "de", board: str = "WLAN"):
    return Event("impression", session, query, lang=lang, board=board, results=results)


# Five sessions, each telling a different story:
EVENTS = stored(
    # s1 found it: searched twice, clicked, said helpful, did not ask.
    impression("s1", "WLAN bricht ab"),
    impression("s1", "WLAN bricht ständig ab", "wlan-1", "wlan-2"),
    Event("click", "s1", "WLAN bricht ständig ab", thread="wlan-1", rank=1),
    Event("helpful", "s1", "WLAN bricht ständig ab", thread="wlan-1", helpful=True),
    # s2 clicked but asked anyway: not deflected.
    impression("s2", "Router Passwort vergessen", "r-1"),
    Event("click", "s2", "Router Passwort vergessen", thread="r-1", rank=1),
    Event("asked_anyway", "s2", "Router Passwort vergessen"),
    # s3 saw suggestions, clicked nothing: a no-click query.
    impression("s3", "Router  PASSWORT vergessen", "r-1", lang="de", board="Router"),
    # s4 found nothing: a zero-result query, in English.
    impression("s4", "esim transfer to max@example.com", lang="en", board="SIM"),
    Event("asked_anyway", "s4", "esim transfer to max@example.com"),
    # s5 said helpful without clicking (the answer was in the preview): deflected.
    impression("s5", "Rechnung falsch", "bill-1", board="Rechnung"),
    Event("helpful", "s5", "Rechnung falsch", thread="bill-1", helpful=True),
    Event("helpful", "s6", "x", thread="bill-1", helpful=False),  # a vote without a search
)


@pytest.fixture(scope="module")
def report() -> dict:
    return build_report(EVENTS, top=5).to_dict()


def test_headline_figures(report: dict) -> None:
    assert report["searches"] == 6
    assert report["sessions"] == 5  # s6 never searched
    # Shown suggestions: s1, s2, s3, s5; clicked: s1, s2.
    assert report["click_through"] == pytest.approx(2 / 4, abs=1e-4)
    # Deflected: s1 (click + helpful), s5 (helpful); s2 asked anyway.
    assert report["deflection_rate"] == pytest.approx(2 / 5, abs=1e-4)
    assert report["zero_result_rate"] == pytest.approx(2 / 6, abs=1e-4)
    assert (report["clicks"], report["asked_anyway"]) == (2, 2)
    assert report["helpful"] == {"yes": 2, "no": 1}


def test_queries_are_grouped_case_and_space_insensitively(report: dict) -> None:
    top = {row["query"]: row["searches"] for row in report["top_queries"]}
    assert top["router passwort vergessen"] == 2
    assert report["top_queries"][0] == {"query": "router passwort vergessen", "searches": 2}


def test_content_gaps(report: dict) -> None:
    zero = [row["query"] for row in report["zero_result_queries"]]
    assert zero == ["wlan bricht ab", "esim transfer to [email]"]
    no_click = [row["query"] for row in report["no_click_queries"]]
    assert no_click == ["router passwort vergessen"]  # s3 only; s1's first search was zero


def test_personal_data_never_leaves_the_report(report: dict) -> None:
    assert "max@example.com" not in repr(report)


def test_breakdown_by_language_and_board(report: dict) -> None:
    assert set(report["by_language"]) == {"de", "en"}
    english = report["by_language"]["en"]
    assert (english["searches"], english["sessions"], english["deflection_rate"]) == (1, 1, 0.0)
    assert english["click_through"] is None  # nothing was shown to compare with
    assert english["zero_result_rate"] == 1.0
    assert report["by_board"]["Router"]["click_through"] == 0.0
    assert report["by_board"]["WLAN"]["sessions"] == 2
    assert report["by_board"]["Rechnung"]["deflection_rate"] == 1.0


def test_an_empty_period_has_no_rates() -> None:
    empty = build_report([]).to_dict()
    assert (empty["searches"], empty["click_through"], empty["deflection_rate"]) == (0, None, None)
    assert empty["by_language"] == {} and empty["top_queries"] == []


def test_query_key_folds_and_redacts() -> None:
    assert query_key("  Vertrag  von ANNA@example.de ") == "vertrag von [email]"
