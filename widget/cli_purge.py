"""``askfind purge``: delete analytics events and agents' queries past their retention.

The service runs the same purge once a day (``widget.daily_purge``); this command is for
a purge now (after lowering ``events_retention_days``, or from cron while the service is
down). Registered on the ``askfind`` group by ``widget.cli``.
"""

from __future__ import annotations

from pathlib import Path

import click

from indexer.errors import AskfindError
from widget.cli_common import command_settings, data_dir_option


@click.command(name="purge")
@click.option(
    "--days",
    type=click.IntRange(1, 3650),
    default=None,
    help="Keep this many days instead of events_retention_days.",
)
@data_dir_option
def purge_command(days: int | None, data_dir: Path | None) -> None:
    """Delete events, and forget agents' queries, older than the retention period."""
    from indexer.analytics.retention import purge

    overrides = {"events_retention_days": days} if days is not None else {}
    settings = command_settings(data_dir=data_dir, **overrides)
    try:
        purged = purge(settings)
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    click.echo(
        f"purged {purged.events} events and {purged.judgement_queries} agents' queries "
        f"received before {purged.before.isoformat(timespec='seconds')}"
    )
