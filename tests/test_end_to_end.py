"""End to end with the real bundled models: MiniLM embeddings and Gemma 3 270M via llama.cpp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import open_store
from tests.conftest import SAMPLE_CORPUS

pytestmark = pytest.mark.models


@pytest.fixture(scope="module")
def sample_pipeline(tmp_path_factory, real_embeddings, real_llm) -> Pipeline:
    settings = Settings(data_dir=tmp_path_factory.mktemp("e2e"))
    store = open_store(settings, "all-MiniLM-L6-v2")
    report = ingest([SAMPLE_CORPUS], store, real_embeddings)
    assert report.skipped == []
    retriever = NewsRetriever(store=store, embeddings=real_embeddings)
    return Pipeline(settings=settings, retriever=retriever, llm=real_llm)


def test_nam_question_is_answered_with_uganda_citing_the_sample_article(sample_pipeline) -> None:
    answer = sample_pipeline.ask("Who took over the NAM chair?").answer()
    assert not answer.refused
    assert "Uganda" in answer.answer
    assert answer.sources[0].doc_id == "world/nam-chair-uganda"
    assert 1 in answer.cited


@pytest.mark.parametrize(
    ("question", "expected", "doc_id"),
    [
        ("Which country became NATO's 32nd member?", "Sweden", "world/sweden-nato"),
        ("Who won the Euro 2024 final?", "Spain", "sport/euro-2024-final"),
        (
            "How many Windows devices did the CrowdStrike update affect?",
            "8.5 million",
            "business/crowdstrike-outage",
        ),
    ],
)
def test_sample_questions_cite_the_right_article(
    sample_pipeline, question: str, expected: str, doc_id: str
) -> None:
    answer = sample_pipeline.ask(question).answer()
    assert expected in answer.answer
    assert answer.sources[0].doc_id == doc_id and answer.cited


def test_question_the_articles_cannot_answer_is_refused(sample_pipeline) -> None:
    answer = sample_pipeline.ask("Who won the 2030 World Cup?").answer()
    assert answer.refused
    assert answer.answer == "I couldn't find this in the ingested articles."


def test_seed_article_via_the_cli(tmp_path: Path, datasets: Path) -> None:
    from ui.cli import app

    runner = CliRunner()
    data = str(tmp_path / "data")
    ingested = runner.invoke(app, ["ingest", str(datasets / "seed"), "--json", "--data-dir", data])
    assert ingested.exit_code == 0, ingested.output
    result = runner.invoke(
        app, ["ask", "Who took over the NAM chair?", "--json", "--data-dir", data]
    )
    assert result.exit_code == 0, result.output
    answer = json.loads(result.stdout)
    assert "Uganda" in answer["answer"] and not answer["refused"]
    assert answer["sources"][0]["doc_id"] == "000_5016a7bb1aa569ec"
    assert answer["sources"][0]["published"] == "2024-12-28"
    assert all("px" not in source["snippet"] for source in answer["sources"])
    refused = runner.invoke(
        app, ["ask", "Who won the 2030 World Cup?", "--json", "--data-dir", data]
    )
    assert json.loads(refused.stdout)["refused"] is True
