"""How a worker's allocator is set up (widget.memory): its threads share two arenas, so
that the large arrays of searches on a big index are not kept once per thread, and those
arrays come from the heap, reusing the pages of the search before instead of a fresh
mapping faulted in page by page for every search. Each is counted in a fresh Python
process, with and without the setting."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")

COUNT_ARENAS = textwrap.dedent(
    """
    import ctypes, ctypes.util, os, sys, tempfile, threading
    from widget.memory import limit_arenas
    if sys.argv[1] == "limited":
        assert limit_arenas()
    libc = ctypes.CDLL(ctypes.util.find_library("c"))
    libc.malloc.restype = ctypes.c_void_p
    libc.free.argtypes = [ctypes.c_void_p]
    libc.fopen.restype = ctypes.c_void_p
    libc.malloc_info.argtypes = [ctypes.c_int, ctypes.c_void_p]
    libc.fclose.argtypes = [ctypes.c_void_p]
    start = threading.Barrier(8)
    def allocate():
        start.wait()  # all alive at once: each new thread asks for an arena
        blocks = [libc.malloc(100_000) for _ in range(20)]
        for block in blocks:
            libc.free(block)
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for thread in threads: thread.start()
    for thread in threads: thread.join()
    path = tempfile.mktemp()
    handle = libc.fopen(path.encode(), b"w")
    libc.malloc_info(0, handle)
    libc.fclose(handle)
    print(open(path).read().count("<heap nr="))
    os.unlink(path)
    """
)


COUNT_FAULTS = textwrap.dedent(
    """
    import resource, sys
    import numpy as np
    from widget.memory import keep_arrays_on_the_heap
    if sys.argv[1] == "heap":
        assert keep_arrays_on_the_heap()
    def search():
        scores = np.zeros(1_000_000, dtype=np.float32)  # 4 MB: a score per thread at 1M
        scores[::7] += np.float32(1.0) * 2
        best = scores * np.float32(0.5)
        return float(best.sum())
    search()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(50):
        search()
    print(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
    """
)


def count(script: str, mode: str) -> int:
    """What ``script`` prints (a number), run in a fresh interpreter with ``mode``."""
    done = subprocess.run(
        [sys.executable, "-c", script, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


def test_a_workers_threads_share_two_arenas() -> None:
    # can fail: glibc gives each new thread an arena of its own
    assert count(COUNT_ARENAS, "default") > 2
    assert count(COUNT_ARENAS, "limited") <= 2


def test_the_arrays_of_one_search_reuse_the_pages_of_the_last() -> None:
    # 50 searches of two 4 MB arrays: about 100,000 faults when each is mapped anew.
    assert count(COUNT_FAULTS, "default") > 20_000  # can fail: glibc maps large arrays anew
    assert count(COUNT_FAULTS, "heap") < 2_000
