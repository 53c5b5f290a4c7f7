"""Tests of text cleaning: markup to text, and quotes and signatures cut off."""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from indexer.cleaning import (
    clean_text,
    clean_title,
    html_to_text,
    looks_like_html,
    strip_quotes_and_signature,
)

# --- HTML to text ------------------------------------------------------------------------


def test_code_keeps_its_text_and_script_and_style_go() -> None:
    markup = (
        "<p>Mein Router &amp; ich</p>"
        "<pre><code>ping 8.8.8.8 -c 4</code></pre>"
        "<script>alert('xss')</script>"
        "<style>p { color: red }</style>"
        "<p>Was &quot;tun&quot; &ndash; &lt;bitte&gt;?</p>"
    )
    # "<bitte>" was text in the markup, and stays text: never a tag (issue 16, item 11).
    assert clean_text(markup) == 'Mein Router & ich\nping 8.8.8.8 -c 4\nWas "tun" – < bitte>?'


@pytest.mark.parametrize(
    "invisible",
    [
        "<noscript>Bitte JavaScript aktivieren</noscript>",
        "<iframe>Rahmen</iframe>",
        "<svg><text>Grafik</text></svg>",
        "<template><p>Vorlage</p></template>",
        "<script>var x = '<p>hi</p>';</script>",
        "<STYLE>b {}</STYLE>",
    ],
)
def test_content_a_reader_never_sees_is_removed(invisible: str) -> None:
    assert clean_text(f"<p>vorher</p>{invisible}<p>nachher</p>") == "vorher\nnachher"


def test_blocks_and_line_breaks_become_lines_and_cells_are_spaced() -> None:
    markup = "<div>Zeile 1<br>Zeile 2</div><ul><li>eins</li><li>zwei</li></ul>"
    assert clean_text(markup) == "Zeile 1\nZeile 2\neins\nzwei"
    assert clean_text("<table><tr><td>Tarif</td><td>M</td></tr></table>") == "Tarif M"


def test_html_to_text_marks_block_ends_with_line_breaks() -> None:
    assert html_to_text("<p>a</p><p>b</p>") == "a\nb\n"


def test_entities_in_plain_text_are_decoded() -> None:
    assert clean_text("Fish &amp; Chips f&uuml;r 5&nbsp;&euro;") == "Fish & Chips für 5 €"


def test_comparison_signs_in_plain_text_survive() -> None:
    assert clean_text("a < b and c > d") == "a < b and c > d"
    assert clean_text("Download < 16 Mbit/s > Upload") == "Download < 16 Mbit/s > Upload"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("<p>x</p>", True), ("x<br/>y", True), ("</div>", True), ("3 < 4", False), ("<3", False)],
)
def test_looks_like_html(text: str, expected: bool) -> None:
    assert looks_like_html(text) is expected


def test_whitespace_is_normalised() -> None:
    text = "  Erste\u00a0Zeile\t mit   Lücken \r\n\r\n\r\n\r\nZweite\u200bZeile  \r"
    assert clean_text(text) == "Erste Zeile mit Lücken\n\nZweite Zeile"


@pytest.mark.parametrize("empty", ["", "   ", "<p></p>", "<script>x</script>"])
def test_empty_input_gives_empty_text(empty: str) -> None:
    assert clean_text(empty) == ""


# --- quotes ------------------------------------------------------------------------------


def test_quoted_lines_are_removed() -> None:
    text = "Hallo,\n> Wie hast du das gemacht?\n  >> noch älter\nIch habe den Router neu gestartet."
    assert clean_text(text) == "Hallo,\nIch habe den Router neu gestartet."


def test_blockquote_is_removed() -> None:
    markup = "<p>Zitat:</p><blockquote><p>Geht bei mir nicht</p></blockquote><p>Bei mir schon.</p>"
    assert clean_text(markup) == "Zitat:\n\nBei mir schon."


def test_quoted_line_in_html_is_removed() -> None:
    assert clean_text("<p>&gt; alter Beitrag</p><p>Neue Antwort</p>") == "Neue Antwort"


