"""One Elasticsearch node: its settings, its workdir, starting, stopping and killing it.

A node runs alone (``discovery.type: single-node``) unless it is given a ``Discovery``: then
it is one of the nodes of a cluster on this machine (see ``cluster``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from ..ports import free_port
from .distribution import Installation, default_version, install
from .errors import ElasticsearchServiceError, say
from .java import JavaRuntime, find_java, java_runtime
from .probes import cluster_health, port_in_use
from .processes import (
    die_with_parent,
    is_running,
    kill_process_group,
    pid_file_for,
    read_pid,
    terminate_process_group,
)
from .run_user import SYSTEM_PATH, RunUser, ensure_run_user, link_tree, works_as

DEFAULT_PORT = 9200
DEFAULT_HEAP = "512m"
READY_TIMEOUT_SECONDS = 180.0  # A cold start takes ~20 s on 2 cores; leave room for slow CI.


@dataclass(frozen=True)
class Discovery:
    """How a node finds the other nodes of its cluster, all on 127.0.0.1."""

    cluster_name: str
    # The transport port of every node, its own included, in node order.
    transport_ports: tuple[int, ...]

    def node_name(self, transport_port: int) -> str:
        return f"{self.cluster_name}-node-{self.transport_ports.index(transport_port) + 1}"

    def settings(self) -> dict[str, object]:
        return {
            "cluster.name": self.cluster_name,
            "discovery.seed_hosts": [f"127.0.0.1:{port}" for port in self.transport_ports],
            # Every node is master-eligible: any one of three may die and two still elect.
            # Read only when the cluster forms for the first time; later starts ignore it.
            "cluster.initial_master_nodes": [self.node_name(p) for p in self.transport_ports],
        }


class ElasticsearchServer:
    """One Elasticsearch node on 127.0.0.1, with data and logs in `workdir`: a single-node
    cluster of its own, or with `discovery` one node of a cluster.

    Without a workdir a temporary one is made and removed by `stop()`. With
    `stop_with_parent` (the default) the server dies with the process that started it, so a
    killed test run does not leave a JVM behind.
    """

    def __init__(
        self,
        port: int = DEFAULT_PORT,
        workdir: Path | str | None = None,
        *,
        version: str | None = None,
        heap: str = DEFAULT_HEAP,
        java_home: Path | str | None = None,
        ready_timeout: float = READY_TIMEOUT_SECONDS,
        stop_with_parent: bool = True,
        cache: Path | None = None,
        discovery: Discovery | None = None,
        transport_port: int | None = None,
    ) -> None:
        if discovery is not None and transport_port not in discovery.transport_ports:
            raise ElasticsearchServiceError("a node of a cluster needs its own transport port")
        self.port = port
        self.workdir = Path(workdir).resolve() if workdir else None
        self.version = version or default_version()
        self.heap = heap
        self.java_home = Path(java_home) if java_home else None
        self.ready_timeout = ready_timeout
        self.stop_with_parent = stop_with_parent
        self.cache = cache
        self.discovery = discovery
        self.transport_port = transport_port
        self._owns_workdir = workdir is None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def name(self) -> str:
        """The node's name in the cluster (``node.name``)."""
        if self.discovery is None or self.transport_port is None:
            return f"askfind-{self.port}"
        return self.discovery.node_name(self.transport_port)

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    @property
    def pid_file(self) -> Path:
        return pid_file_for(self.port)

    @property
    def console_log(self) -> Path:
        if self.workdir is None:
            raise ElasticsearchServiceError("the server has no workdir before start()")
        return self.workdir / "logs" / "console.log"

    def __enter__(self) -> ElasticsearchServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def start(self, wait: bool = True) -> str:
        """Start the server and wait until the cluster is yellow or green; return its URL.

        With `wait` false it returns once the process runs: a node of a cluster that is
        not formed yet cannot be ready alone (see ``wait_until_ready``).
        """
        if self._process and self._process.poll() is None:
            return self.url
        if port_in_use(self.port):
            raise ElasticsearchServiceError(f"port {self.port} on 127.0.0.1 is already in use")
        installation = install(self.version, self.cache)
        java = java_runtime(self.java_home) if self.java_home else find_java(self.version)
        reason = java.unsuitable_for(self.version) if java else "no working bin/java"
        if java is None or reason:
            raise ElasticsearchServiceError(f"cannot use Java at {self.java_home}: {reason}")
        user = ensure_run_user()
        if self.workdir is None:
            self.workdir = Path(tempfile.mkdtemp(prefix=f"askfind-es-{self.port}-"))
        try:
            es_home, java_home = self._prepare_workdir(installation, java, user)
        except BaseException:
            self._remove_owned_workdir()
            raise
        say(f"starting Elasticsearch {self.version} (Java {java.version}) as {user.name}")
        with self.console_log.open("wb") as console:
            self._process = subprocess.Popen(
                [str(es_home / "bin" / "elasticsearch")],
                cwd=self.workdir,
                env=self._environment(java_home),
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches the JVM too
                preexec_fn=die_with_parent() if self.stop_with_parent else None,
                **user.popen_kwargs(),  # type: ignore[arg-type]
            )
        self.pid_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.pid_file.write_text(f"{self._process.pid}\n")
        if wait:
            self.wait_until_ready()
        return self.url

    def wait_until_ready(self) -> None:
        """Wait until the node answers with a yellow or green cluster; stop it if it fails."""
        try:
            self._wait_until_ready()
        except BaseException:  # also Ctrl-C while waiting: leave no server and no pid file
            self._terminate()
            self.pid_file.unlink(missing_ok=True)
            raise

    def kill(self) -> None:
        """SIGKILL the node's processes at once, as a crash or the OOM killer would; its data
        stays for a later ``start``."""
        if self._process is not None:
            kill_process_group(self._process.pid, self._process)
            self._process = None

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period) and clean up."""
        self._terminate()
        recorded = read_pid(self.pid_file)
        if recorded is None or not is_running(recorded):
            self.pid_file.unlink(missing_ok=True)
        self._remove_owned_workdir()

    def restart(self) -> str:
        """Stop the server and start it again on the same port and data (an outage as an
        operator's restart makes it); return its URL once it is ready again."""
        self._terminate()
        return self.start()

    def _terminate(self) -> None:
        """End the server's process group (SIGTERM, then SIGKILL after a grace period)."""
        if self._process is not None:
            terminate_process_group(self._process.pid, self._process)
            self._process = None

    def _remove_owned_workdir(self) -> None:
        if self._owns_workdir and self.workdir is not None:
            shutil.rmtree(self.workdir, ignore_errors=True)
            self.workdir = None

    def wait(self) -> int:
        """Block until the server exits; return its exit code."""
        if self._process is None:
            raise ElasticsearchServiceError("the server is not running")
        return self._process.wait()

    def log_tail(self, lines: int = 40) -> str:
        """Return the end of the server's console output, for error messages."""
        with contextlib.suppress(OSError, ElasticsearchServiceError):
            text = self.console_log.read_text(errors="replace").splitlines()
            return "\n".join(text[-lines:])
        return "(no log)"

    def _prepare_workdir(
        self, installation: Installation, java: JavaRuntime, user: RunUser
    ) -> tuple[Path, Path]:
        """Lay out config/data/logs/tmp for `user`; return the home and Java it can read."""
        assert self.workdir is not None
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "config"
        shutil.rmtree(config, ignore_errors=True)
        shutil.copytree(installation.home / "config", config)
        (config / "elasticsearch.yml").write_text(self._settings())
        writable = [self.workdir, config, *(self.workdir / d for d in ("data", "logs", "tmp"))]
        for directory in writable:
            directory.mkdir(exist_ok=True)
        if user.is_current:
            return installation.home, java.home
        # Only what the server writes changes owner; never follow links planted in there.
        for path in [*writable, *config.rglob("*")]:
            os.chown(path, user.uid, user.gid, follow_symlinks=False)
        es_home = self.workdir / "home"
        link_tree(installation.home, es_home)
        java_home = java.home
        if not works_as(user, [str(java_home / "bin" / "java"), "-version"]):
            java_home = self.workdir / "jdk"
            link_tree(java.home, java_home)
        if not works_as(user, [str(java_home / "bin" / "java"), "-version"]):
            raise ElasticsearchServiceError(f"user {user.name} cannot run {java.home}/bin/java")
        if not works_as(user, ["test", "-w", str(self.workdir / "data")]):
            raise ElasticsearchServiceError(
                f"user {user.name} cannot write {self.workdir}; is a parent directory private?"
            )
        return es_home, java_home

    def _settings(self) -> str:
        assert self.workdir is not None
        if self.discovery is None:
            node: dict[str, object] = {
                "cluster.name": "askfind-dev",
                "discovery.type": "single-node",
                "transport.port": free_port(),
            }
        else:
            assert self.transport_port is not None
            node = {**self.discovery.settings(), "transport.port": self.transport_port}
        settings = {
            **node,
            "node.name": self.name,
            "network.host": "127.0.0.1",
            "http.port": self.port,
            "path.data": str(self.workdir / "data"),
            "path.logs": str(self.workdir / "logs"),
            "xpack.security.enabled": False,
            # A dev machine's disk is often fuller than the 85/90/95 % watermarks allow.
            "cluster.routing.allocation.disk.threshold_enabled": False,
            # Elasticsearch 9 also stops starting merges above 95 % (or with less than
            # 100 GB free of a large disk): a force merge then waits until it times out.
            "indices.merge.disk.check_interval": "0s",
        }
        return "".join(f"{key}: {json.dumps(value)}\n" for key, value in settings.items())

    def _environment(self, java_home: Path) -> dict[str, str]:
        assert self.workdir is not None
        return {
            "PATH": SYSTEM_PATH,
            "HOME": str(self.workdir),
            "LANG": "C.UTF-8",
            "ES_JAVA_HOME": str(java_home),
            "ES_PATH_CONF": str(self.workdir / "config"),
            "ES_TMPDIR": str(self.workdir / "tmp"),
            "ES_JAVA_OPTS": f"-Xms{self.heap} -Xmx{self.heap}",
        }

    def _wait_until_ready(self) -> None:
        assert self._process is not None
        deadline = time.monotonic() + self.ready_timeout
        while True:
            code = self._process.poll()
            if code is not None:
                self._process = None
                raise ElasticsearchServiceError(
                    f"Elasticsearch exited with code {code} before it was ready; "
                    f"end of {self.console_log}:\n{self.log_tail()}"
                )
            health = cluster_health(self.url, timeout=2.0)
            if health and health.get("status") in ("yellow", "green"):
                return
            if time.monotonic() > deadline:  # start() kills it; the workdir keeps the log
                raise ElasticsearchServiceError(
                    f"Elasticsearch was not ready after {self.ready_timeout:.0f} s; "
                    f"end of {self.console_log}:\n{self.log_tail()}"
                )
            time.sleep(0.5)
