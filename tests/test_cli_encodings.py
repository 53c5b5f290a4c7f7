"""The askfind command given what is not UTF-8 text (arguments, settings and synonym files,
JSON Lines), records repeating an id, and an empty API key: one clear line and the right
exit status, never a traceback, and nothing stored mangled."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from indexer.engine import Engine, open_engine
from tests.conftest import make_settings, write_jsonl
from tests.test_cli import askfind

NOT_UTF8 = b"caf\xe9"  # Latin-1 "café": Python makes it the text "caf\udce9"


def stored_titles(data_dir: Path, *ids: str) -> dict[str, str]:
    engine = open_engine(make_settings(data_dir))
    try:
        return {i: thread.title for i, thread in engine.backend.get_threads(list(ids)).items()}
    finally:
        engine.close()


# --- 1: arguments that are not UTF-8 -----------------------------------------------------


def test_a_query_that_is_not_utf8_is_a_usage_error_not_a_traceback(
    sample_engine: Engine,
) -> None:
    done = askfind("search", NOT_UTF8, "--data-dir", str(sample_engine.settings.data_dir))
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines()[-1] == (
        "Error: Invalid value for 'QUERY': is not UTF-8 text (from character 4): set the "
        "terminal to UTF-8"
    )


@pytest.mark.parametrize(
    ("args", "parameter"),
    [
        (["search", "WLAN", "--board", NOT_UTF8], "'--board'"),
        (["index", "IN", "--site-url", NOT_UTF8], "'--site-url'"),
        (["report", "--since", NOT_UTF8], "'--since'"),
        (["api-key", "--hash", NOT_UTF8], "'--hash'"),
        (["agent-user", "--password", "pw", NOT_UTF8], "'NAME'"),
        (["agent-user", "--password", NOT_UTF8, "ops"], "'--password'"),
        (["serve", "--host", NOT_UTF8], "'--host'"),
        (["rules", "hide", "wlan-004", "--author", NOT_UTF8], "'--author'"),
    ],
)
def test_every_text_argument_refuses_what_is_not_utf8(
    tmp_path: Path, args: list[str | bytes], parameter: str
) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [{"id": "a", "title": "WLAN"}])
    args = [str(source) if arg == "IN" else arg for arg in args]
    data_dir = [] if args[0] in ("api-key", "agent-user") else ["--data-dir", str(tmp_path / "d")]
    done = askfind(*args, *data_dir)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    last = done.stderr.splitlines()[-1]
    assert last.startswith(f"Error: Invalid value for {parameter}: is not UTF-8 text"), last
    assert "caf" not in done.stderr  # the value is not echoed: it may be a password
    assert done.stdout == ""


def test_a_path_that_is_not_utf8_is_still_a_path(tmp_path: Path) -> None:
    # File names are bytes on POSIX: a Latin-1 one is a file like any other, not bad text.
    name = os.fsdecode(NOT_UTF8 + b".jsonl")
    write_jsonl(tmp_path / name, [{"id": "a", "title": "WLAN weg"}])
    data_dir = str(tmp_path / "d")
    indexed = askfind("index", os.fsencode(tmp_path / name), "--data-dir", data_dir)
    assert indexed.returncode == 0, indexed.stderr
    synced = askfind("sync", os.fsencode(tmp_path / name), "--data-dir", data_dir)
    assert synced.returncode == 0, synced.stderr
    assert "unchanged 1" in synced.stdout


# --- 2, 3: a synonym file, a settings file -----------------------------------------------


def test_a_synonym_file_that_is_not_utf8_is_one_line_naming_it(tmp_path: Path) -> None:
    utf16 = tmp_path / "binary.txt"
    utf16.write_bytes("de: Fritzbox, FRITZ!Box\n".encode("utf-16"))  # starts \xff\xfe
    latin1 = tmp_path / "latin1.txt"
    latin1.write_bytes(b"de: Router, Modem\nde: Caf\xe9, Kaffee\n")
    (tmp_path / "d").mkdir()
    for path, where in ((utf16, "line 1, byte 1: 0xff"), (latin1, "line 2, byte 8: 0xe9")):
        done = askfind("rules", "import-synonyms", str(path), "--data-dir", str(tmp_path / "d"))
        assert done.returncode == 1
        expected = f"Error: {path} is not UTF-8 text ({where} starts no UTF-8 character)\n"
        assert done.stderr == expected
    listed = askfind("rules", "list", "--data-dir", str(tmp_path / "d"))
    assert listed.stdout == "no rules in force\n"


def test_a_settings_file_that_is_not_utf8_is_one_line_naming_it(tmp_path: Path) -> None:
    config = tmp_path / "askfind.toml"
    config.write_bytes(b'log_level = "INFO"\nfast_moving_boards = "Caf\xe9"\n')
    done = askfind(
        "search", "WLAN", "--data-dir", str(tmp_path / "d"), settings={"config": str(config)}
    )
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: the settings file {config} is not UTF-8 text "
        "(line 2, byte 26: 0xe9 starts no UTF-8 character)\n"
    )


# --- 4, 5, 6: JSON Lines -----------------------------------------------------------------


def test_a_record_that_is_not_utf8_is_skipped_and_the_stored_thread_kept(tmp_path: Path) -> None:
    data_dir = str(tmp_path / "d")
    good = write_jsonl(tmp_path / "good.jsonl", [{"id": "a", "title": "Café kaputt"}])
    assert askfind("index", str(good), "--data-dir", data_dir).returncode == 0
    latin1 = tmp_path / "latin1.jsonl"
    latin1.write_bytes(b'{"id": "a", "title": "Caf\xe9 zu"}\n{"id": "b", "title": "WLAN weg"}\n')
    done = askfind("index", str(latin1), "--upsert", "--data-dir", data_dir)
    assert done.returncode == 0, done.stderr
    assert "read 2, indexed 1, unchanged 0, skipped 1" in done.stdout
    assert done.stderr == (
        "skipped latin1.jsonl:1: not UTF-8 text (byte 26: 0xe9 starts no UTF-8 character)\n"
    )
    assert stored_titles(tmp_path / "d", "a", "b") == {"a": "Café kaputt", "b": "WLAN weg"}


@pytest.mark.parametrize(("encoding", "named"), [("utf-16", "UTF-16LE"), ("utf-16-be", "UTF-16BE")])
def test_a_utf16_file_is_said_once_to_be_utf16_and_nothing_is_published(
    tmp_path: Path, encoding: str, named: str
) -> None:
    data_dir = str(tmp_path / "d")
    old = write_jsonl(tmp_path / "old.jsonl", [{"id": "a", "title": "Router startet neu"}])
    assert askfind("index", str(old), "--data-dir", data_dir).returncode == 0
    records = [{"id": f"w{n}", "title": "WLAN weg"} for n in range(3)]
    wide = tmp_path / "wide.jsonl"
    wide.write_bytes("".join(json.dumps(r) + "\n" for r in records).encode(encoding))
    new = write_jsonl(tmp_path / "new.jsonl", [{"id": "b", "title": "Rechnung"}])
    done = askfind("index", str(new), str(wide), "--data-dir", data_dir)
    assert done.returncode == 1
    assert done.stderr == (
        f"Error: {wide} is {named} text, and JSON Lines must be UTF-8: convert it first "
        f"(iconv -f {named} -t UTF-8)\n"
    )
    assert stored_titles(tmp_path / "d", "a", "b") == {"a": "Router startet neu"}


def test_ids_several_records_hold_are_warned_of_once_and_the_last_is_indexed(
    tmp_path: Path,
) -> None:
    records = [
        {"id": "a", "title": "eins"},
        {"id": "b", "title": "zwei"},
        {"id": "a", "title": "drei"},
        {"id": "c", "title": "vier"},
        {"id": "a", "title": "fünf"},
        {"id": "b", "title": "sechs"},
    ]
    source = write_jsonl(tmp_path / "dup.jsonl", records)
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        'warning: dup.jsonl: id "a" is on lines 1, 3 and 5; line 5 is indexed',
        'warning: dup.jsonl: id "b" is on lines 2 and 6; line 6 is indexed',
    ]
    # Each thread counted once, its other records as repeated: the counts add up to read.
    assert "read 6, indexed 3, unchanged 0, repeated 3, skipped 0 in " in done.stdout
    titles = stored_titles(tmp_path / "d", "a", "b", "c")
    assert titles == {"a": "fünf", "b": "sechs", "c": "vier"}


# --- 7: an empty API key -----------------------------------------------------------------


@pytest.mark.parametrize("key", ["", "   "])
def test_api_key_refuses_to_hash_an_empty_key(key: str) -> None:
    done = askfind("api-key", "--hash", key)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "Error: Invalid value for --hash: the key is empty; give the key whose digest to print"
    )


def test_api_key_refuses_to_hash_a_key_with_spaces_around_it() -> None:
    done = askfind("api-key", "--hash", " abc ")
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.splitlines()[-1] == (
        "Error: Invalid value for --hash: the key starts or ends with a space, which no"
        " request's key does; give it without"
    )
    assert askfind("api-key", "--hash", "abc").returncode == 0
