"""The replay's ground truth: what people ask, and which of it the demo community answers.

Gap topics are questions the demo community (indexer/data/sample_community.jsonl) has no
thread for; some come near one (fibre roll-out delays, number porting within Germany),
which is how a poor match looks. Answered topics paraphrase threads it has, with
accepted solutions. Each topic is asked in several phrasings, German and English, as
different people would; one-off questions are asked by one person each and form no group.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Topic:
    name: str
    gap: bool
    lang: str
    phrasings: tuple[str, ...]


GAP_TOPICS = (
    Topic("glasfaser-strasse", True, "de", (
        "Glasfaser Ausbau in meiner Straße",
        "Wann kommt Glasfaser in unsere Straße",
        "Ist bei mir in der Straße Glasfaserausbau geplant",
    )),
    Topic("rufnummer-ausland", True, "de", (
        "Rufnummer ins Ausland portieren",
        "Handynummer zu einem ausländischen Anbieter mitnehmen",
        "Can I port my number to a provider abroad",
    )),
    Topic("handyversicherung", True, "de", (
        "Handyversicherung Displaybruch melden",
        "Display kaputt zahlt die Handyversicherung",
        "Schaden bei der Handyversicherung melden",
    )),
    Topic("shop-hamburg", True, "de", (
        "Öffnungszeiten Telvia Shop Hamburg",
        "Wann hat der Telvia Laden in Hamburg offen",
        "Telvia shop opening hours Hamburg",
    )),
    Topic("alarmanlage", True, "de", (
        "Alarmanlage mit Smart Home verbinden",
        "Smart Home Alarmanlage einrichten",
        "How to connect my alarm system to the smart home app",
    )),
    Topic("seniorenhandy", True, "de", (
        "Seniorenhandy mit großen Tasten und Notrufknopf",
        "Handy für meine Oma mit großen Tasten",
        "Telefon mit Notruftaste für Senioren",
    )),
)  # fmt: skip

ANSWERED_TOPICS = (
    Topic("wlan-passwort", False, "de", (
        "WLAN Passwort ändern",
        "Wie ändere ich das WLAN Passwort an der Box",
        "change WiFi password",
    )),
    Topic("esim-iphone", False, "de", (
        "eSIM auf neues iPhone übertragen",
        "eSIM aufs neue iPhone mitnehmen",
        "transfer eSIM to new iPhone",
    )),
    Topic("roaming-schweiz", False, "de", (
        "Roaming Kosten Schweiz",
        "Was kostet Roaming in der Schweiz",
        "roaming charges Switzerland",
    )),
    Topic("outlook-mail", False, "de", (
        "Telvia Mail in Outlook einrichten",
        "Outlook Servereinstellungen für Telvia Mail",
        "set up Telvia mail in Outlook",
    )),
    Topic("drittanbieter", False, "de", (
        "Drittanbietersperre einrichten",
        "Drittanbieter Abbuchungen sperren",
        "block third party charges on my bill",
    )),
    Topic("jugendschutz-pin", False, "de", (
        "Jugendschutz PIN vergessen",
        "TelviaTV Jugendschutz PIN zurücksetzen",
        "forgot parental control PIN",
    )),
)  # fmt: skip

# Asked once each: no group of meaning, whatever was shown.
ONE_OFF_QUESTIONS = (
    "Darf ich meinen Hund mit in den Shop bringen",
    "Kann ich die Box an die Wand schrauben",
    "Warum ist das Logo von Telvia magenta",
    "Gibt es Telvia Aktien zu kaufen",
    "Wie heißt der Chef von Telvia",
    "Is there a student job at Telvia",
    "Kabelfarbe für den Splitter im Keller",
    "Can I use my router as a night light",
)

TOPICS = GAP_TOPICS + ANSWERED_TOPICS
