"""The ONNX Runtime path for all-MiniLM-L6-v2 gives the torch path's vectors, and one-shot
commands pick it (so `newsrag ask` starts without importing torch). The int8 model is made
once into the cache, gives vectors near fp32's (but not equal: a model of its own name), and
gives a text the same vector whatever it is embedded with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.models import bundled_minilm_path, make_embeddings
from rag.onnx_embed import OnnxMiniLM, export_onnx, onnx_model_path
from rag.onnx_int8 import export_int8, int8_model_path

pytestmark = pytest.mark.models
TEXTS = [
    "Who took over the Non-Aligned Movement chair?",
    "Uganda has taken over the chairmanship of the Non-Aligned Movement from Azerbaijan. " * 12,
    "Sweden became NATO's 32nd member.",
]


@pytest.fixture(scope="module")
def exported() -> Path:
    path = onnx_model_path()
    return path if path.exists() else export_onnx(bundled_minilm_path(), path)


def test_onnx_vectors_match_the_torch_path(exported: Path, real_embeddings: Embeddings) -> None:
    onnx = OnnxMiniLM(exported, bundled_minilm_path(), batch_size=2)
    ours = np.array(onnx.embed_documents(TEXTS))  # a batch with padding, and a truncated text
    torch_vectors = np.array(real_embeddings.embed_documents(TEXTS))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    assert (ours * torch_vectors).sum(axis=1).min() > 0.9999
    query = np.array(onnx.embed_query(TEXTS[0]))
    assert float(query @ np.array(real_embeddings.embed_query(TEXTS[0]))) > 0.9999


def test_one_shot_commands_use_onnx_and_long_running_ones_torch(
    exported: Path, tmp_path: Path
) -> None:
    settings = Settings(
        data_dir=tmp_path, embedding="bundled:all-MiniLM-L6-v2", embedding_device="cpu"
    )
    assert isinstance(make_embeddings(settings, one_shot=True), OnnxMiniLM)
    assert not isinstance(make_embeddings(settings), OnnxMiniLM)
    forced = settings.model_copy(update={"embedding_runtime": "torch"})
    assert not isinstance(make_embeddings(forced, one_shot=True), OnnxMiniLM)


@pytest.fixture(scope="module")
def int8() -> Embeddings:
    # runs on ONNX Runtime whatever the runtime setting says (there is no torch int8 path)
    settings = Settings(embedding="bundled:all-MiniLM-L6-v2-int8", embedding_runtime="torch")
    return make_embeddings(settings)


def test_int8_is_made_once_into_the_cache_and_runs_on_onnx_runtime(int8: Embeddings) -> None:
    assert isinstance(int8, OnnxMiniLM) and int8.batch_size == 1
    assert int8_model_path().exists() and int8_model_path().parent == onnx_model_path().parent


def test_int8_vectors_are_near_fp32_but_another_models(
    int8: Embeddings, real_embeddings: Embeddings
) -> None:
    ours = np.array(int8.embed_documents(TEXTS))
    fp32 = np.array(real_embeddings.embed_documents(TEXTS))
    assert np.allclose(np.linalg.norm(ours, axis=1), 1.0, atol=1e-5)
    cosines = (ours * fp32).sum(axis=1)
    assert cosines.min() > 0.98 and cosines.min() < 0.9999


def test_an_int8_vector_does_not_depend_on_the_texts_embedded_with_it(int8: Embeddings) -> None:
    together = np.array(int8.embed_documents(TEXTS))
    reordered = np.array(int8.embed_documents(TEXTS[::-1]))[::-1]
    alone = np.array([int8.embed_query(text) for text in TEXTS])
    assert np.array_equal(together, reordered) and np.array_equal(together, alone)


def test_the_int8_export_is_whole_and_gives_the_cached_models_vectors(
    int8: Embeddings, tmp_path: Path
) -> None:
    target = export_int8(bundled_minilm_path(), tmp_path / "again.onnx")
    assert [p.name for p in tmp_path.iterdir()] == ["again.onnx"]  # no partial files left
    again = OnnxMiniLM(target, bundled_minilm_path(), batch_size=1)
    assert np.array_equal(np.array(again.embed_documents(TEXTS)), int8.embed_documents(TEXTS))
