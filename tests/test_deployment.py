"""The deployment files say what askfind needs: docker-compose.yml (which cannot run on the
test machine, so it is checked as data), the Dockerfile, and CI's refusal to skip the
Elasticsearch tests."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from indexer.settings import Settings
from tests import services

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def compose() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))


def test_elasticsearch_is_pinned_to_the_version_the_tests_run(compose: dict[str, Any]) -> None:
    image = compose["services"]["elasticsearch"]["image"]
    version = services.elasticsearch_script().DEFAULT_VERSION
    assert image == f"docker.elastic.co/elasticsearch/elasticsearch:{version}"
    assert version.startswith("9.")


def test_elasticsearch_is_one_node_with_a_fixed_heap_and_security_on(
    compose: dict[str, Any],
) -> None:
    environment = compose["services"]["elasticsearch"]["environment"]
    assert environment["discovery.type"] == "single-node"
    heap = re.fullmatch(r"-Xms(\w+) -Xmx(\w+)", environment["ES_JAVA_OPTS"])
    assert heap and heap[1] == heap[2]  # a heap that never resizes
    assert environment["xpack.security.enabled"] == "true"
    assert "ports" not in compose["services"]["elasticsearch"]  # not published


def test_every_service_has_a_health_check_and_named_volumes(compose: dict[str, Any]) -> None:
    for name, service in compose["services"].items():
        assert service["healthcheck"]["test"], name
        for volume in service.get("volumes", []):
            assert volume.split(":")[0] in compose["volumes"], (name, volume)


def test_askfind_runs_on_elasticsearch_with_settings_that_exist(compose: dict[str, Any]) -> None:
    askfind = compose["services"]["askfind"]
    assert askfind["build"] == "."
    environment = askfind["environment"]
    assert environment["ASKFIND_BACKEND"] == "elasticsearch"
    assert environment["ASKFIND_ELASTICSEARCH_URL"] == "http://elasticsearch:9200"
    for name in environment:
        if name.startswith("ASKFIND_ELASTICSEARCH_"):
            assert name.removeprefix("ASKFIND_").lower() in Settings.model_fields, name
    assert askfind["depends_on"]["elasticsearch"]["condition"] == "service_healthy"
    assert askfind["ports"] == ["127.0.0.1:8000:8000"]


def cluster_nodes(compose: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The Elasticsearch nodes of the `cluster` profile, by service name."""
    return {
        name: service
        for name, service in compose["services"].items()
        if "cluster" in service.get("profiles", [])
        and "node.name" in service.get("environment", {})
    }


def test_the_cluster_profile_has_three_nodes_that_find_each_other(
    compose: dict[str, Any],
) -> None:
    nodes = cluster_nodes(compose)
    assert sorted(nodes) == ["es01", "es02", "es03"]
    single = compose["services"]["elasticsearch"]
    data_volumes = set()
    for name, node in nodes.items():
        environment = node["environment"]
        assert node["image"] == single["image"], name
        assert environment["node.name"] == name
        assert environment["discovery.seed_hosts"].split(",") == sorted(nodes)
        assert environment["cluster.initial_master_nodes"].split(",") == sorted(nodes)
        assert "discovery.type" not in environment  # single-node would refuse to join
        assert environment["ES_JAVA_OPTS"] == single["environment"]["ES_JAVA_OPTS"]
        assert environment["xpack.security.enabled"] == "true"
        # Security on between nodes needs transport TLS, from the one-shot certs service.
        assert environment["xpack.security.transport.ssl.enabled"] == "true"
        assert node["depends_on"]["cluster-certs"]["condition"] == "service_healthy"
        assert "ports" not in node  # not published
        data_volumes.add(node["volumes"][0].split(":")[0])
    assert len(data_volumes) == 3  # a data directory each


def test_the_default_services_stay_a_single_node(compose: dict[str, Any]) -> None:
    default = {n for n, s in compose["services"].items() if not s.get("profiles")}
    assert default == {"elasticsearch", "redis", "askfind"}


def test_askfind_of_the_cluster_profile_knows_every_node(compose: dict[str, Any]) -> None:
    askfind = compose["services"]["askfind"]
    clustered = compose["services"]["askfind-cluster"]
    assert clustered["profiles"] == ["cluster"]
    nodes = sorted(cluster_nodes(compose))
    urls = clustered["environment"]["ASKFIND_ELASTICSEARCH_URL"].split(",")
    assert urls == [f"http://{node}:9200" for node in nodes]
    assert {
        n for n, d in clustered["depends_on"].items() if d["condition"] == "service_healthy"
    } == {
        *nodes,
        "redis",
    }
    # Otherwise the same service: only the address of Elasticsearch differs.
    same = {k: v for k, v in clustered["environment"].items() if k != "ASKFIND_ELASTICSEARCH_URL"}
    assert same == {
        k: v for k, v in askfind["environment"].items() if k != "ASKFIND_ELASTICSEARCH_URL"
    }
    assert clustered["ports"] == askfind["ports"] and clustered["build"] == askfind["build"]


def test_the_image_serves_askfind_under_gunicorn() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert 'CMD ["askfind", "serve"]' in dockerfile
    assert "USER askfind" in dockerfile  # not root
    assert "ASKFIND_HOST=0.0.0.0" in dockerfile


def test_ci_refuses_to_skip_the_elasticsearch_tests() -> None:
    environment = {**os.environ, "ASKFIND_SKIP_ELASTICSEARCH": "1"}
    result = subprocess.run(
        [str(ROOT / ".ci" / "run")], env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    assert "ASKFIND_SKIP_ELASTICSEARCH" in result.stderr
