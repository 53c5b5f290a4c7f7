"""Issue 18: the connectors map closed and archived topics to the thread format's ``state``,
and date accepted answers (how old a solution is)."""

from __future__ import annotations

from typing import Any

import pytest

from indexer.sources.discourse import topic_record
from indexer.sources.khoros import thread_record
from indexer.threads import thread_from_record


def discourse_topic(**flags: Any) -> dict[str, Any]:
    posts = [
        {"id": 1, "post_number": 1, "cooked": "<p>Router blinkt rot.</p>", "post_type": 1},
        {
            "id": 2,
            "post_number": 2,
            "cooked": "<p>Neu starten.</p>",
            "post_type": 1,
            "accepted_answer": True,
            "created_at": "2023-05-02T10:00:00.000Z",
        },
    ]
    return {"id": 7, "title": "Router blinkt rot", "post_stream": {"posts": posts}, **flags}


@pytest.mark.parametrize(
    ("flags", "state"),
    [
        ({}, "open"),
        ({"closed": False, "archived": False}, "open"),
        ({"closed": True}, "closed"),
        ({"archived": True}, "archived"),
        ({"closed": True, "archived": True}, "archived"),  # archived is for good
    ],
)
def test_discourse_closed_and_archived_topics_keep_their_state(
    flags: dict[str, Any], state: str
) -> None:
    thread = thread_from_record(topic_record(discourse_topic(**flags), None, {}))
    assert thread.state == state
    assert thread.solution_at == "2023-05-02T10:00:00+00:00"


def khoros_topic(**fields: Any) -> dict[str, Any]:
    return {"id": "100", "subject": "Tarif wechseln", "body": "Wie?", "depth": 0, **fields}


REPLY = {
    "id": "101",
    "body": "Im Kundencenter.",
    "depth": 1,
    "is_solution": True,
    "post_time": "2023-01-05T08:00:00.000+01:00",
}


@pytest.mark.parametrize(
    ("fields", "state"),
    [
        ({}, "open"),
        ({"read_only": True}, "closed"),
        ({"read_only": False}, "open"),
        ({"archived": True}, "archived"),
        ({"conversation": {"archived": True}}, "archived"),
        ({"board": {"id": "tarife", "archived": True}, "read_only": True}, "archived"),
    ],
)
def test_khoros_locked_and_archived_topics_keep_their_state(
    fields: dict[str, Any], state: str
) -> None:
    thread = thread_from_record(thread_record(khoros_topic(**fields), [REPLY]))
    assert thread.state == state
    assert thread.solution_at == "2023-01-05T08:00:00+01:00"
