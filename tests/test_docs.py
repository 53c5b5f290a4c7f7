"""The documentation says what the code does: settings, commands, the two README commands."""

from __future__ import annotations

import os
import re
from pathlib import Path

from widget.cli import main as cli
from widget.cli import settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_configuration_reference_is_generated_from_the_settings() -> None:
    text = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    assert settings_table() in text, "regenerate with: askfind settings --markdown"


def test_every_command_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"askfind {name}" in readme, name


def test_the_readme_shows_exactly_two_fresh_machine_commands_that_exist() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"```sh\n(.+?)\n```", quick_start, flags=re.DOTALL)
    assert commands[:2] == ["scripts/demo", "scripts/test"]
    for command in commands[:2]:
        assert os.access(ROOT / command, os.X_OK), command
    assert "scripts/test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_changelog_exists_with_an_unreleased_section() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    assert changelog.startswith("# Changelog")
