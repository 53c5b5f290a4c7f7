"""The agents' page in German and English: every string of the page and of ``agent.js``,
and which language a request gets.

The language comes from ``?ui=de|en`` (the page's switch; ``lang`` is already the
results' language filter), which is remembered in a cookie, else from the cookie, else
from Accept-Language, else German (askfind is German first). The script's strings go to
the page as JSON in a data attribute: the page's Content-Security-Policy allows no inline
script. Placeholders in braces (``{n}``) are filled in by ``agent.js``, numbers formatted
for the language there with ``Intl.NumberFormat``.

``problems`` says the service's errors in the page's language: the agents' endpoints name
each with a stable ``code`` (``widget.agent``); without one (``/api/search``), 401, 429 and
503 are known by their status alone. Anything else shows the service's English ``error``.
What an agent could get wrong in a search (a text over ``message_max_chars``, a date
range that ends before it starts, a page past the end) ``agent.js`` checks before it asks,
and says in the page's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Request, Response

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
SWITCH_PARAM = "ui"
COOKIE = "askfind_agent_ui"
COOKIE_MAX_AGE_S = 365 * 24 * 3600

PAGE: dict[str, dict[str, str]] = {
    "de": {
        "title": "askfind – Suche für den Support",
        "heading": "Suche für den Support",
        "signed_in": "Angemeldet als",
        "switch_label": "Sprache",
        "question": "Frage",
        "placeholder": "z. B. WLAN bricht abends ab",
        "search": "Suchen",
        "filters": "Filter",
        "board": "Board",
        "all_boards": "Alle Boards",
        "language": "Sprache",
        "any_language": "Alle",
        "from": "Erstellt ab",
        "to": "bis",
        "solved_only": "Nur gelöste",
        "pages": "Ergebnisseiten",
        "previous": "Zurück",
        "next": "Weiter",
        "solution": "Akzeptierte Lösung",
        "articles": "Hilfe-Artikel",
        "loading": "Wird geladen …",
        "copy_link": "Link kopieren",
        "copy_answer": "Antwort kopieren",
        "mark": "Als Duplikat markieren …",
        "duplicate_of": "Duplikat von (Titel suchen)",
        "duplicate_hint": "Tippen, dann mit den Pfeiltasten einen Thread wählen",
        "save": "Speichern",
        "cancel": "Abbrechen",
        "searched": "Aus der Nachricht gesucht:",
    },
    "en": {
        "title": "askfind – agents' search",
        "heading": "agents' search",
        "signed_in": "Signed in as",
        "switch_label": "Language",
        "question": "Question",
        "placeholder": "e.g. Wi-Fi drops every evening",
        "search": "Search",
        "filters": "Filters",
        "board": "Board",
        "all_boards": "All boards",
        "language": "Language",
        "any_language": "Any",
        "from": "Created from",
        "to": "to",
        "solved_only": "Solved only",
        "pages": "Result pages",
        "previous": "Previous",
        "next": "Next",
        "solution": "Accepted solution",
        "articles": "Help articles",
        "loading": "Loading…",
        "copy_link": "Copy link",
        "copy_answer": "Copy answer",
        "mark": "Mark as duplicate of …",
        "duplicate_of": "Duplicate of (search by title)",
        "duplicate_hint": "Type, then choose a thread with the arrow keys",
        "save": "Save",
        "cancel": "Cancel",
        "searched": "Searched from the message:",
    },
}

SCRIPT: dict[str, dict[str, Any]] = {
    "de": {
        "searching": "Suche läuft …",
        "solved": "Gelöst",
        "outdated": "Möglicherweise veraltet",
        "unreachable": "Der Suchdienst ist nicht erreichbar.",
        "failed": "Die Suche ist fehlgeschlagen.",
        "answered": "Der Dienst antwortete mit Status {status}.",
        "none": "Kein Thread passt.",
        "results": "Ergebnisse {first}–{last} von {total}",
        "page": "Seite {page} von {pages}",
        "kudos": {"one": "{n} Kudo", "other": "{n} Kudos"},
        "replies": {"one": "{n} Antwort", "other": "{n} Antworten"},
        "views": {"one": "{n} Aufruf", "other": "{n} Aufrufe"},
        "asked": "{n}× gefragt",
        "id": "ID {id}",
        "active_filters": {"one": "{n} aktiv", "other": "{n} aktiv"},
        "link_copied": "Link kopiert.",
        "answer_copied": "Antwort kopiert.",
        "copy_refused": "Kopieren ist hier nicht erlaubt.",
        "answer_failed": "Die Antwort konnte nicht geladen werden.",
        "no_solution": "Keine akzeptierte Lösung.",
        "solution_failed": "Die Lösung konnte nicht geladen werden.",
        "unsent": "Die Markierung konnte nicht gesendet werden.",
        "unsaved": "Die Markierung wurde nicht gespeichert.",
        "withdrawn": "Duplikat-Markierung zurückgenommen.",
        "marked": "Als Duplikat von „{title}“ ({id}) markiert.",
        "undo": "Rückgängig",
        "matches": {
            "one": "1 Thread gefunden, Pfeiltasten zum Auswählen",
            "other": "{n} Threads gefunden, Pfeiltasten zum Auswählen",
        },
        "no_match": "Kein Thread gefunden.",
        "choose": "Bitte einen Thread aus der Liste wählen.",
        "not_chosen": "Kein Thread hat den Titel oder die ID „{id}“: "
        "bitte einen Thread aus der Liste wählen.",
        "question_hint": "Eine Frage oder eine ganze Kundennachricht (bis {max} Zeichen); "
        "Umschalt+Eingabe für eine neue Zeile.",
        "as_message": "{n} von {max} Zeichen: wird als Nachricht gesucht, "
        "ihre Frage und Stichwörter, ohne Gruß und Signatur.",
        "too_long": "Der Text ist zu lang: {n} Zeichen, höchstens {max}. Bitte kürzen.",
        "reversed_dates": "Der Zeitraum endet, bevor er beginnt: „bis“ liegt vor „Erstellt ab“.",
        "bad_date": "Bitte gültige Daten angeben (mit vierstelliger Jahreszahl).",
        "problems": {
            "thread_not_found": "Es gibt keinen Thread mit der ID „{id}“.",
            "duplicate_of_itself": "Ein Thread kann kein Duplikat von sich selbst sein.",
            "invalid_judgement": "Diese Markierung ist ungültig.",
            "sign_in_required": "Die Anmeldung gilt nicht mehr: "
            "bitte die Seite neu laden und anmelden.",
            "too_many_sign_ins": "Zu viele fehlgeschlagene Anmeldungen: "
            "bitte in {seconds} s erneut versuchen.",
            "rate_limited": "Zu viele Anfragen: bitte in {seconds} s erneut versuchen.",
            "unavailable": "Der Suchdienst ist gerade nicht verfügbar.",
        },
    },
    "en": {
        "searching": "Searching…",
        "solved": "Solved",
        "outdated": "May be outdated",
        "unreachable": "The search service cannot be reached.",
        "failed": "The search failed.",
        "answered": "The service answered with status {status}.",
        "none": "No thread matches.",
        "results": "Results {first}–{last} of {total}",
        "page": "Page {page} of {pages}",
        "kudos": {"one": "{n} kudo", "other": "{n} kudos"},
        "replies": {"one": "{n} reply", "other": "{n} replies"},
        "views": {"one": "{n} view", "other": "{n} views"},
        "asked": "asked {n} times",
        "id": "ID {id}",
        "active_filters": {"one": "{n} active", "other": "{n} active"},
        "link_copied": "Link copied.",
        "answer_copied": "Answer copied.",
        "copy_refused": "Copying is not allowed here.",
        "answer_failed": "The answer could not be loaded.",
        "no_solution": "No accepted solution.",
        "solution_failed": "The solution could not be loaded.",
        "unsent": "The judgement could not be sent.",
        "unsaved": "The judgement was not saved.",
        "withdrawn": "Duplicate mark withdrawn.",
        "marked": "Marked as duplicate of “{title}” ({id}).",
        "undo": "Undo",
        "matches": {
            "one": "1 thread found, use arrow keys to choose",
            "other": "{n} threads found, use arrow keys to choose",
        },
        "no_match": "No thread found.",
        "choose": "Please choose a thread from the list.",
        "not_chosen": "No thread has the title or id “{id}”: please choose a thread from the list.",
        "question_hint": "A question or a whole customer message (up to {max} characters); "
        "Shift+Enter for a new line.",
        "as_message": "{n} of {max} characters: searched as a message, "
        "its question and key terms, not its greeting or signature.",
        "too_long": "The text is too long: {n} characters, at most {max}. Please shorten it.",
        "reversed_dates": "The date range ends before it starts: “to” is before “Created from”.",
        "bad_date": "Please enter valid dates (with a four-digit year).",
        "problems": {
            "thread_not_found": "There is no thread with id “{id}”.",
            "duplicate_of_itself": "A thread cannot be a duplicate of itself.",
            "invalid_judgement": "This mark is not valid.",
            "sign_in_required": "The sign-in is no longer valid: reload the page and sign in.",
            "too_many_sign_ins": "Too many failed sign-ins: try again in {seconds} s.",
            "rate_limited": "Too many requests: try again in {seconds} s.",
            "unavailable": "The search service is unavailable at the moment.",
        },
    },
}

# The names of the index's languages in the page's language (a code not listed shows as is).
LANGUAGE_NAMES = {
    "de": {"de": "Deutsch", "en": "Englisch"},
    "en": {"de": "German", "en": "English"},
}
# The switch shows the other language in its own words.
SWITCH_TO = {"de": ("en", "English"), "en": ("de", "Deutsch")}


def switched_language(request: Request) -> str | None:
    """The language the page's switch asked for, if it asked for a known one."""
    wanted = request.args.get(SWITCH_PARAM, "").strip().lower()
    return wanted if wanted in LANGUAGES else None


def page_language(request: Request) -> str:
    """The switch, else the remembered choice, else the browser's preference, else German."""
    remembered = request.cookies.get(COOKIE, "")
    return (
        switched_language(request)
        or (remembered if remembered in LANGUAGES else None)
        or request.accept_languages.best_match(LANGUAGES)
        or DEFAULT_LANGUAGE
    )


def language_choices(lang: str, codes: Sequence[str]) -> list[tuple[str, str]]:
    """(code, name in the page's language ``lang``) of the index's languages, for a filter."""
    names = LANGUAGE_NAMES[lang]
    return [(code, names.get(code, code)) for code in codes]


def remembering_language(response: Response, request: Request, lang: str, path: str) -> Response:
    """``response`` with the switched-to language remembered for the pages under ``path``
    (a cookie), and marked as depending on the headers that choose the language."""
    if switched_language(request):
        response.set_cookie(
            COOKIE, lang, max_age=COOKIE_MAX_AGE_S, path=path, httponly=True, samesite="Lax"
        )
    response.vary.update(("Accept-Language", "Cookie"))
    return response
