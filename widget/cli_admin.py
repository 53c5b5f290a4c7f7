"""Operators' commands: ``askfind report`` (what customers searched for and found),
``askfind api-key`` (a new key for the write API, reports and the agents' page) and
``askfind agent-user`` (a user of the agents' page).

Registered on the ``askfind`` group by ``widget.cli``.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path
from typing import Any

import click

from indexer.errors import AskfindError, InvalidQuery
from widget.cli_common import command_settings, data_dir_option, usage_error

NONE = "  (none)"
# The report API's parameters and the options of ``askfind report`` that carry them.
REPORT_OPTIONS = {"since": "--since", "until": "--until", "days": "--days"}
# The parameters of an agents' page user and the arguments of ``askfind agent-user``.
AGENT_USER_OPTIONS = {"name": "NAME", "password": "--password"}


@click.command(name="report")
@click.option("--since", default=None, help="Start of the period (ISO 8601 date or time, UTC).")
@click.option("--until", default=None, help="End of the period (default: now).")
@click.option("--days", type=click.IntRange(1), default=None, help="The last N days [7].")
@click.option(
    "--top",
    type=click.IntRange(1),
    default=20,
    show_default=True,
    help="Queries shown in each list (top, zero results, not clicked).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@data_dir_option
def report_command(
    since: str | None,
    until: str | None,
    days: int | None,
    top: int,
    as_json: bool,
    data_dir: Path | None,
) -> None:
    """Report searches, click-through, deflection and content gaps for a period."""
    from indexer.analytics.experiment import Experiment, report_with_experiment
    from indexer.analytics.store import open_event_store
    from widget.admin import period

    settings = command_settings(data_dir=data_dir)
    try:
        start, end = period(since, until, str(days) if days else None)
        store = open_event_store(settings)
        try:
            data = report_with_experiment(
                store.read(start, end), start, end, top, Experiment.of(settings)
            )
        finally:
            store.close()
    except InvalidQuery as e:
        raise usage_error(e, REPORT_OPTIONS) from e
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False, indent=2))
        return
    click.echo(format_report(data))


@click.command(name="api-key")
@click.option(
    "--hash",
    "key",
    default=None,
    metavar="KEY",
    help="Print the digest of this key instead of making a new one.",
)
def api_key_command(key: str | None) -> None:
    """Make a new API key and print it with the digest that goes into `api_keys`."""
    from widget.auth import digest_of, new_api_key

    if key is not None and not key.strip():
        # Its digest would match no request: the service takes a blank key for none.
        raise click.BadParameter(
            "the key is empty; give the key whose digest to print", param_hint="--hash"
        )
    if key is not None and key != key.strip():
        # Nor would this one's: the service trims the key a request carries.
        raise click.BadParameter(
            "the key starts or ends with a space, which no request's key does; give it without",
            param_hint="--hash",
        )
    if key is None:
        key = new_api_key()
        click.echo(f"key:    {key}   (give this to the client; it is not stored)")
    click.echo(f"digest: {digest_of(key)}   (add this to api_keys / ASKFIND_API_KEYS)")


@click.command(name="agent-user")
@click.argument("name")
@click.password_option(help="The user's password (asked for when not given).")
def agent_user_command(name: str, password: str) -> None:
    """Make an `agent_users` entry for the agents' page (agent_auth = password): NAME and a
    salted hash of the password, never the password itself.

    Prints the entry, then the same as a shell line and as settings-file lines, ready to
    paste: the hash holds `$`, which a shell expands unless it is quoted.
    """
    from widget.agent_access import InvalidAgentUser, password_entry

    try:
        entry = password_entry(name, password)
    except InvalidAgentUser as e:
        raise click.BadParameter(str(e), param_hint=AGENT_USER_OPTIONS[e.parameter]) from e
    click.echo(entry)
    click.echo("In a shell (several users: their entries joined by commas):")
    click.echo(f"  {agent_user_shell_line(entry)}")
    click.echo("Or in askfind.toml:")
    click.echo('  agent_auth = "password"')
    click.echo(f"  agent_users = [{json.dumps(entry, ensure_ascii=False)}]")


def agent_user_shell_line(entry: str) -> str:
    """The ``export`` that makes ``entry`` the agents' page's one user, quoted for a shell."""
    return f"export ASKFIND_AGENT_AUTH=password ASKFIND_AGENT_USERS={shlex.quote(entry)}"


def format_report(data: dict[str, Any]) -> str:
    """The report as text for a terminal."""
    lines = [
        f"period {data['since']} to {data['until']}",
        f"searches {data['searches']} in {data['sessions']} sessions; "
        f"click-through {_percent(data['click_through'])}, "
        f"deflection {_percent(data['deflection_rate'])}, "
        f"zero results {_percent(data['zero_result_rate'])}",
        f"clicks {data['clicks']}, asked anyway {data['asked_anyway']}, "
        f"helpful yes {data['helpful']['yes']} / no {data['helpful']['no']}",
    ]
    for title, key in (
        ("top queries", "top_queries"),
        ("zero-result queries (content gaps)", "zero_result_queries"),
        ("queries shown suggestions but not clicked", "no_click_queries"),
    ):
        lines.append(f"\n{title}:")
        rows = data[key]  # as many as --top asked for, as the JSON has
        lines.extend(f"  {row['searches']:>6}  {row['query']}" for row in rows)
        if not rows:
            lines.append(NONE)
    for title, key in (("by language", "by_language"), ("by board", "by_board")):
        lines.append(f"\n{title}:")
        if not data[key]:
            lines.append(NONE)
        for name, rates in data[key].items():
            lines.append(
                f"  {name:<24} searches {rates['searches']:>6}  "
                f"click-through {_percent(rates['click_through']):>6}  "
                f"deflection {_percent(rates['deflection_rate']):>6}  "
                f"zero results {_percent(rates['zero_result_rate']):>6}"
            )
    if "experiment" in data:
        lines.extend(["", *format_experiment(data["experiment"])])
    return "\n".join(lines)


def format_experiment(experiment: dict[str, Any]) -> list[str]:
    """The deflection experiment's lines: each arm's posting rate, and the estimate."""
    if not experiment["running"]:
        return ["deflection experiment: not running (setting experiment_holdout_share)"]
    lines = [
        f"deflection experiment {experiment['name']!r}, "
        f"{_percent(experiment['holdout_share'])} of sessions held back:"
    ]
    for arm, figures in experiment["arms"].items():
        lines.append(
            f"  {arm:<8} {figures['sessions']:>6} searching sessions, "
            f"{figures['posted']:>6} posted their question ({_percent(figures['posted_rate'])})"
        )
    found = experiment["deflection"]
    confidence = _percent(experiment["confidence"])
    lines.append(
        "  deflection: too few sessions or questions yet"
        if found is None
        else f"  deflection {_percent(found['estimate'])} "
        f"({confidence} CI {_percent(found['low'])} to {_percent(found['high'])})"
    )
    return lines


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
