"""The Flask app factory: one engine per process, one blueprint per feature.

It only assembles: the blueprints find the engine through ``widget.context`` and answer
errors through ``widget.errors``, so none of them imports this module.
"""

from __future__ import annotations

from flask import Flask, Response

from indexer.engine import Engine, open_engine
from indexer.settings import Settings, load_settings
from widget.context import ENGINE_KEY, engine_of
from widget.errors import register_error_handlers


class AskfindFlask(Flask):
    """Flask, with ``OPTIONS`` answered like the API's other answers that have no body."""

    def make_default_options_response(self) -> Response:
        """204 with the Allow header: Flask's 200 has an empty text/html body.

        Nothing more: a CORS preflight is answered, never granted (``widget.origins``; the
        widget's simple GETs need none).
        """
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def create_app(settings: Settings | None = None, engine: Engine | None = None) -> Flask:
    """Build the app. The engine (model, analyser, backend) is loaded here, once per worker.

    Args:
        settings: defaults to ``load_settings()`` (file + environment).
        engine: an already built engine to serve (tests share one across apps).
    """
    settings = settings or (engine.settings if engine else load_settings())
    app = AskfindFlask(__name__)
    app.json.sort_keys = False  # type: ignore[attr-defined]  # items keep the contract's order
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    # Thread ids may start with or hold "/" (sent as %2F): "/api/threads//x" is the thread
    # "/x", not a path to redirect to "/api/threads/x".
    app.url_map.merge_slashes = False
    app.extensions[ENGINE_KEY] = engine = engine or open_engine(settings)
    if settings.proxy_hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        hops = settings.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]

    from widget import lifecycle
    from widget.admin import admin
    from widget.admin_rules import admin_rules
    from widget.agent import agent
    from widget.api import api
    from widget.dashboard import dashboard
    from widget.events import events
    from widget.health import health
    from widget.hooks import hooks
    from widget.metrics import metrics_page
    from widget.origins import allow_widget_origins
    from widget.pages import pages
    from widget.request_limits import register as check_request_sizes
    from widget.runtime import RUNTIME_KEY, build_runtime
    from widget.threads_api import threads

    app.extensions[RUNTIME_KEY] = build_runtime(app, engine)
    app.register_blueprint(api)
    app.register_blueprint(events)
    app.register_blueprint(health)
    app.register_blueprint(pages)
    app.register_blueprint(agent)
    app.register_blueprint(threads)
    app.register_blueprint(hooks)
    app.register_blueprint(admin)
    app.register_blueprint(admin_rules)
    app.register_blueprint(dashboard)
    app.register_blueprint(metrics_page)
    app.after_request(allow_widget_origins)
    lifecycle.register(app)
    check_request_sizes(app)
    register_error_handlers(app)
    return app


def close_app(app: Flask) -> None:
    """Release what the app holds: the index, the event store, Redis connections."""
    from widget.admin_rules import close_rule_editor
    from widget.daily_purge import PURGE_KEY
    from widget.events import STORE_KEY
    from widget.runtime import runtime_of

    purge = app.extensions.pop(PURGE_KEY, None)
    if purge is not None:
        purge.stop()
    runtime_of(app).redis.close()
    store = app.extensions.pop(STORE_KEY, None)
    if store is not None:
        store.close()
    close_rule_editor(app)
    engine_of(app).close()
