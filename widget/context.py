"""Where a request finds what its app holds: the one accessor every blueprint imports.

It lives apart from the app factory so that blueprints never import ``widget.app``, which
imports them all: the package has no import cycle.
"""

from __future__ import annotations

from flask import Flask

from indexer.engine import Engine

ENGINE_KEY = "askfind.engine"


def engine_of(app: Flask) -> Engine:
    """The engine (settings, model, analyser, backend) this app serves."""
    engine: Engine = app.extensions[ENGINE_KEY]
    return engine
