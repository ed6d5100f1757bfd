"""Shared fixtures: real Chroma in tmp dirs, a small deterministic embedding where the model is
not the subject, and the real bundled models (loaded once) where it is."""

from __future__ import annotations

import hashlib
import math
import re
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from langchain_core.embeddings import Embeddings

from rag.config import Settings

if TYPE_CHECKING:
    from langchain_core.language_models.llms import BaseLLM

    from rag.chain import Pipeline

ROOT = Path(__file__).resolve().parents[1]
DATASETS = ROOT.parent / "shared" / "datasets"
SAMPLE_CORPUS = ROOT / "rag" / "sample_corpus"
SAMPLE_QUESTIONS = ROOT / "eval" / "sample_questions.jsonl"


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


def quality(metrics: dict[str, object]) -> dict[str, object]:
    """An evaluation's metrics without the timings (which differ from run to run)."""
    return {k: v for k, v in metrics.items() if not k.startswith("latency")}


def sample_pipeline(settings: Settings, llm: BaseLLM | None, reader: bool = False) -> Pipeline:
    """The bundled sample articles, hashed embeddings and the given (scripted) model. The
    short-answer reader is off unless asked for: most tests here are about the model's path."""
    from ingest.pipeline import ingest
    from rag.chain import Pipeline
    from rag.retrieval import NewsRetriever
    from rag.store import open_store

    embeddings = HashingEmbeddings()
    store = open_store(settings, "fake")
    ingest([SAMPLE_CORPUS], store, embeddings)
    retriever = NewsRetriever(store=store, embeddings=embeddings)
    changes = {"min_relevance": 0.2, "reader": reader}
    return Pipeline(settings.model_copy(update=changes), retriever, llm)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", embedding="bundled:all-MiniLM-L6-v2")


STORE_MODES = ["embedded", "server", "server+postgres"]


@pytest.fixture(params=STORE_MODES)
def store_settings(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Settings]:
    """Store-facing tests run three times: on the embedded store; on a real Chroma server
    (`chroma run` on 127.0.0.1, one per test session) with a collection of their own and the
    records in SQLite; and on that server with the records in a real PostgreSQL (one server
    per session, a database of their own)."""
    base = Settings(data_dir=tmp_path / "data", embedding="bundled:all-MiniLM-L6-v2")
    yield from mode_settings(request, base, request.param)


def mode_settings(request: pytest.FixtureRequest, base: Settings, mode: str) -> Iterator[Settings]:
    """`base` moved to a store mode (see store_settings); PostgreSQL pools close afterwards."""
    if mode == "embedded":
        yield base
        return
    url = request.getfixturevalue("chroma_server")
    settings = base.model_copy(
        update={"chroma_url": url, "collection": f"t{uuid.uuid4().hex[:16]}"}
    )
    if mode == "server":
        yield settings
        return
    from pydantic import SecretStr

    from tests.pg_server import create_database

    database = create_database(request.getfixturevalue("postgres_server"))
    yield settings.model_copy(update={"database_url": SecretStr(database)})
    from rag.postgres import close_pools

    close_pools()


def store_env(settings: Settings) -> dict[str, str]:
    """The environment that gives a separate newsrag process the same store settings."""
    import os

    env = {**os.environ, "NEWSRAG_COLLECTION": settings.collection}
    for key in ("NEWSRAG_CHROMA_URL", "NEWSRAG_DATABASE_URL"):
        env.pop(key, None)
    if settings.chroma_url:
        env["NEWSRAG_CHROMA_URL"] = settings.chroma_url
    if settings.database_dsn:
        env["NEWSRAG_DATABASE_URL"] = settings.database_dsn
    return env


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A real PostgreSQL for the session (tests/pg_server.py); skips where none can start."""
    from tests.pg_server import missing, postgres_server

    why = missing()
    if why:
        pytest.skip(f"needs PostgreSQL: {why}")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("needs psycopg (pip install 'psycopg[binary,pool]')")
    with postgres_server() as url:
        yield url


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    chroma = Path(sys.executable).with_name("chroma")
    command = [
        str(chroma),
        "run",
        "--path",
        str(folder / "db"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
    ]
    url = f"http://127.0.0.1:{port}"
    with running(command, f"{url}/api/v2/heartbeat", folder / "server.log"):
        yield url


@contextmanager
def running(
    command: list[str],
    ready_url: str,
    log_path: Path,
    seconds: float = 90,
    env: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Iterator[None]:
    """A server process that answers `ready_url` before the block runs, stopped after it."""
    with log_path.open("w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            deadline = time.monotonic() + seconds
            while True:
                try:
                    ready = urllib.request.Request(ready_url, headers=headers or {})
                    urllib.request.urlopen(ready, timeout=2).read()
                    break
                except OSError:
                    if process.poll() is not None or time.monotonic() > deadline:
                        pytest.fail(f"{ready_url} did not come up; see {log_path}")
                    time.sleep(0.3)
            yield
        finally:
            process.terminate()
            process.wait(timeout=30)


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

    return make_embeddings(Settings(embedding="bundled:all-MiniLM-L6-v2"))  # what tests label it


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def llm_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real OpenAI-compatible server on 127.0.0.1: llama-cpp-python's own server serving the
    bundled GGUF (started only for the modules that ask for it)."""
    from rag.models import bundled_gemma_path

    port = free_port()
    command = [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        bundled_gemma_path(),
        "--model_alias",
        "gemma-270m",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--n_ctx",
        "2048",
        "--n_threads",
        "2",
    ]
    url = f"http://127.0.0.1:{port}/v1"
    with running(command, f"{url}/models", tmp_path_factory.mktemp("server") / "server.log"):
        yield url


@contextmanager
def serving_sample(
    folder: Path,
    embeddings: Embeddings,
    options: list[str],
    ready_path: str = "/",
    env: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Iterator[str]:
    """A real `newsrag serve` on 127.0.0.1 over the sample corpus (ingested into folder/data
    with `embeddings`), with the given options; yields its base URL (ending in '/')."""
    import os

    from ingest.pipeline import ingest
    from rag.store import open_store

    data = folder / "data"
    ingest([SAMPLE_CORPUS], open_store(Settings(data_dir=data), "all-MiniLM-L6-v2"), embeddings)
    port = free_port()
    newsrag = str(Path(sys.executable).with_name("newsrag"))
    command = [newsrag, "serve", "--data-dir", str(data), "--port", str(port), *options]
    environment = {**os.environ, "HF_HUB_OFFLINE": "1", **(env or {})}
    url = f"http://127.0.0.1:{port}/"
    with running(
        command, url + ready_path.lstrip("/"), folder / "serve.log", 120, environment, headers
    ):
        yield url
