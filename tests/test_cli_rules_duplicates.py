"""``askfind rules`` refuses a copy of a rule in force with one line naming that rule and
exit status 1, and stores nothing (the same rule: indexer.curation.store.rule_key)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from indexer.engine import Engine
from widget.cli import main


@pytest.fixture
def data_dir(sample_engine: Engine, tmp_path: Path) -> Path:
    """A data dir over a copy of the sample index (rules are checked against it)."""
    shutil.copytree(sample_engine.settings.data_dir / "index", tmp_path / "index")
    return tmp_path


def rules(data_dir: Path, *args: str) -> Result:
    return CliRunner().invoke(main, ["rules", *args, "--data-dir", str(data_dir)])


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
