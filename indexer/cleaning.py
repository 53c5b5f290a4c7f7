"""Turn forum markup into the plain text that is analysed, embedded and shown (snippets, titles).

HTML becomes text (code keeps its text; scripts, styles and markup go; entities are
decoded), and what is not the author's question is cut: quoted earlier posts and
signatures. Indexing what people *quoted* would make every reply look like its parent.

The result is never markup, even where entities decode into it ("&lt;script&gt;"). HTML
that was encoded twice (exports do that) is parsed as HTML again, so its scripts go
with their content; any other "<" that an HTML parser would take for the start of a tag
gets a space after it ("&lt;Strg&gt;" -> "< Strg>"). Not escaped: the text is plain text
for every reader, and the widget, which inserts it as text, would show "&lt;". Not
stripped: "Drücken Sie <Strg>+<Alt>" is what people write in help forums.
"""

from __future__ import annotations

import html
import re

from selectolax.lexbor import LexborHTMLParser

# Elements whose content is never text a reader sees.
_INVISIBLE = "script, style, noscript, template, iframe, object, svg, head, title, textarea, xmp"
# Quoted earlier posts.
_QUOTES = "blockquote"
# Tags of the HTML that forums produce; "a < b and c > d" in plain text is not markup.
_TAG = re.compile(
    r"</?(p|br|div|span|a|b|i|u|s|em|strong|code|pre|ul|ol|li|blockquote|img|h[1-6]|"
    r"table|thead|tbody|tr|td|th|hr|sup|sub|font|strike|small|big|center|dl|dt|dd|q|cite|kbd|"
    r"script|style|noscript|template|iframe|object|svg|head|title|textarea|xmp|html|body|"
    r"section|article|header|footer|nav|figure|figcaption|details|summary|mark|del|ins|abbr)"
    r"(\s[^<>]*)?/?\s*>",
    re.IGNORECASE,
)
# Before parsing, put a line break where a block ends, so that line-based cleaning
# (quotes, signatures) still sees lines. Only a hint to the parser's text extraction.
_BLOCK_END = re.compile(
    r"<\s*br\s*/?\s*>|<\s*/\s*(p|div|li|pre|h[1-6]|tr|ul|ol|table|blockquote)\s*>", re.IGNORECASE
)
_CELL_END = re.compile(r"<\s*/\s*(td|th)\s*>", re.IGNORECASE)

# Where an HTML parser starts a tag, comment or declaration: "<" and a letter, "/", "!" or
# "?" ("a < b" and "<50 €" are text to it).
_TAG_OPEN = re.compile(r"<(?=[A-Za-z/!?])")
_MARKUP_PASSES = 4  # entities encoded four times over are not text anyone wrote

_QUOTED_LINE = re.compile(r"^\s*>")
_SIGNATURE_DELIMITER = re.compile(r"^--\s*$")
_SENT_FROM = re.compile(
    r"^\s*(sent from my|gesendet von meinem|von meinem .{1,40} gesendet)", re.IGNORECASE
)
_CLOSING = re.compile(
    r"^\s*(mit freundlichen gr(ü|ue)(ß|ss)en|(viele|liebe|beste|freundliche|sch(ö|oe)ne) "
    r"gr(ü|ue)(ß|ss)e|gr(ü|ue)(ß|ss)e?|mfg|vg|lg|gru(ß|ss)|cheers|thanks( in advance)?|"
    r"thank you|(best |kind |warm )?regards|danke( im voraus| schon| euch)?|"
    r"vielen dank( im voraus)?)"
    # then at most a name: "Gruß Micha", "VG, Sandra" - but not "LG OLED55C9"
    r"\b[\s,.!]*([^\W\d_]+( [^\W\d_]+)?)?[\s.!]*$",
    re.IGNORECASE,
)
_SIGNATURE_WINDOW = 4
_SIGNATURE_LINE_CHARS = 40
_SPACES = re.compile(r"[ \t\f\v\u00a0\u200b]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def looks_like_html(text: str) -> bool:
    """Tell whether text carries markup (tags), as opposed to plain text with a stray '<'."""
    return bool(_TAG.search(text))


def html_to_text(markup: str) -> str:
    """Return the visible text of an HTML fragment, with line breaks where blocks end."""
    markup = _BLOCK_END.sub(lambda m: m.group(0) + "\n", markup)
    markup = _CELL_END.sub(lambda m: m.group(0) + " ", markup)
    tree = LexborHTMLParser(markup)
    tree.strip_tags(_INVISIBLE.split(", "))
    for quote in tree.css(_QUOTES):
        quote.decompose()
    root = tree.body or tree.root
    return root.text(separator="") if root is not None else ""


def strip_quotes_and_signature(text: str) -> str:
    """Drop quoted lines ('> ...') and a trailing signature or sign-off."""
    lines = [line for line in text.split("\n") if not _QUOTED_LINE.match(line)]
    for index, line in enumerate(lines):
        if _SIGNATURE_DELIMITER.match(line) or _SENT_FROM.match(line):
            lines = lines[:index]
            break
    return "\n".join(_without_sign_off(lines))


def clean_title(title: str) -> str:
    """Return a title as plain text: entities decoded, no markup, white space folded.

    The same rule as for bodies (:func:`without_markup`), so that what leaves the API is
    never markup whichever field a consumer inserts as HTML: "&lt;b&gt;WLAN&lt;/b&gt;"
    becomes "WLAN", "Taste <Enter>" becomes "Taste < Enter>". A title that is nothing but
    markup ("<img src=x onerror=...>") keeps its characters, defused, rather than become
    an empty link: a thread is found and shown by its title.
    """
    decoded = html.unescape(title)
    plain = " ".join(without_markup(decoded).split())
    return plain or " ".join(defused(decoded).split())


def clean_text(text: str) -> str:
    """Return the plain, readable text of a post body: markup, quotes, signature gone."""
    if not text:
        return ""
    text = html_to_text(text) if looks_like_html(text) else html.unescape(text)
    text = without_markup(text)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = strip_quotes_and_signature(text)
    text = _SPACES.sub(" ", text)
    text = "\n".join(line.strip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", text).strip()


def without_markup(text: str) -> str:
    """Return ``text`` with nothing an HTML parser would take for markup.

    HTML that entities decoded into is parsed as HTML again (a script's or style's
    content goes with it), a few times for entities encoded several times over; then a
    "<" that would still open a tag gets a space after it ("x<y" -> "x< y"), so the text
    is text even cut short or placed before other markup.
    """
    for _ in range(_MARKUP_PASSES):
        if not looks_like_html(text):
            break
        text = html_to_text(text)
    return defused(text)


def defused(text: str) -> str:
    """Return ``text`` with a space after every "<" that would open a tag ("x<y" -> "x< y")."""
    return _TAG_OPEN.sub("< ", text)


def _without_sign_off(lines: list[str]) -> list[str]:
    """Cut a closing formula ("Gruß Micha", "VG\\nSandra", "Thanks, Tom") near the end.

    Only the last few non-empty lines are looked at, and everything after the formula must
    be short (a name), so a body that merely says "danke" mid-text is kept whole.
    """
    filled = [i for i, line in enumerate(lines) if line.strip()]
    for position in filled[-_SIGNATURE_WINDOW:]:
        tail = [lines[i] for i in filled if i > position]
        if _CLOSING.match(lines[position]) and all(
            len(line.strip()) <= _SIGNATURE_LINE_CHARS for line in tail
        ):
            if position == filled[0]:
                return lines  # the whole post is a sign-off: keep it rather than nothing
            return lines[:position]
    return lines
