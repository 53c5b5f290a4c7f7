"""A local Elasticsearch, one node or a cluster of several, for development, tests and CI.

Standard library only, because it runs before anything else of askfind is installed. The
distribution is the minimal `integ-test-zip` from Maven Central (server, transport, x-pack core
and security), cached under ~/.cache/askfind/elasticsearch. Elasticsearch refuses to run as
root, so a root caller runs it as the system user `askfind-es`. (Not named elasticsearch:
scripts import the `elasticsearch` client, which that name would shadow.)

From the bottom up: ``errors``, ``distribution`` (download, verify, unpack), ``java`` (a
runtime that can run it), ``run_user`` (who runs it), ``processes`` (pid files and process
groups), ``probes`` (ports and cluster health), ``server`` (one node), ``cluster`` (several nodes
forming one cluster), ``cli``.
"""

from __future__ import annotations

from .cluster import CLUSTER_HEAP, DEFAULT_NODES, ElasticsearchCluster
from .distribution import DEFAULT_VERSION, Installation, cache_dir, default_version, install
from .errors import ElasticsearchServiceError
from .java import JavaRuntime, find_java, java_runtime, min_java_major
from .probes import cluster_health, free_port, port_in_use
from .processes import pid_file_for, process_group_rss, read_pid, terminate_process_group
from .run_user import RunUser, ensure_run_user
from .server import DEFAULT_HEAP, DEFAULT_PORT, Discovery, ElasticsearchServer

__all__ = [
    "CLUSTER_HEAP",
    "DEFAULT_HEAP",
    "DEFAULT_NODES",
    "DEFAULT_PORT",
    "DEFAULT_VERSION",
    "Discovery",
    "ElasticsearchCluster",
    "ElasticsearchServer",
    "ElasticsearchServiceError",
    "Installation",
    "JavaRuntime",
    "RunUser",
    "cache_dir",
    "cluster_health",
    "default_version",
    "ensure_run_user",
    "find_java",
    "free_port",
    "install",
    "java_runtime",
    "min_java_major",
    "pid_file_for",
    "port_in_use",
    "process_group_rss",
    "read_pid",
    "terminate_process_group",
]
