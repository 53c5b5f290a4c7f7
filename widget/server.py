"""Run the app under gunicorn (production) or Flask's development server (``--dev``)."""

from __future__ import annotations

import threading
from typing import Any

from gunicorn.app.base import BaseApplication

from indexer.settings import Settings

# Requests are short and CPU-bound; a few threads per worker keep slow clients and
# keep-alive connections from blocking a worker without oversubscribing two cores.
THREADS_PER_WORKER = 4
GRACEFUL_TIMEOUT_S = 20


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn with its configuration from askfind's settings, not from a config file."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        super().__init__()

    def load_config(self) -> None:
        options = {
            "bind": f"{self._settings.host}:{self._settings.port}",
            "workers": self._settings.workers,
            "worker_class": "gthread",
            "threads": THREADS_PER_WORKER,
            "graceful_timeout": GRACEFUL_TIMEOUT_S,
            # The model and index load in each worker after the fork: ONNX Runtime's
            # thread pools do not survive a fork.
            "preload_app": False,
            "accesslog": None,
            "errorlog": "-",
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from widget.app import create_app

        return create_app(self._settings)


def run_gunicorn(settings: Settings) -> None:
    _Gunicorn(settings).run()


def run_dev_server(settings: Settings) -> None:
    from widget.app import create_app

    create_app(settings).run(host=settings.host, port=settings.port, debug=False)


class BackgroundServer:
    """The app on a free loopback port, served from a thread (browser tests, latency runs).

    Werkzeug's threaded server, like gunicorn's gthread workers, answers each request in
    its own thread, so a slow answer does not hold up the next one.
    """

    def __init__(self, app: Any, host: str = "127.0.0.1") -> None:
        from werkzeug.serving import make_server

        self._server = make_server(host, 0, app, threaded=True)
        self.url = f"http://{host}:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> BackgroundServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._thread.join()
