"""Shared fixtures: real Chroma in tmp dirs, a small deterministic embedding where the model is
not the subject, and the real bundled models (loaded once) where it is."""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.embeddings import Embeddings

from rag.config import Settings

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
SAMPLE_CORPUS = ROOT / "rag" / "sample_corpus"


class HashingEmbeddings(Embeddings):
    """Bag-of-words feature hashing: deterministic, instant, and similar texts score higher."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.calls = 0
        self.texts_embedded = 0

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dim
        for word in re.findall(r"[a-z0-9]+", text.lower()):
            bucket = int(hashlib.md5(word.encode()).hexdigest()[:8], 16) % self.dim
            vector[bucket] += 1.0
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls += 1
        self.texts_embedded += len(texts)
        return [self._vector(t) for t in texts]

    def embed_query(self, text: str) -> list[float]:
        return self._vector(text)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding="bundled:all-MiniLM-L6-v2")


@pytest.fixture
def fake_embeddings() -> HashingEmbeddings:
    return HashingEmbeddings()


@pytest.fixture
def datasets() -> Path:
    if not DATASETS.is_dir():
        pytest.skip(f"test data not found at {DATASETS} (see the README's 'Test data')")
    return DATASETS


@pytest.fixture(scope="session")
def real_embeddings() -> Embeddings:
    from rag.models import make_embeddings

    return make_embeddings(Settings())


@pytest.fixture(scope="session")
def real_llm() -> Iterator[object]:
    from rag.models import make_llm

    yield make_llm(Settings())


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path
