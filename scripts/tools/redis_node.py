"""A local Redis (Debian's ``redis-server``) that tests and chaos runs start, kill and restart.

The server binds to 127.0.0.1 only, keeps no data on disk (no RDB snapshots, no AOF: a
cache and rate limits lose nothing that matters when it dies) and lives in a temporary
directory. ``kill`` ends it the hard way (SIGKILL, as a crash would) and ``start`` brings
it back on the same port. Standard library only: it needs no client to know Redis is up.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from .ports import free_port

READY_TIMEOUT_S = 10.0
PID_DIR = Path(tempfile.gettempdir())


class RedisServiceError(RuntimeError):
    """redis-server is missing or did not come up; the message says what to do."""


def redis_binary() -> str:
    found = shutil.which("redis-server")
    if found is None:
        raise RedisServiceError(
            "redis-server is not installed: `apt-get install redis-server` (scripts/test "
            "installs it when it is missing)"
        )
    return found


class RedisServer:
    """One redis-server process on 127.0.0.1:``port``, restartable on the same port."""

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.directory = Path(tempfile.mkdtemp(prefix=f"askfind-redis-{self.port}-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> RedisServer:
        """Start the server and wait until it answers PING."""
        if self.running:
            return self
        log = (self.directory / "redis.log").open("ab")
        options = {
            "port": str(self.port),
            "bind": "127.0.0.1",
            "save": "",
            "appendonly": "no",
            "dir": str(self.directory),
            "protected-mode": "yes",
            "maxmemory": "256mb",
            "maxmemory-policy": "allkeys-lru",
        }
        arguments = [item for name, value in options.items() for item in (f"--{name}", value)]
        self.process = subprocess.Popen(
            [redis_binary(), *arguments],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # a Ctrl-C meant for the tests does not kill it
        )
        log.close()
        self._wait_ready()
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """End the server with SIGKILL, as a crash would: no goodbye to the clients."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> RedisServer:
        self.kill()
        return self.start()

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None
        shutil.rmtree(self.directory, ignore_errors=True)

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RedisServiceError(f"redis-server exited: {self._log_tail()}")
            if _pings(self.port):
                return
            time.sleep(0.02)
        self.kill()
        raise RedisServiceError(f"redis-server did not answer within {READY_TIMEOUT_S} s")

    def _log_tail(self) -> str:
        with contextlib.suppress(OSError):
            return (self.directory / "redis.log").read_text(errors="replace")[-2000:]
        return "(no log)"


def _pings(port: int) -> bool:
    """Send PING in the inline protocol; True on +PONG (no client library needed)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as connection:
            connection.sendall(b"PING\r\n")
            return connection.recv(16).startswith(b"+PONG")
    except OSError:
        return False


def _pid_file(port: int) -> Path:
    return PID_DIR / f"askfind-redis-{port}.pid"


def main(description: str) -> int:
    """``start`` (prints the URL, the server stays up) or ``stop --port N``."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("command", choices=("start", "stop"))
    parser.add_argument("--port", type=int, default=None)
    args = parser.parse_args()
    if args.command == "start":
        server = RedisServer(args.port).start()
        assert server.process is not None
        _pid_file(server.port).write_text(f"{server.process.pid}\n{server.directory}\n")
        print(server.url)
        return 0
    if args.port is None:
        parser.error("stop needs --port")
    pid_file = _pid_file(args.port)
    if not pid_file.is_file():
        print(f"no server started by this script on port {args.port}", file=sys.stderr)
        return 1
    pid_text, directory = pid_file.read_text().splitlines()[:2]
    with contextlib.suppress(ProcessLookupError):
        os.kill(int(pid_text), signal.SIGTERM)
    shutil.rmtree(directory, ignore_errors=True)
    pid_file.unlink()
    return 0
