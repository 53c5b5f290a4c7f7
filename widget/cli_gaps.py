"""``askfind gaps``: the content gaps of a period (what customers asked and did not find,
grouped by meaning, with the threads that come nearest), as text, JSON or CSV.

The same report as ``GET /api/admin/gaps``. Registered on the ``askfind`` group by
``widget.cli``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from indexer.errors import AskfindError, InvalidQuery
from widget.cli_admin import REPORT_OPTIONS
from widget.cli_common import command_engine, command_settings, data_dir_option, usage_error

NONE = "  (none)"
LISTS = (
    ("no match: nothing was shown", "no_match"),
    ("poor match: shown suggestions, opened none, asked anyway", "poor_match"),
)


@click.command(name="gaps")
@click.option("--since", default=None, help="Start of the period (ISO 8601 date or time, UTC).")
@click.option("--until", default=None, help="End of the period (default: now).")
@click.option("--days", type=click.IntRange(1), default=None, help="The last N days [7].")
@click.option("--top", type=click.IntRange(1), default=20, show_default=True,
              help="Groups shown in each list.")  # fmt: skip
@click.option("--json", "as_json", is_flag=True, help="Print the gaps as JSON.")
@click.option(
    "--csv",
    "csv_file",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=None,
    metavar="FILE",
    help="Also write the groups as CSV to FILE ('-': only the CSV, to standard output).",
)
@data_dir_option
def gaps_command(
    since: str | None,
    until: str | None,
    days: int | None,
    top: int,
    as_json: bool,
    csv_file: Path | None,
    data_dir: Path | None,
) -> None:
    """Group the questions customers asked and did not find by meaning: those shown
    nothing (no match) and those shown suggestions who asked anyway (poor match)."""
    from indexer.analytics.experiment import WIDGET, Experiment
    from indexer.analytics.gaps import search_gaps
    from indexer.analytics.gaps_csv import gaps_csv
    from indexer.analytics.store import open_event_store
    from widget.admin import period

    if as_json and csv_file is not None and str(csv_file) == "-":
        raise click.UsageError("--json and --csv - both print to standard output: choose one")
    settings = command_settings(data_dir=data_dir)
    try:
        start, end = period(since, until, str(days) if days else None)
        engine = command_engine(settings)
        store = open_event_store(settings)
        try:
            # Held-back sessions of the deflection experiment saw nothing: no gaps of ours.
            events = Experiment.of(settings).events_of(WIDGET, store.read(start, end))
            report = search_gaps(engine.search, events, start, end, top)
        finally:
            store.close()
            engine.close()
    except InvalidQuery as e:
        raise usage_error(e, REPORT_OPTIONS) from e
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    if csv_file is not None:
        if str(csv_file) == "-":
            click.echo(gaps_csv(report), nl=False)
            return
        try:
            csv_file.write_text(gaps_csv(report), encoding="utf-8", newline="")
        except OSError as e:
            raise click.ClickException(f"cannot write {csv_file}: {e.strerror}") from e
        groups = len(report.no_match) + len(report.poor_match)
        click.echo(f"wrote {groups} groups to {csv_file}", err=True)
    data = report.to_dict()
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(format_gaps(data))


def format_gaps(data: dict[str, Any]) -> str:
    """The gaps as text for a terminal: each group's counts, phrasings and candidates."""
    lines = [
        f"period {data['since']} to {data['until']}",
        f"{data['questions']} questions in {data['groups']} groups of meaning "
        f"(gap_similarity {data['similarity']})",
    ]
    for title, key in LISTS:
        lines.append(f"\n{title}:")
        if not data[key]:
            lines.append(NONE)
        for group in data[key]:
            lines.append(
                f"  {group['question']}   [{group['id']}]\n"
                f"    {group['gap_sessions']} of {group['sessions']} sessions without an answer, "
                f"{group['searches']} searches"
            )
            examples = "; ".join(example["query"] for example in group["examples"])
            lines.append(f"    asked as: {examples}")
            for candidate in group["candidates"]:
                lines.append(
                    f"    nearest: {candidate['id']}  {candidate['title']}  "
                    f"(confidence {candidate['confidence']:.2f})"
                )
    return "\n".join(lines)
