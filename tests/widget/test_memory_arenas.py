"""A worker's threads share two allocator arenas (widget.memory.limit_arenas), so that the
large arrays of searches on a big index are not kept once per thread."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

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


def arenas(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_ARENAS, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_a_workers_threads_share_two_arenas() -> None:
    assert arenas("default") > 2  # can fail: glibc gives each new thread an arena of its own
    assert arenas("limited") <= 2
