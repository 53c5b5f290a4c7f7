"""POST /api/search: a pasted message finds its thread by what it asks."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.indexer.analysis.test_message import (
    COMPLAINT,
    ESIM_PROBLEM,
    GERMAN_MAIL,
    LONG_GERMAN_MAIL,
)

THANKS = "\n\nVielen Dank im Voraus!\n\nMit freundlichen Grüßen\nErika Musterfrau\n"


def test_a_pasted_mail_finds_the_thread_its_question_asks_for(client: FlaskClient) -> None:
    answer = client.post("/api/search", json={"q": GERMAN_MAIL, "limit": 3})
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    assert found["items"][0]["id"] == "wlan-002"  # "WLAN bricht abends ständig ab"
    assert found["searched"].startswith("seit gestern bricht mein WLAN abends immer ab.")
    assert "123456789" not in found["searched"]


@pytest.mark.parametrize("question", ["Was kann ich tun?", "Können Sie mir helfen?"])
@pytest.mark.parametrize("one_line", [False, True])
def test_a_long_mail_finds_the_problem_its_last_question_asks_about(
    client: FlaskClient, question: str, one_line: bool
) -> None:
    mail = LONG_GERMAN_MAIL.format(complaint=COMPLAINT, problem=ESIM_PROBLEM, question=question)
    assert len(mail) > 600  # a complaint paragraph, then the problem and the question
    if one_line:  # as a web form may pass it on: no paragraphs
        mail = " ".join(mail.split())
    answer = client.post("/api/search", json={"q": mail, "limit": 3})
    assert answer.status_code == 200, answer.get_json()
    found = answer.get_json()
    assert found["items"][0]["id"] == "sim-003"  # "eSIM auf neues iPhone übertragen ..."
    assert ESIM_PROBLEM in found["searched"]
    if not one_line:  # in a paragraph after the first: the problem leads
        assert found["searched"].startswith(f"{ESIM_PROBLEM} {question}")


def test_the_greeting_and_signature_do_not_move_the_ranking(client: FlaskClient) -> None:
    question = "Meine eSIM lässt sich nicht auf das neue iPhone übertragen. Was tun?"
    plain = client.post("/api/search", json={"q": question, "limit": 5}).get_json()
    wrapped = client.post(
        "/api/search",
        json={"q": f"Sehr geehrte Damen und Herren,\n{question}\nKundennummer 98765432{THANKS}",
              "limit": 5},
    ).get_json()  # fmt: skip
    assert [i["id"] for i in wrapped["items"]] == [i["id"] for i in plain["items"]]
    assert wrapped["items"][0]["id"] == "sim-003"


def test_a_message_on_one_line_is_searched_without_its_closing(client: FlaskClient) -> None:
    message = (
        "Hallo zusammen, mein WLAN bricht ständig ab. Was kann ich tun? "
        "Mit freundlichen Grüßen, Max"
    )
    answer = client.post("/api/search", json={"q": message, "limit": 3})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["searched"] == "mein WLAN bricht ständig ab. Was kann ich tun?"
    # Thanks that go on with what still fails are what the message says.
    going_on = "Danke für den Tipp, aber das WLAN bricht immer noch ab"
    answer = client.post("/api/search", json={"q": f"Der Router ist neu. {going_on}."})
    assert going_on in answer.get_json()["searched"]


def test_a_long_message_is_taken_up_to_message_max_chars(client: FlaskClient) -> None:
    body = "Der Router hat bisher gut funktioniert und ich bin eigentlich zufrieden. " * 60
    message = f"Hallo,\nmein WLAN bricht abends ab.\n{body}\nWas kann ich tun?{THANKS}"
    assert 4000 < len(message) <= 5000
    answer = client.post("/api/search", json={"q": message})
    assert answer.status_code == 200
    too_long = client.post("/api/search", json={"q": "a " * 2600})
    assert too_long.status_code == 400
    assert too_long.get_json() == {"error": "q is longer than 5000 characters"}


def test_get_points_long_text_to_post(client: FlaskClient) -> None:
    answer = client.get("/api/search", query_string={"q": "WLAN bricht ab " * 40})
    assert answer.status_code == 400
    assert "POST /api/search" in answer.get_json()["error"]


def test_the_body_is_checked_like_the_query_string(client: FlaskClient) -> None:
    cases = {
        '{"q": "WLAN", "limit": "5"}': "limit must be a JSON whole number",
        '{"q": "WLAN", "bord": "x"}': "unknown parameter 'bord'",
        '{"q": "WLAN", "from": "gestern"}': "from must be a date",
        '{"q": "WLAN", "partial": true}': "unknown parameter 'partial'",
        '["WLAN"]': "must be a JSON object",
        '{"q": "WLAN \\ud800"}': "unpaired surrogate",
        "{": "not UTF-8 JSON",
        "[" * 5000 + "]" * 5000: "nested too deeply",
    }
    for body, expected in cases.items():
        answer = client.post("/api/search", data=body, content_type="application/json")
        assert answer.status_code == 400, body
        assert expected in answer.get_json()["error"], body
    form = client.post("/api/search", data={"q": "WLAN"})
    assert form.status_code == 415 and "JSON body" in form.get_json()["error"]
