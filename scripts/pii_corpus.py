"""The personal data ``scripts/pii-audit`` sends: questions as customers type them, each
holding one invented secret (marked ``[[...]]``) in a German or English format.

Each secret is looked for afterwards as written and, where it holds seven or more
digits, as its digits alone (how an index or a cleaner might keep it); IBANs also without
their separators. Every secret is made up and distinctive, so that a hit is a leak and
never a coincidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MARKED = re.compile(r"\[\[(.+?)\]\]")
_SEPARATORS = re.compile(r"[\s./()-]")
MIN_DIGITS_ALONE = 7

QUESTIONS = (
    # --- e-mail addresses, plain and written out -----------------------------------------
    "Meine Mail ist [[lisa.test@example.de]] Router",
    "Bitte an [[hans.meier@beispiel-mail.de]] schreiben, Rechnung falsch",
    "Zugang gesperrt für [[k.schulze+router@posteo-test.de]]",
    "Passwort vergessen, Konto [[anna_maria.k@example.com]]",
    "I cannot log in as [[john.doe.1984@example.org]] anymore",
    "Contact me at [[s.o'neil@example.co.uk]] about my bill",
    "Kundenmail [[max.mustermann(at)example.de]] wird abgewiesen",
    "Meine Adresse: [[petra [at] beispiel [dot] de]] bitte zurückrufen",
    "Mail an [[jens.kraus at example.de]] kommt nicht an",
    "write to [[mary.smith (at) example (dot) com]] please",
    "E-Mail [[tom.berger {at} mailbox-test.de]] funktioniert nicht",
    "Router Login [[sabine.wolf @ example.net]] geht nicht",
    # --- phone numbers ---------------------------------------------------------------------
    "Rufen Sie mich an unter [[+49 (0) 151 / 234 567 89]]",
    "Meine Nummer ist [[0171 9876543]], Anschluss tot",
    "Festnetz [[030 58274196]] hat kein Freizeichen",
    "Handy [[+49 160 5556677]] bekommt keine SMS",
    "Bitte Rückruf an [[0049 89 7654321]]",
    "Tel. [[(0221) 4455667]] seit gestern gestört",
    "Mobil: [[0152-33445566]] kein Netz",
    "call me on [[+44 20 7946 0958]] about the outage",
    "my number is [[(555) 867-5309]] please call back",
    "Telefonnummer [[06221/998877]] ist umgezogen",
    "WhatsApp an [[+43 664 1234567]] geht nicht",
    "Nummer [[0176.24681357]] portieren",
    # --- IBANs -----------------------------------------------------------------------------
    "Abbuchung falsch, IBAN [[DE89 3704 0044 0532 0130 00]]",
    "Lastschrift von [[DE89-3704-0044-0532-0130-00]] zurückgebucht",
    "Konto [[DE02120300000000202051]] ändern",
    "IBAN [[AT61 1904 3002 3457 3201]] für die Rechnung",
    "Bitte auf [[CH93 0076 2011 6238 5295 7]] überweisen",
    "my IBAN is [[GB29 NWBK 6016 1331 9268 19]] for the refund",
    "Neue Bankverbindung [[de44 5001 0517 5407 3249 31]]",
    # --- customer, contract and other numbers after a label ------------------------------
    "Meine Kundennummer lautet [[K123456]]",
    "Kundennr. ist [[KD7305914]] und der Router blinkt",
    "Vertragsnummer lautet [[V987654321]], Tarif wechseln",
    "Rechnungsnummer: [[RE-2024-778812]] doppelt abgebucht",
    "Auftragsnummer [[A-55512347]] Techniker kam nicht",
    "Kd.-Nr. [[4711-0815-42]] Umzug melden",
    "Vertragskonto [[8800123456]] kündigen",
    "Sendungsnummer [[JJD000390007771234]] Paket fehlt",
    "customer number [[CN-99887766]] billing error",
    "my account no. is [[ACC 44556677]] please check",
    "contract ID: [[CTR-31415926]] cancellation",
    "order #[[ORD77665544]] never arrived",
    "invoice number is [[INV 2024/558833]] wrong amount",
    "Mitgliedsnummer [[M 20240917-3]] im Forum",
    "Ticketnummer lautet [[T-8675309-DE]]",
    # --- numbers without a label -------------------------------------------------------
    "Kreditkarte [[4111 1111 1111 1111]] wurde belastet",
    "Steuer-ID [[57 819 302 466]] auf der Rechnung",
    "Referenz [[KX99887766]] im Schreiben",
    # --- postal addresses ------------------------------------------------------------------
    "Umzug nach [[Lindenweg 17]], 10115 Berlin, Anschluss mitnehmen",
    "Techniker soll zur [[Hauptstraße 123a]] in 80331 München kommen",
    "Neue Adresse [[Am Sonnenhang 4]], 69117 Heidelberg",
    "Lieferung an [[Goethestr. 8]] ging verloren",
    "Wohnung in der [[Kastanienallee 56b]], Glasfaser verfügbar?",
    "I moved to [[221B Baker Street]], London, transfer my line",
    "ship the router to [[742 Evergreen Terrace]] please",
)


@dataclass(frozen=True)
class Secret:
    """One question and what must not be found anywhere after it was sent."""

    question: str
    secret: str

    @property
    def needles(self) -> tuple[str, ...]:
        """The secret as written, and in the forms a store might keep it (lower case)."""
        forms = [self.secret.casefold()]
        digits = "".join(ch for ch in self.secret if ch.isdigit())
        if len(digits) >= MIN_DIGITS_ALONE:
            forms.append(digits)
        compact = _SEPARATORS.sub("", self.secret).casefold()
        if compact != forms[0] and any(ch.isdigit() for ch in compact) and len(compact) >= 8:
            forms.append(compact)
        return tuple(dict.fromkeys(forms))


def corpus() -> list[Secret]:
    """Every question of the corpus, with its secret."""
    secrets = []
    for marked in QUESTIONS:
        found = _MARKED.search(marked)
        if found is None:
            raise ValueError(f"no [[secret]] in {marked!r}")
        secrets.append(Secret(_MARKED.sub(r"\1", marked), found.group(1)))
    return secrets
