"""Keep a worker's heap from growing with its threads, and give the memory of a large
request back to the system once it is answered.

A worker serves requests on several threads, and glibc's allocator gives each thread an
arena of its own (up to eight per core). A search over a large index allocates arrays of
megabytes (a score per thread: 4 MB at a million threads); freed, they stay in their
arena for the next request of that thread, so every arena grows to what its thread's
largest requests needed. At a million threads a worker on four threads held 762 MB of
heap after 600 searches; with two arenas, 359-456 MB (``limit_arenas``).

What a large request allocated (its body, the decoded JSON, the text of a thread being
analysed) is free again afterwards, but stays in the worker's resident memory: glibc
returns the top of the main heap on its own, not the holes of the other arenas.
``malloc_trim`` returns the free pages of every arena. It takes a few milliseconds, so it
runs only after requests whose bodies were large.

The arrays of a search are also why glibc's defaults cost time: it maps each allocation
of more than 128 KB on its own and unmaps it when freed, so every search faulted in its
megabytes page by page, anew (in a virtual machine a fault costs microseconds). Kept on
the heap instead (``keep_arrays_on_the_heap``), they reuse the pages a search before
them freed: at a million threads the lexical leg took p50 3.7-4.1 ms instead of 10.5 and
p95 10-11 instead of 22-23 (400 as-you-type questions, in-process, 2026-12-07).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

log = logging.getLogger(__name__)

LARGE_BODY_BYTES = 1024 * 1024  # smaller bodies leave nothing worth trimming
# Arenas of a worker's allocator (see the module): threads beyond share them.
ARENAS = 2
# Allocations up to this size come from the heap, not from mappings of their own (see
# the module): glibc's own ceiling for the threshold it otherwise moves by itself.
HEAP_ALLOCATIONS_UP_TO = 32 * 1024 * 1024
# Free memory at the top of a heap goes back to the system beyond this much (glibc's
# default, 128 KB, would give back and fault in a search's arrays every time).
RETURNED_ABOVE = 128 * 1024 * 1024
# mallopt's parameter numbers, from glibc's malloc.h
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8


@cache
def _glibc_function(name: str) -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """A function of glibc's allocator, or None where the C library has none (musl, macOS)."""
    library = ctypes.util.find_library("c")
    try:
        return getattr(ctypes.CDLL(library), name) if library else None
    except (OSError, AttributeError):
        return None


def limit_arenas() -> bool:
    """Give this process's threads ``ARENAS`` allocator arenas at most (before they start
    allocating: arenas made already stay). Returns whether the C library took it."""
    mallopt = _glibc_function("mallopt")
    return mallopt is not None and mallopt(M_ARENA_MAX, ARENAS) == 1


def keep_arrays_on_the_heap() -> bool:
    """Serve allocations of up to ``HEAP_ALLOCATIONS_UP_TO`` from the heap and keep up to
    ``RETURNED_ABOVE`` of it free for the next (see the module). Returns whether the C
    library took it."""
    mallopt = _glibc_function("mallopt")
    return (
        mallopt is not None
        and mallopt(M_MMAP_THRESHOLD, HEAP_ALLOCATIONS_UP_TO) == 1
        and mallopt(M_TRIM_THRESHOLD, RETURNED_ABOVE) == 1
    )


def release_after(body_bytes: int) -> None:
    """Return free memory to the system if a request of ``body_bytes`` just ended."""
    if body_bytes < LARGE_BODY_BYTES:
        return
    trim = _glibc_function("malloc_trim")
    if trim is not None:
        trim(0)
