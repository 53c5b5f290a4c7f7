"""Personal data never survives redaction; the words a report needs do."""

from __future__ import annotations

import pytest

from indexer.privacy import redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail an max.mustermann+tv@example.co.uk bitte", "Mail an [email] bitte"),
        ("IBAN DE89 3704 0044 0532 0130 00 ändern", "IBAN [iban] ändern"),
        ("iban de89370400440532013000", "iban [iban]"),
        ("GB82 WEST 1234 5698 7654 32 wrong", "[iban] wrong"),
        ("ruf mich an 0171 1234567", "ruf mich an [phone]"),
        ("call +49 (0)30 123456-78 please", "call [phone] please"),
        ("Tel. 030/12345678", "Tel. [phone]"),
        ("0049 171 123 45 67 zurückrufen", "[phone] zurückrufen"),
        ("Kundennummer 12345678 Rechnung falsch", "Kundennummer [number] Rechnung falsch"),
        ("Kundennr.: K-123456", "Kundennr.: [number]"),
        ("Vertragsnummer VN 2024/77812 kündigen", "Vertragsnummer [number] kündigen"),
        ("my customer number is 55512345", "my customer number is [number]"),
        ("contract no. AB123 cancel", "contract no. [number] cancel"),
        ("Bestellung 123456789 kommt nicht", "Bestellung [number] kommt nicht"),
    ],
)
def test_personal_data_is_replaced_by_a_placeholder(text: str, expected: str) -> None:
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Rechnung vom 03.05.2024 falsch",
        "Rechnung 2024-05-03",
        "FRITZ!Box 7590 WLAN bricht ab",
        "iOS 18.2.1 eSIM",
        "Fehlercode 0x80070005",
        "Tarif 59,99 Euro zu teuer",
        "100 Mbit/s statt 250 Mbit/s",
        "DE12 this that other words",
        "Postleitzahl 10115 Berlin",
        "WLAN bricht ständig ab",
    ],
)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_several_kinds_in_one_text() -> None:
    text = "Ich (anna@example.de, 0151 23456789) zahle von DE89370400440532013000"
    assert redact(text) == "Ich ([email], [phone]) zahle von [iban]"
