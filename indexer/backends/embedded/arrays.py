"""Reading the embedded index's ``.npy`` files, one at a time per process.

numpy reads an ``.npy`` header with ``ast.literal_eval``, and CPython 3.11 before 3.11.8
counts the depth of the AST it builds in one place for all threads (gh-106905): two
threads parsing at once can fail with ``SystemError: AST constructor recursion depth
mismatch``. Searches open a new snapshot while a rebuild or a compaction in another
thread opens one too, so every read goes through one lock; a header is a few dozen bytes
and the arrays themselves are mapped, so nobody waits noticeably.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Literal

import numpy as np

_HEADERS = threading.Lock()


def load_array(path: Path, mmap_mode: Literal["r"] | None = None) -> np.ndarray:
    """``np.load(path, mmap_mode=...)`` under the process's one lock for ``.npy`` reads."""
    with _HEADERS:
        return np.load(path, mmap_mode=mmap_mode)
