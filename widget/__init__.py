"""askfind's HTTP service: the Flask app that answers the widget, agents and operators.

``create_app`` is imported on first use, not with the package: the ``askfind`` command
(``widget.cli``) lives here too, and a search from the command line needs no Flask.
"""

from __future__ import annotations

from typing import Any

__all__ = ["create_app"]


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from widget.app import create_app

        return create_app
    raise AttributeError(f"module 'widget' has no attribute {name!r}")
