"""Give the memory of a large request back to the system once it is answered.

A worker serves requests on several threads, and glibc's allocator gives each thread an
arena of its own. What a large request allocated there (its body, the decoded JSON, the
text of a thread being analysed) is free again afterwards, but stays in the worker's
resident memory: glibc returns the top of the main heap on its own, not the holes of the
other arenas. ``malloc_trim`` returns the free pages of every arena. It takes a few
milliseconds, so it runs only after requests whose bodies were large.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
from functools import cache

log = logging.getLogger(__name__)

LARGE_BODY_BYTES = 1024 * 1024  # smaller bodies leave nothing worth trimming


@cache
def _malloc_trim() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        return ctypes.CDLL(name).malloc_trim if name else None
    except (OSError, AttributeError):
        return None


def release_after(body_bytes: int) -> None:
    """Return free memory to the system if a request of ``body_bytes`` just ended."""
    if body_bytes < LARGE_BODY_BYTES:
        return
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
