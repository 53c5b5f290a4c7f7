"""The rule store holds each rule once: a copy of a rule in force is refused, whoever
adds it and however many processes add it at once (indexer.curation.store.rule_key)."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest

from indexer.curation.errors import DuplicateRule
from indexer.curation.rules import INCIDENT_QUERIES, Body, Hidden, Pin, Synonyms, parse_rule
from indexer.curation.store import RuleStore, rule_key

LANGUAGES = ("de", "en")
ENDS = datetime(2099, 1, 1, tzinfo=UTC)
LATER = datetime(2099, 6, 1, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> RuleStore:
    return RuleStore(tmp_path)


SAME = [
    (Hidden("wlan-017"), Hidden("wlan-017", reason="outdated firmware advice")),
    (
        Synonyms("de", ("Fritzbox", "FRITZ!Box")),
        Synonyms("de", ("FRITZ!Box", "fritzbox", "FRITZBOX")),
    ),
    (Synonyms("en", ("wireless LAN", "WiFi")), Synonyms("en", ("Wireless  lan", "wifi"))),
    (
        Pin("wlan-004", ("Fritzbox kein Internet", "PPPoE"), ends=ENDS, lang="de"),
        Pin("wlan-004", ("pppoe", "fritzbox  KEIN internet"), ends=ENDS, lang="de"),
    ),
    (
        Pin("dsl-035", INCIDENT_QUERIES, incident=True),
        parse_rule({"kind": "incident", "thread": "dsl-035"}, LANGUAGES),  # default queries
    ),
]
DIFFERENT = [
    (Hidden("wlan-017"), Hidden("wlan-004")),
    (Synonyms("de", ("Fritzbox", "FRITZ!Box")), Synonyms("en", ("Fritzbox", "FRITZ!Box"))),
    (Synonyms("de", ("WLAN", "WiFi")), Synonyms("de", ("WLAN", "WiFi", "Wi-Fi"))),
    (Pin("wlan-004", ("x",)), Pin("wlan-004", ("x",), incident=True)),
    (Pin("wlan-004", ("x",)), Pin("wlan-002", ("x",))),
    (Pin("wlan-004", ("x",)), Pin("wlan-004", ("x", "y"))),
    (Pin("wlan-004", ("x",)), Pin("wlan-004", ("x",), lang="de")),
    (Pin("wlan-004", ("x",), ends=ENDS), Pin("wlan-004", ("x",), ends=LATER)),
    (Pin("wlan-004", ("x",), ends=LATER), Pin("wlan-004", ("x",), starts=ENDS, ends=LATER)),
    # The same thread, hidden and pinned: two rules (the pin is not shown while hidden).
    (Hidden("wlan-004"), Pin("wlan-004", ("x",))),
]


@pytest.mark.parametrize(("first", "second"), SAME)
def test_the_same_rule_is_refused_naming_the_rule_in_force(
    store: RuleStore, first: Body, second: Body
) -> None:
    assert rule_key(first) == rule_key(second)
    store.add(Hidden("dsl-016"), "ops")
    kept = store.add(first, "ops")
    with pytest.raises(DuplicateRule) as refused:
        store.add(second, "someone else")
    assert refused.value.existing == kept.id
    assert str(refused.value).startswith(f"rule {kept.id} ")
    assert [r.id for r in store.rules()] == [1, 2]
    assert len(store.history(kept.id)) == 1


def test_the_message_says_what_the_rule_in_force_does(store: RuleStore) -> None:
    store.add(Hidden("wlan-017"), "ops")
    store.add(Synonyms("de", ("Fritzbox", "FRITZ!Box")), "ops")
    store.add(Pin("dsl-035", ("Störung",), incident=True), "ops")
    messages = []
    for copy in [
        Hidden("wlan-017"),
        Synonyms("de", ("fritzbox", "fritz!box")),
        Pin("dsl-035", ("störung",), incident=True),
    ]:
        with pytest.raises(DuplicateRule) as refused:
            store.add(copy, "ops")
        messages.append(str(refused.value))
    assert messages == [
        "rule 1 already hides wlan-017",
        "rule 2 already makes Fritzbox = FRITZ!Box synonyms in de",
        "rule 3 is already an incident pin of dsl-035 for the same queries, language and window",
    ]


@pytest.mark.parametrize(("first", "second"), DIFFERENT)
def test_different_rules_are_both_stored(store: RuleStore, first: Body, second: Body) -> None:
    assert rule_key(first) != rule_key(second)
    store.add(first, "ops")
    store.add(second, "ops")
    assert len(store.rules()) == 2


def test_a_rule_cannot_be_changed_into_another_in_force_but_into_itself(store: RuleStore) -> None:
    hidden = store.add(Hidden("wlan-017"), "ops")
    other = store.add(Hidden("wlan-004"), "ops")
    with pytest.raises(DuplicateRule) as refused:
        store.change(other.id, Hidden("wlan-017", "again"), "ops")
    assert refused.value.existing == hidden.id
    assert store.get(other.id).body == Hidden("wlan-004")
    assert len(store.history(other.id)) == 1
    # Its own next version may be the same rule: a new reason, say.
    assert store.change(hidden.id, Hidden("wlan-017", "outdated"), "ops").version == 2


def test_a_removed_rule_may_be_added_again(store: RuleStore) -> None:
    first = store.add(Hidden("wlan-017"), "ops")
    store.remove(first.id, "ops")
    assert store.add(Hidden("wlan-017"), "ops").id == first.id + 1


def test_of_many_processes_adding_the_same_rule_at_once_one_stores_it(tmp_path: Path) -> None:
    """Each writer has a connection of its own, as gunicorn's workers and the command line
    do: the check and the write share one transaction, so only one copy is stored."""
    writers = 8
    stores = [RuleStore(tmp_path) for _ in range(writers)]
    start = threading.Barrier(writers)
    outcomes: list[str] = []

    def add(store: RuleStore) -> None:
        start.wait()
        try:
            store.add(Hidden("wlan-017"), "ops")
            outcomes.append("added")
        except DuplicateRule:
            outcomes.append("refused")

    threads = [threading.Thread(target=add, args=(store,)) for store in stores]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["added"] + ["refused"] * (writers - 1)
    assert [r.body for r in stores[0].rules()] == [Hidden("wlan-017")]
    for store in stores:
        store.close()
