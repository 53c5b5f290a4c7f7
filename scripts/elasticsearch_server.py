#!/usr/bin/env python3
"""Install, start and stop a local Elasticsearch (one node, or a cluster of several on this
machine) for development, tests and CI.

Standard library only, because it runs before anything else of askfind is installed. The
distribution is the minimal `integ-test-zip` from Maven Central (server, transport, x-pack core
and security), cached under ~/.cache/askfind/elasticsearch. Elasticsearch refuses to run as
root, so a root caller runs it as the system user `askfind-es`. (Not named elasticsearch.py:
scripts in this folder import the `elasticsearch` client, which that name would shadow.)

    scripts/elasticsearch_server.py install
    scripts/elasticsearch_server.py start [--port 9200] [--data-dir DIR] [--foreground]
    scripts/elasticsearch_server.py status [--port 9200]
    scripts/elasticsearch_server.py stop [--port 9200]
    scripts/elasticsearch_server.py start --nodes 3   # HTTP 9200-9202, transport 9300-9302
    scripts/elasticsearch_server.py status --nodes 3 / stop --nodes 3

From Python: `with ElasticsearchServer(port=free_port()) as server: ... server.url ...`, or
`with ElasticsearchCluster(3) as cluster: ... cluster.url ...` (every node's URL, comma-separated)
(the code is in tools/elasticsearch_node/; this module re-exports its public names).
"""

from __future__ import annotations

import sys

from tools.elasticsearch_node import *  # noqa: F403 - the script's importable interface
from tools.elasticsearch_node import __all__ as __all__
from tools.elasticsearch_node.cli import main

if __name__ == "__main__":
    sys.exit(main(__doc__.splitlines()[0]))
