"""Redaction of personal data from free text before it is stored or logged (DESIGN.md #7).

Customers type questions, and some of them type their e-mail address, phone number,
IBAN or customer number into the box. None of that may reach the event store, the
logs or a report. :func:`redact` replaces each such span with a placeholder that keeps
the query readable for content-gap reports ("Rechnung für [number] falsch").

The patterns err on the side of redacting: a long number that is a serial number and
not a customer number is lost to the reports, which costs little; a phone number that
is kept is a privacy incident.
"""

from __future__ import annotations

import re

EMAIL = "[email]"
IBAN = "[iban]"
PHONE = "[phone]"
NUMBER = "[number]"

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)

# Country code, check digits, then the account number in groups (as printed: groups of
# four separated by spaces) or written solid. Candidates are confirmed by _looks_like_iban.
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,3})?\b", re.I)

# A keyword that announces an identifier, then the identifier: it must hold a digit, may
# hold letters and separators ("K-123456", "VN 2024/77812").
_ACCOUNT_WORDS = (
    r"kunden-?(?:nummer|nr\.?)|kd\.?-?nr\.?|vertrags-?(?:nummer|nr\.?)|vertragskonto|"
    r"rechnungs-?(?:nummer|nr\.?)|auftrags-?(?:nummer|nr\.?)|"
    r"customer\s+(?:number|no\.?|id)|contract\s+(?:number|no\.?|id)|account\s+(?:number|no\.?)|"
    r"invoice\s+(?:number|no\.?)|order\s+(?:number|no\.?)"
)
_ACCOUNT = re.compile(
    rf"\b({_ACCOUNT_WORDS})(\s*[:#]?\s*)((?-i:[A-Z]{{0,4}})[-/ ]?\d[\dA-Z/-]*(?: \d[\dA-Z/-]*)*)",
    re.I,
)

# International (+49 / 0049) or national (leading 0) numbers, with the usual separators.
_PHONE = re.compile(r"(?<![\w+])(?:\+|\(?0)[\d ()/.-]{5,20}\d(?![\w])")
PHONE_MIN_DIGITS = 7

# Dates are not personal and matter to reports ("Rechnung vom 03.05.2024").
_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.(?:\d{4}|\d{2})|\d{4}-\d{2}-\d{2}")

# Any other run of six or more digits (separators allowed): customer, contract, order
# and card numbers look like this; years, prices, models and error codes do not.
_LONG_NUMBER = re.compile(r"(?<![\w])\d(?:[ ./-]?\d){5,}(?![\w])")


def redact(text: str) -> str:
    """Return ``text`` with e-mail addresses, IBANs, phone, customer and contract numbers
    replaced by ``[email]``, ``[iban]``, ``[phone]`` and ``[number]``."""
    text = _EMAIL.sub(EMAIL, text)
    text = _IBAN.sub(lambda m: IBAN if _looks_like_iban(m.group()) else m.group(), text)
    text = _ACCOUNT.sub(lambda m: f"{m.group(1)}{m.group(2)}{NUMBER}", text)
    text = _PHONE.sub(_phone, text)
    return _LONG_NUMBER.sub(lambda m: m.group() if _DATE.fullmatch(m.group()) else NUMBER, text)


def _phone(match: re.Match[str]) -> str:
    found = match.group()
    if _DATE.fullmatch(found) or sum(ch.isdigit() for ch in found) < PHONE_MIN_DIGITS:
        return found
    return PHONE


def _looks_like_iban(candidate: str) -> bool:
    """A valid ISO 13616 checksum, or mostly digits (a mistyped IBAN is still personal)."""
    compact = candidate.replace(" ", "").upper()
    if not 15 <= len(compact) <= 34:
        return False
    rearranged = compact[4:] + compact[:4]
    as_digits = "".join(str(int(ch, 36)) for ch in rearranged)
    if int(as_digits) % 97 == 1:
        return True
    return sum(ch.isdigit() for ch in compact[4:]) >= 10
