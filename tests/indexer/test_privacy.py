"""Personal data never survives redaction; the words a report needs do."""

from __future__ import annotations

import pytest

from indexer.privacy import redact, redacted_excerpt


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mail an max.mustermann+tv@example.co.uk bitte", "Mail an [email] bitte"),
        # Addresses still being typed: the widget reports a search at every pause.
        ("Mail an kim@exa", "Mail an [email]"),
        ("meine mail ist kim.meier@", "meine mail ist [email]"),
        ("kim@example. geht nicht", "[email] geht nicht"),
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
        # Issue 16: German and English forms that were kept in clear.
        ("Kundennummer lautet K123456", "Kundennummer lautet [number]"),
        ("Kundennr. ist KD1234567", "Kundennr. ist [number]"),
        ("Vertragsnummer lautet V987654321", "Vertragsnummer lautet [number]"),
        ("meine Kunden-Nr.: kd1234567 bitte", "meine Kunden-Nr.: [number] bitte"),
        ("Kd.-Nr. 4711", "Kd.-Nr. [number]"),
        ("Auftragsnummer lautet A-2024-5566", "Auftragsnummer lautet [number]"),
        ("Bestellnummer: 302-1234567-7654321", "Bestellnummer: [number]"),
        ("Rechnungsnr. ist R 2024 0815", "Rechnungsnr. ist [number]"),
        ("my order number is 112-7", "my order number is [number]"),
        ("account # 4471 locked", "account # [number] locked"),
        ("customer ID: CX77123", "customer ID: [number]"),
        ("Vertrag K123456 kündigen", "Vertrag [number] kündigen"),
        ("max.mustermann(at)example.de", "[email]"),
        ("schreib an max.mustermann [at] example [dot] de", "schreib an [email]"),
        ("hans at gmx.de antwortet nicht", "[email] antwortet nicht"),
        ("anna {at} web (punkt) de", "[email]"),
        ("anna @ example.org", "[email]"),
        ("DE89-3704-0044-0532-0130-00", "[iban]"),
        ("IBAN DE 89 3704 0044 0532 0130 00", "IBAN [iban]"),
        ("de89-3704-0044-0532-0130-00 falsch", "[iban] falsch"),
        ("+49 (0) 151 / 234 567 89", "[phone]"),
        ("Handy 0151-234 567 89 zurückrufen", "Handy [phone] zurückrufen"),
        ("+49 151 23456789", "[phone]"),
        ("(0151) 23456789", "[phone]"),
        ("call (555) 123-4567", "call [phone]"),
        ("+1 555 123 4567", "[phone]"),
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
        "Kundennummer vergessen, wo finde ich sie?",
        "Vertragsnummer finden",
        "look at the router",
        "(2024) 100 Mbit/s",
        "Speedport W724V Typ B",
        "RTX4090 und i9-13900K",
        "@Telekom_hilft bitte helfen",
        "5 @ 10 Euro",
    ],
)
def test_ordinary_questions_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_several_kinds_in_one_text() -> None:
    text = "Ich (anna@example.de, 0151 23456789) zahle von DE89370400440532013000"
    assert redact(text) == "Ich ([email], [phone]) zahle von [iban]"


@pytest.mark.parametrize(
    ("padding", "personal"),
    [
        (190, "hans.meier@example.de"),
        (195, "DE89 3704 0044 0532 0130 00"),
        (193, "+49 151 23456789"),
    ],
)
def test_an_excerpt_is_redacted_before_it_is_cut(padding: int, personal: str) -> None:
    text = "x" * padding + " " + personal
    excerpt = redacted_excerpt(text, 200)
    assert len(excerpt) <= 200
    # Cut first, the head of the datum ("hans.meier@", "DE89 3704", "+49 151") is kept.
    assert personal[:4] not in excerpt, excerpt


def test_an_excerpt_does_not_end_in_half_a_placeholder() -> None:
    assert redacted_excerpt("Mail an anna@example.de", 12) == "Mail an "
    assert redacted_excerpt("Mail an anna@example.de", 15) == "Mail an [email]"
    assert redacted_excerpt("kurz", 200) == "kurz"


def test_every_secret_of_the_pii_audit_corpus_is_redacted() -> None:
    """The fast half of scripts/pii-audit: each of its secrets, in every form it is looked
    for, is gone from its question once redacted."""
    from tests.services import load_script

    secrets = load_script("pii_corpus.py", "askfind_pii_corpus").corpus()
    assert len(secrets) >= 50
    for secret in secrets:
        redacted = redact(secret.question).lower()
        assert not [n for n in secret.needles if n in redacted], (secret.question, redacted)


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("Umzug nach Lindenweg 17, 10115 Berlin", "Umzug nach [address], 10115 Berlin"),
        ("Berliner Straße 5a Glasfaser", "[address] Glasfaser"),
        ("moved to 221B Baker Street, London", "moved to [address], London"),
        ("Speedport Smart 4 Typ A", "Speedport Smart 4 Typ A"),
        ("Am Montag 3 Stunden kein Netz", "Am Montag 3 Stunden kein Netz"),
        ("Fritzbox 7590 AX Update", "Fritzbox 7590 AX Update"),
    ],
)
def test_street_addresses_are_redacted_and_product_names_kept(typed: str, kept: str) -> None:
    assert redact(typed) == kept
