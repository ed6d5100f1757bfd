"""The ONNX Runtime path for all-MiniLM-L6-v2 gives the torch path's vectors, and one-shot
commands pick it (so `newsrag ask` starts without importing torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from langchain_core.embeddings import Embeddings

from rag.config import Settings
from rag.models import bundled_minilm_path, make_embeddings
from rag.onnx_embed import OnnxMiniLM, export_onnx, onnx_model_path

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
    settings = Settings(data_dir=tmp_path, embedding_device="cpu")
    assert isinstance(make_embeddings(settings, one_shot=True), OnnxMiniLM)
    assert not isinstance(make_embeddings(settings), OnnxMiniLM)
    forced = settings.model_copy(update={"embedding_runtime": "torch"})
    assert not isinstance(make_embeddings(forced, one_shot=True), OnnxMiniLM)
