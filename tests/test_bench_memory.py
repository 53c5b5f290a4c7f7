"""The benchmark's memory figures: PSS divides the pages processes share, so two workers
mapping the same index file are not counted twice (scripts/tools/instruments)."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType

import pytest

from tests.services import script_module

MIB = 1024 * 1024
SHARED_MIB = 64


@pytest.fixture(scope="module")
def processes() -> ModuleType:
    return script_module("tools.instruments.processes")


def _mapping(path: Path) -> subprocess.Popen[str]:
    """A process that maps ``path``, reads every page and waits."""
    script = textwrap.dedent(
        f"""
        import mmap, sys
        with open({str(path)!r}, "rb") as f:
            shared = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        total = sum(shared[i] for i in range(0, len(shared), 4096))
        print("mapped", total, flush=True)
        sys.stdin.readline()
        """
    )
    process = subprocess.Popen(
        [sys.executable, "-c", script], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().startswith("mapped")
    return process


def test_two_processes_mapping_one_file_share_its_pages_in_pss(
    processes: ModuleType, tmp_path: Path
) -> None:
    shared = tmp_path / "index.bin"
    shared.write_bytes(b"\1" * (SHARED_MIB * MIB))
    first, second = _mapping(shared), _mapping(shared)
    try:
        time.sleep(0.2)
        one, two = (processes.memory_shares_kib(p.pid) for p in (first, second))
    finally:
        for process in (first, second):
            process.communicate("\n", timeout=30)
    for shares in (one, two):
        assert shares["uss"] <= shares["pss"] <= shares["rss"]
        assert shares["rss"] >= SHARED_MIB * 1024  # the whole file counts in each RSS
    # ... but only once in the sum of the PSS: each holds about half of it.
    file_in_rss = SHARED_MIB * 1024
    assert one["rss"] + two["rss"] - (one["pss"] + two["pss"]) >= 0.9 * file_in_rss


def test_a_process_that_is_gone_has_no_figures(processes: ModuleType) -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=30)
    assert processes.memory_shares_kib(process.pid) == {}


def test_the_report_adds_up_the_server_and_the_nodes() -> None:
    rows = script_module("tools.benchmark.rows")
    worker = {"rss": 800 * 1024, "pss": 500 * 1024, "uss": 300 * 1024}
    memory = {
        "master": {"rss": 70 * 1024, "pss": 40 * 1024, "uss": 30 * 1024},
        "workers": [worker, worker],
        "elasticsearch_nodes": [{"rss": 1024 * 1024, "pss": 1000 * 1024, "uss": 990 * 1024}],
    }
    (server_label, server, _), (nodes_label, nodes, _) = rows.memory_rows(memory)
    assert "2 workers" in server_label
    assert server.startswith("1,670 / **1,040** / 630 MiB")
    assert "PSS 500, 500 MiB" in server
    assert nodes_label.startswith("Elasticsearch memory, 1 node")
    assert nodes == "1,024 / **1,000** / 990 MiB"


def test_an_elasticsearch_node_on_this_machine_is_found_by_its_pid(elasticsearch_url: str) -> None:
    targets = script_module("tools.benchmark.targets")
    (node,) = targets.ElasticsearchTarget(elasticsearch_url, "unused").process_memory()[
        "elasticsearch_nodes"
    ]
    assert node["rss"] > 256 * 1024  # a JVM with a heap of at least 256 MB, touched
    assert node["uss"] <= node["pss"] <= node["rss"]


def test_a_cluster_named_node_by_node_is_asked_at_the_first_node_that_answers(
    elasticsearch_url: str,
) -> None:
    """``--elasticsearch-url`` takes every node of a cluster, as the service does; a node
    that is down (here: nothing listens on port 9) does not stop the benchmark."""
    targets = script_module("tools.benchmark.targets")
    target = targets.ElasticsearchTarget(f"http://127.0.0.1:9/, {elasticsearch_url}/", "unused")
    assert target.url == f"http://127.0.0.1:9,{elasticsearch_url.rstrip('/')}"
    assert len(target.process_memory()["elasticsearch_nodes"]) == 1
    with pytest.raises(SystemExit, match=re.escape("does not answer: http://127.0.0.1:9 (")):
        targets.ElasticsearchTarget("http://127.0.0.1:9", "unused").process_memory()
