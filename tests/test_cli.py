"""The askfind command as other tools drive it: arguments, output, exit status."""

from __future__ import annotations

import base64
import json
import os
import pty
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path

import click
import pytest

from indexer.analytics.events import Event
from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from indexer.engine import Engine
from tests.community_servers import API_KEY, FakeDiscourse, serving
from tests.conftest import write_jsonl
from widget.app import create_app

DISCOURSE_EXPORT = Path(__file__).parent / "fixtures" / "discourse" / "export"
GOOD = {"id": "g1", "title": "WLAN Passwort vergessen", "body": "Wie ändere ich das Passwort?"}


def askfind(
    *args: str | bytes, timeout: float = 300, settings: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the command as a shell would, with ``args`` as given (bytes: not decoded), and
    ``settings`` as its only ASKFIND_ variables."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}
    env.update({f"ASKFIND_{name.upper()}": value for name, value in (settings or {}).items()})
    return subprocess.run(
        [sys.executable, "-m", "widget.cli", *args],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        timeout=timeout,
        env=env,
    )


def test_index_reports_counts_and_bad_lines(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, '{"id": "b2"}', "not json"])
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert "read 3, indexed 1, unchanged 0, skipped 2" in done.stdout
    assert "in.jsonl:2: missing required field 'title'" in done.stderr
    assert "in.jsonl:3: broken JSON" in done.stderr


@pytest.mark.parametrize("backend", ["embedded", "elasticsearch"])
def test_index_skips_what_cannot_be_stored_or_read_and_indexes_the_rest(
    tmp_path: Path, request: pytest.FixtureRequest, backend: str
) -> None:
    huge = '{"id": "h", "title": "t", "kudos": 99999999999999999999999999}'
    deep = "[" * 2000 + "]" * 2000
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, huge, deep, {**GOOD, "id": "g2"}])
    settings = {"backend": backend}
    if backend == "elasticsearch":
        settings["elasticsearch_url"] = request.getfixturevalue("elasticsearch_url")
        settings["elasticsearch_index_prefix"] = request.getfixturevalue("elasticsearch_prefix")
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"), settings=settings)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "read 4, indexed 2, unchanged 0, skipped 2" in done.stdout
    assert "in.jsonl:2: kudos is out of range" in done.stderr
    assert "in.jsonl:3: broken JSON: nested too deeply" in done.stderr


def test_index_fails_when_nothing_could_be_indexed(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "bad.jsonl", ['{"title": "no id"}'])
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "nothing could be indexed" in done.stderr


