"""The ``askfind`` command: index, serve, search, demo (DESIGN.md "Command line").

It lives in ``widget`` because it sits on top of both packages: ``serve`` and ``demo``
start the HTTP service, and ``widget`` may depend on ``indexer``, never the reverse.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import socket
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import click

from indexer.errors import AskfindError, InvalidQuery
from indexer.settings import Settings, describe_settings
from indexer.sources import FORMATS, read_source
from widget.cli_common import (
    TextGroup,
    command_engine,
    command_settings,
    data_dir_option,
    duplicate_printer,
    error_printer,
    new_data_dir_option,
    print_truncated,
    usage_error,
)

SAMPLE = "sample_community.jsonl"
SAMPLE_ARTICLES = "sample_articles"  # its help articles: Markdown and HTML pages
EXIT_REBUILD_RUNNING = 75  # EX_TEMPFAIL of sysexits.h: cron may simply try again later
EXIT_ADDRESS_UNAVAILABLE = 2  # as click's usage errors: run it again with another --port
DEMO_AGENT = "demo"
DEMO_QUERIES = ("WLAN bricht ständig ab", "eSIM auf neues iPhone", "cancel my contract")


# TextGroup: every command's text parameters refuse what is not text (``cli_common.Text``).
@click.group(cls=TextGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="askfind", message="askfind %(version)s")
def main() -> None:
    """askfind: find the threads that already answer a question, while it is being typed."""


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "source_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Source format; guessed from the path when omitted.",
)
@click.option(
    "--backend",
    type=click.Choice(["embedded", "elasticsearch"]),
    default=None,
    help="Backend to index into [setting: backend].",
)
@click.option(
    "--upsert",
    is_flag=True,
    help="Insert or replace threads in the live index instead of a full rebuild.",
)
@click.option("--strict", is_flag=True, help="Stop at the first bad record and publish nothing.")
@click.option(
    "--site-url", default=None, help="Stack Exchange, articles: the site's address, for links."
)
@click.option(
    "--board", default=None, help="Stack Exchange, articles, sitemap: the board to file them under."
)
@click.option(
    "--progress/--no-progress",
    default=None,
    help="Show progress (default: when stderr is a terminal).",
)
@new_data_dir_option
def index(
    paths: tuple[Path, ...],
    source_format: str | None,
    backend: str | None,
    upsert: bool,
    strict: bool,
    site_url: str | None,
    board: str | None,
    progress: bool | None,
    data_dir: Path | None,
) -> None:
    """Index threads from PATHS: files or folders in any format askfind reads, or
    `discourse` / `khoros` for the community's live API (as the settings configure it).

    By default the index is rebuilt from exactly these threads and replaces the live one
    when the run ends; threads unchanged since the last run are carried over, not
    re-embedded. Bad records are reported with their line and skipped. Exit status: 0
    done, 1 failed (the live index is unchanged), 75 another rebuild is running.
    """
    from indexer.errors import RebuildInProgress
    from indexer.pipeline import StrictModeError
    from widget.cli_sync import opened_source

    settings = command_settings(data_dir=data_dir, backend=backend)
    on_duplicate = duplicate_printer()
    with contextlib.ExitStack() as sources:
        try:
            readers = [
                sources.enter_context(
                    opened_source(
                        str(path), settings, source_format, site_url, board, False, on_duplicate
                    )
                )
                for path in paths
            ]
        except AskfindError as e:
            raise click.ClickException(str(e)) from e
        engine = command_engine(settings)
        try:
            items = _chain(reader(None) for reader in readers)
            show_progress = sys.stderr.isatty() if progress is None else progress
            with _ProgressBar(show_progress) as bar:
                report = engine.indexer().run(
                    items,
                    mode="upsert" if upsert else "rebuild",
                    strict=strict,
                    on_error=error_printer(),
                    on_progress=bar.update,
                )
        except StrictModeError as e:
            raise click.ClickException(f"{e}; nothing was published") from e
        except RebuildInProgress as e:
            click.echo(f"Error: {e}; try again later", err=True)
            sys.exit(EXIT_REBUILD_RUNNING)
        except AskfindError as e:
            raise click.ClickException(str(e)) from e
        finally:
            engine.close()
    print_truncated(report.titles_cut, report.texts_cut, settings.thread_max_chars)
    click.echo(report.summary())
    if report.usable == 0:
        raise click.ClickException("nothing could be indexed; the live index is unchanged")


@main.command()
@click.option("--host", default=None, help="Address to bind [setting: host].")
@click.option("--port", type=int, default=None, help="Port to listen on [setting: port].")
@click.option("--workers", type=int, default=None, help="gunicorn workers [setting: workers].")
@click.option("--dev", is_flag=True, help="Flask's development server instead of gunicorn.")
@click.option(
    "--log-format",
    type=click.Choice(["auto", "json", "text"]),
    default=None,
    help="Logs as JSON or text; auto: text on a terminal, JSON otherwise [setting: log_format].",
)
# The socket `askfind demo` bound before it indexed, passed on when it becomes this command.
@click.option("--listen-fd", type=int, default=None, hidden=True)
@new_data_dir_option
def serve(
    host: str | None,
    port: int | None,
    workers: int | None,
    dev: bool,
    log_format: str | None,
    listen_fd: int | None,
    data_dir: Path | None,
) -> None:
    """Serve the HTTP API (and widget pages) under gunicorn, until SIGTERM or Ctrl-C.

    Exit status: 0 stopped, 2 the address cannot be listened on (the port is in use).
    """
    from widget.listening import inherited, url_of

    settings = command_settings(
        data_dir=data_dir, host=host, port=port, workers=workers, log_format=log_format
    )
    if listen_fd is not None:
        listener = inherited(listen_fd)
    else:
        listener = _listen(settings)
        click.echo(f"serving on {url_of(listener)} (Ctrl-C stops it)", err=True)
    _serve(settings, listener, dev)


# What to do with a query longer than query_max_chars, from the command line.
LONGER_QUERY_ADVICE = (
    "search with the question alone, or allow longer queries for this command with the "
    "environment variable ASKFIND_QUERY_MAX_CHARS=N (setting query_max_chars)"
)
# The API's parameters and the options of ``askfind search`` that carry them.
SEARCH_OPTIONS = {
    "q": "QUERY",
    "limit": "--limit",
    "offset": "--offset",
    "board": "--board",
    "lang": "--lang",
    "solved": "--solved/--unsolved",
    "from": "--from",
    "to": "--to",
    "articles": "--articles",
}


@main.command()
@click.argument("query")
@click.option("--limit", default=None, metavar="N", help="Results to show [10; at most "
              "setting search_max_limit].")  # fmt: skip
@click.option("--offset", default=None, metavar="N", help="Results to skip first [0].")
@click.option("--board", default=None, help="Only threads of this board.")
@click.option("--lang", default=None, help="Only threads in this language (and analyse as it).")
@click.option("--solved/--unsolved", default=None, help="Only solved (or unsolved) threads.")
@click.option("--from", "date_from", default=None, help="Only threads created on or after this "
              "day (YYYY-MM-DD) or time (ISO 8601).")  # fmt: skip
@click.option("--to", "date_to", default=None, help="Only threads created up to this day "
              "(inclusive) or time.")  # fmt: skip
@click.option("--articles", default=None, metavar="N", help="Help articles to list apart "
              "[setting: articles_shown; 0: among the threads].")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print JSON (the API's answer) instead.")
@data_dir_option
def search(
    query: str,
    limit: str | None,
    offset: str | None,
    board: str | None,
    lang: str | None,
    solved: bool | None,
    date_from: str | None,
    date_to: str | None,
    articles: str | None,
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """Search the index the way agents do (no confidence floor): the same results, with the
    same filters, as GET /api/search and the agents' page. A request the API refuses is
    refused here with its message (exit status 2)."""
    from widget.items import result_item
    from widget.params import query_text, search_request

    given = {
        "q": query,
        "limit": limit,
        "offset": offset,
        "board": board,
        "lang": lang,
        "solved": None if solved is None else str(solved).lower(),
        "from": date_from,
        "to": date_to,
        "articles": articles,
    }
    args = {name: value for name, value in given.items() if value is not None}
    settings = command_settings(data_dir=data_dir)
    engine = command_engine(settings)
    try:
        # First with the command line's advice for a query too long: the API's names a
        # POST request, which a command line does not send.
        query_text(args, settings.query_max_chars, advice=LONGER_QUERY_ADVICE)
        asked = search_request(args, settings, engine.backend.boards)
        result = engine.search.search(asked)
    except InvalidQuery as e:
        raise usage_error(e, SEARCH_OPTIONS) from e
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    finally:
        engine.close()
    items = [result_item(item, settings.snippet_chars) for item in result.items]
    found_articles = [result_item(item, settings.snippet_chars) for item in result.articles]
    if as_json:
        answer = {
            "query": asked.text,
            "total": result.total,
            "offset": asked.offset,
            "limit": asked.limit,
            "items": items,
            "articles": found_articles,
        }
        click.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    click.echo(_table(items, asked.offset))
    click.echo(f"{result.total} matching threads")
    if found_articles:
        click.echo("help articles:")
        click.echo(_table(found_articles, 0))


@main.command()
@click.option("--no-serve", is_flag=True, help="Only build the demo index.")
@click.option("--host", default=None, help="Address to bind [setting: host].")
@click.option("--port", type=int, default=None, help="Port to listen on [setting: port].")
@new_data_dir_option
def demo(no_serve: bool, host: str | None, port: int | None, data_dir: Path | None) -> None:
    """Index the bundled sample community and serve it, with a user for the agents' page.

    The console shows what is done, the addresses and how to stop; the logs show only
    warnings and errors (unless the settings ask for more). Exit status: 0 stopped,
    1 failed, 2 the port is in use (checked before indexing).
    """
    settings = command_settings(data_dir=data_dir, host=host, port=port)
    listener = None if no_serve else _listen(settings)
    click.echo(f"indexing the sample community into {settings.data_dir} ...")
    _index_the_sample(settings)
    if listener is None:
        return
    from widget.listening import url_of

    url = url_of(listener)
    environment = {**os.environ, **_demo_environment(settings)}
    click.echo(f"serving the demo help page on {url} (in English: {url}en)")
    if _agent_access_configured(settings):
        click.echo(f"agents' page: {url}agent (sign in as your agent_auth setting says)")
        click.echo(f"dashboard: {url}admin (for the agents admin_users names)")
    else:
        from widget.agent_access import new_password

        password = new_password()
        environment.update(_demo_agent_user(DEMO_AGENT, password))
        click.echo(
            f"agents' page: {url}agent, user {DEMO_AGENT}, password {password} (new each run)"
        )
        click.echo(f"dashboard: {url}admin, the same user (an admin in the demo)")
    click.echo("Ctrl-C stops it.")
    _serve_in_a_fresh_process(settings, listener, environment)


@main.command(name="settings")
@click.option("--effective", is_flag=True, help="Show the values in effect here.")
@click.option(
    "--markdown", is_flag=True, help="Print the reference table of docs/configuration.md."
)
def settings_command(effective: bool, markdown: bool) -> None:
    """List every setting with its default and meaning."""
    if markdown:
        click.echo(settings_table())
        return
    current = command_settings() if effective else None
    for name, default, help_text in describe_settings():
        value = getattr(current, name) if current else default
        click.echo(f"{name} = {value}\n    {help_text}  (env ASKFIND_{name.upper()})")


def settings_table() -> str:
    """Every setting as a markdown table: the reference in docs/configuration.md."""
    lines = ["| setting | environment variable | default | meaning |", "|---|---|---|---|"]
    for name, default, help_text in describe_settings():
        shown = default.replace(str(Path.home()), "~")
        lines.append(f"| `{name}` | `ASKFIND_{name.upper()}` | `{shown}` | {help_text} |")
    return "\n".join(lines)


def _listen(settings: Settings) -> socket.socket:
    """The socket to serve on, or one line naming the problem and exit status 2."""
    from widget.listening import AddressUnavailable, listen

    try:
        return listen(settings.host, settings.port)
    except AddressUnavailable as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(EXIT_ADDRESS_UNAVAILABLE)


def _serve(settings: Settings, listener: socket.socket, dev: bool) -> None:
    from widget.server import run_dev_server, run_gunicorn

    if dev:
        run_dev_server(settings, listener)
    else:
        run_gunicorn(settings, listener)


def _index_the_sample(settings: Settings) -> None:
    """Index the bundled sample community and its help articles (a progress bar on a
    terminal), then print what three questions find in it."""
    from indexer.search import SearchRequest

    engine = command_engine(settings)
    data = resources.files("indexer.data")
    try:
        with (
            resources.as_file(data.joinpath(SAMPLE)) as sample,
            resources.as_file(data.joinpath(SAMPLE_ARTICLES)) as articles,
            _ProgressBar(sys.stderr.isatty(), leave=False) as bar,
        ):
            threads = itertools.chain(read_source(sample), read_source(articles, "articles"))
            report = engine.indexer().run(threads, on_error=error_printer(), on_progress=bar.update)
        click.echo(f"  {report.summary()}")
        for text in DEMO_QUERIES:
            result = engine.search.search(SearchRequest(text=text, limit=1, apply_floor=True))
            top = result.items[0].thread.title if result.items else "(nothing above the floor)"
            click.echo(f"  {text!r} -> {top}")
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    finally:
        engine.close()


def _demo_environment(settings: Settings) -> dict[str, str]:
    """The demo's own defaults, as settings for the server it becomes: warnings and errors,
    no line per request, and its Roaming board fast-moving (roaming rules change: Brexit,
    Switzerland), so that old solutions there show the mark. Whatever the settings file or
    the environment says wins."""
    defaults = {"log_level": "WARNING", "access_log": "false", "fast_moving_boards": "Roaming"}
    return {
        f"ASKFIND_{name.upper()}": value
        for name, value in defaults.items()
        if name not in settings.model_fields_set
    }


def _agent_access_configured(settings: Settings) -> bool:
    """Whether the settings say how agents sign in (then the demo leaves it as it is)."""
    return bool({"agent_auth", "agent_users", "api_keys"} & settings.model_fields_set)


def _demo_agent_user(name: str, password: str) -> dict[str, str]:
    """Settings for a user of the agents' page and the dashboard (an admin), with this
    password, for this run only.

    A user rather than an open page: the page stays protected if the demo is served
    beyond this machine (--host 0.0.0.0), it is the sign-in real deployments use, and
    judgements are stored under a name.
    """
    from widget.agent_access import password_entry

    return {
        "ASKFIND_AGENT_AUTH": "password",
        "ASKFIND_AGENT_USERS": password_entry(name, password),
        "ASKFIND_ADMIN_USERS": name,
    }


def _serve_in_a_fresh_process(
    settings: Settings, listener: socket.socket, environment: dict[str, str]
) -> None:
    """``askfind serve`` on ``listener`` in place of this process.

    The demo has run the model and the search service here, and their threads would be
    forked into gunicorn's workers without themselves: a lock one of them held at the
    fork stays held in every worker, which then never answers. A new process image has
    no such past; its settings come from the same file and ``environment``, plus these.
    The socket passes on open (connections made meanwhile wait in its queue).
    """
    command = [sys.executable, "-m", "widget.cli", "serve", "--data-dir", str(settings.data_dir)]
    command += ["--host", settings.host, "--port", str(settings.port)]
    command += ["--listen-fd", str(listener.fileno())]
    sys.stdout.flush()
    sys.stderr.flush()
    os.execve(sys.executable, command, environment)


def _chain(iterables: Any) -> Any:
    for iterable in iterables:
        yield from iterable


class _ProgressBar:
    """A tqdm counter of threads read, on stderr, for long runs (``leave``: the last state
    stays on the screen)."""

    def __init__(self, enabled: bool, leave: bool = True) -> None:
        self._bar: Any = None
        self._enabled = enabled
        self._leave = leave

    def __enter__(self) -> _ProgressBar:
        if self._enabled:
            from tqdm import tqdm

            self._bar = tqdm(
                unit=" threads", file=sys.stderr, dynamic_ncols=True, leave=self._leave
            )
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self, report: Any) -> None:
        if self._bar is not None:
            self._bar.update(report.read - self._bar.n)
            self._bar.set_postfix(
                indexed=report.indexed,
                unchanged=report.unchanged,
                skipped=report.skipped,
                refresh=False,
            )


def _table(items: list[dict[str, Any]], offset: int) -> str:
    """The results as the agents' page lists them: rank, solved (! if its solution may be
    outdated), title, board, date, id."""
    lines = [
        f"{'#':>3}  {'score':>6}  {'conf':>5}  {'':1}  {'title':<50}  {'board':<16}  "
        f"{'created':<10}  id"
    ]
    for rank, item in enumerate(items, start=offset + 1):
        mark = "!" if item["outdated"] else "✓" if item["solved"] else " "
        lines.append(
            f"{rank:>3}  {item['score']:>6.3f}  {item['confidence']:>5.2f}  {mark}  "
            f"{_cut(item['title'], 50):<50}  {_cut(item['board'] or '', 16):<16}  "
            f"{(item['created_at'] or '')[:10]:<10}  {item['id']}"
        )
    return "\n".join(lines)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _register_operator_commands() -> None:
    from widget.cli_admin import agent_user_command, api_key_command, report_command
    from widget.cli_gaps import gaps_command
    from widget.cli_purge import purge_command
    from widget.cli_rules import rules_command
    from widget.cli_sync import sync_command

    main.add_command(report_command)
    main.add_command(gaps_command)
    main.add_command(api_key_command)
    main.add_command(agent_user_command)
    main.add_command(sync_command)
    main.add_command(purge_command)
    main.add_command(rules_command)


_register_operator_commands()

if __name__ == "__main__":
    main()
