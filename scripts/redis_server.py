#!/usr/bin/env python3
"""Start, kill and restart a local Redis (Debian's ``redis-server``) for tests and chaos runs.

    .venv/bin/python scripts/redis_server.py start [--port N]   # prints the URL, stays up
    .venv/bin/python scripts/redis_server.py stop --port N

The server binds to 127.0.0.1 only, keeps no data on disk (no RDB snapshots, no AOF: a
cache and rate limits lose nothing that matters when it dies) and lives in a temporary
directory. ``kill`` ends it the hard way (SIGKILL, as a crash would) and ``start`` brings
it back on the same port, which is what the tests and ``scripts/chaos`` do mid-run.

Importable without side effects: ``tests/redis_service.py`` loads it the way
``tests/services.py`` loads ``scripts/elasticsearch_server.py``. The code is in
tools/redis_node.py; this module re-exports its public names.
"""

from __future__ import annotations

import sys

from tools.redis_node import RedisServer, RedisServiceError, free_port, main, redis_binary

__all__ = ["RedisServer", "RedisServiceError", "free_port", "redis_binary"]

if __name__ == "__main__":
    sys.exit(main(__doc__.split("\n\n")[0]))
