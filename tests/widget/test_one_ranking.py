"""One ranking: /api/suggest and /api/search rank the same text the same way, the
half-typed last word included; only the floor, the paging and ``solved`` differ."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from widget.context import engine_of

TEXTS = [
    "eSIM auf neues iPh",  # the last word half-typed
    "WLAN bricht abends ab",
    "Router blinkt rot",
    "Rechnung doppelt abgebu",
    "cancel my contract because of outa",
    "  Handy   will PUK  ",  # spaces as typed
]


def ranked(client: FlaskClient, endpoint: str, text: str, **params: str) -> list[tuple]:
    answer = client.get(endpoint, query_string={"q": text, "limit": 20, **params})
    assert answer.status_code == 200, answer.get_json()
    return [
        (i["id"], i["score"], i["confidence"], i["duplicates"]) for i in answer.get_json()["items"]
    ]


@pytest.mark.parametrize("text", TEXTS)
def test_suggestions_are_the_search_above_the_floor_with_the_same_confidences(
    client: FlaskClient, text: str
) -> None:
    floor = engine_of(client.application).settings.confidence_floor
    suggested = ranked(client, "/api/suggest", text)
    searched = ranked(client, "/api/search", text)
    assert suggested, text
    # The same threads in the same order with the same scores and confidences: the
    # suggestions are the search's results at or above the confidence floor.
    assert suggested == [item for item in searched if item[2] >= floor][: len(suggested)]


def test_partial_false_is_the_same_on_both(client: FlaskClient) -> None:
    text = "Router startet neu"
    suggested = ranked(client, "/api/suggest", text, partial="false")
    searched = ranked(client, "/api/search", text, partial="false")
    assert suggested and suggested == searched[: len(suggested)]
    # And it is a different query: the last word whole, not a prefix.
    assert ranked(client, "/api/search", text) != searched