# --- signatures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Mein Router geht nicht.\n-- \nMicha\nwww.example.org", "Mein Router geht nicht."),
        ("Mein Router geht nicht.\n--\nMicha", "Mein Router geht nicht."),
        ("Mein Router geht nicht.\n\nGruß Micha", "Mein Router geht nicht."),
        ("Mein Router geht nicht.\n\nGruss Micha", "Mein Router geht nicht."),
        ("Mein Router geht nicht.\n\nVG\nSandra", "Mein Router geht nicht."),
        ("Mein Router geht nicht.\nLG", "Mein Router geht nicht."),
        ("Problem.\nMit freundlichen Grüßen\nMax Mustermann", "Problem."),
        ("Problem.\n\nViele Grüße,\nJana", "Problem."),
        ("Problem mit WLAN.\nThanks in advance,\nTom", "Problem mit WLAN."),
        ("Frage zum Router\nDanke euch", "Frage zum Router"),
        ("My router is broken.\n\nSent from my iPhone", "My router is broken."),
        ("Router kaputt.\nGesendet von meinem Smartphone", "Router kaputt."),
        ("Router kaputt.\nVon meinem iPad gesendet", "Router kaputt."),
        ("<p>Hallo</p><p>Gruß Micha</p>", "Hallo"),
        ("<p>Hallo</p><p>-- </p><p>Micha</p>", "Hallo"),
    ],
)
def test_signature_or_sign_off_is_removed(text: str, expected: str) -> None:
    assert clean_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Danke",
        "danke!",
        "Danke im Voraus",
        "VG\nSandra",
        "Danke\n\nGruß Micha",
    ],
)
def test_a_body_that_is_only_a_sign_off_is_kept(text: str) -> None:
    assert clean_text(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "Ich wollte danke sagen für die Hilfe, der Router läuft wieder.",
        "Danke für die schnelle Hilfe beim Umzug meines Anschlusses.\nEs klappt jetzt.",
        "Seit dem Update\nThanks to the new firmware the box reboots every night",
        "Wie lösche ich einen Kommentar mit -- davor?",
    ],
)
def test_text_that_merely_mentions_thanks_is_kept(text: str) -> None:
    assert clean_text(text) == text


def test_sign_off_followed_by_long_text_is_not_a_signature() -> None:
    text = "Gruß an alle,\nmein Router verliert seit dem Update jede Nacht die Verbindung zum Netz."
    assert strip_quotes_and_signature(text) == text


def test_only_a_sign_off_near_the_end_is_cut() -> None:
    lines = ["Frage", "VG", "eins", "zwei", "drei", "vier"]
    assert strip_quotes_and_signature("\n".join(lines)) == "\n".join(lines)


# --- properties --------------------------------------------------------------------------

TAG_TOKENS = st.sampled_from(
    [
        "<p>", "</p>", "<b>", "</b>", "<br>", "<br/>", "<div>", "</div>", "<li>", "<ul>", "</ul>",
        "<td>", "<table>", "<code>", "</code>", "<pre>", "</pre>", '<a href="x">', "</a>",
        "<script>", "</script>", "<SCRIPT>", "</SCRIPT >", "<style>", "</style>",
        "<blockquote>", "</blockquote>", "<noscript>", "</noscript>", "<svg>", "</svg>",
        "<iframe>", "</iframe>", "<!--", "-->", "<img src=x onerror=alert(1)>",
    ]
)  # fmt: skip
# Text in well-formed markup has its "<" and "&" escaped; an unescaped ">" is harmless.
TEXT = st.text(alphabet=st.characters(blacklist_characters="<&"), max_size=12)


@settings(max_examples=400, deadline=None, database=None)
@given(st.lists(TAG_TOKENS | TEXT, max_size=12).map("".join))
def test_clean_text_never_returns_markup(fragment: str) -> None:
    # A leading tag makes the input markup whatever the rest is.
    cleaned = clean_text("<p>" + fragment)
    assert "<" not in cleaned
    assert cleaned == cleaned.strip()
    assert "\n\n\n" not in cleaned


