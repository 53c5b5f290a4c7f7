"""Find what a pasted customer message asks: its subject, its question sentences and its
key terms, without the greeting, the signature, quoted mail or the customer's numbers.

Support agents paste whole e-mails and social-media posts into the search. Searched as
they are, the words of "Hallo zusammen", "Mit freundlichen Grüßen", "Kundennummer
123456" and "Sent from my iPhone" weigh as much as the question, and a long body drowns
the few words that say what it is about (SemEval dev, title + body against title alone:
BM25 loses 9 points of MRR@10). :func:`extract` keeps

- ``focus``: the subject (a ``Betreff:``/``Subject:`` line, or a short first line that
  is no sentence: a post's title) and key terms (product and model names, acronyms) of
  the rest; without a subject, the first sentence, the question sentences and key terms.
  A question without a word of its own ("Was kann ich tun?", "Any ideas?") asks about
  the problem stated just before it, which it brings along; stated in a later paragraph
  than the first sentence, that problem leads (the first paragraph was only the
  occasion: a complaint, a story). It is what the lexical leg searches for, and what
  the answer says was searched. Where a subject says what the message is about, every
  further sentence BM25 reads only dilutes its words;
- ``context``: the whole message without its noise, what the focus holds first: what
  is embedded (the model reads only its first ``embedding_max_tokens`` words, so what
  is asked must lead). The vector leg gains from the body where BM25 loses.

German and English. Every pattern and constant is written here from how such messages
are written, not fitted on an evaluation set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

from indexer.privacy import PLACEHOLDERS, redact

# The focus is cut after this many words: a subject and two or three questions. More
# would let a long message's many questions drown each other again.
FOCUS_MAX_WORDS = 48
# Key terms of the rest added to the focus, at most.
KEY_TERMS_MAX = 8
# A first line this short, not ended like a sentence, is the message's title.
TITLE_MAX_WORDS = 15
# A closing formula stands on a short line of its own; a longer line that starts like
# one ("Danke, dass ihr ...") is still content.
CLOSING_MAX_CHARS = 60
# Words of a name after a closing formula in the middle of a line ("Viele Grüße, Max
# Mustermann"): a first name, a last name and one more, or initials.
NAME_MAX_WORDS = 3
# Characters after a greeting word, up to its comma or line end, that still belong to it
# ("Hallo liebes Telekom-Team,").
GREETING_TAIL_CHARS = 30

_GREETING_WORDS = (
    r"hallo|hallöchen|hi|hey|moin|servus|grüß\s+gott|gruess\s+gott|grüezi|"
    r"guten\s+(?:tag|morgen|abend)|liebe[rs]?|sehr\s+geehrte[rs]?|werte[rs]?|"
    r"dear|hello|hiya|good\s+(?:morning|afternoon|evening|day)|greetings"
)
# A greeting word stands alone: "Hi-speed internet" and "Liebesbrief" are no greetings.
_GREETING_LINE = re.compile(
    rf"^\s*(?:{_GREETING_WORDS})(?=[\s,!:]|$)[^,!:\n.?]{{0,{GREETING_TAIL_CHARS}}}(?:[,!:]|$)",
    re.I,
)
_GREETING_WORD = re.compile(
    rf"^\s*(?:{_GREETING_WORDS})(?:\s+(?:zusammen|alle|leute|community|team|all|everyone|"
    r"folks|there|guys))?(?=[\s,!:]|$)[,!:]?",
    re.I,
)
# Closing formulas, by how surely they end what a message says. A sign-off says goodbye
# and nothing else: what follows it is the name and the signature.
_SIGN_OFF = (
    r"(?:mit\s+)?(?:freundliche[nm]?|viele[n]?|liebe[n]?|beste[n]?|herzliche[n]?|"
    r"schöne[n]?|sonnige[n]?)\s+gr(?:ü|ue)(?:ß|ss)(?:e|en)|"
    r"mfg|(?:kind|best|warm)\s+regards|sincerely"
)
# Short sign-offs and thanks begin content too ("LG TV ...", "Danke für den Tipp, aber
# das WLAN geht immer noch nicht"): inside a line, only a name or another formula may
# follow them. The thanks take their usual endings ("Vielen Dank im Voraus").
_SHORT_SIGN_OFF = r"lg|vg|bg|gr(?:ü|ue)(?:ß|ss)e?|ciao|tschüss|bis\s+dann|cheers|regards"
_THANKS = (
    r"(?:danke|vielen\s+dank|besten\s+dank|thanks|thank\s+you|many\s+thanks)"
    r"(?:\s+(?:schon\s+mal|im\s+voraus|vorab|in\s+advance|(?:für|for)\s+"
    r"(?:eure|ihre|deine|die|your|the|any)\s+(?:hilfe|mühe|unterstützung|help|support)))*"
)
# "Best," and "Yours," alone: "Best place to ..." is content.
_ALONE = r"best\s+wishes|best|yours\s+truly|yours"
_CLOSING = re.compile(
    rf"^\s*(?:{_SIGN_OFF}|{_SHORT_SIGN_OFF}|{_THANKS})\b|"
    rf"^\s*(?:{_ALONE})\s*[,!.]?\s*$|"
    r"^\s*(?:--|__+|—)\s*$",
    re.I,
)
_SIGN_OFF_AT = re.compile(rf"(?:{_SIGN_OFF})\b", re.I)
_OTHER_CLOSING_AT = re.compile(rf"(?:{_THANKS}|{_SHORT_SIGN_OFF}|{_ALONE})\b", re.I)
# Between a formula and what follows it: "Danke im Voraus! Viele Grüße", "Danke und LG".
_FORMULA_JOINT = re.compile(r"^[\s,;:!.\-–—]*(?:(?:und|and|&)\s+)?", re.I)
# A line that starts like a closing but says that something still fails is content:
# "Danke für den Tipp, aber das WLAN geht immer noch nicht".
_STILL_FAILING = re.compile(
    r"\b(?:aber|jedoch|leider|trotzdem|nicht|kein\w*|but|however|unfortunately|still|not)\b|"
    r"n't\b",
    re.I,
)
# Lines that end the message wherever they stand: a mail client's signature or the
# header of a quoted earlier mail.
_MAIL_TAIL = re.compile(
    r"^\s*(?:(?:sent|gesendet)\s+(?:from|von|mit)\s+|von\s+meinem\s+\S+\s+gesendet|"
    r"get\s+outlook\s+for|-{2,}\s*(?:original|ursprüngliche)|"
    r"am\s+.{0,80}\s+schrieb\s+.{0,80}:\s*$|on\s+.{0,80}\s+wrote:\s*$)",
    re.I,
)
_HEADER = re.compile(r"^\s*(?:von|from|an|to|cc|bcc|gesendet|sent|datum|date)\s*:", re.I)
_SUBJECT = re.compile(r"^\s*(?:betreff|subject|re|aw|wg|fwd?)\s*:\s*(.*)$", re.I)
_QUOTED = re.compile(r"^\s*>")
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.I)
# An identifier's announcing word and the placeholder ``redact`` left for it
# ("Kundennummer: [number]", "meine Rufnummer [phone]"), and the placeholders alone.
_ANNOUNCED = re.compile(
    r"\b[\w-]*(?:nummer|nr\.?|number|no\.?|konto|account|id|iban|e-?mail|mail|telefon|"
    r"handy|phone|mobil)\s*[:#]?\s*(?:ist\s+|is\s+)?\[(?:number|phone|email|iban)\]",
    re.I,
)
_PLACEHOLDER = re.compile("|".join(re.escape(placeholder) for placeholder in PLACEHOLDERS))
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=\S)")
_WORD = re.compile(r"[^\W_]+(?:[-'’][^\W_]+)*")
_QUESTION_START = re.compile(
    r"^(?:wie|was|warum|wieso|weshalb|wann|wo|woran|wohin|woher|wer|welche[rsmn]?|"
    r"kann|kannst|könnt|können|könnte|müsste|muss|soll|sollte|gibt\s+es|ist\s+es|hat\s+jemand|"
    r"weiß\s+jemand|weiss\s+jemand|habt\s+ihr|hat\s+(?:man|jemand)|"
    r"how|what|why|when|where|who|which|can|could|is\s+(?:it|there)|are\s+there|does|do\s+"
    r"(?:i|you|we)|should|would|will|has\s+anyone|have\s+you|anyone|any\s+idea)\b",
    re.I,
)
# Words that ask for help without saying with what, beyond the stop words: a question of
# only these ("Können Sie mir helfen?", "Has anyone had the same problem?") points back
# to the problem stated before it.
_HELP_WORDS_DE = (
    "tun helfen helft hilft hilfe weiterhelfen idee ideen tipp tipps rat ratschlag "
    "vorschlag vorschläge empfehlung empfehlen lösung lösungen lösen beheben jemand "
    "jemandem irgendjemand irgendwer woran liegt liegen geht gehen funktioniert "
    "funktionieren klappt klappen gibt machen mache mal schon bitte weiß weiss wissen "
    "kennt kennen erfahrung erfahrungen problem probleme los normal falsch möglichkeit "
    "probiert versucht habt hast hättet könntet geben sagen"
)
_HELP_WORDS_EN = (
    "can can't help helps idea ideas tip tips advice advise suggestion suggestions "
    "solution solutions solve fix anyone anybody someone somebody anything something "
    "know knows think thoughts please appreciated recommend work works working "
    "happening going get now else still tried try way need same similar tell let "
    "problem problems issue issues normal wrong experience i'm i've it's doesn't don't "
    "isn't won't what's"
)
# Key terms: product and model names (letters and digits mixed: "7590", "iPhone 15" stay
# with the model), words with capitals inside ("FritzBox", "eSIM") and acronyms ("DSL").
_KEY_TERM = re.compile(
    r"\b(?:[^\W\d_]+\d[\w-]*|\d+[^\W\d_][\w-]*|[^\W\d_]*[a-zäöü][A-ZÄÖÜ][\w-]*|"
    r"[A-ZÄÖÜ]{2,6})\b"
)


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """What a message asks (``focus``) and the message without its noise (``context``)."""

    focus: str
    context: str


def extract(message: str) -> MessageQuery:
    """The subject (or first sentence and questions) and key terms of a pasted message,
    and its cleaned text, what it asks first.

    A message with nothing left once the noise is gone (only a greeting and a signature)
    is searched as it was written, so the search still has words to go on.
    """
    subject, paragraphs = _paragraphs(message)
    sentences = [sentence for paragraph in paragraphs for sentence in paragraph]
    if not sentences and not subject:
        plain = " ".join(message.split())
        return MessageQuery(plain, plain)
    lead = subject or sentences[0]
    questions = [s for s in sentences if _is_question(s)]
    # Below a subject, the subject says what a question without words of its own asks.
    leads, follows = ([], []) if subject else _problems_asked(paragraphs)
    leading = list(dict.fromkeys([*leads, lead, *questions, *follows]))
    if not questions and len(sentences) > 1 and not subject:
        leading.append(sentences[1])  # no question asked: the first two sentences say it
    rest = [s for s in sentences if s not in leading]
    # A subject says what the message is about; without one, the first sentence is often
    # only its occasion ("seit gestern ..."), and the questions say what is asked.
    focus_parts = [subject] if subject else leading
    focus = _first_words(" ".join(focus_parts), FOCUS_MAX_WORDS)
    others = [*leading[1:], *rest] if subject else rest  # what the focus leaves out
    key_terms = _key_terms(" ".join(others), focus)
    if key_terms:
        focus = f"{focus} {' '.join(key_terms)}"
    return MessageQuery(focus=focus, context=" ".join([*leading, *rest]))


def _paragraphs(message: str) -> tuple[str, list[list[str]]]:
    """The subject line (or ""), and the sentences of the body without noise, by
    paragraph (blank lines apart)."""
    subject = ""
    kept: list[list[str]] = [[]]  # lines, by paragraph
    for line in message.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if _MAIL_TAIL.search(line):
            break
        found = _SUBJECT.match(line)
        if found:
            subject = subject or _clean(found.group(1))
            continue
        if _QUOTED.match(line) or _HEADER.match(line):
            continue
        stripped = line.strip()
        if not stripped:
            if kept[-1]:
                kept.append([])
            continue
        started = any(kept)
        if (started or subject) and _is_closing(stripped, whole_line=True):
            break  # the closing formula: the name and the signature follow
        # A message written on one line closes in it ("... tun? Viele Grüße, Max").
        stripped, closed = _before_closing(stripped)
        if not started:
            stripped = _without_greeting(stripped)
        cleaned = _clean(stripped)
        if not _WORD.search(cleaned):
            pass
        elif not started and not subject and _is_title(cleaned):
            subject = cleaned  # a forum post's title on its own line
        else:
            kept[-1].append(cleaned)
        if closed:
            break
    paragraphs = [_sentences_of(lines) for lines in kept]
    return subject, [paragraph for paragraph in paragraphs if paragraph]


def _sentences_of(lines: list[str]) -> list[str]:
    """The sentences of ``lines`` (two words or more, or a question: "Warum?")."""
    return [
        sentence
        for line in lines
        for sentence in _SENTENCE_END.split(line)
        if len(_WORD.findall(sentence)) >= 2 or sentence.endswith("?")
    ]


def _problems_asked(paragraphs: list[list[str]]) -> tuple[list[str], list[str]]:
    """The problems that questions without words of their own ask about: those stated
    after the first paragraph, each with its question (they lead what is searched: the
    first paragraph was only the occasion), and those stated in the first paragraph
    (they follow the first sentence and the questions, which say what it is about)."""
    leads: list[str] = []
    follows: list[str] = []
    for paragraph_index, paragraph in enumerate(paragraphs):
        for sentence_index, sentence in enumerate(paragraph):
            if _is_question(sentence) and not _has_content(sentence):
                problem, found_in = _problem_before(paragraphs, paragraph_index, sentence_index)
                if problem and found_in > 0:
                    leads.extend([*problem, sentence])
                else:
                    follows.extend(problem)
    return leads, follows


def _problem_before(
    paragraphs: list[list[str]], paragraph_index: int, sentence_index: int
) -> tuple[list[str], int]:
    """The problem a question without words of its own asks about, and the index of the
    paragraph that states it: the first and the last sentence with words of their own
    before the question in its paragraph (in the paragraph before, if it opens its own).
    Nothing if the last of them is a question: what is asked is asked already."""
    before = paragraphs[paragraph_index][:sentence_index]
    if not any(_has_content(sentence) for sentence in before) and paragraph_index > 0:
        paragraph_index -= 1
        before = paragraphs[paragraph_index]
    stated = [sentence for sentence in before if _has_content(sentence)]
    if not stated or _is_question(stated[-1]):
        return [], paragraph_index
    statements = [sentence for sentence in stated if not _is_question(sentence)]
    return list(dict.fromkeys([statements[0], stated[-1]])), paragraph_index


def _is_closing(text: str, whole_line: bool) -> bool:
    """Whether ``text``, from the start of a line (``whole_line``) or of a sentence in one,
    up to the line's end, is a closing formula and what follows one.

    A whole line is one when it is short and starts like a formula, unless it says that
    something still fails. Inside a line, what follows a formula is content unless it is
    a name or another formula: a sentence that starts with "Danke" or "LG" goes on as
    often as it closes.
    """
    if "?" in text:
        return False
    if _SIGN_OFF_AT.match(text) or _closes_with_name(text):
        return True
    return (
        whole_line
        and len(text) <= CLOSING_MAX_CHARS
        and bool(_CLOSING.match(text))
        and not _STILL_FAILING.search(text)
    )


def _closes_with_name(text: str) -> bool:
    """Whether ``text`` is a thanks or a short sign-off followed by nothing, a name or
    another closing formula ("Danke im Voraus! Viele Grüße, Max")."""
    formula = _OTHER_CLOSING_AT.match(text)
    if formula is None:
        return False
    rest = _FORMULA_JOINT.sub("", text[formula.end() :], count=1)
    return not rest or _is_name(rest) or _is_closing(rest, whole_line=False)


def _is_name(text: str) -> bool:
    """A name as it signs a message: up to ``NAME_MAX_WORDS`` capitalised words or
    initials ("Max", "Anna-Lena M."); not an acronym ("TV") and no lower-case word."""
    words = text.rstrip(" .!").split()
    return 0 < len(words) <= NAME_MAX_WORDS and all(_is_name_word(word) for word in words)


def _is_name_word(word: str) -> bool:
    letters = word.rstrip(".,")
    return (
        bool(letters)
        and letters[0].isupper()
        and (len(letters) == 1 or not letters.isupper())
        and all(char.isalpha() or char in "-'’" for char in letters)
    )


def _before_closing(line: str) -> tuple[str, bool]:
    """The line up to a closing formula that begins one of its sentences after the first,
    and whether there was one (then the message ends there)."""
    for boundary in _SENTENCE_END.finditer(line):
        if _is_closing(line[boundary.end() :], whole_line=False):
            return line[: boundary.start()], True
    return line, False


def _is_title(line: str) -> bool:
    """A first line that is a title: a few words (not a closing formula), not a sentence
    ended by "." or "!"."""
    words = len(_WORD.findall(line))
    return (
        2 <= words <= TITLE_MAX_WORDS
        and not line.endswith((".", "!", ":", ","))
        and not _is_closing(line, whole_line=True)
    )


def _without_greeting(line: str) -> str:
    """The first line without its salutation ("Hallo zusammen, mein Router ..." keeps
    "mein Router ...")."""
    whole = _GREETING_LINE.match(line)
    if whole:
        return line[whole.end() :].strip()
    word = _GREETING_WORD.match(line)
    return line[word.end() :].strip() if word else line


def _clean(text: str) -> str:
    """Text without URLs, personal identifiers and their announcing words."""
    text = _URL.sub(" ", text)
    text = _ANNOUNCED.sub(" ", redact(text))
    text = _PLACEHOLDER.sub(" ", text)
    return " ".join(text.split()).strip(" ,;:-")


def _is_question(sentence: str) -> bool:
    return sentence.rstrip().endswith("?") or bool(_QUESTION_START.match(sentence))


def _has_content(sentence: str) -> bool:
    """Whether ``sentence`` has a word that says what it is about: no stop word, no
    word that asks for help, no number."""
    ignored = _words_without_content()
    return any(
        word.casefold().replace("’", "'") not in ignored and not word.isdigit()
        for word in _WORD.findall(sentence)
    )


@cache
def _words_without_content() -> frozenset[str]:
    """The bundled Snowball stop words (German, English) and the help-asking words."""
    words = {*_HELP_WORDS_DE.split(), *_HELP_WORDS_EN.split()}
    for lang in ("de", "en"):
        resource = resources.files("indexer.analysis").joinpath("stopwords", f"{lang}.txt")
        lines = resource.read_text(encoding="utf-8").splitlines()
        words.update(line.strip().casefold() for line in lines if not line.startswith("#"))
    return frozenset(words)


def _first_words(text: str, count: int) -> str:
    pieces = text.split()
    return " ".join(pieces[:count])


def _key_terms(text: str, focus: str) -> list[str]:
    """Product names, model numbers and acronyms of ``text`` not already in the focus."""
    present = {word.casefold() for word in _WORD.findall(focus)}
    found: dict[str, None] = {}
    for term in _KEY_TERM.findall(text):
        if term.casefold() not in present and not term.isdigit():
            found[term] = None
            present.add(term.casefold())
        if len(found) == KEY_TERMS_MAX:
            break
    return list(found)
