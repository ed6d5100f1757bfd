"""`newsrag eval`: load a question set, run it through the chat's pipeline, write the reports,
and compare with a baseline. The CLI command is a thin wrapper over `run_evaluation`."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.adapters import Dataset, load_dataset
from eval.compare import Comparison, compare
from eval.html import write_html
from eval.judge import judge_case, summarise_judged
from eval.report import build_report, code_version, read_report, write_csv, write_json
from eval.runner import evaluate
from rag.chain import Pipeline
from rag.config import Settings
from rag.retrieval import NewsRetriever


@dataclass
class EvalRequest:
    dataset: str
    out: Path
    baseline: Path | None = None
    k: int | None = None
    limit: int | None = None
    tolerances: dict[str, float] = field(default_factory=dict)
    progress: bool = True


@dataclass
class EvalOutcome:
    report: dict[str, Any]
    comparison: Comparison | None
    files: list[Path]


def run_evaluation(request: EvalRequest, pipeline: Pipeline) -> EvalOutcome:
    baseline = read_report(request.baseline) if request.baseline else None
    code = code_version()  # before the run: the checkout may move on while it goes
    with tempfile.TemporaryDirectory(prefix="newsrag-eval-") as work:
        dataset = load_dataset(request.dataset, Path(work))
        cases = dataset.cases[: request.limit] if request.limit else dataset.cases
        if dataset.corpus is not None:
            pipeline = pipeline_over(dataset, pipeline, Path(work) / "data", request.progress)
        rows = evaluate(pipeline, with_progress(cases, request.progress), request.k)
    settings = pipeline.settings
    models = {"embedding": embedding_model(pipeline), "llm": settings.llm}
    report = build_report(dataset.name, rows, settings_summary(settings), models, code)
    judged = judge_rows(settings, rows)
    if judged:
        report["judged"] = judged
    comparison = compare(baseline, report, request.tolerances) if baseline else None
    if comparison is not None:
        report["baseline"] = {"path": str(request.baseline), **comparison.as_dict()}
    request.out.mkdir(parents=True, exist_ok=True)
    files = [
        write_json(report, request.out),
        write_html(report, request.out, report.get("baseline")),
        write_csv(report["cases"], request.out),
    ]
    return EvalOutcome(report, comparison, files)


def pipeline_over(dataset: Dataset, pipeline: Pipeline, data_dir: Path, progress: bool) -> Pipeline:
    """The same models over a temporary collection holding the dataset's own articles."""
    from ingest.pipeline import ingest
    from rag.store import open_store

    assert dataset.corpus is not None
    settings = pipeline.settings.model_copy(update={"data_dir": data_dir})
    store = open_store(settings, embedding_model(pipeline))
    embeddings = pipeline.retriever.embeddings
    report = ingest(
        [dataset.corpus], store, embeddings, chunk_chars=settings.chunk_chars, progress=progress
    )
    if report.skipped:
        raise ValueError(f"{len(report.skipped)} benchmark articles could not be ingested")
    retriever = NewsRetriever(store=store, embeddings=embeddings, mode=settings.retrieval_mode)
    return Pipeline(settings, retriever, pipeline.llm)


def with_progress(cases: list[Any], enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(cases, desc="evaluating", unit="case", disable=not enabled)


def settings_summary(settings: Settings) -> dict[str, Any]:
    """The settings that shape the results; secrets and machine-specific paths left out."""
    dumped = settings.model_dump(
        mode="json", exclude={"openai_api_key", "data_dir", "llm_servers", "ingest_roots"}
    )
    return dict(sorted(dumped.items()))


def embedding_model(pipeline: Pipeline) -> str:
    """The model the pipeline's vectors come from: the one its settings name, else its store's
    (a pipeline built by hand over a store, with NEWSRAG_EMBEDDING unset)."""
    from rag.models import embedding_model_name

    settings = pipeline.settings
    recorded = pipeline.retriever.store.embedding_model
    return embedding_model_name(settings) if settings.embedding or not recorded else recorded


def judge_rows(settings: Settings, rows: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Judged scores when NEWSRAG_JUDGE is set; the passages judged are the answer's cited
    sources as the reader sees them."""
    from rag.models import make_judge

    judge = make_judge(settings)
    if judge is None:
        return None
    for row in rows:
        passages = " ".join(" ".join(source["evidence"]) for source in row["cited"])
        row["judged"] = judge_case(judge, row, passages or row["answer"])
    return summarise_judged(rows, settings.judge or "")
