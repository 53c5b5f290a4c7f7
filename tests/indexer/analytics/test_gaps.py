"""Content gaps: typed prefixes folded into questions, questions grouped by meaning with the
real embedder, gap groups with their nearest threads, redacted, and as CSV."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import numpy as np
import pytest

from indexer.analytics.clustering import greedy_groups, most_typical
from indexer.analytics.events import Event, StoredEvent
from indexer.analytics.gaps import GapReport, question_vectors, search_gaps
from indexer.analytics.gaps_csv import gaps_csv
from indexer.analytics.questions import NO_MATCH, POOR_MATCH, settled_questions
from indexer.analytics.store import SqliteEventStore
from indexer.engine import Engine

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def stored(*events: Event) -> list[StoredEvent]:
    return [StoredEvent(n, T0, event, None) for n, event in enumerate(events, start=1)]


def typed(session: str, text: str, *results: str, asked: bool = False) -> list[Event]:
    """The impressions of typing ``text`` in steps of three letters, with a typo fixed on
    the way, then maybe "asked anyway"."""
    sent = [text[:n] for n in range(3, len(text), 3)]
    sent.insert(1, text[:4] + "xq")  # a typo, noticed and backspaced
    sent.append(text)
    events = [Event("impression", session, t, lang="de", results=results) for t in sent]
    if asked:
        events.append(Event("asked_anyway", session, text, lang="de"))
    return events


def test_a_question_typed_letter_by_letter_is_one_question_with_its_settled_text() -> None:
    events = stored(*typed("s-1", "Rufnummer ins Ausland portieren", asked=True))
    [question] = settled_questions(events)
    assert question.settled == "rufnummer ins ausland portieren"
    assert question.searches == len(events) - 1
    assert question.outcome == NO_MATCH


def test_a_second_question_in_a_session_is_a_question_of_its_own() -> None:
    events = stored(
        *typed("s-1", "WLAN Passwort ändern", "wlan-003"),
        Event("click", "s-1", "WLAN Passwort ändern", thread="wlan-003", rank=1),
        *typed("s-1", "Glasfaser Ausbau in meiner Straße", "dsl-022", asked=True),
    )
    first, second = settled_questions(events)
    assert (first.settled, first.outcome) == ("wlan passwort ändern", "found")
    assert (second.settled, second.outcome) == ("glasfaser ausbau in meiner strasse", POOR_MATCH)


def test_a_text_shown_before_is_not_sent_again_and_still_is_the_settled_one() -> None:
    # Typed to the end, a word deleted and typed again: the widget's cache shows the
    # whole question again without a request.
    sent = ["Handy auf", "Handy auf Raten", "Handy auf Raten kaufen", "Handy auf Raten"]
    events = stored(*(Event("impression", "s-1", t, results=()) for t in sent))
    [question] = settled_questions(events)
    assert question.settled == "handy auf raten kaufen"


def test_greedy_groups_join_near_vectors_and_seed_with_the_heaviest() -> None:
    east, north = np.array([1.0, 0.0]), np.array([0.0, 1.0])
    near_east = np.array([0.96, 0.28])
    vectors = np.vstack([near_east, north, east])
    groups = greedy_groups(vectors, [1, 5, 3], threshold=0.9)
    assert groups == [[1], [2, 0]]  # north seeds first (heaviest); near-east joins east
    assert most_typical(vectors, [1, 5, 3], groups[1]) == 2
    assert greedy_groups(vectors, [1, 1, 1], threshold=0.99) == [[0], [1], [2]]
    assert greedy_groups(np.zeros((0, 2)), [], 0.5) == []


ASKED = [
    # A gap, asked in two phrasings by four people: nothing shown.
    ("s-gap-1", "Rufnummer ins Ausland portieren", False),
    ("s-gap-2", "Rufnummer ins Ausland portieren", False),
    ("s-gap-3", "Handynummer ins Ausland mitnehmen", False),
    ("s-gap-4", "Rufnummer ins Ausland portieren mail kim@example.org", False),
    # Answered: shown and opened by three people, asked anyway by one.
    ("s-ok-1", "WLAN Passwort ändern", True),
    ("s-ok-2", "WLAN Passwort ändern", True),
    ("s-ok-3", "Wie ändere ich das WLAN Passwort", True),
    ("s-ok-4", "WLAN Passwort ändern", False),
]


@pytest.fixture(scope="module")
def asked(tmp_path_factory: pytest.TempPathFactory) -> list[StoredEvent]:
    """The events of ASKED, written through the real event store and read back."""
    store = SqliteEventStore(tmp_path_factory.mktemp("gaps") / "events.sqlite")
    for session, text, answered in ASKED:
        if answered:
            store.add(typed(session, text, "wlan-003"))
            store.add([Event("click", session, text, thread="wlan-003", rank=1)])
        else:
            shown = ("wlan-003",) if session.startswith("s-ok") else ()
            store.add(typed(session, text, *shown, asked=True))
    try:
        return list(store.read())
    finally:
        store.close()


@pytest.fixture(scope="module")
def report(sample_engine: Engine, asked: list[StoredEvent]) -> GapReport:
    return search_gaps(sample_engine.search, asked, top=5)


def test_a_gap_is_one_group_with_counts_examples_and_candidates(report: GapReport) -> None:
    assert report.questions == len(ASKED) and report.poor_match == []
    [gap] = report.no_match
    assert (gap.sessions, gap.no_match_sessions, gap.found_sessions) == (4, 4, 0)
    assert gap.searches == sum(len(typed("s", text)) for _, text, _ in ASKED[:4])
    assert gap.question == "rufnummer ins ausland portieren"
    data = gap.to_dict()
    assert data["examples"][0] == {"query": "rufnummer ins ausland portieren", "questions": 2}
    # The nearest threads, below the floor too: sim-014 is about porting a number.
    ids = [candidate["id"] for candidate in data["candidates"]]
    assert len(ids) == 3 and "sim-014" in ids
    assert data["actions"]["pin"]["thread_ids"] == ids
    assert data["id"].startswith("gap-") and len(data["id"]) == 16


def test_an_answered_question_asked_anyway_now_and_then_is_no_gap(report: GapReport) -> None:
    assert all("wlan" not in g.question for g in report.no_match + report.poor_match)
    assert report.groups >= 2


def test_nothing_personal_leaves(report: GapReport) -> None:
    text = json.dumps(report.to_dict(), ensure_ascii=False) + gaps_csv(report)
    assert "kim@example.org" not in text and "[email]" in text


def test_a_group_keeps_its_id_while_its_typical_question_stays(
    report: GapReport, asked: list[StoredEvent], sample_engine: Engine
) -> None:
    fewer = [e for e in asked if e.event.session not in ("s-gap-3", "s-ok-4")]
    again = search_gaps(sample_engine.search, fewer, top=5)
    assert [g.id for g in again.no_match] == [g.id for g in report.no_match]
    assert again.no_match[0].sessions == 3
    assert search_gaps(sample_engine.search, [], top=5).groups == 0


def test_the_csv_has_a_row_per_group_and_no_formula_cells(report: GapReport) -> None:
    rows = list(csv.DictReader(io.StringIO(gaps_csv(report))))
    assert [row["list"] for row in rows] == ["no_match"]
    assert rows[0]["id"] == report.no_match[0].id and rows[0]["sessions"] == "4"
    assert "sim-014" in rows[0]["candidate_ids"].split(" | ")


def test_a_question_a_spreadsheet_would_run_is_text_in_the_csv(sample_engine: Engine) -> None:
    formula = '=HYPERLINK("http://evil.example","klick")'
    events = stored(*[e for n in range(3) for e in typed(f"s-{n}", formula, asked=True)])
    report = search_gaps(sample_engine.search, events)
    rows = list(csv.DictReader(io.StringIO(gaps_csv(report))))
    assert rows and all(not row["question"].startswith("=") for row in rows)
    assert rows[0]["question"].startswith("'=")


def test_keys_hit_by_mistake_before_a_question_are_no_question() -> None:
    events = stored(
        Event("impression", "s-1", "wcy", results=()),
        *typed("s-1", "Seniorenhandy mit großen Tasten", asked=True),
        *typed("s-2", "Glasfaser in meiner Straße"),
        *typed("s-2", "Wann kommt Glasfaser"),  # a question left for another is one
    )
    settled = [q.settled for q in settled_questions(events)]
    assert settled == [
        "seniorenhandy mit grossen tasten",
        "glasfaser in meiner strasse",
        "wann kommt glasfaser",
    ]


def test_questions_are_embedded_in_a_batch_as_each_would_be_as_a_query(
    sample_engine: Engine,
) -> None:
    texts = ["wlan passwort aendern", "öffnungszeiten telvia shop hamburg", "kündigung an [email]"]
    batch = question_vectors(sample_engine.search)(texts)
    one_by_one = np.vstack([sample_engine.search.query_vector(text) for text in texts])
    assert batch.shape == one_by_one.shape and np.allclose(batch, one_by_one, atol=1e-6)