@settings(max_examples=300, deadline=None, database=None)
@given(st.text())
def test_clean_text_of_any_text_is_stable(text: str) -> None:
    cleaned = clean_text(text)
    assert cleaned == cleaned.strip()
    assert "\r" not in cleaned


# --- never markup, not even decoded from entities (issue 16, item 11) ----------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Vorher &lt;script&gt;alert(1)&lt;/script&gt; nachher", "Vorher nachher"),
        ("<p>Vorher &lt;script&gt;alert(1)&lt;/script&gt; nachher</p>", "Vorher nachher"),
        ("Bild: &lt;img src=x onerror=alert(1)&gt; da", "Bild: da"),
        ("&lt;p&gt;Hallo &amp;lt;script&amp;gt;alert(1)&amp;lt;/script&amp;gt;&lt;/p&gt;", "Hallo"),
        ("&lt;&lt;b&gt;script&gt;alert(1)", ""),  # a tag hidden in a tag
        ("Drücken Sie &lt;Strg&gt;+&lt;Alt&gt;", "Drücken Sie < Strg>+< Alt>"),
        ("&lt;x onmouseover=alert(1)&gt;Text", "< x onmouseover=alert(1)>Text"),
        ("&lt;!-- Kommentar --&gt;Text", "< !-- Kommentar -->Text"),
        ("if x&lt;y then", "if x< y then"),
        ("unclosed &lt;img src=x onerror=alert(1)", "unclosed < img src=x onerror=alert(1)"),
        ("Preis &lt; 50 € und &lt;3", "Preis < 50 € und <3"),  # text to any parser
    ],
)
def test_markup_decoded_from_entities_is_never_markup(text: str, expected: str) -> None:
    assert clean_text(text) == expected


ENTITY_TOKENS = st.sampled_from(
    ["&lt;", "&gt;", "&amp;", "&#60;", "&#x3c;", "&LT;", "<", ">", "/", "!", "?", "script",
     "img", "a", " ", "=", "x", "\t", "&amp;lt;"]
)  # fmt: skip


@settings(max_examples=500, deadline=None, database=None)
@given(st.lists(ENTITY_TOKENS | TEXT, max_size=16).map("".join))
def test_clean_text_never_opens_a_tag_whatever_the_entities(text: str) -> None:
    """No "<" followed by what an HTML parser takes for a tag, comment or declaration."""
    cleaned = clean_text(text)
    assert re.search(r"<[A-Za-z/!?]", cleaned) is None, cleaned


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("AT&amp;T  Router\n kaputt", "AT&T Router kaputt"),
        ("&lt;b&gt;WLAN&lt;/b&gt; bricht ab", "WLAN bricht ab"),
        ("Router &lt;script&gt;alert(1)&lt;/script&gt; kaputt", "Router kaputt"),
        ("Bild &lt;img src=x onerror=alert(1)&gt; fehlt", "Bild fehlt"),
        ("Taste &lt;Enter&gt; reagiert nicht", "Taste < Enter> reagiert nicht"),
        ("Drücken Sie <Strg>+<Alt>", "Drücken Sie < Strg>+< Alt>"),
        ("Preis < 50 € und <3", "Preis < 50 € und <3"),
        # Nothing but markup: its characters, defused, rather than an empty title.
        ("<img src=x onerror=alert(1)>", "< img src=x onerror=alert(1)>"),
        ("&lt;img src=x onerror=alert(1)&gt;", "< img src=x onerror=alert(1)>"),
        ("&lt;script&gt;&lt;/script&gt;", "< script>< /script>"),
    ],
)
def test_titles_are_plain_text_by_the_rule_of_bodies(title: str, expected: str) -> None:
    """Issue 16, item 11: a title never leaves as markup, as snippets never do."""
    assert clean_title(title) == expected


@settings(max_examples=300, deadline=None, database=None)
@given(st.lists(ENTITY_TOKENS | TEXT, max_size=16).map("".join))
def test_clean_title_never_opens_a_tag_and_never_goes_empty(title: str) -> None:
    cleaned = clean_title(title)
    assert re.search(r"<[A-Za-z/!?]", cleaned) is None, cleaned
    assert cleaned or not html.unescape(title).split(), "a title with characters went empty"
