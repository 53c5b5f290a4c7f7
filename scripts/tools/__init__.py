"""What the scripts of scripts/ are made of: one subpackage per script, one module per concern.

The files in scripts/ are thin entry points; Python puts scripts/ on the path when it runs
one, so this package imports as ``tools``. Its modules import each other relatively, so the
layout test (tests/test_layout.py) sees their dependencies and refuses a cycle among them.

- ``elasticsearch_node``: install, start and stop a local Elasticsearch
  (scripts/elasticsearch_server.py); standard library only, since it runs before askfind is
  installed.
- ``instruments``: what scripts/bench and scripts/replay measure askfind with from the
  outside: HTTP clients and load, process tables, the machine's load, statistics.
- ``benchmark``: the phases and the report of scripts/bench.
- ``replay``: the simulated typists and the outages of scripts/replay.
- ``redis_node``: a local Redis to kill and restart (scripts/redis_server.py).
"""