def test_index_strict_fails_on_a_bad_record(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, "{"])
    done = askfind("index", str(source), "--strict", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "nothing was published" in done.stderr


def test_index_of_a_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    done = askfind("index", str(tmp_path / "nope.jsonl"), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 1
    assert "does not exist" in done.stderr


def test_search_prints_a_table_or_json(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD, {"id": "g2", "title": "Rechnung zu hoch"}])
    assert askfind("index", str(source), "--data-dir", str(tmp_path / "d")).returncode == 0
    table = askfind("search", "Passwort WLAN", "--data-dir", str(tmp_path / "d"))
    assert table.returncode == 0
    assert table.stdout.splitlines()[1].split()[-1] == "g1"
    as_json = askfind("search", "Passwort", "--json", "--data-dir", str(tmp_path / "d"))
    items = json.loads(as_json.stdout)["items"]
    assert items[0]["id"] == "g1" and items[0]["title"] == "WLAN Passwort vergessen"


def test_search_without_an_index_says_so(tmp_path: Path) -> None:
    done = askfind("search", "Router", "--data-dir", str(tmp_path))
    assert done.returncode == 1
    assert "no index" in done.stderr


def test_version_is_the_installed_packages() -> None:
    done = askfind("--version")
    assert done.returncode == 0
    assert done.stdout.strip() == f"askfind {version('askfind')}"


TOO_LONG = "x" * 501  # query_max_chars is 500 by default


@pytest.mark.parametrize(
    ("options", "params"),
    [
        (["Router", "--board", "Nope"], {"q": "Router", "board": "Nope"}),
        (["Router", "--lang", "fr"], {"q": "Router", "lang": "fr"}),
        (["Router", "--from", "2024-13-01"], {"q": "Router", "from": "2024-13-01"}),
        (["Router", "--to", "last week"], {"q": "Router", "to": "last week"}),
        (
            ["Router", "--from", "2024-05-02", "--to", "2024-05-01"],
            {"q": "Router", "from": "2024-05-02", "to": "2024-05-01"},
        ),
        (["Router", "--limit", "500"], {"q": "Router", "limit": "500"}),
        (["Router", "--limit", "ten"], {"q": "Router", "limit": "ten"}),
        (["Router", "--offset", "-1"], {"q": "Router", "offset": "-1"}),
        (["   "], {"q": "   "}),
    ],
)
def test_search_refuses_what_the_api_refuses_with_its_message(
    sample_engine: Engine, options: list[str], params: dict[str, str]
) -> None:
    answer = create_app(engine=sample_engine).test_client().get("/api/search", query_string=params)
    assert answer.status_code == 400
    message = answer.get_json()["error"]
    done = askfind("search", *options, "--data-dir", str(sample_engine.settings.data_dir))
    assert done.returncode == 2, done.stderr  # click's status for a usage error
    assert message in done.stderr
    assert done.stdout == ""


def test_a_query_too_long_says_what_to_do_on_the_command_line(sample_engine: Engine) -> None:
    """Not the API's advice (send it as POST /api/search), which a command line cannot take."""
    data = ("--data-dir", str(sample_engine.settings.data_dir))
    refused = askfind("search", TOO_LONG, *data)
    assert refused.returncode == 2, refused.stderr
    assert "longer than 500 characters" in refused.stderr
    assert "POST" not in refused.stderr
    assert "search with the question alone" in refused.stderr
    followed = askfind("search", TOO_LONG, *data, settings={"query_max_chars": "501"})
    assert followed.returncode == 0, followed.stderr


def test_search_answers_as_the_api_with_every_filter(sample_engine: Engine) -> None:
    params = {"q": "WLAN", "board": "Router & WLAN", "lang": "de", "solved": "true"}
    params |= {"from": "2025-01-01", "to": "2026-12-31", "limit": "3", "offset": "1"}
    api = create_app(engine=sample_engine).test_client().get("/api/search", query_string=params)
    expected = api.get_json()
    done = askfind(
        "search", "WLAN", "--board", "Router & WLAN", "--lang", "de", "--solved",
        "--from", "2025-01-01", "--to", "2026-12-31", "--limit", "3", "--offset", "1",
        "--json", "--data-dir", str(sample_engine.settings.data_dir),
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert expected["total"] > 3, "the filters leave too little to page through"
    assert (printed["total"], printed["offset"], printed["limit"]) == (expected["total"], 1, 3)
    assert [i["id"] for i in printed["items"]] == [i["id"] for i in expected["items"]]
    assert all(i["board"] == "Router & WLAN" and i["solved"] for i in printed["items"])


def test_report_says_none_for_every_empty_section(tmp_path: Path) -> None:
    done = askfind("report", "--data-dir", str(tmp_path))
    assert done.returncode == 0, done.stderr
    *sections, experiment = done.stdout.split("\n\n")[1:]
    titles = [section.splitlines()[0] for section in sections]
    assert titles == [
        "top queries:",
        "zero-result queries (content gaps):",
        "queries shown suggestions but not clicked:",
        "by language:",
        "by board:",
    ]
    assert all(section.splitlines()[1:] == ["  (none)"] for section in sections)
    assert experiment.strip() == (
        "deflection experiment: not running (setting experiment_holdout_share)"
    )


def test_report_lists_as_many_queries_as_top_asks_for(tmp_path: Path) -> None:
    store = SqliteEventStore(tmp_path / EVENTS_FILE)
    store.add([Event("impression", f"s{n}", f"Frage {n:02}", results=("t",)) for n in range(25)])
    store.close()
    for top, shown in ((None, 20), ("12", 12), ("25", 25)):
        options = ["--top", top] if top else []
        done = askfind("report", *options, "--data-dir", str(tmp_path))
        assert done.returncode == 0, done.stderr
        top_queries = done.stdout.split("\n\n")[1].splitlines()[1:]
        assert len(top_queries) == shown


def test_every_option_of_every_command_says_what_it_is_for() -> None:
    from widget.cli import main

    def commands(group: click.Group, path: str) -> Iterator[tuple[str, click.Command]]:
        for name, command in group.commands.items():
            yield f"{path} {name}", command
            if isinstance(command, click.Group):
                yield from commands(command, f"{path} {name}")

    found = list(commands(main, "askfind"))
    assert len(found) > 15
    for name, command in found:
        assert command.help, f"{name} has no help"
        for option in command.params:
            if isinstance(option, click.Option) and not option.hidden:
                assert option.help, f"{name} {'/'.join(option.opts)} has no help"


def test_report_refuses_a_bad_period_as_a_usage_error(tmp_path: Path) -> None:
    data = ("--data-dir", str(tmp_path))
    bad_since = askfind("report", "--since", "yesterday", *data)
    assert bad_since.returncode == 2
    assert 'since must be an ISO 8601 date or time, not "yesterday"' in bad_since.stderr
    both = askfind("report", "--since", "2024-01-01", "--days", "3", *data)
    assert both.returncode == 2 and "give since or days, not both" in both.stderr


def test_demo_no_serve_builds_the_sample_index(tmp_path: Path) -> None:
    done = askfind("demo", "--no-serve", "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert "read 310, indexed 310" in done.stdout  # 300 threads, 10 help articles
    assert "'WLAN bricht ständig ab' -> WLAN bricht abends ständig ab" in done.stdout


def test_sync_adds_changes_deletes_and_a_second_run_changes_nothing(tmp_path: Path) -> None:
    export = tmp_path / "export"
    shutil.copytree(DISCOURSE_EXPORT, export)
    data = ("--data-dir", str(tmp_path / "d"))
    first = askfind("sync", str(export), "--since", "2024-01-01", *data)
    assert first.returncode == 0, first.stderr
    # 101 and 102 are added; 103 (deleted) was never there; three bad files are skipped.
    counts = "read 6, added 2, changed 0, unchanged 0, deleted 0, already gone 1, skipped 3"
    assert counts in first.stdout
    assert "skipped topic-104.json (topic 104): missing required field 'title'" in first.stderr
    topic = json.loads((export / "topic-101.json").read_text(encoding="utf-8"))
    topic["title"] = "WLAN bricht jeden Abend ab"
    (export / "topic-101.json").write_text(json.dumps(topic), encoding="utf-8")
    esim = json.loads((export / "topic-102.json").read_text(encoding="utf-8"))
    esim["deleted_at"] = "2024-07-01T10:00:00.000Z"
    (export / "topic-102.json").write_text(json.dumps(esim), encoding="utf-8")
    second = askfind("sync", str(export), *data)
    counts = "read 6, added 0, changed 1, unchanged 0, deleted 1, already gone 1, skipped 3"
    assert counts in second.stdout
    third = askfind("sync", str(export), *data)
    counts = "read 6, added 0, changed 0, unchanged 1, deleted 0, already gone 2, skipped 3"
    assert counts in third.stdout
    # 101 is closed, as the forum closes solved topics: found only where closed topics are.
    closed = json.loads(askfind("search", "WLAN Abend", "--json", *data).stdout)["items"]
    assert closed == []
    settings = {"excluded_states": "archived"}
    searched = askfind("search", "WLAN Abend", "--json", *data, settings=settings)
    found = json.loads(searched.stdout)["items"]
    assert [item["id"] for item in found] == ["101"]
    assert found[0]["title"] == "WLAN bricht jeden Abend ab"


def test_sync_and_index_read_a_live_forum(tmp_path: Path) -> None:
    fake = FakeDiscourse()
    data = ("--data-dir", str(tmp_path / "d"))
    with serving(fake) as url:
        forum = {"discourse_url": url, "discourse_api_key": API_KEY}
        built = askfind("index", "discourse", *data, settings=forum)
        assert built.returncode == 0, built.stderr
        assert "read 4, indexed 4" in built.stdout  # the deleted topic 103 is left out
        fake.topics["102"]["title"] = "eSIM umziehen: QR-Code ungültig"
        fake.requests.clear()
        synced = askfind("sync", "discourse", "--since", "2024-06-01", *data, settings=forum)
        assert synced.returncode == 0, synced.stderr
        # Only topics active since June are fetched: 102 (changed) and 103 (deleted).
        assert "read 2, added 0, changed 1, unchanged 0, deleted 0" in synced.stdout
        assert "/t/102.json" in fake.paths() and "/t/101.json" not in fake.paths()
        again = askfind("sync", "discourse", "--since", "2024-06-01", *data, settings=forum)
        assert "added 0, changed 0, unchanged 1, deleted 0" in again.stdout


def test_sync_of_a_live_forum_says_what_it_cut_and_shows_every_topic_gone(
    tmp_path: Path,
) -> None:
    fake = FakeDiscourse()
    data = ("--data-dir", str(tmp_path / "d"))
    since = ("--since", "2024-06-01")
    with serving(fake) as url:
        forum = {"discourse_url": url, "discourse_api_key": API_KEY}
        assert askfind("index", "discourse", *data, settings=forum).returncode == 0
        fake.topics["102"]["title"] = "eSIM umziehen " * 360  # 5,040 characters
        cut = askfind("sync", "discourse", *since, *data, settings=forum)
        assert cut.returncode == 0, cut.stderr
        # Its title was cut (at 1,000 characters), not the thread at thread_max_chars.
        assert cut.stderr.splitlines() == [
            "cut 1 title longer than 1000 characters, indexed with its beginning: 102"
        ]
        del fake.topics["102"]  # deleted topics stay in the lists; their fetch is a 404
        deleted = askfind("sync", "discourse", *since, *data, settings=forum)
        counts = "read 2, added 0, changed 0, unchanged 0, deleted 1, already gone 1, skipped 0"
        assert counts in deleted.stdout
        again = askfind("sync", "discourse", *since, *data, settings=forum)
        counts = "read 2, added 0, changed 0, unchanged 0, deleted 0, already gone 2, skipped 0"
        assert counts in again.stdout


def test_sync_counts_a_new_thread_a_file_holds_twice_as_added_once(tmp_path: Path) -> None:
    records = [GOOD, {**GOOD, "id": "g2"}, {**GOOD, "body": "Und die PIN?"}, {**GOOD, "id": "g3"}]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    done = askfind("sync", str(source), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 0, done.stderr
    assert done.stderr == 'warning: in.jsonl: id "g1" is on lines 1 and 3; line 3 is indexed\n'
    counts = (
        "read 4, added 3, changed 0, unchanged 0, deleted 0, already gone 0, repeated 1, skipped 0"
    )
    assert counts in done.stdout


def test_index_names_cut_titles_and_cut_threads_apart(tmp_path: Path) -> None:
    records = [
        {"id": "t1", "title": "WLAN " * 1000},
        {"id": "b1", "title": "Protokoll", "body": "Zeile 42 ok. " * 1000},
        {"id": "b2", "title": "Protokoll", "body": "Zeile 43 ok. " * 1000},
        GOOD,
    ]
    source = write_jsonl(tmp_path / "in.jsonl", records)
    settings = {"thread_max_chars": "2000"}
    done = askfind("index", str(source), "--data-dir", str(tmp_path / "d"), settings=settings)
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines() == [
        "cut 1 title longer than 1000 characters, indexed with its beginning: t1",
        "cut 2 threads longer than 2000 characters (setting thread_max_chars), indexed with "
        "their beginning: b1, b2",
    ]
    assert "read 4, indexed 4, unchanged 0, skipped 0, 3 cut to size" in done.stdout


def test_sync_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    data = ("--data-dir", str(tmp_path / "d"))
    missing = askfind("sync", str(tmp_path / "nope.jsonl"), *data)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    unconfigured = askfind("sync", "khoros", *data)
    assert unconfigured.returncode == 1 and "setting khoros_url" in unconfigured.stderr
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    bad_time = askfind("sync", str(source), "--since", "yesterday", *data)
    assert bad_time.returncode == 2 and "--since must be a date" in bad_time.stderr
    all_bad = askfind("sync", str(write_jsonl(tmp_path / "bad.jsonl", ["{"])), *data)
    assert all_bad.returncode == 1 and "every record was bad" in all_bad.stderr


def test_serve_runs_gunicorn_and_stops_gracefully(tmp_path: Path) -> None:
    source = write_jsonl(tmp_path / "in.jsonl", [GOOD])
    assert askfind("index", str(source), "--data-dir", str(tmp_path / "d")).returncode == 0
    port = _free_port()
    runtime_dir = tmp_path / "run"  # where gunicorn 25.1+ would put its control socket
    runtime_dir.mkdir()
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "widget.cli",
            "serve",
            "--port",
            str(port),
            "--data-dir",
            str(tmp_path / "d"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**_without_askfind_settings(), "XDG_RUNTIME_DIR": str(runtime_dir)},
    )
    try:
        answer = _wait_for(f"http://127.0.0.1:{port}/api/suggest?q=Passwort+vergessen")
        assert json.loads(answer)["items"][0]["id"] == "g1"
        assert list(runtime_dir.iterdir()) == []  # no control socket
    finally:
        server.send_signal(signal.SIGTERM)
        _, logs = server.communicate(timeout=60)
    assert server.returncode == 0
    # stderr is not a terminal, so the logs are JSON (log_format = auto): gunicorn's lines
    # and askfind's alike, one object a line (the one other line is the address, printed
    # before the logs start).
    printed = logs.splitlines()
    assert printed[0] == f"serving on http://127.0.0.1:{port}/ (Ctrl-C stops it)"
    lines = [json.loads(line) for line in printed[1:]]
    messages = " | ".join(line["message"] for line in lines)
    assert "Starting gunicorn" in messages and "Booting worker" in messages
    assert any(line.get("endpoint") == "api.suggest" for line in lines)
    # Each worker, once loaded, leaves what it loaded out of garbage collection.
    assert "objects loaded left out, first generation at 10000" in messages
    assert "faiss" not in messages  # which CPU build it loaded is no news


@pytest.mark.parametrize("command", ["serve", "demo"])
def test_a_port_in_use_is_one_line_with_the_way_out_and_exit_status_2(
    tmp_path: Path, command: str
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = askfind(command, "--port", str(port), "--data-dir", str(tmp_path / "d"))
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"Error: port {port} on 127.0.0.1 is already in use (another askfind?): stop that "
        "one, or choose another port with --port"
    ]
    assert done.stdout == ""  # the demo checks before it indexes
    assert not (tmp_path / "d" / "index").exists()


def test_demo_is_quiet_and_its_instructions_open_the_agents_page_and_dashboard(
    tmp_path: Path,
) -> None:
    """The README's first command: `askfind demo` answers over HTTP (a regression: its
    workers once inherited the indexing's threads and never answered), says in a few lines
    where and how, and prints no logs, not even for requests, on a quiet run."""
    port = _free_port()
    command = [sys.executable, "-m", "widget.cli", "demo", "--port", str(port)]
    server = subprocess.Popen(
        [*command, "--data-dir", str(tmp_path / "d")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_without_askfind_settings(),
    )
    base = f"http://127.0.0.1:{port}/"
    assert server.stdout is not None
    printed = [server.stdout.readline().rstrip("\n")]
    try:
        while printed[-1] != "Ctrl-C stops it." and len(printed) < 20:
            printed.append(server.stdout.readline().rstrip("\n"))
        answer = _wait_for(f"{base}api/suggest?q=WLAN+bricht+abends+ab")
        assert json.loads(answer)["items"], "the demo index suggests nothing"
        page = _wait_for(base)
        assert "embed.js" in page
        # The printed user and password open the agents' page (a browser's login prompt
        # sends them so); nothing else does.
        agents = next(line for line in printed if line.startswith("agents' page:"))
        user, password = re.fullmatch(
            rf"agents' page: {base}agent, user (\S+), password (\S+) \(new each run\)", agents
        ).groups()  # type: ignore[union-attr]
        assert _status_as(f"{base}agent", user, password) == 200
        assert _status_as(f"{base}agent", user, password + "x") == 401
        # The same user opens the dashboard: the demo's user is an admin.
        assert f"dashboard: {base}admin, the same user (an admin in the demo)" in printed
        assert _status_as(f"{base}admin", user, password) == 200
        assert _status_as(f"{base}admin", user, password + "x") == 401
    finally:
        server.send_signal(signal.SIGTERM)
        rest, logs = server.communicate(timeout=60)
    assert server.returncode == 0
    printed += rest.splitlines()
    assert printed[0] == f"indexing the sample community into {tmp_path / 'd'} ..."
    assert "read 310, indexed 310" in printed[1]
    assert f"serving the demo help page on {base} (in English: {base}en)" in printed
    assert printed[-1] == "Ctrl-C stops it."
    assert len(printed) <= 10
    assert logs == ""  # no request lines, no gunicorn lines, no third-party notes


def test_log_format_auto_is_text_on_a_terminal_and_json_elsewhere() -> None:
    log_a_line = (
        "import logging; from widget.logs import configure_logging; "
        "configure_logging('auto', 'INFO'); logging.getLogger('askfind').info('hello')"
    )
    piped = subprocess.run(
        [sys.executable, "-c", log_a_line], capture_output=True, text=True, check=True
    )
    assert json.loads(piped.stderr)["message"] == "hello"
    controller, terminal = pty.openpty()
    try:
        subprocess.run([sys.executable, "-c", log_a_line], stderr=terminal, check=True)
        shown = os.read(controller, 4096).decode()
    finally:
        os.close(controller)
        os.close(terminal)
    assert shown.rstrip().endswith("INFO askfind: hello") and "{" not in shown


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _without_askfind_settings() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("ASKFIND_")}


def _status_as(url: str, user: str, password: str) -> int:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = urllib.request.Request(url, headers={"Authorization": f"Basic {token}"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def _wait_for(url: str, seconds: float = 120) -> str:
    deadline = time.monotonic() + seconds
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return answer.read().decode()
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail(f"{url} did not answer within {seconds} s")
            time.sleep(0.5)
