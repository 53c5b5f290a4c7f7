"""The command line of scripts/elasticsearch_server.py: install, start, status, stop.

With ``--nodes N`` (N > 1) start, status and stop act on a cluster of N nodes on this
machine: HTTP ports ``--port`` to ``--port``+N-1, transport ports 100 above them.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from ..arguments import positive_float, positive_int
from .cluster import CLUSTER_HEAP, ElasticsearchCluster
from .distribution import default_version, install
from .errors import SCRIPT, ElasticsearchServiceError, say
from .java import find_java
from .probes import cluster_health
from .processes import (
    is_running,
    pid_file_for,
    process_group_rss,
    read_pid,
    terminate_process_group,
)
from .server import DEFAULT_HEAP, DEFAULT_PORT, READY_TIMEOUT_SECONDS, ElasticsearchServer

# A cluster's node i listens on --port + i, and on that + 100 for transport (9200 -> 9300).
TRANSPORT_OFFSET = 100


def _ports(args: argparse.Namespace) -> list[int]:
    return [args.port + i for i in range(args.nodes)]


def _cmd_install(args: argparse.Namespace) -> int:
    started = time.monotonic()
    installation = install(args.version)
    java = find_java(args.version)
    action = "downloaded and unpacked" if installation.downloaded else "already installed"
    print(f"Elasticsearch {installation.version} {action}: {installation.home}")
    print(f"Java {java.version}: {java.home}")
    say(f"install took {time.monotonic() - started:.1f} s")
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    if args.nodes > 1:
        return _start_cluster(args)
    pid_file = pid_file_for(args.port)
    pid = read_pid(pid_file)
    if pid and is_running(pid):
        print(f"http://127.0.0.1:{args.port}\npid file: {pid_file} (already running, pid {pid})")
        return 0
    workdir = args.data_dir or Path(tempfile.gettempdir()) / f"askfind-elasticsearch-{args.port}"
    server = ElasticsearchServer(
        args.port,
        workdir,
        version=args.version,
        heap=args.heap or DEFAULT_HEAP,
        java_home=args.java_home,
        ready_timeout=args.timeout,
        stop_with_parent=args.foreground,
    )
    started = time.monotonic()
    server.start()
    print(f"{server.url}\npid file: {server.pid_file}\nworkdir: {server.workdir}", flush=True)
    say(f"ready after {time.monotonic() - started:.1f} s")
    if not args.foreground:
        return 0

    asked_to_stop = _forward_stop_signals([server])
    code = server.wait()
    server.stop()
    return 0 if asked_to_stop else code


def _start_cluster(args: argparse.Namespace) -> int:
    ports = _ports(args)
    running = [port for port in ports if (pid := read_pid(pid_file_for(port))) and is_running(pid)]
    if running:
        print(f"Elasticsearch already runs on port {running[0]}: stop it first")
        return 1
    workdir = args.data_dir or (
        Path(tempfile.gettempdir()) / f"askfind-elasticsearch-cluster-{args.port}"
    )
    cluster = ElasticsearchCluster(
        args.nodes,
        workdir,
        http_ports=ports,
        transport_ports=[port + TRANSPORT_OFFSET for port in ports],
        heap=args.heap or CLUSTER_HEAP,
        version=args.version,
        java_home=args.java_home,
        ready_timeout=args.timeout,
        stop_with_parent=args.foreground,
    )
    started = time.monotonic()
    cluster.start()
    print(f"{cluster.url}\nworkdir: {cluster.workdir}", flush=True)
    say(f"{args.nodes} nodes green after {time.monotonic() - started:.1f} s")
    if not args.foreground:
        return 0
    asked_to_stop = _forward_stop_signals(cluster.nodes)
    codes = [node.wait() for node in cluster.nodes]
    cluster.stop()
    return 0 if asked_to_stop else max(codes)


def _forward_stop_signals(servers: Sequence[ElasticsearchServer]) -> list[int]:
    """On SIGTERM or Ctrl-C, SIGTERM the servers' process groups; return the signals seen."""
    groups = [server.pid or 0 for server in servers]
    asked_to_stop: list[int] = []

    def forward(signum: int, frame: object) -> None:
        # Only pass the signal on: wait() holds the lock that reaping needs.
        asked_to_stop.append(signum)
        for pid in groups:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    return asked_to_stop


def _cmd_stop(args: argparse.Namespace) -> int:
    for port in _ports(args):
        pid_file = pid_file_for(port)
        pid = read_pid(pid_file)
        if pid is None or not is_running(pid):
            pid_file.unlink(missing_ok=True)
            print(f"no Elasticsearch started by this script runs on port {port}")
            continue
        terminate_process_group(pid)
        pid_file.unlink(missing_ok=True)
        print(f"stopped Elasticsearch on port {port} (pid {pid})")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    code = 0
    for port in _ports(args):
        pid_file = pid_file_for(port)
        pid = read_pid(pid_file)
        if pid is None or not is_running(pid):
            print(f"not running on port {port} (pid file {pid_file})")
            code = 3  # LSB: program is not running
            continue
        health = cluster_health(f"http://127.0.0.1:{port}", timeout=5.0) or {}
        print(f"running on http://127.0.0.1:{port}, pid {pid}, pid file {pid_file}")
        nodes = health.get("number_of_nodes", "?")
        print(f"cluster status: {health.get('status', 'no answer')} ({nodes} nodes)")
        for member, (name, rss) in sorted(process_group_rss(pid).items()):
            print(f"  pid {member} {name}: RSS {rss / 1024:.0f} MiB")
        if health.get("status") not in ("yellow", "green"):
            code = code or 1
    return code


def build_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    version_default = default_version()
    install_cmd = commands.add_parser("install", help="download, verify and unpack (idempotent)")
    install_cmd.add_argument("--version", default=version_default)
    install_cmd.set_defaults(handler=_cmd_install)
    start = commands.add_parser("start", help="start and wait until the cluster is yellow")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument(
        "--nodes", type=positive_int, default=1, help="nodes of one cluster (default 1)"
    )
    start.add_argument(
        "--data-dir",
        type=Path,
        help="default: $TMPDIR/askfind-elasticsearch-PORT (-cluster-PORT with --nodes)",
    )
    start.add_argument("--foreground", action="store_true", help="stay attached; Ctrl-C stops")
    start.add_argument("--version", default=version_default)
    start.add_argument(
        "--heap",
        help=f"JVM heap, e.g. 512m or 1g (default {DEFAULT_HEAP}; {CLUSTER_HEAP} a node "
        "in a cluster)",
    )
    start.add_argument("--java-home", type=Path, help="default: $ES_JAVA_HOME or newest JDK")
    start.add_argument("--timeout", type=positive_float, default=READY_TIMEOUT_SECONDS)
    start.set_defaults(handler=_cmd_start)
    for name, handler, text in (
        ("stop", _cmd_stop, "stop the server started on --port"),
        ("status", _cmd_status, "show pid, cluster health and memory of that server"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--port", type=int, default=DEFAULT_PORT)
        command.add_argument("--nodes", type=positive_int, default=1, help="as given to start")
        command.set_defaults(handler=handler)
    return parser


def main(description: str, argv: Sequence[str] | None = None) -> int:
    """Run one command; ``description`` is the help's first line (the entry point's)."""
    args = build_parser(description).parse_args(argv)
    try:
        return int(args.handler(args))
    except ElasticsearchServiceError as error:
        print(f"{SCRIPT}: error: {error}", file=sys.stderr)
        return 1
