"""The Elasticsearch distribution: downloaded once, verified against a known digest, unpacked.

A version is trusted only by its SHA-512 pinned here or a checksum Maven Central publishes;
parallel test runs share the cache, so unpacking is locked and never leaves half a tree.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import tempfile
import time
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

from .errors import ElasticsearchServiceError, say

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


def default_version() -> str:
    """Return the version to use: $ASKFIND_ES_VERSION, else DEFAULT_VERSION."""
    return os.environ.get("ASKFIND_ES_VERSION") or DEFAULT_VERSION


def cache_dir() -> Path:
    """Return askfind's download cache, ~/.cache/askfind unless XDG_CACHE_HOME says otherwise."""
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "askfind"


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
        say(f"downloading {url}")
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
        say(f"{algorithm} mismatch (got {actual}), retrying")
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
