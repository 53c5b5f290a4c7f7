"""A pasted message's question, without its greeting, signature, quoted mail or numbers."""

from __future__ import annotations

import pytest

from indexer.analysis.message import FOCUS_MAX_WORDS, extract

GERMAN_MAIL = """Hallo zusammen,

seit gestern bricht mein WLAN abends immer ab. Ich habe eine FritzBox 7590.
Meine Kundennummer ist 123456789, Vertragsnummer: VN 2024/77812.
Was kann ich tun? Muss ich den Router tauschen?

Mit freundlichen Grüßen
Max Mustermann
Musterstraße 1, 12345 Berlin
Tel. 0171 1234567

Von meinem iPhone gesendet"""

ENGLISH_POST = """Hi everyone!
I moved my eSIM to a new phone and now it says No Service.
My account number is 55512345 and my email is max@example.com.
How do I get the eSIM working again?
Thanks in advance
John
Sent from my iPhone"""

# A complaint about something else first, the problem last, asked about in words of no
# content of their own (POST /api/search found the wrong threads: the first sentence and
# "Was kann ich tun?" were searched).
COMPLAINT = (
    "ich schreibe Ihnen, weil ich mit Ihrem Kundenservice in den letzten Wochen wirklich "
    "unzufrieden bin. Im März wurde mir die Grundgebühr doppelt abgebucht, und erst nach "
    "drei Anrufen bei der Hotline kam das Geld zurück. Jedes Mal hing ich über eine halbe "
    "Stunde in der Warteschleife, und der versprochene Rückruf kam nie. Ich bin seit zwölf "
    "Jahren Kundin und hätte mir wirklich mehr erwartet."
)
ESIM_PROBLEM = (
    "Meine eSIM lässt sich nicht auf mein neues iPhone 16 übertragen, es lädt ewig und am "
    "Ende kommt eine Fehlermeldung, sodass ich seit zwei Tagen keinen Anschluss habe."
)
LONG_GERMAN_MAIL = (
    "Sehr geehrte Damen und Herren,\n\n{complaint}\n\n{problem} {question}\n\n"
    "Vielen Dank im Voraus!\n\nMit freundlichen Grüßen\nErika Musterfrau\n"
)
ENGLISH_PROBLEM = "My eSIM won't transfer to my new iPhone 16, it loads forever and then fails."
LONG_ENGLISH_MAIL = (
    "Hello,\n\nI am writing because I am really unhappy with your customer service. Last "
    "month I was charged twice, and it took three calls to the hotline to get the money "
    "back. Every time I waited more than half an hour.\n\n{problem} {question}\n\n"
    "Kind regards\nJane Doe\n"
)


def test_a_german_mail_is_searched_by_its_subject_and_questions() -> None:
    asked = extract(GERMAN_MAIL)
    assert asked.focus.startswith("seit gestern bricht mein WLAN abends immer ab.")
    assert "Was kann ich tun?" in asked.focus and "Muss ich den Router tauschen?" in asked.focus
    assert "FritzBox" in asked.focus  # a key term of the rest
    for noise in ("Hallo", "zusammen", "Grüßen", "Mustermann", "123456789", "77812",
                  "Kundennummer", "0171", "iPhone", "gesendet", "Musterstraße"):  # fmt: skip
        assert noise not in asked.focus, noise
        assert noise not in asked.context, noise
    # The context is the whole cleaned message, the focus first (what the model reads).
    assert asked.context.startswith("seit gestern bricht mein WLAN")
    assert "Ich habe eine FritzBox 7590." in asked.context


def test_an_english_post_loses_its_greeting_numbers_and_signature() -> None:
    asked = extract(ENGLISH_POST)
    assert asked.focus.startswith("I moved my eSIM to a new phone")
    assert "How do I get the eSIM working again?" in asked.focus
    for noise in ("Hi everyone", "55512345", "max@example.com", "Thanks", "John", "Sent from"):
        assert noise not in asked.context, noise


def test_a_subject_line_leads_and_quoted_mail_is_left_out() -> None:
    asked = extract(
        "Betreff: Rechnung doppelt abgebucht\nGuten Tag,\nder Betrag wurde zweimal abgebucht.\n"
        "Wann bekomme ich das Geld zurück?\n\nAm 03.05.2024 schrieb Kundenservice:\n"
        "> Vielen Dank für Ihre Nachricht\n> Ihr Team"
    )
    # A subject says what the message is about: the questions are embedded, not searched.
    assert asked.focus == "Rechnung doppelt abgebucht"
    assert asked.context.startswith("Rechnung doppelt abgebucht Wann bekomme ich das Geld zurück?")
    assert "Vielen Dank" not in asked.context and "Kundenservice" not in asked.context
    assert "Guten Tag" not in asked.context


def test_a_greeting_without_a_comma_leaves_the_sentence_after_it() -> None:
    asked = extract("Hallo ich habe seit dem Update kein Netz mehr auf dem Handy.")
    assert asked.focus == "ich habe seit dem Update kein Netz mehr auf dem Handy."


def test_a_title_on_its_own_line_is_the_subject() -> None:
    asked = extract("Good Bank\nWhich is a good bank as per your experience in Doha? I use QNB")
    assert asked.focus == "Good Bank QNB"  # the title and the key terms of the body
    assert (
        asked.context == "Good Bank Which is a good bank as per your experience in Doha? I use QNB"
    )


def test_a_first_line_that_is_a_sentence_is_no_title() -> None:
    asked = extract("Mein Router startet neu.\nWoran kann das liegen?")
    assert asked.focus == "Mein Router startet neu. Woran kann das liegen?"


