"""`newsrag eval` with the real bundled models: the dev set over seed + BBC articles (doc ids
read seed/... and bbc/...), run twice with identical scores; and the optional LLM judge against
a real OpenAI-compatible server on 127.0.0.1."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from langchain_core.embeddings import Embeddings
from typer.testing import CliRunner

from eval.cases import read_cases
from eval.command import EvalRequest, run_evaluation
from ingest.pipeline import ingest
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever
from rag.store import open_store
from tests.conftest import SAMPLE_QUESTIONS, quality
from ui.cli import app

pytestmark = pytest.mark.models
DISTRACTORS_PER_TOPIC = 20


@pytest.fixture(scope="module")
def dev_data_dir(tmp_path_factory: pytest.TempPathFactory, real_embeddings: Embeddings) -> Path:
    """seed/ and the BBC articles the dev set names, plus distractors from every topic, laid
    out as in ../shared/datasets so that doc ids match the gold ones (a subset: the whole BBC
    folder takes ten minutes to embed here)."""
    from tests.conftest import DATASETS

    if not (DATASETS / "qa" / "dev.jsonl").is_file():
        pytest.skip(f"test data not found at {DATASETS} (see the README's 'Test data')")
    corpus = tmp_path_factory.mktemp("corpus")
    shutil.copytree(DATASETS / "seed", corpus / "seed")
    wanted = {d for c in read_cases(DATASETS / "qa" / "dev.jsonl") for d in c.doc_ids}
    for topic in sorted(p for p in (DATASETS / "bbc").iterdir() if p.is_dir()):
        files = sorted(topic.glob("*.txt"))
        chosen = files[:DISTRACTORS_PER_TOPIC] + [
            f for f in files if f"bbc/{topic.name}/{f.stem}" in wanted
        ]
        for file in chosen:
            (corpus / "bbc" / topic.name).mkdir(parents=True, exist_ok=True)
            shutil.copy(file, corpus / "bbc" / topic.name / file.name)
    data_dir = tmp_path_factory.mktemp("dev-data")
    store = open_store(Settings(data_dir=data_dir), "all-MiniLM-L6-v2")
    report = ingest([corpus], store, real_embeddings)
    assert not report.skipped
    return data_dir


@pytest.fixture(scope="module")
def dev_pipeline(dev_data_dir: Path, real_embeddings: Embeddings, real_llm: Any) -> Pipeline:
    settings = Settings(data_dir=dev_data_dir)
    store = open_store(settings, "all-MiniLM-L6-v2")
    return Pipeline(settings, NewsRetriever(store=store, embeddings=real_embeddings), real_llm)


def test_dev_set_report_is_written_and_repeats_exactly(
    dev_pipeline: Pipeline, tmp_path: Path
) -> None:
    from tests.conftest import DATASETS

    dev = str(DATASETS / "qa" / "dev.jsonl")
    first = run_evaluation(EvalRequest(dev, tmp_path / "a", progress=False), dev_pipeline).report
    second = run_evaluation(
        EvalRequest(dev, tmp_path / "b", baseline=tmp_path / "a", progress=False), dev_pipeline
    )
    assert {p.name for p in (tmp_path / "a").iterdir()} == {
        "report.json",
        "report.html",
        "cases.csv",
    }
    assert quality(first["metrics"]) == quality(second.report["metrics"])
    assert [c["answer"] for c in first["cases"]] == [c["answer"] for c in second.report["cases"]]
    assert second.comparison is not None and not second.comparison.flipped
    metrics = first["metrics"]
    assert metrics["hit@5"] >= 0.9 and metrics["answer_contains"] >= 0.5
    assert metrics["grounded_rate"] == 1.0
    assert any(d.startswith("seed/") for c in first["cases"] for d in c["retrieved_doc_ids"])


def test_eval_command_end_to_end_with_a_baseline(dev_data_dir: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    base = [
        "eval",
        "--dataset",
        str(SAMPLE_QUESTIONS),
        "--data-dir",
        str(dev_data_dir),
        "--llm",
        "none",
        "--limit",
        "3",
    ]
    first = runner.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert first.exit_code == 0, first.output
    assert "answer_contains" in first.output and "wrote" in first.output
    second = runner.invoke(
        app, [*base, "--out", str(tmp_path / "b"), "--baseline", str(tmp_path / "a"), "--json"]
    )
    assert second.exit_code == 0, second.output
    assert json.loads(second.output)["regressions"] == []


def test_the_judge_scores_apart_from_the_headline(
    llm_server: str, dev_pipeline: Pipeline, tmp_path: Path
) -> None:
    settings = dev_pipeline.settings.model_copy(
        update={"judge": "openai:gemma-270m", "judge_base_url": llm_server}
    )
    judged = Pipeline(settings, dev_pipeline.retriever, None)
    request = EvalRequest(str(SAMPLE_QUESTIONS), tmp_path / "j", limit=4, progress=False)
    report = run_evaluation(request, judged).report
    assert report["judged"]["model"] == "openai:gemma-270m"
    assert set(report["judged"]["metrics"]) == {"faithfulness", "correctness"}
    assert "faithfulness" not in report["metrics"]  # never mixed into the headline numbers
    assert all("judged" in c for c in report["cases"])
    assert "Judged by an LLM" in (tmp_path / "j" / "report.html").read_text()
