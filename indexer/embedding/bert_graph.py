"""Build the ONNX graph of a BERT sentence encoder from its safetensors weights, without torch.

A sentence-transformers BERT model (a transformer, mean pooling, normalisation: the
all-MiniLM family) is a short chain of matrix products, so its graph is written here
op by op with ``onnx.helper`` instead of being traced by torch's exporter: serving and
indexing then need neither torch nor transformers (DESIGN.md decision 6). The graph
takes ``input_ids`` and ``attention_mask`` (batch x tokens) and returns the unit
sentence vector (batch x hidden), pooling and normalisation included. Tests check it
against sentence-transformers' own encode where that extra is installed, and against a
plain numpy forward pass where it is not.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from indexer.embedding.onnx_graph import GraphBuilder

# Added to the attention scores of padding (BERT's own constant): exp() of it is 0.
MASKED_SCORE = -10000.0


def is_bert_sentence_encoder(folder: Path) -> bool:
    """Whether ``folder`` holds a model this module can build: BERT weights in safetensors,
    a fast tokenizer, and sentence-transformers modules Transformer + mean Pooling
    (+ Normalize)."""
    try:
        config = json.loads((folder / "config.json").read_text())
        modules = json.loads((folder / "modules.json").read_text())
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
    except (OSError, ValueError, KeyError, IndexError):
        return False
    kinds = [module["type"].rsplit(".", 1)[-1] for module in modules]
    return (
        config.get("model_type") == "bert"
        and config.get("position_embedding_type", "absolute") == "absolute"
        and config.get("hidden_act") == "gelu"
        and kinds in (["Transformer", "Pooling"], ["Transformer", "Pooling", "Normalize"])
        and is_mean_pooling(pooling)
        and (folder / "model.safetensors").is_file()
        and (folder / "tokenizer.json").is_file()
    )


def is_mean_pooling(config: dict[str, Any]) -> bool:
    """Whether a saved Pooling config is plain mean pooling (two on-disk formats exist)."""
    if "pooling_mode" in config:
        return bool(config["pooling_mode"] == "mean")
    modes = {key: value for key, value in config.items() if key.startswith("pooling_mode_")}
    return bool(modes.get("pooling_mode_mean_tokens")) and sum(map(bool, modes.values())) == 1


def build_bert_graph(folder: Path, target: Path) -> None:
    """Write the ONNX model of the BERT sentence encoder in ``folder`` to ``target``."""
    import onnx
    from safetensors.numpy import load_file

    config = json.loads((folder / "config.json").read_text())
    weights = load_file(str(folder / "model.safetensors"))
    prefix = "bert." if any(name.startswith("bert.") for name in weights) else ""
    graph = _GraphBuilder(lambda name: weights[prefix + name], config)
    model = graph.model()
    target.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(target))


class _GraphBuilder(GraphBuilder):
    """BERT's forward pass as ONNX nodes (Devlin et al. 2019; the layout of Hugging Face's
    BertModel, whose weight names the safetensors file uses)."""

    def __init__(self, weight: Any, config: dict[str, Any]) -> None:
        self.weight = weight
        self.hidden = int(config["hidden_size"])
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.epsilon = float(config.get("layer_norm_eps", 1e-12))
        super().__init__()

    def model(self) -> Any:
        from onnx import TensorProto, helper

        x = self._embeddings()
        mask = self.op("Cast", ["attention_mask"], to=TensorProto.FLOAT)
        # (batch, 1, 1, tokens): 0 for tokens, MASKED_SCORE for padding
        padding = self.op("Sub", [self.const(np.float32(1.0)), mask])
        score_bias = self.op(
            "Mul",
            [
                self.op("Unsqueeze", [padding, self.const(np.array([1, 2], np.int64))]),
                self.const(np.float32(MASKED_SCORE)),
            ],
        )
        for layer in range(self.layers):
            x = self._layer(x, score_bias, f"encoder.layer.{layer}.")
        self._pool(x, mask)
        return super().model(
            "sentence_encoder",
            [
                helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
                helper.make_tensor_value_info(
                    "attention_mask", TensorProto.INT64, ["batch", "tokens"]
                ),
            ],
            [
                helper.make_tensor_value_info(
                    "sentence_embedding", TensorProto.FLOAT, ["batch", self.hidden]
                )
            ],
        )

    def _embeddings(self) -> str:
        """Word + position + token-type (all 0: one segment) embeddings, layer-normed."""
        shape = self.op("Shape", ["input_ids"])
        tokens = self.op("Gather", [shape, self.const(np.int64(1))], axis=0)
        positions = self.op("Range", [self.const(np.int64(0)), tokens, self.const(np.int64(1))])
        words = self.op("Gather", [self._weight("embeddings.word_embeddings.weight"), "input_ids"])
        places = self.op(
            "Gather", [self._weight("embeddings.position_embeddings.weight"), positions]
        )
        segment = self.const(self.weight("embeddings.token_type_embeddings.weight")[0])
        x = self.op("Add", [self.op("Add", [words, places]), segment])
        return self._layer_norm(x, "embeddings.LayerNorm.")

    def _layer(self, x: str, score_bias: str, prefix: str) -> str:
        """One encoder layer: self-attention and feed-forward, each with a residual."""
        head_size = self.hidden // self.heads
        split = self.const(np.array([0, 0, self.heads, head_size], np.int64))

        def heads(name: str, perm: list[int]) -> str:
            projected = self._linear(x, f"{prefix}attention.self.{name}")
            return self.op("Transpose", [self.op("Reshape", [projected, split])], perm=perm)

        query = heads("query", [0, 2, 1, 3])  # batch, heads, tokens, size
        key = heads("key", [0, 2, 3, 1])  # batch, heads, size, tokens
        value = heads("value", [0, 2, 1, 3])
        scores = self.op(
            "Div", [self.op("MatMul", [query, key]), self.const(np.float32(np.sqrt(head_size)))]
        )
        weights = self.op("Softmax", [self.op("Add", [scores, score_bias])], axis=-1)
        context = self.op("Transpose", [self.op("MatMul", [weights, value])], perm=[0, 2, 1, 3])
        joined = self.op("Reshape", [context, self.const(np.array([0, 0, self.hidden], np.int64))])
        attended = self._linear(joined, f"{prefix}attention.output.dense")
        x = self._layer_norm(self.op("Add", [attended, x]), f"{prefix}attention.output.LayerNorm.")
        inner = self._gelu(self._linear(x, f"{prefix}intermediate.dense"))
        out = self._linear(inner, f"{prefix}output.dense")
        return self._layer_norm(self.op("Add", [out, x]), f"{prefix}output.LayerNorm.")

    def _pool(self, x: str, mask: str) -> None:
        """Mean of the tokens' vectors (padding excluded), scaled to unit length."""
        mask3 = self.op("Unsqueeze", [mask, self.const(np.array([2], np.int64))])
        axis1 = self.const(np.array([1], np.int64))
        total = self.op("ReduceSum", [self.op("Mul", [x, mask3]), axis1], keepdims=0)
        count = self.op("ReduceSum", [mask3, axis1], keepdims=0)
        mean = self.op("Div", [total, self.op("Max", [count, self.const(np.float32(1.0))])])
        length = self.op("ReduceL2", [mean, self.const(np.array([-1], np.int64))], keepdims=1)
        self.op(
            "Div",
            [mean, self.op("Max", [length, self.const(np.float32(1e-12))])],
            output="sentence_embedding",
        )

    def _linear(self, x: str, name: str) -> str:
        # torch stores a Linear layer's weight as (out, in); the graph multiplies by (in, out).
        matrix = self.const(np.ascontiguousarray(self.weight(f"{name}.weight").T))
        return self.op("Add", [self.op("MatMul", [x, matrix]), self._weight(f"{name}.bias")])

    def _layer_norm(self, x: str, prefix: str) -> str:
        return self.op(
            "LayerNormalization",
            [x, self._weight(f"{prefix}weight"), self._weight(f"{prefix}bias")],
            axis=-1,
            epsilon=self.epsilon,
        )

    def _gelu(self, x: str) -> str:
        """The exact GELU of BERT: x * (1 + erf(x / sqrt 2)) / 2."""
        scaled = self.op("Div", [x, self.const(np.float32(np.sqrt(2.0)))])
        plus_one = self.op("Add", [self.op("Erf", [scaled]), self.const(np.float32(1.0))])
        return self.op("Mul", [self.op("Mul", [x, plus_one]), self.const(np.float32(0.5))])

    def _weight(self, name: str) -> str:
        return self.const(self.weight(name))
