"""A store is queried only with the model that built it: the fp32 and int8 MiniLM are two
models; an unset NEWSRAG_EMBEDDING means the store's own model (a new store: the default); a
store that records no model was built with fp32. No model is loaded here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from rag.config import Settings
from rag.models import (
    FP32_MINILM,
    INT8_MINILM,
    NEW_STORE_MODEL,
    default_embedding,
    embedding_model_name,
    for_store,
)
from rag.store import StoreError, chroma_client, open_store
from tests.conftest import HashingEmbeddings
from ui.cli import app

FP32, INT8 = f"bundled:{FP32_MINILM}", f"bundled:{INT8_MINILM}"


@pytest.fixture
def unset(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    """Settings as a user has them who never set NEWSRAG_EMBEDDING."""
    monkeypatch.delenv("NEWSRAG_EMBEDDING", raising=False)
    monkeypatch.setenv("NEWSRAG_EMBEDDING_DEVICE", "cpu")
    return Settings(data_dir=tmp_path / "data")


def built_with(settings: Settings, spec: str) -> None:
    open_store(settings.model_copy(update={"embedding": spec}))


def test_a_new_store_records_the_default_model(unset: Settings) -> None:
    store = open_store(unset)
    assert store.embedding_model == NEW_STORE_MODEL
    assert for_store(unset, store.embedding_model).embedding == f"bundled:{NEW_STORE_MODEL}"


def test_new_stores_get_int8_on_the_cpu_and_fp32_where_a_gpu_embeds(
    unset: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert NEW_STORE_MODEL == INT8_MINILM and default_embedding(unset) == INT8
    monkeypatch.setattr("rag.models.gpu_present", lambda settings: True)
    assert default_embedding(unset) == FP32


@pytest.mark.parametrize("model", [FP32_MINILM, INT8_MINILM])
def test_an_existing_store_keeps_the_model_it_was_built_with(unset: Settings, model: str) -> None:
    built_with(unset, f"bundled:{model}")
    store = open_store(unset)
    assert store.embedding_model == model
    assert for_store(unset, store.embedding_model).embedding == f"bundled:{model}"


@pytest.mark.parametrize(("built", "asked"), [(INT8, FP32), (FP32, INT8)])
def test_a_store_refuses_the_other_model_and_says_what_to_do(
    unset: Settings, built: str, asked: str
) -> None:
    built_with(unset, built)
    with pytest.raises(StoreError) as refused:
        open_store(unset.model_copy(update={"embedding": asked}))
    message = str(refused.value)
    assert f"built with the embedding model '{built.split(':')[1]}'" in message
    assert f"the settings ask for '{asked.split(':')[1]}'" in message
    assert "Leave NEWSRAG_EMBEDDING unset" in message and f"set it to {built}" in message


def test_a_store_that_records_no_model_was_built_with_fp32(unset: Settings) -> None:
    client = chroma_client(unset)
    client.create_collection(unset.collection, configuration={"hnsw": {"space": "cosine"}})
    assert open_store(unset).embedding_model == FP32_MINILM
    with pytest.raises(StoreError, match="'all-MiniLM-L6-v2', but the settings ask for 'all-"):
        open_store(unset.model_copy(update={"embedding": INT8}))


def test_bundled_names_are_matched_whatever_their_case(unset: Settings) -> None:
    shouting = unset.model_copy(update={"embedding": "bundled:ALL-MINILM-L6-V2-INT8"})
    assert embedding_model_name(shouting) == INT8_MINILM


def test_the_question_path_embeds_with_the_stores_model(
    unset: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from rag.chain import build_pipeline

    built_with(unset, INT8)
    asked: list[str] = []

    def fake_embeddings(settings: Settings, *args: Any) -> HashingEmbeddings:
        asked.append(settings.embedding)
        return HashingEmbeddings()

    monkeypatch.setattr("rag.models.make_embeddings", fake_embeddings)
    pipeline = build_pipeline(unset, with_llm=False, one_shot=True)
    assert asked == [INT8] and pipeline.settings.embedding == INT8


def test_the_cli_names_the_stores_model_and_refuses_the_other(
    unset: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    built_with(unset, FP32)
    data = ["--data-dir", str(unset.data_dir)]
    result = CliRunner().invoke(app, ["info", "--json", *data])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["embedding_model"] == FP32
    monkeypatch.setenv("NEWSRAG_EMBEDDING", INT8)
    result = CliRunner().invoke(app, ["info", *data])
    assert result.exit_code == 2
    assert "built with the embedding model 'all-MiniLM-L6-v2'" in result.output
