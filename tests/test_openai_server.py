"""The OpenAI-compatible backend against a real server on 127.0.0.1: llama-cpp-python's own
server (`python -m llama_cpp.server`) serving the bundled GGUF, started by the fixture."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.pipeline import ingest
from rag.answer import Answer
from rag.chain import Pipeline
from rag.config import Settings
from rag.models import ConfigError, make_llm
from rag.retrieval import NewsRetriever
from rag.store import open_store
from tests.conftest import SAMPLE_CORPUS

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def server_pipeline(
    llm_server: str, tmp_path_factory: pytest.TempPathFactory, real_embeddings
) -> Pipeline:
    settings = Settings(
        data_dir=tmp_path_factory.mktemp("server-data"),
        llm="openai:gemma-270m",
        openai_base_url=llm_server,
    )
    store = open_store(settings, "all-MiniLM-L6-v2")
    ingest([SAMPLE_CORPUS], store, real_embeddings)
    retriever = NewsRetriever(store=store, embeddings=real_embeddings)
    return Pipeline(settings, retriever, make_llm(settings))


def test_answers_through_the_server_are_streamed_and_verified(server_pipeline: Pipeline) -> None:
    response = server_pipeline.ask("Which country became NATO's 32nd member?")
    tokens = list(response)
    answer = response.answer()
    assert isinstance(answer, Answer) and len(tokens) > 1  # tokens arrived one by one
    assert "Sweden" in answer.answer and answer.grounded and not answer.refused
    assert answer.sources[0].doc_id == "world/sweden-nato"
    assert answer.timings.first_token_s is not None


def test_refusal_does_not_call_the_server(server_pipeline: Pipeline) -> None:
    answer = server_pipeline.ask("Who won the 2030 World Cup?").answer()
    assert answer.refused and answer.timings.first_token_s is None


def test_misconfigured_server_settings_fail_clearly(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="NEWSRAG_OPENAI_BASE_URL"):
        make_llm(Settings(data_dir=tmp_path, llm="openai:gemma"))
    with pytest.raises(ConfigError, match="unknown LLM provider 'gpt'"):
        make_llm(Settings(data_dir=tmp_path, llm="gpt:4"))
