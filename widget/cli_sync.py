"""``askfind sync``: bring the live index up to date with a source without a full rebuild.

Registered on the ``askfind`` group by ``widget.cli``. The changes are applied by
:func:`indexer.sync.apply_changes`, as the webhooks apply theirs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import cast

import click

from indexer.errors import AskfindError, InvalidQuery
from indexer.settings import Settings
from indexer.sources import FORMATS, DuplicateId, SourceFormat, SyncItem, read_source
from indexer.sources.live import LIVE_SOURCES, open_live_source
from widget.cli_common import (
    command_engine,
    command_settings,
    duplicate_printer,
    error_printer,
    print_truncated,
    usage_error,
)


@click.command(name="sync")
# A path (any bytes the file system allows, as `askfind index` takes) or a live API's name.
@click.argument("source", type=click.Path(path_type=str))
@click.option(
    "--since",
    default=None,
    help="Live APIs: read only what changed after this time (ISO 8601, or a day "
    "YYYY-MM-DD; UTC unless it says otherwise). Files are always read whole.",
)
@click.option(
    "--format",
    "source_format",
    type=click.Choice(FORMATS),
    default=None,
    help="Format of a file or folder; guessed when omitted.",
)
@click.option("--site-url", default=None, help="Stack Exchange, Discourse: the site's address.")
@click.option(
    "--backend",
    type=click.Choice(["embedded", "elasticsearch"]),
    default=None,
    help="Backend to write to [setting: backend].",
)
@click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Where the embedded index and caches live [env ASKFIND_DATA_DIR; ./askfind-data].",
)
def sync_command(
    source: str,
    since: str | None,
    source_format: str | None,
    site_url: str | None,
    backend: str | None,
    data_dir: Path | None,
) -> None:
    """Apply the changes of SOURCE to the live index: upsert the threads that changed,
    delete those the source reports gone, leave the rest alone.

    SOURCE is a file or folder (any format `askfind index` reads) or `discourse` /
    `khoros`: the community's live API, as the settings configure it. Threads whose
    content is what the index holds are counted as unchanged and not rewritten, so a
    second run changes nothing.
    """
    from indexer.sync import apply_changes
    from widget.params import date_bound

    settings = command_settings(data_dir=data_dir, backend=backend)
    try:
        changed_after = date_bound(since, "--since")
        # The source is opened first: a missing path or API fails before the model loads.
        with opened_source(
            source, settings, source_format, site_url, on_duplicate=duplicate_printer()
        ) as reader:
            engine = command_engine(settings)
            try:
                items = reader(changed_after)
                report = apply_changes(engine.indexer(), items, on_error=error_printer())
            finally:
                engine.close()
    except InvalidQuery as e:
        raise usage_error(e, {"--since": "--since"}) from e
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    print_truncated(report.titles_cut, report.texts_cut, settings.thread_max_chars)
    click.echo(report.summary())
    if report.read and report.skipped == report.read:
        raise click.ClickException("every record was bad; nothing was synced")


@contextmanager
def opened_source(
    source: str,
    settings: Settings,
    source_format: str | None = None,
    site_url: str | None = None,
    board: str | None = None,
    include_gone: bool = True,
    on_duplicate: Callable[[DuplicateId], None] | None = None,
) -> Iterator[Callable[[datetime | None], Iterable[SyncItem]]]:
    """A reader of a source's items (with ``include_gone``, deletions too), given the
    time of the last sync (None: everything); ``on_duplicate``: told of each id that
    several records of a JSON Lines file hold.

    ``discourse`` and ``khoros`` (unless a file of that name exists) are the live APIs,
    which read only what changed since that time; files are read whole.

    Raises:
        AskfindError: the path does not exist, or the live source is not configured.
    """
    path = Path(source)
    if source in LIVE_SOURCES and not path.exists():
        live = open_live_source(source, settings)
        try:
            yield lambda since: live.read(since=since, include_gone=include_gone)
        finally:
            live.close()
        return
    if not path.exists():
        raise AskfindError(f"{source} does not exist (nor is it one of {', '.join(LIVE_SOURCES)})")
    fmt = cast("SourceFormat | None", source_format)
    # Opened now, read when iterated: a file that does not fit its format fails here.
    items = read_source(
        path,
        fmt,
        site_url=site_url,
        board=board,
        include_gone=include_gone,
        on_duplicate=on_duplicate,
    )
    yield lambda _since: items
