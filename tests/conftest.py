"""Shared fixtures: settings on a temporary data dir, one loaded engine per session."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any, NoReturn

import pytest

from indexer.engine import Engine, open_engine
from indexer.errors import AskfindError
from indexer.evaluation import datasets
from indexer.settings import Settings
from indexer.sources import read_source
from indexer.threads import Thread, thread_from_record
from tests.redis_service import private_redis, redis_server, redis_url  # noqa: F401 - fixtures
from tests.services import (  # noqa: F401 - fixtures
    elasticsearch_cluster,
    elasticsearch_cluster_session,
    elasticsearch_prefix,
    elasticsearch_url,
)

SAMPLE = resources.files("indexer.data").joinpath("sample_community.jsonl")


# Variables that tell the tests where their data and services are, not askfind settings.
TEST_VARIABLES = {
    "ASKFIND_EVAL_DATA",
    "ASKFIND_REQUIRE_EVAL_DATA",
    "ASKFIND_REQUIRE_VALGRIND",
    "ASKFIND_SKIP_ELASTICSEARCH",
    "ASKFIND_TEST_ELASTICSEARCH_URL",
}


def make_settings(data_dir: Path, **overrides: Any) -> Settings:
    """Settings for a test: defaults, a private data dir, and the given overrides only
    (no askfind.toml or ASKFIND_* variables of the developer's shell leak in)."""
    return Settings(data_dir=data_dir, **overrides)


def backend_settings(
    request: pytest.FixtureRequest, backend: str, data_dir: Path, **overrides: Any
) -> Settings:
    """Settings for a test on ``backend``: the embedded index in ``data_dir``, or the
    session's Elasticsearch under an index prefix of the test's own (named after
    ``data_dir``, so two data dirs are two indexes there too)."""
    if backend == "elasticsearch":
        prefix = request.getfixturevalue("elasticsearch_prefix")
        overrides = {
            "elasticsearch_url": request.getfixturevalue("elasticsearch_url"),
            "elasticsearch_index_prefix": f"{prefix}-{data_dir.name.lower()}",
            **overrides,
        }
    return make_settings(data_dir, backend=backend, **overrides)


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's ASKFIND_* variables out of the tests."""
    for name in list(os.environ):
        if name.startswith("ASKFIND_") and name not in TEST_VARIABLES:
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def sample_path() -> Iterator[Path]:
    with resources.as_file(SAMPLE) as path:
        yield path


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """An engine over an empty index (the model and analyser load once per session)."""
    loaded = open_engine(make_settings(tmp_path_factory.mktemp("engine")))
    yield loaded
    loaded.close()


@pytest.fixture(scope="session")
def sample_engine(tmp_path_factory: pytest.TempPathFactory, sample_path: Path) -> Iterator[Engine]:
    """An engine whose index holds the bundled sample community (read-only for tests)."""
    loaded = open_engine(make_settings(tmp_path_factory.mktemp("sample")))
    report = loaded.indexer().run(read_source(sample_path))
    assert report.indexed == 300
    yield loaded
    loaded.close()


def engine_on(engine: Engine, data_dir: Path, **overrides: Any) -> Engine:
    """A second engine sharing the loaded model and analyser, with its own data dir."""
    from indexer.backends.factory import create_backend
    from indexer.search import SearchService

    settings = make_settings(data_dir, **overrides)
    backend = create_backend(settings, engine.embedder.dimension)
    return Engine(
        settings=settings,
        analyzer=engine.analyzer,
        embedder=engine.embedder,
        backend=backend,
        search=SearchService(settings, engine.analyzer, engine.embedder, backend),
    )


def engine_copy(engine: Engine, data_dir: Path, **overrides: Any) -> Engine:
    """An engine over a copy of another embedded engine's index (an index of a test's own,
    for tests that write, without indexing it again)."""
    import shutil

    shutil.copytree(engine.settings.data_dir / "index", data_dir / "index")
    return engine_on(engine, data_dir, **overrides)


AGENT_KEY = "agent-test-key-0123456789"


@pytest.fixture(scope="module")
def agent_engine(
    sample_engine: Engine, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """The sample community in an index of the test module's own (agents' judgements
    change its ranking), accepting the API key ``AGENT_KEY``."""
    engine = keyed_engine_copy(sample_engine, tmp_path_factory.mktemp("agent"), AGENT_KEY)
    yield engine
    engine.close()


def keyed_engine_copy(engine: Engine, data_dir: Path, key: str, **overrides: Any) -> Engine:
    """``engine_copy`` whose settings accept the API key ``key`` (stored as its digest)."""
    import hashlib

    digest = hashlib.sha256(key.encode()).hexdigest()
    return engine_copy(engine, data_dir, api_keys=(digest,), **overrides)


def thread(thread_id: str, title: str, **fields: Any) -> Thread:
    return thread_from_record({"id": thread_id, "title": title, **fields})


def write_jsonl(path: Path, records: list[Any]) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(
                record if isinstance(record, str) else json.dumps(record, ensure_ascii=False)
            )
            handle.write("\n")
    return path


# Set by .ci/run: there the tests that read the evaluation data must run, and missing data
# fails them instead of skipping.
REQUIRE_EVAL_DATA_ENV = "ASKFIND_REQUIRE_EVAL_DATA"


@pytest.fixture(scope="session")
def eval_data() -> Path:
    """The evaluation data (../shared/data or ASKFIND_EVAL_DATA); skipped when absent,
    unless REQUIRE_EVAL_DATA_ENV says it must be there."""
    try:
        return datasets.eval_data_dir()
    except AskfindError as e:
        if os.environ.get(datasets.EVAL_DATA_ENV):
            raise  # named but missing: a broken setup, not an absent data set
        skip_unless_required(REQUIRE_EVAL_DATA_ENV, f"the evaluation data is missing: {e}")


def skip_unless_required(required_env: str, missing: str) -> NoReturn:
    """Skip a test whose resource is ``missing`` on a developer's machine; fail it where
    ``required_env`` is 1 (CI sets it: there the test must run)."""
    if os.environ.get(required_env) == "1":
        pytest.fail(f"{required_env}=1 and {missing}")
    pytest.skip(missing)
