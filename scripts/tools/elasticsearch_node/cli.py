"""The command line of scripts/elasticsearch_server.py: install, start, status, stop."""

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
        heap=args.heap,
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

    pid = server.pid or 0
    asked_to_stop: list[int] = []

    def forward(signum: int, frame: object) -> None:
        # Only pass the signal on: wait() below holds the lock that reaping needs.
        asked_to_stop.append(signum)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    code = server.wait()
    server.stop()
    return 0 if asked_to_stop else code


def _cmd_stop(args: argparse.Namespace) -> int:
    pid_file = pid_file_for(args.port)
    pid = read_pid(pid_file)
    if pid is None or not is_running(pid):
        pid_file.unlink(missing_ok=True)
        print(f"no Elasticsearch started by this script runs on port {args.port}")
        return 0
    terminate_process_group(pid)
    pid_file.unlink(missing_ok=True)
    print(f"stopped Elasticsearch on port {args.port} (pid {pid})")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    pid_file = pid_file_for(args.port)
    pid = read_pid(pid_file)
    if pid is None or not is_running(pid):
        print(f"not running on port {args.port} (pid file {pid_file})")
        return 3  # LSB: program is not running
    health = cluster_health(f"http://127.0.0.1:{args.port}", timeout=5.0) or {}
    print(f"running on http://127.0.0.1:{args.port}, pid {pid}, pid file {pid_file}")
    print(f"cluster status: {health.get('status', 'no answer')}")
    for member, (name, rss) in sorted(process_group_rss(pid).items()):
        print(f"  pid {member} {name}: RSS {rss / 1024:.0f} MiB")
    return 0 if health.get("status") in ("yellow", "green") else 1


def build_parser(description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    commands = parser.add_subparsers(dest="command", required=True)
    version_default = default_version()
    install_cmd = commands.add_parser("install", help="download, verify and unpack (idempotent)")
    install_cmd.add_argument("--version", default=version_default)
    install_cmd.set_defaults(handler=_cmd_install)
    start = commands.add_parser("start", help="start and wait until the cluster is yellow")
    start.add_argument("--port", type=int, default=DEFAULT_PORT)
    start.add_argument("--data-dir", type=Path, help="default: $TMPDIR/askfind-elasticsearch-PORT")
    start.add_argument("--foreground", action="store_true", help="stay attached; Ctrl-C stops")
    start.add_argument("--version", default=version_default)
    start.add_argument("--heap", default=DEFAULT_HEAP, help="JVM heap, e.g. 512m or 1g")
    start.add_argument("--java-home", type=Path, help="default: $ES_JAVA_HOME or newest JDK")
    start.add_argument("--timeout", type=float, default=READY_TIMEOUT_SECONDS)
    start.set_defaults(handler=_cmd_start)
    for name, handler, text in (
        ("stop", _cmd_stop, "stop the server started on --port"),
        ("status", _cmd_status, "show pid, cluster health and memory of that server"),
    ):
        command = commands.add_parser(name, help=text)
        command.add_argument("--port", type=int, default=DEFAULT_PORT)
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
