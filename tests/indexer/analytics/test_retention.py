"""Retention: events and agents' queries past ``events_retention_days`` are purged, one
purge at a time, at most once a day when the service asks."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from click.testing import CliRunner

from indexer.analytics.events import Event
from indexer.analytics.judgements import JudgementStore
from indexer.analytics.retention import _purge_lock, last_purge, purge, purge_if_due
from indexer.analytics.store import EVENTS_FILE, SqliteEventStore
from tests.conftest import make_settings
from widget.cli import main as cli

SESSION = "s-0123456789abcdef"


def _age(data_dir: Path, table: str, days: int) -> None:
    """Make every row of ``table`` look received ``days`` ago."""
    then = (datetime.now(UTC) - timedelta(days=days)).isoformat(timespec="milliseconds")
    with sqlite3.connect(data_dir / EVENTS_FILE) as db:
        db.execute(f"UPDATE {table} SET received_at = ?", (then,))


def _fill(data_dir: Path) -> None:
    events = SqliteEventStore(data_dir / EVENTS_FILE)
    events.add([Event("asked_anyway", SESSION, "alte Frage")])
    events.close()
    judgements = JudgementStore(data_dir)
    judgements.record("t-1", "t-2", "agent", "alte Suche")
    judgements.close()
    _age(data_dir, "event", 40)
    _age(data_dir, "duplicate_judgement", 40)
    events = SqliteEventStore(data_dir / EVENTS_FILE)
    events.add([Event("asked_anyway", SESSION, "neue Frage")])
    events.close()


def test_old_events_go_and_old_judgements_keep_their_verdict_but_not_the_query(
    tmp_path: Path,
) -> None:
    _fill(tmp_path)
    purged = purge(make_settings(tmp_path, events_retention_days=30))
    assert (purged.events, purged.judgement_queries) == (1, 1)
    events = SqliteEventStore(tmp_path / EVENTS_FILE)
    assert [e.event.query for e in events.read()] == ["neue Frage"]
    events.close()
    judgements = JudgementStore(tmp_path)
    assert judgements.links() == {"t-1": "t-2"}
    assert [j.query for j in judgements.read()] == [""]
    judgements.close()


def test_nothing_within_the_retention_period_is_purged(tmp_path: Path) -> None:
    _fill(tmp_path)
    purged = purge(make_settings(tmp_path, events_retention_days=60))
    assert (purged.events, purged.judgement_queries) == (0, 0)


def test_the_service_purges_once_a_day_and_never_two_at_a_time(tmp_path: Path) -> None:
    settings = make_settings(tmp_path, events_retention_days=30)
    _fill(tmp_path)
    with _purge_lock(tmp_path, wait=False) as held:  # another worker is purging
        assert held
        assert purge_if_due(settings) is None
    done = purge_if_due(settings)
    assert done is not None and done.events == 1
    assert last_purge(tmp_path) is not None
    assert purge_if_due(settings) is None  # done today
    tomorrow = datetime.now(UTC) + timedelta(days=1, minutes=1)
    assert purge_if_due(settings, now=tomorrow) is not None


def test_askfind_purge_reports_what_it_deleted(tmp_path: Path) -> None:
    _fill(tmp_path)
    result = CliRunner().invoke(cli, ["purge", "--days", "30", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("purged 1 events and 1 agents' queries received before ")
    bad = CliRunner().invoke(cli, ["purge", "--days", "0", "--data-dir", str(tmp_path)])
    assert bad.exit_code == 2 and "--days" in bad.output
