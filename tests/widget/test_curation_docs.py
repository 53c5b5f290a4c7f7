"""docs/curation.md's examples work as written against the demo's sample community, on
any date: its rules as JSON, its curl example and its command lines (in order, on a fresh
data dir, with its synonym file)."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from indexer.engine import Engine
from tests.widget.helpers import AUTH, writable_app
from widget.app import close_app
from widget.cli import main as cli

DOC = Path(__file__).resolve().parents[2] / "docs" / "curation.md"
RULES = "/api/admin/rules"
ADMIN_API = "## The admin API (API key or an admin's sign-in, as every `/api/admin` endpoint)"


def section(title: str) -> str:
    """The text of the section headed ``title``, up to the next heading of any level (a
    ``#`` line inside a code block is no heading)."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(title) + 1
    in_code = False
    for end in range(start, len(lines)):
        if lines[end].startswith("```"):
            in_code = not in_code
        elif lines[end].startswith("#") and not in_code:
            break
    else:
        end = len(lines)
    return "\n".join(lines[start:end]) + "\n"


def blocks(text: str, language: str = "") -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", text, flags=re.DOTALL)


def json_rules() -> list[Any]:
    (block,) = blocks(section("## Rules as JSON"), "json")
    decoder = json.JSONDecoder()
    rules: list[Any] = []
    at = 0
    while block[at:].strip():
        at += len(block[at:]) - len(block[at:].lstrip())
        rule, at = decoder.raw_decode(block, at)
        rules.append(rule)
    return rules


def curl_body() -> Any:
    (block,) = blocks(section(ADMIN_API), "sh")
    assert block.rstrip().endswith(f"http://localhost:8000{RULES}")
    (body,) = re.findall(r"-d '(.*?)'", block)
    return json.loads(body)


def command_lines() -> list[list[str]]:
    """The ``askfind rules`` lines as arguments of ``askfind``, optional parts
    (``[--replace]``) left out."""
    (block,) = blocks(section("## The command line"), "sh")
    return [
        shlex.split(re.sub(r"\s*\[--[^\]]*\]", "", line))[1:]
        for line in block.splitlines()
        if line.startswith("askfind rules ")
    ]


def test_the_rules_as_json_are_each_accepted(sample_engine: Engine, tmp_path: Path) -> None:
    rules = json_rules()
    assert [rule["kind"] for rule in rules] == ["pin", "incident", "hidden", "synonyms"]
    app = writable_app(sample_engine, tmp_path)
    try:
        client = app.test_client()
        for rule in rules:
            answer = client.post(RULES, json=rule, headers=AUTH)
            assert answer.status_code == 201, (rule, answer.get_json())
    finally:
        close_app(app)


def test_the_command_lines_then_the_curl_example_work_on_a_fresh_demo(
    sample_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    app = writable_app(sample_engine, data_dir)
    try:
        (synonyms,) = blocks(section("### The synonym file"))
        lines = command_lines()
        assert len(lines) == 9
        # As written: synonyms.txt in the working directory.
        (tmp_path / "synonyms.txt").write_text(synonyms, encoding="utf-8")
        monkeypatch.chdir(tmp_path)
        for args in lines:
            done = CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)])
            assert done.exit_code == 0, (args, done.output)
        answer = app.test_client().post(RULES, json=curl_body(), headers=AUTH)
        assert answer.status_code == 201, answer.get_json()
    finally:
        close_app(app)
