"""``askfind rules``: the operators' curation rules from the command line (docs/curation.md).

The same checks and the same store as ``/api/admin/rules`` (``indexer.curation``); every
change is a new version authored ``cli:<user>`` (or ``--author``), and reaches a running
service's workers within ``curation_refresh_seconds``.

Registered on the ``askfind`` group by ``widget.cli``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click

from indexer.curation.editing import RuleEditor
from indexer.curation.errors import InvalidRule, RuleNotFound
from indexer.curation.rules import INCIDENT, KINDS, Pin, Rule
from indexer.curation.store import RuleStore
from indexer.errors import AskfindError
from widget.cli_common import (
    command_engine,
    command_settings,
    data_dir_option,
    require_data_dir,
)


def _default_author() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no user name known for this uid (some containers)
        return "cli"


# The commands' argument or option for each field of a rule (the others: --<field>).
OPTION_OF = {"thread": "THREAD", "terms": "TERMS", "queries": "--query", "kind": "RULE_JSON"}
author_option = click.option(
    "--author", default=None, help="Who makes the change, for the audit [cli:<user name>]."
)


@click.group(name="rules")
def rules_command() -> None:
    """Curation: pins, incident pins, hidden threads and synonyms (versioned, audited)."""


@contextmanager
def _editor(data_dir: Path | None, with_index: bool) -> Iterator[RuleEditor]:
    """A rule editor on the data dir's store (and its index, to check thread ids), with
    every curation error turned into a clear message."""
    settings = command_settings(data_dir=data_dir)
    require_data_dir(settings.data_dir)  # the rules live there on every backend
    engine = command_engine(settings) if with_index else None
    store = RuleStore(settings.data_dir)
    try:
        backend: Any = engine.backend if engine is not None else None
        yield RuleEditor(store, backend, tuple(settings.languages))
    except InvalidRule as e:
        hint = OPTION_OF.get(e.parameter, f"--{e.parameter}") if e.parameter else None
        raise click.BadParameter(str(e), param_hint=hint) from e
    except RuleNotFound as e:
        raise click.ClickException(str(e)) from e
    except AskfindError as e:
        raise click.ClickException(str(e)) from e
    finally:
        store.close()
        if engine is not None:
            engine.close()


def _print_rule(rule: Rule, verb: str) -> None:
    click.echo(f"{verb} rule {rule.id} (version {rule.version}): {_summary(rule)}")


def _summary(rule: Rule) -> str:
    fields = rule.to_dict()
    if rule.kind == "synonyms":
        return f"synonyms [{fields['lang']}] " + " = ".join(fields["terms"])
    if rule.kind == "hidden":
        return f"hidden {fields['thread']}" + (f" ({fields['reason']})" if fields["reason"] else "")
    window = f"{fields['starts'] or 'now'} until {fields['ends'] or 'removed'}"
    if isinstance(rule.body, Pin) and rule.body.has_ended(datetime.now(UTC)):
        window += ", ended"
    return f"{rule.kind} {fields['thread']} for {'; '.join(fields['queries'])} ({window})"


@rules_command.command(name="list")
@click.option("--kind", type=click.Choice(KINDS), default=None, help="Only rules of this kind.")
@click.option("--json", "as_json", is_flag=True, help="Print the rules as JSON.")
@data_dir_option
def list_rules(kind: str | None, as_json: bool, data_dir: Path | None) -> None:
    """List the rules in force."""
    with _editor(data_dir, with_index=False) as editor:
        rules = [r for r in editor.store.rules() if kind is None or r.kind == kind]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in rules], ensure_ascii=False, indent=2))
        return
    if not rules:
        click.echo("no rules in force")
    for rule in rules:
        click.echo(f"{rule.id:>4}  v{rule.version}  {rule.author}  {_summary(rule)}")


def _pin_options(command: Callable[..., Any]) -> Callable[..., Any]:
    for option in reversed(
        [
            click.argument("thread"),
            click.option("--query", "queries", multiple=True, help="An example question (repeat)."),
            click.option("--starts", default=None, help="Start (ISO 8601) [now]."),
            click.option("--ends", default=None, help="End (ISO 8601) [until removed]."),
            click.option("--lang", default=None, help="Only for queries in this language."),
            author_option,
            data_dir_option,
        ]
    ):
        command = option(command)
    return command


def _add_pin(kind: str, thread: str, queries: tuple[str, ...], **fields: Any) -> None:
    data_dir, author = fields.pop("data_dir"), fields.pop("author") or _default_author()
    data: dict[str, Any] = {"kind": kind, "thread": thread}
    if queries or kind != INCIDENT:
        data["queries"] = list(queries)
    data |= {name: value for name, value in fields.items() if value is not None}
    with _editor(data_dir, with_index=True) as editor:
        _print_rule(editor.add(data, author), "added")


@rules_command.command(name="pin")
@_pin_options
def pin(thread: str, queries: tuple[str, ...], **fields: Any) -> None:
    """Show THREAD first for the questions like the --query examples."""
    _add_pin("pin", thread, queries, **fields)


@rules_command.command(name="incident")
@_pin_options
def incident(thread: str, queries: tuple[str, ...], **fields: Any) -> None:
    """Show the outage notice THREAD first for every "Störung"-like question."""
    _add_pin(INCIDENT, thread, queries, **fields)


@rules_command.command(name="hide")
@click.argument("thread")
@click.option("--reason", default=None, help="A note for the other operators.")
@author_option
@data_dir_option
def hide(thread: str, reason: str | None, author: str | None, data_dir: Path | None) -> None:
    """Never suggest or find THREAD while the rule exists (remove it to unhide)."""
    data = {"kind": "hidden", "thread": thread} | ({"reason": reason} if reason else {})
    with _editor(data_dir, with_index=True) as editor:
        _print_rule(editor.add(data, author or _default_author()), "added")


@rules_command.command(name="synonyms")
@click.argument("terms", nargs=-1, required=True)
@click.option("--lang", required=True, help="The language the terms mean the same in.")
@author_option
@data_dir_option
def synonyms(terms: tuple[str, ...], lang: str, author: str | None, data_dir: Path | None) -> None:
    """Make TERMS mean the same in queries of language --lang."""
    data = {"kind": "synonyms", "lang": lang, "terms": list(terms)}
    with _editor(data_dir, with_index=False) as editor:
        _print_rule(editor.add(data, author or _default_author()), "added")


@rules_command.command(name="import-synonyms")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--replace", is_flag=True, help="Remove stored groups the file does not hold.")
@author_option
@data_dir_option
def import_synonyms(path: Path, replace: bool, author: str | None, data_dir: Path | None) -> None:
    """Add the synonym groups of a file (one 'lang: term, term' a line)."""
    from indexer.curation.synonyms import read_synonym_file

    settings = command_settings(data_dir=data_dir)
    require_data_dir(settings.data_dir)  # the rules live there on every backend
    try:
        groups = read_synonym_file(path, tuple(settings.languages))
    except InvalidRule as e:
        raise click.ClickException(str(e)) from e
    with _editor(data_dir, with_index=False) as editor:
        added, removed = editor.import_synonyms(groups, author or _default_author(), replace)
    click.echo(f"{len(groups)} groups in {path}: {added} added, {removed} removed")


@rules_command.command(name="change")
@click.argument("rule_id", type=int)
@click.argument("rule_json")
@author_option
@data_dir_option
def change(rule_id: int, rule_json: str, author: str | None, data_dir: Path | None) -> None:
    """Store RULE_JSON (all the rule's fields) as the next version of rule RULE_ID."""
    try:
        data = json.loads(rule_json)
    except json.JSONDecodeError as e:
        raise click.BadParameter(f"not JSON: {e}", param_hint="RULE_JSON") from e
    with _editor(data_dir, with_index=True) as editor:
        _print_rule(editor.change(rule_id, data, author or _default_author()), "changed")


@rules_command.command(name="remove")
@click.argument("rule_id", type=int)
@author_option
@data_dir_option
def remove(rule_id: int, author: str | None, data_dir: Path | None) -> None:
    """Remove rule RULE_ID (its history stays)."""
    with _editor(data_dir, with_index=False) as editor:
        _print_rule(editor.remove(rule_id, author or _default_author()), "removed")


@rules_command.command(name="history")
@click.argument("rule_id", type=int)
@data_dir_option
def history(rule_id: int, data_dir: Path | None) -> None:
    """Every version of rule RULE_ID, as JSON: who changed what, when."""
    with _editor(data_dir, with_index=False) as editor:
        versions = editor.store.history(rule_id)
    click.echo(json.dumps(versions, ensure_ascii=False, indent=2))
