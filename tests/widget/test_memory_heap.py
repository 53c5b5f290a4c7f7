"""A search's arrays of megabytes come from the heap and reuse its pages
(widget.memory.keep_arrays_on_the_heap), instead of a fresh mapping faulted in page by
page for every search."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

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


def page_faults(mode: str) -> int:
    done = subprocess.run(
        [sys.executable, "-c", COUNT_FAULTS, mode], capture_output=True, text=True, check=True
    )
    return int(done.stdout.strip())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator")
def test_the_arrays_of_one_search_reuse_the_pages_of_the_last() -> None:
    # 50 searches of two 4 MB arrays: about 100,000 faults when each is mapped anew.
    assert page_faults("default") > 20_000  # can fail: glibc maps large arrays anew
    assert page_faults("heap") < 2_000