def test_the_focus_is_bounded_and_a_question_after_many_sentences_is_kept() -> None:
    filler = " ".join(f"Satz Nummer {n} erzählt etwas über den Router." for n in range(40))
    asked = extract(f"Mein Router startet ständig neu. {filler} Woran kann das liegen?")
    assert asked.focus.startswith("Mein Router startet ständig neu. Woran kann das liegen?")
    assert len(asked.focus.split()) <= FOCUS_MAX_WORDS + 8  # plus the key terms


def test_a_message_of_only_noise_is_searched_as_written() -> None:
    asked = extract("Hallo,\nMfG")
    assert asked.focus == asked.context == "Hallo, MfG"


@pytest.mark.parametrize(
    ("message", "searched"),
    [
        (
            "Hallo zusammen, mein WLAN bricht ständig ab. Was kann ich tun? "
            "Mit freundlichen Grüßen, Max",
            "mein WLAN bricht ständig ab. Was kann ich tun?",
        ),
        (
            "Mein Router startet ständig neu. Woran liegt das? Viele Grüße Max Mustermann, "
            "Musterstraße 1, 12345 Berlin",
            "Mein Router startet ständig neu. Woran liegt das?",
        ),
        ("Mein Router startet ständig neu. Woran liegt das? LG Anna-Lena", None),
        ("Mein Router startet ständig neu. Woran liegt das? Danke im Voraus! Viele Grüße", None),
        ("My router keeps rebooting. What can I do? Thanks in advance! John", None),
        ("My router keeps rebooting. What can I do? Best regards, John Smith", None),
    ],
)
def test_a_closing_inside_a_line_ends_what_is_searched(message: str, searched: str | None) -> None:
    asked = extract(message)
    expected = searched or message[: message.index("?") + 1]
    assert asked.focus == asked.context == expected


@pytest.mark.parametrize(
    "message",
    [
        "Mein Router startet neu. Danke für den Tipp, aber das WLAN geht immer noch nicht.",
        "Mein Router startet neu.\nDanke für den Tipp, aber das WLAN geht immer noch nicht.\n"
        "Ich habe alles probiert.",
        "Mein Fernseher zeigt kein Bild. LG TV verbindet sich nicht mit dem WLAN.",
        "Mein Fernseher zeigt kein Bild. LG OLED zeigt nur Streifen.",
        "The router keeps rebooting. Thanks for the tip, but it still drops at night.",
        "The router keeps rebooting. Best place to put it is the hallway.",
    ],
)
def test_content_that_begins_like_a_closing_is_kept(message: str) -> None:
    asked = extract(message)
    assert asked.context == " ".join(message.split())


@pytest.mark.parametrize(
    ("mail", "problem", "question"),
    [
        (LONG_GERMAN_MAIL, ESIM_PROBLEM, "Was kann ich tun?"),
        (LONG_GERMAN_MAIL, ESIM_PROBLEM, "Können Sie mir helfen?"),
        (LONG_GERMAN_MAIL, ESIM_PROBLEM, "Hat jemand eine Idee, woran das liegt?"),
        (LONG_ENGLISH_MAIL, ENGLISH_PROBLEM, "What can I do?"),
        (LONG_ENGLISH_MAIL, ENGLISH_PROBLEM, "Any ideas?"),
        (LONG_ENGLISH_MAIL, ENGLISH_PROBLEM, "Has anyone had the same problem?"),
    ],
)
def test_a_question_without_words_of_its_own_is_searched_with_the_problem_before_it(
    mail: str, problem: str, question: str
) -> None:
    message = mail.format(complaint=COMPLAINT, problem=problem, question=question)
    asked = extract(message)
    # The problem and its question lead, the first paragraph (the occasion) follows.
    assert asked.focus.startswith(f"{problem} {question}")
    assert asked.context.startswith(f"{problem} {question}")
    assert "Jahren Kundin" in asked.context or "half an hour" in asked.context
    for noise in ("Sehr geehrte", "Hello", "Vielen Dank", "Musterfrau", "regards", "Jane"):
        assert noise not in asked.context, noise


def test_the_problem_a_question_asks_about_is_in_the_paragraph_before_if_it_stands_alone() -> None:
    asked = extract(
        f"Guten Tag,\n\n{COMPLAINT}\n\n{ESIM_PROBLEM}\n\nWas kann ich tun?\n\nMfG\nErika"
    )
    assert asked.focus.startswith(f"{ESIM_PROBLEM} Was kann ich tun? ich schreibe Ihnen")


def test_a_question_with_words_of_its_own_is_searched_as_before() -> None:
    question = "Muss ich die eSIM neu bestellen?"
    message = LONG_GERMAN_MAIL.format(complaint=COMPLAINT, problem=ESIM_PROBLEM, question=question)
    asked = extract(message)
    assert asked.focus.startswith(f"{COMPLAINT.split('. ')[0]}. {question}")


def test_a_problem_in_the_first_paragraph_follows_its_first_sentence_and_questions() -> None:
    asked = extract("Mein Router startet ständig neu. Ich habe eine FritzBox 7590.\nWas tun?")
    assert asked.focus == "Mein Router startet ständig neu. Was tun? Ich habe eine FritzBox 7590."


def test_below_a_subject_a_question_without_words_of_its_own_changes_nothing() -> None:
    asked = extract(f"Betreff: eSIM-Übertragung\n\n{COMPLAINT}\n\n{ESIM_PROBLEM} Was nun?")
    assert asked.focus.startswith("eSIM-Übertragung ")
    assert asked.context.startswith("eSIM-Übertragung Was nun? ich schreibe Ihnen")
