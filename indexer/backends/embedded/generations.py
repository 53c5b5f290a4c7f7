"""The files of the embedded index: generations, the CURRENT pointer, atomic switching.

Layout under ``<data_dir>/index``: ``CURRENT`` names the live generation; each generation
is a folder ``gen-NNNNNN`` with its store and snapshots. A generation is published by
replacing CURRENT atomically (written aside, fsynced, renamed), so readers see the old
generation or the new one, never a half-written state.
"""

from __future__ import annotations

import logging
import os
import shutil
from pathlib import Path

log = logging.getLogger(__name__)

CURRENT = "CURRENT"


def publish(index_dir: Path, generation: str) -> None:
    """Point CURRENT at a generation atomically (write aside, fsync, rename)."""
    scratch = index_dir / f".{CURRENT}.tmp"
    with open(scratch, "w") as handle:
        handle.write(generation + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(scratch, index_dir / CURRENT)
    fsync_dir(index_dir)


def stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except FileNotFoundError:
        return None
    return (info.st_ino, info.st_mtime_ns)


def generation_numbers(index_dir: Path) -> list[int]:
    return sorted(
        int(p.name.split("-", 1)[1])
        for p in index_dir.glob("gen-*")
        if p.is_dir() and p.name.split("-", 1)[1].isdigit()
    )


def next_generation_number(index_dir: Path) -> int:
    numbers = generation_numbers(index_dir)
    return numbers[-1] + 1 if numbers else 1


def current_name(index_dir: Path) -> str | None:
    try:
        return (index_dir / CURRENT).read_text().strip()
    except FileNotFoundError:
        return None


def remove_abandoned_generations(index_dir: Path) -> None:
    """Delete generations newer than the live one: rebuilds that died before publishing."""
    current = current_name(index_dir)
    live = int(current.split("-", 1)[1]) if current else 0
    for number in generation_numbers(index_dir):
        if number > live:
            log.warning("removing abandoned rebuild gen-%06d", number)
            shutil.rmtree(index_dir / f"gen-{number:06d}", ignore_errors=True)


def remove_old_generations(index_dir: Path, keep: str) -> None:
    """Keep the live generation and the one before it (a reader may still be switching)."""
    numbers = generation_numbers(index_dir)
    live = int(keep.split("-", 1)[1])
    older = [n for n in numbers if n < live]
    for number in older[:-1]:
        shutil.rmtree(index_dir / f"gen-{number:06d}", ignore_errors=True)


def remove_old_snapshots(path: Path, keep: str) -> None:
    for folder in path.glob("snapshot-*"):
        if folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def fsync_tree(folder: Path) -> None:
    for item in folder.rglob("*"):
        if item.is_file():
            with open(item, "rb") as handle:
                os.fsync(handle.fileno())
    fsync_dir(folder)


def fsync_dir(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
