"""Models converted for ONNX Runtime, made once per model in ``model_cache_dir``.

A model is written once - by a builder that turns its weights into an ONNX graph - under
a file lock, so that concurrent processes do not collide, aside and renamed, so that a
crash never leaves half a model behind. Its weights are kept in a file of their own beside
the graph (ONNX's external data), which ONNX Runtime maps instead of parsing: a session
opens in about 15 ms instead of 130 for the default model, which is most of what a
one-off ``askfind search`` waits for. ``onnx-int8`` then quantises its matrix products
to int8, per output channel (Jacob et al. 2018; ONNX Runtime's dynamic quantisation,
which needs no torch): on this project's 2-core machine a query takes about half the
time of float32, and vectors stay within cosine ~0.99 of float32
(``tests/indexer/test_embedding.py``).

The weights take 7 bits, not 8 (``reduce_range``). Processors without VNNI multiply
uint8 activations by int8 weights in pairs summed to 16 bits, which saturate with 8-bit
weights and not with 7: so every processor computes the same vectors, and what is fitted
on one machine holds on another (``tests/indexer/test_embedding_processor.py``; with 8
bits, a machine with AVX-512 VNNI and one without gave cosines down to 0.9988).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from indexer.settings import Settings

log = logging.getLogger(__name__)

FLOAT_FILE = "onnx/model.onnx"
# 7-bit weights (see ``_quantized``); the 8-bit file of earlier versions was model_int8.onnx.
INT8_FILE = "onnx/model_int8_w7.onnx"
# Part of every model's cache folder name: bump when the files written there change form.
LAYOUT_VERSION = "2"  # 2: weights as external data


def prepared_model(settings: Settings, source: str, build: Callable[[Path], None]) -> Path:
    """The ONNX file of ``source`` for the configured runtime (float32 or int8).

    ``build(folder)`` writes ``folder / FLOAT_FILE`` (and whatever else the model needs
    beside it, such as its tokenizer); it runs once per source and cache folder.
    """
    folder = _built(settings, source, build)
    if settings.embedding_runtime == "onnx-int8":
        return folder / _quantized(folder)
    return folder / FLOAT_FILE


def session(model: Path, threads: int) -> Any:
    """An ONNX Runtime session on the CPU with ``threads`` intra-op threads (0: one per
    core) that do not spin."""
    import onnxruntime

    options = onnxruntime.SessionOptions()
    # ONNX Runtime's threads busy-wait for more work after each run by default. A query is
    # one run, and the spinning then takes the cores from what the request does next (the
    # search; Elasticsearch on the same machine): on two cores, not spinning halved the
    # latency of the Elasticsearch requests that follow and lowered the embedding's own
    # p95 (9.6 against 15-21 ms, measured under load).
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    options.add_session_config_entry("session.inter_op.allow_spinning", "0")
    options.log_severity_level = 3  # ONNX Runtime's notes on unused initialisers are noise
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    return onnxruntime.InferenceSession(str(model), options, providers=["CPUExecutionProvider"])


def _built(settings: Settings, source: str, build: Callable[[Path], None]) -> Path:
    slug = hashlib.blake2b(f"{source}|{LAYOUT_VERSION}".encode(), digest_size=8).hexdigest()
    target = settings.model_cache_dir / f"{Path(source).name}-{slug}"
    if (target / FLOAT_FILE).is_file():
        return target
    with _locked(target):
        if (target / FLOAT_FILE).is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        scratch = Path(tempfile.mkdtemp(dir=target.parent, prefix=".build-"))
        try:
            log.info("converting %s for ONNX Runtime in %s (once)", source, target)
            (scratch / FLOAT_FILE).parent.mkdir(parents=True, exist_ok=True)
            build(scratch)
            _keep_weights_apart(scratch / FLOAT_FILE)
            shutil.rmtree(target, ignore_errors=True)
            os.replace(scratch, target)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    return target


def _quantized(folder: Path) -> str:
    """The int8 model file next to the float one, quantised once (weights in 7 bits: see
    the module's docstring)."""
    if (folder / INT8_FILE).is_file():
        return INT8_FILE
    with _locked(folder / INT8_FILE):
        if not (folder / INT8_FILE).is_file():
            from onnxruntime.quantization import QuantType, quantize_dynamic

            log.info("quantising %s to int8 (once)", folder)
            scratch = folder / f"{INT8_FILE}.partial"
            with _quiet_quantizer():
                quantize_dynamic(
                    folder / FLOAT_FILE,
                    scratch,
                    weight_type=QuantType.QInt8,
                    per_channel=True,
                    reduce_range=True,
                    op_types_to_quantize=["MatMul"],
                )
            _keep_weights_apart(scratch)
            os.replace(scratch, folder / INT8_FILE)
    return INT8_FILE


def _keep_weights_apart(model: Path) -> None:
    """Rewrite ``model`` with its weights in one file beside it, named after the model as
    it will be called (a ``.partial`` scratch file drops that suffix)."""
    import onnx

    proto = onnx.load(str(model))
    weights = model.with_name(model.name.removesuffix(".partial") + ".data")
    weights.unlink(missing_ok=True)  # onnx appends to an existing one
    onnx.save_model(
        proto,
        str(model),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=weights.name,
        size_threshold=1024,
    )


@contextlib.contextmanager
def _quiet_quantizer() -> Iterator[None]:
    """The quantiser advises, through the root logger, to pre-process the model first
    (shape inference for its optimiser): advice to its developers, not to askfind's users."""

    def advice(record: logging.LogRecord) -> bool:
        return "pre-processing before quantization" not in record.getMessage()

    root = logging.getLogger()
    root.addFilter(advice)
    try:
        yield
    finally:
        root.removeFilter(advice)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(f"{path}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
