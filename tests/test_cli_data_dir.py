"""The data dir of the commands that read one: a missing one is an error, never made."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from widget.cli import main

# Every command that reads what `askfind index` or the service wrote in the data dir.
READING_COMMANDS = [
    ["search", "WLAN"],
    ["report"],
    ["gaps"],
    ["purge"],
    ["rules", "list"],
    ["rules", "hide", "wlan-004"],
    ["rules", "synonyms", "Router", "Modem", "--lang", "de"],
    ["rules", "history", "1"],
]


@pytest.mark.parametrize("command", READING_COMMANDS, ids=" ".join)
def test_a_missing_data_dir_is_one_line_and_is_not_made(tmp_path: Path, command: list[str]) -> None:
    typo = tmp_path / "typo"
    done = CliRunner().invoke(main, [*command, "--data-dir", str(typo)])
    assert done.exit_code == 1, done.output
    assert done.output.startswith(f"Error: no data dir {typo}: ")
    assert len(done.output.splitlines()) == 1
    assert not typo.exists()


def test_the_data_dir_of_the_environment_or_the_default_is_checked_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # no ./askfind-data here
    by_default = CliRunner().invoke(main, ["report"])
    assert by_default.exit_code == 1
    assert by_default.output.startswith("Error: no data dir askfind-data: ")
    typo = tmp_path / "typo"
    from_environment = CliRunner().invoke(
        main, ["rules", "list"], env={"ASKFIND_DATA_DIR": str(typo)}
    )
    assert from_environment.exit_code == 1
    assert from_environment.output.startswith(f"Error: no data dir {typo}: ")
    assert sorted(tmp_path.iterdir()) == []


def test_a_data_dir_without_events_or_rules_yet_is_an_empty_answer(tmp_path: Path) -> None:
    data = ["--data-dir", str(tmp_path)]
    report = CliRunner().invoke(main, ["report", "--json", *data])
    assert report.exit_code == 0, report.output
    assert '"searches": 0' in report.output
    listed = CliRunner().invoke(main, ["rules", "list", *data])
    assert (listed.exit_code, listed.output) == (0, "no rules in force\n")
    searched = CliRunner().invoke(main, ["search", "WLAN", *data])
    assert searched.exit_code == 1 and "no index in" in searched.output


def test_the_commands_that_make_a_data_dir_still_do(tmp_path: Path) -> None:
    source = tmp_path / "in.jsonl"
    source.write_text('{"id": "a", "title": "WLAN bricht ab"}\n', encoding="utf-8")
    for command in (["index"], ["sync"]):
        made = tmp_path / command[0]
        done = CliRunner().invoke(main, [*command, str(source), "--data-dir", str(made)])
        assert done.exit_code == 0, done.output
        assert (made / "index").is_dir()


def test_on_elasticsearch_the_rules_still_need_their_data_dir(tmp_path: Path) -> None:
    """The index and the events are the cluster's there; the rules are the data dir's."""
    typo = tmp_path / "typo"
    done = CliRunner().invoke(
        main, ["rules", "list", "--data-dir", str(typo)], env={"ASKFIND_BACKEND": "elasticsearch"}
    )
    assert (done.exit_code, done.output.startswith(f"Error: no data dir {typo}: ")) == (1, True)
    assert not typo.exists()
