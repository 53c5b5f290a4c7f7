"""The demo pages (strict CSP, both languages) and GET /embed.js (cacheable, gzipped)."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[2]
EMBED_MAX_GZIP_BYTES = 8 * 1024


@pytest.mark.parametrize(
    ("path", "lang", "heading"),
    [("/", "de", "Frage stellen"), ("/en", "en", "Ask the community"), ("/?lang=en", "en", "Ask")],
)
def test_the_demo_page_carries_the_widget_in_each_language(
    client: FlaskClient, path: str, lang: str, heading: str
) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    html = answer.get_data(as_text=True)
    assert f'<html lang="{lang}">' in html and heading in html
    assert (
        '<script src="/embed.js" data-target="#question-title" data-details="#question-details"'
        " async></script>"
    ) in html
    assert "<style" not in html and "style=" not in html and "onclick" not in html


def test_pages_forbid_inline_script_and_style(client: FlaskClient) -> None:
    csp = client.get("/").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["default-src"] == "'none'"
    assert "unsafe" not in csp


def test_the_ask_page_shows_the_question_as_text(client: FlaskClient) -> None:
    html = client.get("/ask", query_string={"title": "<b>WLAN</b> & mehr"}).get_data(as_text=True)
    assert "&lt;b&gt;WLAN&lt;/b&gt; &amp; mehr" in html and "<b>WLAN</b>" not in html


def test_embed_js_is_the_file_at_the_repository_top(client: FlaskClient) -> None:
    answer = client.get("/embed.js")
    assert answer.status_code == 200
    assert answer.mimetype == "text/javascript"
    assert answer.get_data() == (ROOT / "embed.js").read_bytes()


def test_embed_js_is_cached_and_revalidated(client: FlaskClient) -> None:
    answer = client.get("/embed.js")
    assert answer.cache_control.public and answer.cache_control.max_age == 3600
    etag = answer.headers["ETag"]
    again = client.get("/embed.js", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""


def test_embed_js_is_gzipped_within_its_budget(client: FlaskClient) -> None:
    answer = client.get("/embed.js", headers={"Accept-Encoding": "gzip, br"})
    assert answer.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in answer.headers["Vary"]
    assert gzip.decompress(answer.get_data()) == (ROOT / "embed.js").read_bytes()
    assert len(answer.get_data()) <= EMBED_MAX_GZIP_BYTES
