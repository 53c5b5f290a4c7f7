"""Redaction of personal data from free text before it is stored or logged (DESIGN.md #7).

Customers type questions, and some of them type their e-mail address, phone number,
IBAN, customer number or street address into the box, in every form people write them: "max(at)
example.de", "DE89-3704-0044-...", "+49 (0) 151 / 234 567 89", "Kundennummer lautet
K123456". None of that may reach the event store, the logs or a report. :func:`redact`
replaces each such span with a placeholder that keeps the query readable for content-gap
reports ("Rechnung für [number] falsch"); :func:`redacted_excerpt` is what a bounded
record (a log line, a judgement) keeps: redacted first, then cut.

The patterns err on the side of redacting: a long number that is a serial number and
not a customer number is lost to the reports, and "look at example.com" reads as an
address, which costs little; a phone number that is kept is a privacy incident.

Every pattern runs in time linear in the text (each starts only where a word starts),
so redacting a whole query costs as little as redacting its first 200 characters.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
IBAN = "[iban]"
PHONE = "[phone]"
NUMBER = "[number]"
ADDRESS = "[address]"
PLACEHOLDERS = (EMAIL, IBAN, PHONE, NUMBER, ADDRESS)

# The local part starts where a word starts: matching from inside a long word would
# rescan it from every position (quadratic in its length).
_LOCAL_PART = r"(?<![\w.+-])[\w.+-]+"
_EMAIL = re.compile(rf"{_LOCAL_PART}@[\w-]+(?:\.[\w-]+)+")
# An address still being typed ("kim@", "kim@exa", "kim@example."): the widget reports a
# search whenever typing pauses, so the head of an address reaches the event store too.
_PARTIAL_EMAIL = re.compile(rf"{_LOCAL_PART}@[\w-]*(?:\.[\w-]*)*")
# Written out so that a robot cannot read it: "max(at)example.de", "max [at] example [dot]
# de", "max at example.de", "max @ example.de". A domain must then end in a top-level
# domain of letters, so "Treffen at 10.30" stays.


def _bracketed(word: str) -> str:
    return rf"\s*[(\[{{<]\s*{word}\s*[)\]}}>]\s*"


_AT = "|".join((_bracketed("(?:at|ät|@)"), r"\s+(?:at|ät)\s+", r"\s*@\s*"))
_DOT = "|".join((_bracketed("(?:dot|punkt)"), r"\s+(?:dot|punkt)\s+", r"\."))
_OBFUSCATED_EMAIL = re.compile(
    rf"{_LOCAL_PART}(?:{_AT})[\w-]+(?:(?:{_DOT})[\w-]+)*(?:{_DOT})[a-z]{{2,24}}\b", re.I
)

# Country code, check digits, then the account number in groups (as printed: groups of
# four separated by spaces or dashes) or written solid. Candidates are confirmed by
# _looks_like_iban.
_IBAN = re.compile(r"\b[A-Z]{2}[ ]?\d{2}(?:[ -]?[A-Z0-9]{4}){2,7}(?:[ -]?[A-Z0-9]{1,3})?\b", re.I)
_IBAN_SEPARATORS = str.maketrans("", "", " -")

# A label that announces an identifier, then what people write between the two ("lautet",
# "ist", ":"), then the identifier: it must hold a digit, may hold letters and separators
# ("K-123456", "VN 2024/77812", "kd1234567").
_NUMBER_NOUNS = r"-?\s?(?:nummer|nr\b\.?|kennung|konto(?:nummer)?|id\b)"
_GERMAN_LABELS = (
    rf"(?:kunden|vertrags|rechnungs|auftrags|bestell|buchungs|referenz|ticket|sendungs|"
    rf"mitglieds|versicherungs|zähler|vorgangs){_NUMBER_NOUNS}|kd\.?\s?-?\s?nr\.?|vertragskonto"
)
_ENGLISH_LABELS = (
    r"(?:customer|client|contract|account|acct|invoice|order|reference|ticket|tracking|"
    r"member(?:ship)?|policy|booking|case)\s*(?:number\b|no\b\.?|nr\b\.?|id\b|#)"
)
_CONNECTOR = r"\s*[:#=]?\s*(?:(?:lautet|lauten|ist|war|is|was|are)\s*:?\s*)?"
_ACCOUNT = re.compile(
    rf"\b({_GERMAN_LABELS}|{_ENGLISH_LABELS})({_CONNECTOR})"
    r"([A-Za-z]{0,4}[-/ ]?\d[\dA-Za-z/-]*(?: \d[\dA-Za-z/-]*)*)",
    re.I,
)

# Up to four letters and six or more digits, with no label: "K123456", "KD1234567",
# "V987654321" are customer and contract numbers; models ("RTX4090") have fewer digits.
_PREFIXED_NUMBER = re.compile(r"(?<![\w])[A-Za-z]{1,4}[-/]?\d{6,}(?![\w])")

# International (+49 / 0049) or national (leading 0) numbers, with the usual separators
# ("+49 (0) 151 / 234 567 89"), or an area code in brackets ("(555) 123-4567").
_PHONE = re.compile(
    r"(?<![\w+])(?:(?:\+|\(?0)[\d ()/.-]{5,30}\d|\(\d{2,5}\)\s?\d{3}[ .-]?\d{3,})(?![\w])"
)
PHONE_MIN_DIGITS = 7

# A street and its house number: "Lindenweg 17", "Goethestr. 8", "Berliner Straße 5a",
# "Am Sonnenhang 4", "221B Baker Street". The postcode and town alone name no one and stay.
_HOUSE_NUMBER = r"\d{1,4}(?:\s?[a-zA-Z])?\b"
_STREET_ENDINGS = (
    r"(?:straße|strasse|str\.|weg|gasse|allee|platz|ring|damm|ufer|chaussee|pfad|steig|hang)"
)
# A street starts where a word starts (not after a hyphen inside it: that would rescan
# a long hyphenated word from each of its parts).
_GERMAN_STREET = re.compile(
    rf"(?<![\w-])[A-ZÄÖÜ][\wäöüß-]*?{_STREET_ENDINGS}\s?{_HOUSE_NUMBER}"
    rf"|(?<![\w-])[A-ZÄÖÜ][\wäöüß-]+\s(?:Straße|Strasse|Str\.|Weg|Gasse|Allee|Platz|Ring|"
    rf"Damm)\s?{_HOUSE_NUMBER}"
)
_ENGLISH_STREET = re.compile(
    r"\b\d{1,5}[A-Za-z]?\s(?:[A-Z][a-z]+\s){1,3}(?:Street|St\.?|Road|Rd\.?|Avenue|Ave\.?|"
    r"Lane|Ln\.?|Drive|Dr\.?|Terrace|Way|Boulevard|Blvd\.?|Court|Ct\.?|Place|Close|Crescent|"
    r"Square|Parkway)(?!\w)"
)

# Dates are not personal and matter to reports ("Rechnung vom 03.05.2024").
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}")

# Any other run of six or more digits (separators allowed): customer, contract, order
# and card numbers look like this; years, prices, models and error codes do not.
_LONG_NUMBER = re.compile(r"(?<![\w])\d(?:[ ./-]?\d){5,}(?![\w])")


def redact(text: str) -> str:
    """Return ``text`` with e-mail addresses, IBANs, phone, customer and contract numbers
    and street addresses replaced by ``[email]``, ``[iban]``, ``[phone]``, ``[number]``
    and ``[address]``."""
    text = _EMAIL.sub(EMAIL, text)
    text = _OBFUSCATED_EMAIL.sub(EMAIL, text)
    text = _PARTIAL_EMAIL.sub(EMAIL, text)
    text = _IBAN.sub(lambda m: IBAN if _looks_like_iban(m.group()) else m.group(), text)
    text = _GERMAN_STREET.sub(ADDRESS, text)
    text = _ENGLISH_STREET.sub(ADDRESS, text)
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)}{m.group(2)}{NUMBER}", text)
    text = _PHONE.sub(_phone, text)
    text = _PREFIXED_NUMBER.sub(NUMBER, text)
    return _LONG_NUMBER.sub(lambda m: m.group() if _DATE.fullmatch(m.group()) else NUMBER, text)


def redacted_or_none(text: str | None) -> str | None:
    """:func:`redact` for an optional field."""
    return None if text is None else redact(text)


def redacted_excerpt(text: str, max_chars: int) -> str:
    """Return the first ``max_chars`` characters of ``text`` redacted, for a bounded record.

    Redacted first, then cut: cut first, an address or number split by the cut leaves a
    head no pattern knows ("... hans.meier@", "... DE89 3704", "... +49 151") in clear. A
    placeholder the cut would split is left out whole.
    """
    redacted = redact(text)
    if len(redacted) <= max_chars:
        return redacted
    excerpt = redacted[:max_chars]
    opened = excerpt.rfind("[")
    if opened != -1 and redacted.startswith(PLACEHOLDERS, opened) and "]" not in excerpt[opened:]:
        return excerpt[:opened]
    return excerpt


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    if _DATE.fullmatch(found) or sum(ch.isdigit() for ch in found) < PHONE_MIN_DIGITS:
        return found
    return PHONE


def _looks_like_iban(candidate: str) -> bool:
    """A valid ISO 13616 checksum, or mostly digits (a mistyped IBAN is still personal)."""
    compact = candidate.translate(_IBAN_SEPARATORS).upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    as_digits = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(as_digits) % 97 == 1:
        return True
    return sum(ch.isdigit() for ch in compact[4:]) >= 10
