"""The operators' dashboard: ``GET /admin`` (German or English) and the charting library
it draws with.

The page is static markup and ``admin.js`` under the pages' strict Content-Security-Policy
(``script-src 'self'``); it reads and changes everything through the admin API
(``/api/admin/series``, ``report``, ``gaps``, ``rules``), which takes the same sign-in.
Only admins see it (:func:`widget.admin_access.require_admin`): other agents get a page
that says why (403), nobody signed in gets the sign-in's 401.

The charts are drawn by uPlot, installed from npm by ``scripts/install`` outside the
repository (``chart_library_dir``) and served from here, never from a CDN. Without it the
page says that charts are unavailable and shows the same figures as a table.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app, make_response, render_template, request
from werkzeug.exceptions import NotFound

from widget.admin_access import NotAnAdmin, require_admin
from widget.agent_access import current_agent
from widget.agent_text import (
    SWITCH_PARAM,
    SWITCH_TO,
    language_choices,
    page_language,
    remembering_language,
)
from widget.context import engine_of
from widget.dashboard_text import PAGE, SCRIPT
from widget.pages import lock_down

dashboard = Blueprint("dashboard", __name__)

# The library's files as the npm package ships them, under the names the page asks for.
CHART_FILES = {"uplot.js": "uPlot.iife.min.js", "uplot.css": "uPlot.min.css"}
PERIODS_DAYS = (7, 30, 90, 365)
CHART_MAX_AGE_S = 24 * 3600


def chart_library(settings_dir: Path) -> dict[str, Path] | None:
    """The library's files, or None when any of them is missing."""
    files = {name: settings_dir / shipped for name, shipped in CHART_FILES.items()}
    return files if all(path.is_file() for path in files.values()) else None


@dashboard.get("/admin")
@require_admin
def page() -> Any:
    """The dashboard; its filters come from the index (boards) and the settings (languages)."""
    engine = engine_of(current_app)
    lang = page_language(request)
    response = make_response(
        render_template(
            "admin.html",
            lang=lang,
            t=PAGE[lang],
            script_text=SCRIPT[lang],
            switch_to=SWITCH_TO[lang],
            switch_param=SWITCH_PARAM,
            periods=PERIODS_DAYS,
            boards=sorted(engine.backend.boards()),
            languages=language_choices(lang, engine.settings.languages),
            charts=chart_library(engine.settings.chart_library_dir) is not None,
            agent=current_agent(),
        )
    )
    return remembering_language(response, request, lang, "/admin")


@dashboard.get("/admin/charts/<name>")
def chart_file(name: str) -> Any:
    """The charting library (public code: no sign-in needed to fetch it)."""
    files = chart_library(engine_of(current_app).settings.chart_library_dir)
    if files is None or name not in files:
        raise NotFound("the charting library is not installed (scripts/install installs it)")
    mimetype = "text/javascript" if name.endswith(".js") else "text/css"
    response = Response(files[name].read_bytes(), mimetype=mimetype)
    response.cache_control.max_age = CHART_MAX_AGE_S
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@dashboard.errorhandler(NotAnAdmin)
def forbidden(e: NotAnAdmin) -> Any:
    """403 as a page that says who is signed in and which setting makes an admin."""
    lang = page_language(request)
    body = render_template(
        "admin_forbidden.html",
        lang=lang,
        t=PAGE[lang],
        text=PAGE[lang]["forbidden_text"].replace("{agent}", current_agent() or ""),
    )
    return body, 403


@dashboard.after_request
def private(response: Response) -> Response:
    """The strict CSP; nothing internal cached on the way (the library may be)."""
    if response.mimetype == "text/html" or response.status_code >= 400:
        response.headers["Cache-Control"] = "no-store"
    return lock_down(response)
