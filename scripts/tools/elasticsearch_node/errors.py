"""How the Elasticsearch scripts fail and what they tell on the way (both on stderr)."""

from __future__ import annotations

import sys

# The prefix of every message: the command the user ran.
SCRIPT = "elasticsearch_server.py"


class ElasticsearchServiceError(RuntimeError):
    """Elasticsearch could not be installed, started or stopped."""


def say(message: str) -> None:
    """Tell the user what is happening, on stderr (stdout carries the URL and pid file)."""
    print(f"{SCRIPT}: {message}", file=sys.stderr, flush=True)
