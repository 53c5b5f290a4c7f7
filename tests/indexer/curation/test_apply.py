"""Which pins apply to a query, and how pinned threads go first (indexer.curation.apply)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from indexer.curation.apply import Curation, put_first
from indexer.curation.rules import Hidden, Pin, Rule
from indexer.engine import Engine
from indexer.ranking import Ranked

NOW = datetime(2026, 12, 6, 12, tzinfo=UTC)


def rule(number: int, body: Pin | Hidden) -> Rule:
    return Rule(number, 1, body, "test", NOW)


@pytest.fixture(scope="module")
def curation(engine: Engine) -> Curation:
    rules = [
        rule(1, Pin("router-guide", ("Router blinkt rot",))),
        rule(2, Pin("outage", ("Störung",), incident=True, ends=NOW + timedelta(hours=1))),
        rule(3, Pin("english-only", ("invoice too high",), lang="en")),
        rule(4, Pin("later", ("Router blinkt rot",), starts=NOW + timedelta(days=1))),
        rule(5, Pin("hidden-one", ("Router blinkt rot",))),
        rule(6, Hidden("hidden-one")),
    ]
    return Curation.of(rules, engine.analyzer, engine.embedder.embed_query, 0.8)


def pinned(engine: Engine, curation: Curation, text: str, **asked: object) -> list[str]:
    query = engine.analyzer.query(text, **asked)  # type: ignore[arg-type]
    vector = engine.embedder.embed_query(engine.analyzer.for_embedding(text))
    return curation.pinned(query, vector, NOW)


def test_a_pin_applies_by_its_terms_in_any_form_and_to_the_word_being_typed(
    engine: Engine, curation: Curation
) -> None:
    assert pinned(engine, curation, "mein Router blinkt seit gestern rot") == ["router-guide"]
    assert pinned(engine, curation, "Störungen in Köln") == ["outage"]
    assert pinned(engine, curation, "Internetstörung seit heute") == ["outage"]  # compound
    assert pinned(engine, curation, "gibt es eine Stör") == ["outage"]  # still typing
    assert pinned(engine, curation, "Rechnung zu hoch") == []


def test_incidents_go_first_and_pins_keep_to_their_window_language_and_hidden_threads(
    engine: Engine, curation: Curation
) -> None:
    assert pinned(engine, curation, "Störung: Router blinkt rot") == ["outage", "router-guide"]
    assert pinned(engine, curation, "invoice too high", lang="de") == []
    assert pinned(engine, curation, "invoice too high", lang="en") == ["english-only"]
    assert curation.version(NOW) != curation.version(NOW + timedelta(hours=2))  # outage ended


def test_a_pin_applies_by_meaning_from_pin_similarity(engine: Engine) -> None:
    rules = [rule(1, Pin("guide", ("Router blinkt rot",)))]
    text = "Routerlampe rot"  # no term of the example's "blinkt"; 0.78 close
    strict = Curation.of(rules, engine.analyzer, engine.embedder.embed_query, 0.8)
    loose = Curation.of(rules, engine.analyzer, engine.embedder.embed_query, 0.7)
    assert pinned(engine, strict, text) == []
    assert pinned(engine, loose, text) == ["guide"]


def test_pinned_threads_go_first_at_least_at_the_floor_keeping_their_own_confidence() -> None:
    ranked = [Ranked("a", 0.9, 0.9, 0.95, 0), Ranked("b", 0.5, 0.5, 0.05, 2)]
    first = put_first(ranked, ["b", "new", "a"], floor=0.15)
    assert [(r.id, r.confidence) for r in first] == [("b", 0.15), ("new", 0.15), ("a", 0.95)]
    assert first[0].duplicates == 2
    assert put_first(ranked, [], floor=0.15) == ranked
