"""Help articles (FAQ, help pages) from files: a folder of Markdown or HTML pages, or a
sitemap of pages already saved to disk. Nothing is fetched: a sitemap only names the
pages and their addresses.

Every page becomes a record of the thread format with ``"type": "article"`` (JSON Lines
articles are such records already, read by :mod:`indexer.sources.jsonl`). Its body stays
HTML (Markdown is rendered to it by markdown-it-py): the pipeline cleans every body the
same way (``indexer.cleaning``), so an article's text is analysed like a thread's.

A Markdown page may start with front matter, ``key: value`` lines between two ``---``
lines (``title``, ``url``, ``board``, ``lang``, ``tags`` comma-separated, ``created_at``,
``updated_at``, ``visibility``); without a title there, its first ``#`` heading is the
title. An HTML page's title is its first ``<h1>`` (else its ``<title>``), its link its
``<link rel="canonical">``, its language ``<html lang>``, its board, tags and times its
Open Graph ``article:*`` properties; navigation, header and footer are not its text.
"""

from __future__ import annotations

import codecs
import functools
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from selectolax.lexbor import LexborHTMLParser

from indexer.errors import InvalidRecord
from indexer.json_input import not_utf8
from indexer.sources.base import RecordError, SourceItem
from indexer.threads import ARTICLE, thread_from_record

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
HTML_SUFFIXES = frozenset({".html", ".htm"})
ARTICLE_SUFFIXES = MARKDOWN_SUFFIXES | HTML_SUFFIXES
SITEMAP_NAMESPACE = "http://www.sitemaps.org/schemas/sitemap/0.9"
# Front matter keys taken as they are; tags are split at commas.
FRONT_MATTER_KEYS = frozenset(
    {"id", "title", "url", "board", "lang", "created_at", "updated_at", "visibility"}
)
# Open Graph article properties (ogp.me) a help page may carry, as thread-format fields.
OPEN_GRAPH_FIELDS = {
    "article:section": "board",
    "article:tag": "tags",
    "article:published_time": "created_at",
    "article:modified_time": "updated_at",
}
# Parts of a saved help page that are the site's, not the article's.
_CHROME = "nav, header, footer, aside, script, style, noscript, form"
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_HEADING = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@functools.cache
def _markdown() -> Any:
    """CommonMark without raw HTML: a Markdown article's HTML is what Markdown makes. Made
    when first needed: every ``askfind`` command imports the sources, few read Markdown."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table")


def is_sitemap(path: Path) -> bool:
    """Tell whether a file is a sitemap (``<urlset>``), by its first bytes."""
    if not path.is_file() or path.suffix.lower() != ".xml":
        return False
    with path.open("rb") as handle:
        return b"<urlset" in handle.read(4096)


def has_article_pages(path: Path) -> bool:
    """Tell whether a path is a Markdown or HTML page, or a folder holding some."""
    if path.is_file():
        return path.suffix.lower() in ARTICLE_SUFFIXES
    return any(_pages(path))


def read_article_folder(
    path: Path, site_url: str | None = None, board: str | None = None
) -> Iterator[SourceItem]:
    """An article for each Markdown or HTML page of a folder (and its subfolders), or of
    one file.

    Its id is ``article:`` and the page's path in the folder without suffix; its link
    the page's own, else ``site_url`` and that path; ``board`` files articles that name
    none.
    """
    root = path.parent if path.is_file() else path
    for page in [path] if path.is_file() else _pages(path):
        name = page.relative_to(root).with_suffix("").as_posix()
        defaults = {"id": f"article:{name}", "board": board}
        if site_url:
            defaults["url"] = f"{site_url.rstrip('/')}/{name}"
        yield _article(page, page.relative_to(root).as_posix(), defaults)


def read_sitemap(path: Path, board: str | None = None) -> Iterator[SourceItem]:
    """An article for each page a sitemap lists, read from where it was saved.

    A page ``https://host/a/b`` is looked for next to the sitemap as ``host/a/b`` (the
    layout ``wget --mirror`` writes) or ``a/b``, each as it is, with ``.html`` or as
    ``index.html`` inside. Its id and link are its address; its ``<lastmod>`` is its
    ``updated_at``. A page not saved is a record error, not a request.
    """
    from lxml import etree  # here: only a sitemap needs it, and it takes 10 ms to import

    try:
        tree = etree.parse(str(path), etree.XMLParser(resolve_entities=False, no_network=True))
    except (OSError, etree.XMLSyntaxError) as e:
        yield RecordError(path.name, f"not a readable sitemap: {e}")
        return
    entries = tree.getroot().iterfind(f"{{{SITEMAP_NAMESPACE}}}url")
    for number, entry in enumerate(entries, start=1):
        location = f"{path.name}: url {number}"
        address = (entry.findtext(f"{{{SITEMAP_NAMESPACE}}}loc") or "").strip()
        if not address:
            yield RecordError(location, "has no <loc>")
            continue
        page = saved_page(path.parent, address)
        if page is None:
            yield RecordError(location, f"{address} is not saved next to the sitemap")
            continue
        defaults = {"id": address, "url": address, "board": board}
        lastmod = (entry.findtext(f"{{{SITEMAP_NAMESPACE}}}lastmod") or "").strip()
        if lastmod:
            defaults["updated_at"] = lastmod
        yield _article(page, location, defaults)


def saved_page(folder: Path, address: str) -> Path | None:
    """Where a page of ``address`` was saved under ``folder`` (None: nowhere). Never
    outside ``folder``: an address with ``..`` finds nothing."""
    parts = urlsplit(address)
    path = parts.path.strip("/")
    if ".." in path.split("/"):
        return None
    for base in (folder / parts.netloc / path, folder / path):
        for candidate in (base, base.with_name(base.name + ".html"), base / "index.html"):
            if candidate.is_file() and candidate.resolve().is_relative_to(folder.resolve()):
                return candidate
    return None


def _pages(folder: Path) -> Iterator[Path]:
    return (
        page
        for page in sorted(folder.rglob("*"))
        if page.suffix.lower() in ARTICLE_SUFFIXES and page.is_file()
    )


def _article(page: Path, location: str, defaults: dict[str, Any]) -> SourceItem:
    """The article of one saved page, or the RecordError saying why there is none."""
    try:
        text = page_text(page.read_bytes(), html=page.suffix.lower() in HTML_SUFFIXES)
    except OSError as e:
        return RecordError(location, f"cannot read the page: {e}")
    except UnicodeDecodeError as e:
        return RecordError(location, _undecodable(e, page.suffix.lower() in HTML_SUFFIXES))
    if page.suffix.lower() in MARKDOWN_SUFFIXES:
        found = markdown_record(text, fallback_title=page.stem)
    else:
        found = html_record(text)
    record = {**{k: v for k, v in defaults.items() if v is not None}, **found}
    record["type"] = ARTICLE
    try:
        return thread_from_record(record)
    except InvalidRecord as e:
        return RecordError(location, str(e))


def page_text(data: bytes, html: bool) -> str:
    """A saved page's text as a browser reads it: UTF-8 (a byte order mark dropped),
    UTF-16 after its byte order mark, or, for an HTML page saved in another encoding, the
    charset its ``<meta>`` declares (German help pages are still served as ISO-8859-1).

    Raises:
        UnicodeDecodeError: the page is none of these. Its letters replaced, it would be
            indexed with "Ger\ufffdt" for "Gerät", found by nobody.
    """
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        declared = _declared_charset(data) if html else None
        if declared is None:
            raise
        return data.decode(declared)


def _declared_charset(data: bytes) -> str | None:
    """The encoding an HTML page's ``<meta charset>`` (or ``http-equiv`` content type)
    names within its first 1,024 bytes, where the HTML standard says to look; None if it
    names none Python knows."""
    found = _META_CHARSET.search(data[:1024])
    if not found:
        return None
    try:
        return codecs.lookup(found.group(1).decode("ascii")).name
    except LookupError:
        return None


def _undecodable(error: UnicodeDecodeError, html: bool) -> str:
    """Why a page was not read, and how it can be."""
    if error.encoding not in {"utf-8", "utf-8-sig"}:
        return f"cannot be read as {error.encoding} ({error.reason}): save it as UTF-8"
    declare = ", nor names a charset it is in (<meta charset>)" if html else ""
    return f"{not_utf8(error)}{declare}: save it as UTF-8"


def markdown_record(text: str, fallback_title: str) -> dict[str, Any]:
    """The fields a Markdown page gives: its front matter, title and body (as HTML)."""
    record: dict[str, Any] = {}
    matter = _FRONT_MATTER.match(text)
    if matter:
        text = text[matter.end() :]
        for line in matter.group(1).splitlines():
            key, colon, value = line.partition(":")
            key, value = key.strip().lower(), value.strip()
            if not colon or not value:
                continue
            if key == "tags":
                record["tags"] = [tag.strip() for tag in value.split(",") if tag.strip()]
            elif key in FRONT_MATTER_KEYS:
                record[key] = value
    if "title" not in record:
        heading = _HEADING.search(text)
        if heading:
            record["title"] = heading.group(1)
            text = text[: heading.start()] + text[heading.end() :]
        else:
            record["title"] = fallback_title.replace("-", " ").replace("_", " ")
    record["body"] = _markdown().render(text)
    return record


def html_record(text: str) -> dict[str, Any]:
    """The fields a saved HTML page gives: title, link, language and its article's HTML."""
    tree = LexborHTMLParser(text)
    record: dict[str, Any] = {}
    heading = tree.css_first("h1")
    title = tree.css_first("title")
    if heading is not None and heading.text(strip=True):
        record["title"] = heading.text(separator=" ", strip=True)
        heading.decompose()
    elif title is not None and title.text(strip=True):
        record["title"] = title.text(strip=True)
    canonical = tree.css_first('link[rel="canonical"]')
    if canonical is not None and canonical.attributes.get("href"):
        record["url"] = canonical.attributes["href"]
    for meta in tree.css("meta[property]"):
        name = OPEN_GRAPH_FIELDS.get(meta.attributes.get("property") or "")
        content = (meta.attributes.get("content") or "").strip()
        if name == "tags" and content:
            record.setdefault("tags", []).append(content)
        elif name and content:
            record[name] = content
    root = tree.css_first("html")
    lang = root.attributes.get("lang") if root is not None else None
    if lang:
        record["lang"] = lang.split("-")[0].lower()
    for chrome in tree.css(_CHROME):
        chrome.decompose()
    content = tree.css_first("main") or tree.css_first("article") or tree.body
    record["body"] = content.html if content is not None else ""
    return record
