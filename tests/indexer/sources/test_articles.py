"""Help articles from files: Markdown and HTML pages, saved sitemaps, JSON Lines records."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import pytest

from indexer.cleaning import clean_text
from indexer.errors import AskfindError
from indexer.sources import RecordError, guess_format, read_source
from indexer.threads import Thread

MARKDOWN = """---
title: WLAN-Passwort ändern
url: https://hilfe.example.de/wlan
board: Router & WLAN
lang: de
tags: wlan, passwort
updated_at: 2026-02-18T08:00:00Z
---
# Eine Überschrift, die nicht der Titel ist

Öffnen Sie **WLAN > Netzwerk** und <script>alert(1)</script> speichern Sie.
"""
HTML = """<!doctype html><html lang="en-GB"><head><title>Site title | Help</title>
<link rel="canonical" href="https://help.example.com/outage">
<meta property="article:section" content="Outages">
<meta property="article:tag" content="outage"><meta property="article:tag" content="dsl">
<meta property="article:modified_time" content="2026-09-01T08:00:00Z">
</head><body><nav>Home Menu Login</nav><header>Brand</header>
<main><h1>Report an outage</h1><p>Restart the box first.</p><script>evil()</script></main>
<footer>Imprint</footer></body></html>"""


def read(path: Path, source_format: str | None = None) -> list[Thread | RecordError]:
    return list(read_source(path, source_format))  # type: ignore[arg-type]


def by_id(items: list[Thread | RecordError]) -> dict[str, Thread]:
    return {item.id: item for item in items if isinstance(item, Thread)}


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    pages = tmp_path / "hilfe"
    (pages / "router").mkdir(parents=True)
    (pages / "router" / "wlan-passwort.md").write_text(MARKDOWN, encoding="utf-8")
    (pages / "outage.html").write_text(HTML, encoding="utf-8")
    (pages / "no-matter.md").write_text("Just text, no heading.\n", encoding="utf-8")
    (pages / "notes.txt").write_text("not a page", encoding="utf-8")
    return pages


def test_a_folder_of_pages_is_read_as_articles(folder: Path) -> None:
    assert guess_format(folder) == "articles"
    articles = by_id(read(folder))
    assert set(articles) == {"article:router/wlan-passwort", "article:outage", "article:no-matter"}
    assert {article.kind for article in articles.values()} == {"article"}

    markdown = articles["article:router/wlan-passwort"]
    assert markdown.title == "WLAN-Passwort ändern"  # the front matter's, not the heading's
    assert (markdown.url, markdown.board, markdown.lang) == (
        "https://hilfe.example.de/wlan",
        "Router & WLAN",
        "de",
    )
    assert markdown.tags == ("wlan", "passwort")
    assert markdown.updated_at == "2026-02-18T08:00:00+00:00"
    text = clean_text(markdown.body)
    assert "Öffnen Sie WLAN > Netzwerk" in text and "Eine Überschrift" in text
    # Raw HTML in Markdown stays text: it is never markup, nor run.
    assert "<script" not in markdown.body

    html = articles["article:outage"]
    assert (html.title, html.url, html.lang) == (
        "Report an outage",
        "https://help.example.com/outage",
        "en",
    )
    assert (html.board, html.tags, html.updated_at) == (
        "Outages",
        ("outage", "dsl"),
        "2026-09-01T08:00:00+00:00",
    )
    assert clean_text(html.body) == "Restart the box first."  # no menu, brand or imprint

    # No front matter and no heading: the file's name is the title.
    assert articles["article:no-matter"].title == "no matter"


def test_site_url_and_board_fill_what_a_page_does_not_say(folder: Path) -> None:
    items = list(read_source(folder, "articles", site_url="https://hilfe.example.de/", board="FAQ"))
    articles = by_id(items)
    assert articles["article:no-matter"].url == "https://hilfe.example.de/no-matter"
    assert articles["article:no-matter"].board == "FAQ"
    # A page's own link and board win.
    assert articles["article:router/wlan-passwort"].board == "Router & WLAN"


def test_a_bad_page_is_a_record_error_and_the_others_still_read(folder: Path) -> None:
    (folder / "broken.md").write_text("---\nlang: deutsch\n---\n# Titel\n", encoding="utf-8")
    items = read(folder)
    errors = [item for item in items if isinstance(item, RecordError)]
    assert [(error.location, error.message) for error in errors] == [
        ("broken.md", 'lang must be an ISO 639-1 code, not "deutsch"')
    ]
    assert len(by_id(items)) == 3


def test_a_page_in_the_charset_it_declares_or_in_utf16_reads_as_a_browser_reads_it(
    tmp_path: Path,
) -> None:
    latin1 = '<html><head><meta charset="ISO-8859-1"></head><body><h1>Gerät</h1></body></html>'
    (tmp_path / "geraet.html").write_bytes(latin1.encode("latin-1"))
    legacy = (
        '<meta http-equiv="Content-Type" content="text/html; charset=windows-1252">'
        "<h1>Grüße – €</h1>"
    )
    (tmp_path / "gruesse.html").write_bytes(legacy.encode("cp1252"))
    (tmp_path / "utf16.md").write_text("# Störung\n\nKein Netz.\n", encoding="utf-16")
    articles = by_id(read(tmp_path, "articles"))
    assert articles["article:geraet"].title == "Gerät"
    assert articles["article:gruesse"].title == "Grüße – €"
    assert articles["article:utf16"].title == "Störung"


def test_a_page_in_no_charset_it_names_is_refused_not_indexed_with_letters_replaced(
    folder: Path,
) -> None:
    (folder / "latin1.md").write_bytes("# Gerät\n".encode("latin-1"))
    (folder / "latin1.html").write_bytes("<h1>Ger\xe4t</h1>".encode("latin-1"))
    (folder / "noise.md").write_bytes(b"\xff\xfe\x00")  # a UTF-16 mark, then half a letter
    items = read(folder)
    assert sorted((e.location, e.message) for e in items if isinstance(e, RecordError)) == [
        (
            "latin1.html",
            "not UTF-8 text (line 1, byte 8: 0xe4 starts no UTF-8 character), nor names a"
            " charset it is in (<meta charset>): save it as UTF-8",
        ),
        (
            "latin1.md",
            "not UTF-8 text (line 1, byte 6: 0xe4 starts no UTF-8 character): save it as UTF-8",
        ),
        ("noise.md", "cannot be read as utf-16-le (truncated data): save it as UTF-8"),
    ]
    assert len(by_id(items)) == 3  # the others


def test_a_sitemap_reads_the_pages_saved_beside_it(tmp_path: Path) -> None:
    (tmp_path / "help.example.com" / "faq").mkdir(parents=True)
    (tmp_path / "help.example.com" / "faq" / "outage.html").write_text(HTML, encoding="utf-8")
    (tmp_path / "esim").mkdir()
    (tmp_path / "esim" / "index.html").write_text(
        "<html><body><h1>eSIM</h1><p>Scan the code.</p></body></html>", encoding="utf-8"
    )
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://help.example.com/faq/outage</loc><lastmod>2026-10-01</lastmod></url>"
        "<url><loc>https://help.example.com/esim/</loc></url>"
        "<url><loc>https://help.example.com/not-saved</loc></url>"
        "<url><loc>https://help.example.com/../../etc/passwd</loc></url>"
        "</urlset>",
        encoding="utf-8",
    )
    assert guess_format(sitemap) == "sitemap"
    items = read(sitemap)
    articles = by_id(items)
    # The canonical link of a page wins over its address in the sitemap as its link; the
    # address is its id, whatever the page says.
    outage = articles["https://help.example.com/faq/outage"]
    assert outage.url == "https://help.example.com/outage"
    # The page's own modified time wins over the sitemap's lastmod.
    assert outage.updated_at == "2026-09-01T08:00:00+00:00"
    esim = articles["https://help.example.com/esim/"]
    assert (esim.title, esim.url) == ("eSIM", "https://help.example.com/esim/")
    errors = [item.message for item in items if isinstance(item, RecordError)]
    assert errors == [
        "https://help.example.com/not-saved is not saved next to the sitemap",
        "https://help.example.com/../../etc/passwd is not saved next to the sitemap",
    ]


def test_a_broken_sitemap_is_one_clear_error(tmp_path: Path) -> None:
    sitemap = tmp_path / "sitemap.xml"
    sitemap.write_text("<urlset><url><loc>https://x", encoding="utf-8")
    [error] = read(sitemap, "sitemap")
    assert isinstance(error, RecordError) and "not a readable sitemap" in error.message
    with pytest.raises(AskfindError, match=r"give the sitemap\.xml"):
        read(tmp_path, "sitemap")


def test_json_lines_articles_are_records_of_type_article(tmp_path: Path) -> None:
    path = tmp_path / "faq.jsonl"
    records = [
        {"id": "faq-1", "title": "Rechnung online", "type": "article", "body": "Im Kundencenter."},
        {"id": "t-1", "title": "Rechnung fehlt"},  # old input: a thread
    ]
    path.write_text("\n".join(json.dumps(r) for r in records), encoding="utf-8")
    kinds = {thread.id: thread.kind for thread in by_id(read(path)).values()}
    assert kinds == {"faq-1": "article", "t-1": "thread"}


def test_the_demo_articles_read_without_errors() -> None:
    folder = resources.files("indexer.data").joinpath("sample_articles")
    with resources.as_file(folder) as path:
        items = read(path)
    assert not [item for item in items if isinstance(item, RecordError)]
    articles = by_id(items).values()
    languages = [article.lang for article in articles]
    assert 6 <= languages.count("de") <= 10 and languages.count("en") >= 2
    assert all(article.url and article.board and article.title for article in articles)
