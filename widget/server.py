"""Run the app under gunicorn (production) or Flask's development server (``--dev``)."""

from __future__ import annotations

import gc
import logging
import os
import shutil
import socket
import tempfile
import threading
from pathlib import Path
from typing import Any

from gunicorn.app.base import BaseApplication

from indexer.settings import Settings
from widget.daily_purge import start_daily_purge
from widget.logs import configure_logging, logging_config
from widget.memory import keep_arrays_on_the_heap, limit_arenas

log = logging.getLogger(__name__)

# Requests are short and CPU-bound; a few threads per worker keep slow clients and
# keep-alive connections from blocking a worker without oversubscribing two cores.
THREADS_PER_WORKER = 4
# On SIGTERM gunicorn stops accepting connections and gives the requests in flight this
# long to finish (a suggestion takes milliseconds, a large POST /api/threads seconds).
GRACEFUL_TIMEOUT_S = 20
# Keep-alive connections of the widget (one per browser tab) are held this long idle.
KEEPALIVE_S = 5
METRICS_ENV = "PROMETHEUS_MULTIPROC_DIR"
# gunicorn's request limits stand above askfind's own (url_max_bytes, header_max_count,
# header_max_bytes), which the app answers as JSON (widget.request_limits); beyond these,
# gunicorn refuses the request itself, answered as JSON too by widget.gunicorn_worker.
# 8190 is the longest request line gunicorn can be set to hold.
GUNICORN_MAX_REQUEST_LINE = 8190
# Header fields gunicorn holds, as a multiple of askfind's own limits.
GUNICORN_HEADER_HEADROOM = 2
# Python's cyclic garbage collector runs its first generation once 700 more container
# objects are alive than at its last run (the default). Parsing one Elasticsearch answer
# of a hundred hits makes a few thousand, so a worker collected several times a request
# and every fortieth request or so also the old ones: 40 to 110 ms with every thread
# held, measured as the p99 of a suggestion at 100,000 threads. At 10,000 it collects a
# few times a thousand requests.
GC_FIRST_GENERATION_THRESHOLD = 10_000


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    """gunicorn with its configuration from askfind's settings, not from a config file."""

    def __init__(self, settings: Settings, listener: socket.socket) -> None:
        self._settings = settings
        self._listener = listener
        super().__init__()

    def load_config(self) -> None:
        options = {
            # askfind has bound the socket already (widget.listening): gunicorn serves it.
            "bind": f"fd://{self._listener.fileno()}",
            "workers": self._settings.workers,
            # gthread, answering gunicorn's own refusals as JSON.
            "worker_class": "widget.gunicorn_worker.JsonErrorWorker",
            "limit_request_line": GUNICORN_MAX_REQUEST_LINE,
            "limit_request_fields": GUNICORN_HEADER_HEADROOM * self._settings.header_max_count,
            "limit_request_field_size": GUNICORN_HEADER_HEADROOM * self._settings.header_max_bytes,
            "threads": THREADS_PER_WORKER,
            "graceful_timeout": GRACEFUL_TIMEOUT_S,
            "keepalive": KEEPALIVE_S,
            # The model and index load in each worker after the fork: ONNX Runtime's
            # thread pools do not survive a fork.
            "preload_app": False,
            "accesslog": None,  # askfind writes its own access log (widget.lifecycle)
            "errorlog": "-",
            "logconfig_dict": logging_config(self._settings.log_format, self._settings.log_level),
            "post_worker_init": _worker_ready,
            "child_exit": _child_exit,
            "worker_exit": _worker_exit,
        }
        # gunicorn 25.1+ opens a control socket for ``gunicornc`` at one path per user
        # ($XDG_RUNTIME_DIR/gunicorn.ctl or ~/.gunicorn/gunicorn.ctl), which a second
        # server takes over from the first. askfind is managed through signals and its
        # settings, so it opens none.
        if "control_socket_disable" in self.cfg.settings:
            options["control_socket_disable"] = True
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        from widget.app import create_app

        return create_app(self._settings)


def run_gunicorn(settings: Settings, listener: socket.socket) -> None:
    """Serve on ``listener`` under gunicorn until SIGTERM or SIGINT (then shut down
    gracefully)."""
    configure_logging(settings.log_format, settings.log_level)
    # Before the fork: the workers inherit both.
    limit_arenas()
    keep_arrays_on_the_heap()
    metrics_dir = _metrics_directory()
    try:
        _Gunicorn(settings, listener).run()
    finally:
        if metrics_dir is not None:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def run_dev_server(settings: Settings, listener: socket.socket) -> None:
    """Serve on ``listener`` with Werkzeug's development server (one process, a thread per
    request) until Ctrl-C."""
    from werkzeug.serving import make_server

    from widget.app import create_app

    configure_logging(settings.log_format, settings.log_level)
    host, port = listener.getsockname()[:2]
    app = create_app(settings)
    start_daily_purge(app)
    server = make_server(host, port, app, threaded=True, fd=listener.fileno())
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def _metrics_directory() -> Path | None:
    """Point prometheus-client's multiprocess mode at an empty directory, before any worker
    imports it, so that /metrics adds up every worker's values. Returns the directory to
    remove at exit (None when the operator chose one through the environment)."""
    given = os.environ.get(METRICS_ENV)
    if given:
        for stale in Path(given).glob("*.db"):  # a previous run's workers are gone
            stale.unlink()
        return None
    made = Path(tempfile.mkdtemp(prefix="askfind-metrics-"))
    os.environ[METRICS_ENV] = str(made)
    return made


def _worker_ready(worker: Any) -> None:
    """A worker has loaded the app: settle its garbage collection, start its daily purge."""
    from flask import Flask

    _settle_garbage_collection(worker)
    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        start_daily_purge(app)


def _settle_garbage_collection(worker: Any) -> None:
    """The worker has loaded the model and the index: leave what it loaded out of every
    later collection (``gc.freeze``), and collect rarely (``GC_FIRST_GENERATION_THRESHOLD``).
    Memory is freed by reference counting as before; only cycles wait longer."""
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_FIRST_GENERATION_THRESHOLD, older, oldest)
    log.info(
        "garbage collection: %d objects loaded left out, first generation at %d",
        gc.get_freeze_count(),
        GC_FIRST_GENERATION_THRESHOLD,
    )


def _child_exit(server: Any, worker: Any) -> None:
    """A worker has exited: drop its live gauges (the counters stay summed in).

    Runs in the master, which must not import askfind's metrics: that would give the
    master files of its own in the metrics directory.
    """
    directory = os.environ.get(METRICS_ENV)
    if directory and Path(directory).is_dir():
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid, directory)  # type: ignore[no-untyped-call]


def _worker_exit(server: Any, worker: Any) -> None:
    """A worker is leaving (after its requests finished): close the index, the event
    store and Redis cleanly rather than leave it to the kernel."""
    from flask import Flask

    from widget.app import close_app

    app = getattr(worker, "wsgi", None)
    if isinstance(app, Flask):
        close_app(app)


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
