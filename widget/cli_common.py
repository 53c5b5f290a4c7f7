"""What every ``askfind`` command shares: the settings, the engine, the data-dir options,
text parameters that are text, and the printers of skipped records and repeated ids, each
turned into a clear CLI message on failure.

The commands live in ``cli``, ``cli_admin`` and ``cli_sync``; they all import from here,
and none of them from another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from indexer.errors import AskfindError, InvalidQuery
from indexer.settings import Settings, load_settings
from indexer.sources import DuplicateId, RecordError
from indexer.threads import TITLE_MAX_CHARS, lone_surrogate_at

if TYPE_CHECKING:  # the pipeline imports numpy: not for `askfind --help`
    from indexer.pipeline import CutThreads

ERRORS_SHOWN = 20
# Set in the context's meta by ``data_dir_option``: the command reads an existing data dir.
READS_DATA_DIR = "askfind.reads_data_dir"
DATA_DIR_DEFAULT = "[env ASKFIND_DATA_DIR; ./askfind-data]"


def _reads_existing_data_dir(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
    """Mark the command as one that reads a data dir, for ``command_settings`` to check
    once the settings say which (the option, the environment, the file or the default)."""
    ctx.meta[READS_DATA_DIR] = True
    return value


# For the commands that read what `askfind index` or the service wrote (search, report,
# gaps, purge, rules): a data dir that does not exist is a mistake, not an empty one.
data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    callback=_reads_existing_data_dir,
    help=f"Where the embedded index, events and rules live; it must exist {DATA_DIR_DEFAULT}.",
)
# For the commands that make it when it is missing (index, serve, demo).
new_data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help=f"Where the embedded index and caches live; made if missing {DATA_DIR_DEFAULT}.",
)


class Text(click.types.StringParamType):
    """A parameter that must be text: a lone surrogate is refused as a usage error.

    Python hands over command-line bytes that are not UTF-8 (``$'caf\\xe9'`` from a
    Latin-1 terminal) as lone surrogates, which no UTF-8 encoder, tokeniser, database or
    log accepts: the same refusal as the rules' and the events' (``lone_surrogate_at``).
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = super().convert(value, param, ctx)
        at = lone_surrogate_at(text)
        if at is not None:
            # Not the value itself: it may be a password.
            message = f"is not UTF-8 text (from character {at + 1}): set the terminal to UTF-8"
            self.fail(message, param, ctx)
        return text


TEXT = Text()


class TextGroup(click.Group):
    """A command group whose commands' (and subcommands') plain string parameters are
    ``TEXT``, however they were declared: one place for the check, for every command."""

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        _text_parameters(cmd)
        super().add_command(cmd, name)


def _text_parameters(command: click.Command) -> None:
    for param in command.params:
        if type(param.type) is click.types.StringParamType:
            param.type = TEXT
    if isinstance(command, click.Group):
        for subcommand in command.commands.values():
            _text_parameters(subcommand)


def command_settings(**overrides: Any) -> Settings:
    """The settings (file + environment + these overrides), or a clear CLI error.

    For a command with ``data_dir_option`` the data dir must exist: a mistyped one would
    otherwise give an empty report or no rules, and be made, with empty stores, by the
    stores the command opens.
    """
    try:
        settings = load_settings(**overrides)
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    context = click.get_current_context(silent=True)
    reads_data_dir = context is not None and context.meta.get(READS_DATA_DIR)
    if reads_data_dir and settings.backend == "embedded":
        require_data_dir(settings.data_dir)
    return settings


def require_data_dir(data_dir: Path) -> None:
    """Stop with a clear message when ``data_dir`` does not exist. Checked for every
    command that reads one on the embedded backend, whose index and events live there; on
    Elasticsearch only where the data dir holds what the command reads (the rules)."""
    if not data_dir.is_dir():
        raise click.ClickException(
            f"no data dir {data_dir}: give the one `askfind index` made (--data-dir, "
            "ASKFIND_DATA_DIR, data_dir in askfind.toml), or make one with `askfind index`"
        )


def command_engine(settings: Settings) -> Any:
    """The engine of these settings (imported late: ``--help`` loads no model), or a clear
    CLI error."""
    from indexer.engine import open_engine

    try:
        return open_engine(settings)
    except AskfindError as e:
        raise click.ClickException(str(e)) from e


def usage_error(error: InvalidQuery, options: Mapping[str, str]) -> click.UsageError:
    """A request the API would answer with 400, as click's usage error (exit status 2)
    with the API's message, naming the command's option for the parameter at fault.

    ``options``: the command's option (or argument) by the API's parameter name.
    """
    context = click.get_current_context(silent=True)
    hint = options.get(error.parameter or "")
    if hint is None:
        return click.UsageError(str(error), ctx=context)
    return click.BadParameter(str(error), ctx=context, param_hint=hint)


def error_printer() -> Callable[[RecordError], None]:
    """Print the first skipped records on stderr, then only that more follow."""
    return _first_shown("skipped", "more bad records; only the count is shown from here on")


def duplicate_printer() -> Callable[[DuplicateId], None]:
    """Warn on stderr of the first ids that several records of a file hold, then only
    that more follow."""
    return _first_shown("warning:", "more ids held by several records; not shown")


def _first_shown(prefix: str, more: str) -> Callable[[object], None]:
    """A printer of the first ``ERRORS_SHOWN`` reports on stderr, then ``more`` once."""
    shown = 0

    def report(what: object) -> None:
        nonlocal shown
        shown += 1
        if shown <= ERRORS_SHOWN:
            click.echo(f"{prefix} {what}", err=True)
        elif shown == ERRORS_SHOWN + 1:
            click.echo(more, err=True)

    return report


def print_truncated(titles: CutThreads, texts: CutThreads, max_chars: int) -> None:
    """Name the threads whose title was cut at ``TITLE_MAX_CHARS`` and those whose body or
    answers were cut at ``max_chars`` (``thread_max_chars``) on ingest (on stderr)."""
    _print_cut(titles, "title", f"{TITLE_MAX_CHARS} characters")
    _print_cut(texts, "thread", f"{max_chars} characters (setting thread_max_chars)")


def _print_cut(cut: CutThreads, what: str, limit: str) -> None:
    if not cut.count:
        return
    shown = cut.ids[:ERRORS_SHOWN]
    named = ", ".join(shown) + (", ..." if cut.count > len(shown) else "")
    several = cut.count != 1
    click.echo(
        f"cut {cut.count} {what}{'s' if several else ''} longer than {limit}, indexed with "
        f"{'their' if several else 'its'} beginning: {named}",
        err=True,
    )
