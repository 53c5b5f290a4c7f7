"""Writing ONNX graphs by hand: the shared part of the graph builders (``bert_graph``,
``use_graph``), which turn a model's weights into a graph without torch."""

from __future__ import annotations

from typing import Any

import numpy as np

# ONNX opset: 18 has LayerNormalization and the reductions with axes as inputs.
OPSET = 18


class GraphBuilder:
    """Nodes and constants of one graph, named in the order they are added."""

    def __init__(self) -> None:
        self.initializers: list[Any] = []
        self.nodes: list[Any] = []

    def const(self, value: Any) -> str:
        """A constant tensor (weights included) as a graph input; its name."""
        from onnx import numpy_helper

        name = f"c{len(self.initializers)}"
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def op(self, kind: str, inputs: list[str], output: str | None = None, **attrs: Any) -> str:
        """A node; the name of its (one) output."""
        from onnx import helper

        name = output or f"{kind.lower()}{len(self.nodes)}"
        self.nodes.append(helper.make_node(kind, inputs, [name], **attrs))
        return name

    def model(self, name: str, inputs: list[Any], outputs: list[Any]) -> Any:
        """The checked model of the nodes added so far."""
        import onnx
        from onnx import helper

        graph = helper.make_graph(self.nodes, name, inputs, outputs, self.initializers)
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
        onnx.checker.check_model(model)
        return model
