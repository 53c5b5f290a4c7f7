"""The scripts refuse counts and durations of zero or less at once, naming the option,
instead of failing deep in a run with a traceback (scripts/bench --threads -5 divided by
zero)."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.services import SCRIPTS, script_module


@pytest.fixture(scope="module")
def arguments() -> ModuleType:
    return script_module("tools.arguments")


@pytest.mark.parametrize(
    ("command", "message"),
    [
        (
            ["bench", "--threads", "-5"],
            "bench: error: argument --threads: must be at least 1, not -5",
        ),
        (
            ["bench", "--duration", "0"],
            "argument --duration: must be a finite number above 0, not 0",
        ),
        (
            ["replay", "--people", "0"],
            "replay: error: argument --people: must be at least 1, not 0",
        ),
        (["cluster-failover", "--nodes", "two"], "argument --nodes: not a whole number: 'two'"),
    ],
)
def test_a_count_or_duration_below_one_is_a_usage_error(command: list[str], message: str) -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPTS / command[0]), *command[1:]],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_the_types_take_what_they_should(arguments: ModuleType) -> None:
    assert arguments.positive_int("3") == 3
    assert arguments.positive_float("0.5") == 0.5
    for bad in ("0", "-1", "1.5", ""):
        with pytest.raises(argparse.ArgumentTypeError):
            arguments.positive_int(bad)
    assert arguments.non_negative_int("0") == 0
    with pytest.raises(argparse.ArgumentTypeError):
        arguments.non_negative_int("-1")
    for bad in ("0", "-0.1", "nan", "inf", "x"):
        with pytest.raises(argparse.ArgumentTypeError):
            arguments.positive_float(bad)


def test_install_refuses_an_optional_part_pyproject_does_not_declare(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    done = subprocess.run(
        [str(SCRIPTS / "install"), "--extra", "cuda"],
        env={**os.environ, "VENV": str(venv)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "no optional part named 'cuda' (there are: sentence-transformers e5 eval)" in (
        done.stderr
    )
    assert not venv.exists()  # refused before anything was made
