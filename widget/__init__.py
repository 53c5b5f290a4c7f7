"""askfind's HTTP service: the Flask app that answers the widget, agents and operators."""

from widget.app import create_app

__all__ = ["create_app"]
