"""The user Elasticsearch runs as: the caller, or for root a system user of its own.

Elasticsearch refuses to run as root. That user may not enter the caller's home, where the
cache is, so what it must read is reached through hard links.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import ElasticsearchServiceError, say

RUN_USER = "askfind-es"
# The only PATH the server and the checks run as its user get: nothing of the caller's.
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


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
        say(f"creating system user {name}")
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


def works_as(user: RunUser, command: Sequence[str]) -> bool:
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


def link_tree(source: Path, target: Path) -> None:
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
