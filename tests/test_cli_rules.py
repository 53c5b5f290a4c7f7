"""``askfind rules``: the operators' commands add, list, import and remove rules, and say
clearly what is wrong with a bad one (the same checks as /api/admin/rules)."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from indexer.curation.rules import Pin
from indexer.curation.store import RuleStore
from indexer.engine import Engine
from widget.cli import main


@pytest.fixture
def data_dir(sample_engine: Engine, tmp_path: Path) -> Path:
    """A data dir over a copy of the sample index (rules are checked against it)."""
    shutil.copytree(sample_engine.settings.data_dir / "index", tmp_path / "index")
    return tmp_path


def rules(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["rules", *args, "--data-dir", str(data_dir)])


def test_rules_are_added_listed_changed_and_removed_with_their_author(data_dir: Path) -> None:
    pin = rules(data_dir, "pin", "wlan-004", "--query", "Fritzbox kein Internet", "--author", "ops")
    assert pin.exit_code == 0, pin.output
    assert pin.output.startswith("added rule 1 (version 1): pin wlan-004 for Fritzbox kein Int")
    incident = rules(data_dir, "incident", "wlan-002", "--ends", "2099-01-01T00:00:00Z")
    assert incident.exit_code == 0 and "until 2099-01-01T00:00:00+00:00" in incident.output
    synonyms = rules(data_dir, "synonyms", "--lang", "de", "Fritzbox", "FRITZ!Box")
    assert synonyms.exit_code == 0 and "synonyms [de] Fritzbox = FRITZ!Box" in synonyms.output
    changed = rules(
        data_dir, "change", "1", '{"kind": "pin", "thread": "wlan-004", "queries": ["x"]}'
    )
    assert changed.exit_code == 0 and "changed rule 1 (version 2)" in changed.output
    listed = json.loads(rules(data_dir, "list", "--json").output)
    assert [(r["id"], r["kind"], r["version"]) for r in listed] == [
        (1, "pin", 2),
        (2, "incident", 1),
        (3, "synonyms", 1),
    ]
    assert listed[1]["queries"][0] == "Störung"  # an incident's default questions
    assert rules(data_dir, "remove", "2").exit_code == 0
    assert [line.split()[0] for line in rules(data_dir, "list").output.splitlines()] == ["1", "3"]
    history = json.loads(rules(data_dir, "history", "1").output)
    assert [v["author"] for v in history] == ["ops", history[1]["author"]]
    assert history[1]["author"].startswith("cli")


def test_a_synonym_file_adds_what_is_new_and_replace_removes_what_it_lacks(
    data_dir: Path, tmp_path: Path
) -> None:
    assert rules(data_dir, "synonyms", "--lang", "en", "router", "modem").exit_code == 0
    path = tmp_path / "synonyms.txt"
    path.write_text("# ours\nde: Fritzbox, FRITZ!Box\nen: WiFi, wireless LAN\n", encoding="utf-8")
    first = rules(data_dir, "import-synonyms", str(path))
    assert first.output == f"2 groups in {path}: 2 added, 0 removed\n"
    again = rules(data_dir, "import-synonyms", str(path), "--replace")
    assert again.output == f"2 groups in {path}: 0 added, 1 removed\n"
    listed = json.loads(rules(data_dir, "list", "--json", "--kind", "synonyms").output)
    assert [r["terms"] for r in listed] == [["Fritzbox", "FRITZ!Box"], ["WiFi", "wireless LAN"]]


@pytest.mark.parametrize(
    ("args", "status", "problem"),
    [
        (("pin", "nothing", "--query", "x"), 2, "value for THREAD: no thread with id 'nothing'"),
        (("hide", "no-such-thread"), 2, "no thread with id 'no-such-thread'"),
        (
            ("incident", "wlan-002", "--starts", "2026-12-07", "--ends", "2026-12-06"),
            2,
            "Invalid value for --ends: ends must be after starts",
        ),
        (("synonyms", "--lang", "de", "WLAN"), 2, "at least two different terms"),
        (("synonyms", "--lang", "fr", "a", "b"), 2, 'lang must be one of de, en, not "fr"'),
        (("remove", "7"), 1, "no rule with id 7"),
        (("change", "7", "{"), 2, "not JSON"),
    ],
)
def test_a_bad_rule_is_a_clear_message_and_stores_nothing(
    data_dir: Path, args: tuple[str, ...], status: int, problem: str
) -> None:
    done = rules(data_dir, *args)
    assert done.exit_code == status, done.output
    assert problem in done.output
    assert "Traceback" not in done.output
    assert rules(data_dir, "list").output == "no rules in force\n"


def test_a_bad_synonym_file_names_its_line_and_adds_nothing(data_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "synonyms.txt"
    path.write_text("de: Fritzbox, FRITZ!Box\nWLAN = WiFi\n", encoding="utf-8")
    done = rules(data_dir, "import-synonyms", str(path))
    assert done.exit_code == 1 and "line 2: expected 'lang: term, term'" in done.output
    assert rules(data_dir, "list").output == "no rules in force\n"


# One more than SQLite's largest INTEGER: an id no rule can have.
TOO_LARGE_ID = str(2**63)


@pytest.mark.parametrize(
    "args",
    [
        ("remove", TOO_LARGE_ID),
        ("remove", "99999999999999999999999"),
        ("history", TOO_LARGE_ID),
        ("change", TOO_LARGE_ID, '{"kind": "hidden", "thread": "wlan-004"}'),
    ],
)
def test_an_id_too_large_for_sqlite_is_an_unknown_rule_not_a_traceback(
    data_dir: Path, args: tuple[str, ...]
) -> None:
    assert rules(data_dir, "hide", "wlan-004").exit_code == 0
    before = rules(data_dir, "list", "--json").output
    done = rules(data_dir, *args)
    assert done.exit_code == 1 and not isinstance(done.exception, OverflowError)
    assert done.output == f"Error: no rule with id {args[1]}\n"
    assert rules(data_dir, "list", "--json").output == before
    assert len(json.loads(rules(data_dir, "history", "1").output)) == 1


@pytest.mark.parametrize("kind", ["pin", "incident"])
def test_a_pin_that_already_ended_is_refused_like_one_that_ends_before_it_starts(
    data_dir: Path, kind: str
) -> None:
    done = rules(data_dir, kind, "wlan-002", "--query", "x", "--ends", "2020-01-01")
    assert done.exit_code == 2, done.output
    assert "Invalid value for --ends: ends must be after starts" in done.output
    assert "Traceback" not in done.output
    assert rules(data_dir, "list").output == "no rules in force\n"


def test_a_window_wholly_in_the_past_is_refused(data_dir: Path) -> None:
    window = ("--starts", "2020-01-01", "--ends", "2020-02-01")
    done = rules(data_dir, "pin", "wlan-002", "--query", "x", *window)
    assert done.exit_code == 2, done.output
    assert "Invalid value for --ends: ends must be after now (" in done.output
    assert "2020-02-01T00:00:00Z has passed, so the rule would never be in force" in done.output
    assert rules(data_dir, "list").output == "no rules in force\n"


def test_a_pin_whose_window_has_ended_is_listed_as_ended(data_dir: Path) -> None:
    # Added while it ran (the store takes it as checked), listed after it ended.
    ended = Pin("wlan-002", ("x",), ends=datetime(2020, 2, 1, tzinfo=UTC))
    RuleStore(data_dir).add(ended, "ops")
    assert rules(data_dir, "pin", "wlan-004", "--query", "y", "--ends", "2099-01-01").exit_code == 0
    listed = rules(data_dir, "list").output.splitlines()
    assert listed[0].endswith("pin wlan-002 for x (now until 2020-02-01T00:00:00+00:00, ended)")
    assert listed[1].endswith("pin wlan-004 for y (now until 2099-01-01T00:00:00+00:00)")


def test_a_pin_cannot_be_changed_to_end_in_the_past(data_dir: Path) -> None:
    assert rules(data_dir, "pin", "wlan-004", "--query", "x", "--ends", "2099-01-01").exit_code == 0
    before = rules(data_dir, "list", "--json").output
    ended = {"kind": "pin", "thread": "wlan-004", "queries": ["x"], "ends": "2020-01-01T00:00Z"}
    done = rules(data_dir, "change", "1", json.dumps(ended))
    assert done.exit_code == 2, done.output
    assert "Invalid value for --ends: ends must be after starts" in done.output
    assert rules(data_dir, "list", "--json").output == before
    assert len(json.loads(rules(data_dir, "history", "1").output)) == 1


# A copy of a rule in force: one line naming that rule, exit status 1, nothing stored
# (the same rule: indexer.curation.store.rule_key).
@pytest.mark.parametrize(
    ("rule", "copy", "refusal"),
    [
        (
            ("hide", "wlan-017"),
            ("hide", "wlan-017", "--reason", "outdated firmware advice"),
            "rule 2 already hides wlan-017",
        ),
        (
            ("synonyms", "--lang", "de", "Fritzbox", "FRITZ!Box"),
            ("synonyms", "--lang", "de", "FRITZ!BOX", "fritzbox"),
            "rule 2 already makes Fritzbox = FRITZ!Box synonyms in de",
        ),
        (
            ("pin", "wlan-004", "--query", "Fritzbox kein Internet", "--ends", "2099-12-20"),
            ("pin", "wlan-004", "--query", "fritzbox kein internet", "--ends", "2099-12-20"),
            "rule 2 is already a pin of wlan-004 for the same queries, language and window",
        ),
        (
            ("incident", "dsl-035", "--ends", "2099-12-06T18:00Z"),
            ("incident", "dsl-035", "--ends", "2099-12-06T18:00:00+00:00"),
            "rule 2 is already an incident pin of dsl-035 for the same queries, language and"
            " window",
        ),
    ],
)
def test_adding_a_rule_in_force_again_is_one_line_and_exit_1(
    data_dir: Path, rule: tuple[str, ...], copy: tuple[str, ...], refusal: str
) -> None:
    assert rules(data_dir, "hide", "dsl-016").exit_code == 0
    assert rules(data_dir, *rule).exit_code == 0
    before = rules(data_dir, "list", "--json").output
    done = rules(data_dir, *copy)
    assert done.exit_code == 1, done.output
    assert done.output == f"Error: {refusal}\n"
    assert rules(data_dir, "list", "--json").output == before


def test_changing_a_rule_into_another_in_force_is_refused(data_dir: Path) -> None:
    assert rules(data_dir, "hide", "wlan-017").exit_code == 0
    assert rules(data_dir, "hide", "wlan-004").exit_code == 0
    before = rules(data_dir, "list", "--json").output
    done = rules(data_dir, "change", "2", '{"kind": "hidden", "thread": "wlan-017"}')
    assert done.exit_code == 1, done.output
    assert done.output == "Error: rule 1 already hides wlan-017\n"
    assert rules(data_dir, "list", "--json").output == before
    assert len(json.loads(rules(data_dir, "history", "2").output)) == 1
