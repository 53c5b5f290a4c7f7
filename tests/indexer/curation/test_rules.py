"""Rules are checked where they enter, stored as versions with author and time, and seen
by every process's loader once another connection changed them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from indexer.curation.errors import InvalidRule, RuleNotFound
from indexer.curation.live import CurationLoader
from indexer.curation.rules import INCIDENT_QUERIES, Hidden, Pin, Synonyms, parse_rule
from indexer.curation.store import RuleStore
from indexer.engine import Engine

LANGUAGES = ("de", "en")


@pytest.mark.parametrize(
    ("rule", "problem"),
    [
        ([], "a rule must be a JSON object"),
        ({"kind": "boost"}, 'kind must be one of pin, incident, hidden, synonyms, not "boost"'),
        ({"kind": "hidden", "thread": "t", "queries": ["x"]}, "a hidden rule has no field"),
        ({"kind": "hidden", "thread": " "}, "thread must be a thread id"),
        ({"kind": "pin", "thread": "t"}, "queries must be a non-empty list of strings"),
        ({"kind": "pin", "thread": "t", "queries": ["", "x"]}, "every entry of queries"),
        (
            {
                "kind": "pin",
                "thread": "t",
                "queries": ["x"],
                "starts": "2026-12-06T10:00Z",
                "ends": "2026-12-06T09:00Z",
            },
            "ends must be after starts",
        ),
        (
            {"kind": "pin", "thread": "t", "queries": ["x"], "ends": "tomorrow"},
            "ends must be an ISO 8601 time",
        ),
        (
            {"kind": "pin", "thread": "t", "queries": ["x"], "lang": "fr"},
            "lang must be one of de, en",
        ),
        ({"kind": "synonyms", "lang": "de", "terms": []}, "terms must be a non-empty list"),
        ({"kind": "synonyms", "lang": "de", "terms": ["WLAN", " wlan "]}, "at least two different"),
        ({"kind": "synonyms", "terms": ["WLAN", "WiFi"]}, "lang must be one of de, en, not null"),
        ({"kind": "hidden", "thread": "t\ud800"}, "lone surrogate"),
    ],
)
def test_a_bad_rule_is_refused_with_what_is_wrong(rule: Any, problem: str) -> None:
    with pytest.raises(InvalidRule, match=problem):
        parse_rule(rule, LANGUAGES)


def test_an_incident_answers_stoerung_like_questions_unless_told_otherwise() -> None:
    incident = parse_rule({"kind": "incident", "thread": "outage"}, LANGUAGES)
    assert isinstance(incident, Pin) and incident.incident
    assert incident.queries == INCIDENT_QUERIES


def test_without_starts_a_pin_must_end_after_now() -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    pin = {"kind": "pin", "thread": "t", "queries": ["x"]}
    for ends in ["2020-01-01T00:00:00Z", "2026-12-06T10:00:00Z"]:  # ended, ends as it starts
        with pytest.raises(InvalidRule, match="ends must be after starts") as refused:
            parse_rule(pin | {"ends": ends}, LANGUAGES, now=now)
        assert refused.value.parameter == "ends"
    later = parse_rule(pin | {"ends": "2026-12-06T10:00:01Z"}, LANGUAGES, now=now)
    assert isinstance(later, Pin) and later.starts is None  # still starts when stored
    with pytest.raises(InvalidRule, match="ends must be after starts"):
        parse_rule({"kind": "incident", "thread": "t", "ends": "2020-01-01"}, LANGUAGES)


def test_a_window_that_lies_wholly_in_the_past_is_refused() -> None:
    now = datetime(2026, 12, 6, 10, tzinfo=UTC)
    pin = {"kind": "pin", "thread": "t", "queries": ["x"], "starts": "2026-12-01T00:00:00Z"}
    for ends in ["2026-12-02T00:00:00Z", "2026-12-06T10:00:00Z"]:  # ended, ends as now
        with pytest.raises(InvalidRule) as refused:
            parse_rule(pin | {"ends": ends}, LANGUAGES, now=now)
        assert str(refused.value) == (
            f"ends must be after now (2026-12-06T10:00:00Z): {ends} has passed,"
            " so the rule would never be in force"
        )
        assert refused.value.parameter == "ends"
    running = parse_rule(pin | {"ends": "2026-12-06T10:00:01Z"}, LANGUAGES, now=now)
    assert isinstance(running, Pin) and running.starts == datetime(2026, 12, 1, tzinfo=UTC)


def test_a_pin_is_in_force_from_its_start_until_before_its_end() -> None:
    start = datetime(2026, 12, 6, 10, tzinfo=UTC)
    pin = Pin("t", ("x",), starts=start, ends=start + timedelta(hours=1))
    assert not pin.active(start - timedelta(seconds=1))
    assert pin.active(start) and pin.active(start + timedelta(minutes=59))
    assert not pin.active(start + timedelta(hours=1))


def test_every_change_is_a_new_version_with_its_author_and_nothing_is_lost(
    tmp_path: Path,
) -> None:
    store = RuleStore(tmp_path)
    pin = store.add(Pin("t1", ("Router blinkt rot",)), "alice")
    hidden = store.add(Hidden("t2", "spam"), "bob")
    changed = store.change(pin.id, Pin("t1", ("Router blinkt rot", "LED rot")), "carol")
    assert (changed.id, changed.version, changed.author) == (pin.id, 2, "carol")
    store.remove(hidden.id, "dave")
    with pytest.raises(RuleNotFound):
        store.change(hidden.id, Hidden("t2"), "erin")
    with pytest.raises(RuleNotFound):
        store.remove(99, "erin")
    store.close()
    reopened = RuleStore(tmp_path)  # durable: another connection reads the same
    assert [(r.id, r.version, r.body) for r in reopened.rules()] == [
        (pin.id, 2, Pin("t1", ("Router blinkt rot", "LED rot")))
    ]
    history = reopened.history(hidden.id)
    assert [(v["version"], v["author"], v["removed"]) for v in history] == [
        (1, "bob", False),
        (2, "dave", True),
    ]
    assert history[0]["reason"] == "spam"
    assert reopened.add(Synonyms("de", ("a", "b")), "x").id == 3  # ids are never reused
    reopened.close()


@pytest.mark.parametrize("rule_id", [2**63, -(2**63) - 1, 10**23])
def test_an_id_sqlite_cannot_hold_is_an_unknown_rule(tmp_path: Path, rule_id: int) -> None:
    store = RuleStore(tmp_path)
    rule = store.add(Hidden("t1"), "alice")
    for attempt in [
        lambda: store.get(rule_id),
        lambda: store.history(rule_id),
        lambda: store.change(rule_id, Hidden("t2"), "bob"),
        lambda: store.remove(rule_id, "bob"),
    ]:
        with pytest.raises(RuleNotFound, match=f"^no rule with id {rule_id}$"):
            attempt()
    assert [(r.id, r.version, r.body) for r in store.rules()] == [(rule.id, 1, Hidden("t1"))]
    assert len(store.history(rule.id)) == 1
    store.close()


def test_the_loader_sees_another_connections_change_and_reads_nothing_otherwise(
    engine: Engine, tmp_path: Path
) -> None:
    embedded: list[str] = []

    def embed(text: str) -> np.ndarray:
        embedded.append(text)
        return engine.embedder.embed_query(text)

    loader = CurationLoader(tmp_path, engine.analyzer, embed, 0.0, 0.8)
    assert loader.current().version(datetime.now(UTC)) == "none:"  # no file, none made
    assert not (tmp_path / "curation.sqlite").exists()
    writer = RuleStore(tmp_path)
    rule = writer.add(Pin("t1", ("Router blinkt rot",)), "alice")
    first = loader.current()
    assert [m.pin.thread for m in first.pins] == ["t1"] and embedded == ["Router blinkt rot"]
    assert loader.current() is first and len(embedded) == 1  # unchanged: not read again
    writer.add(Hidden("t2"), "bob")
    assert loader.current().hidden == {"t2"}
    assert loader.current().version(datetime.now(UTC)).endswith(f":{rule.id}")
    writer.close()
    loader.close()
