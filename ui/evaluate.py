"""The evaluation tab: run a question set through `newsrag eval`'s code, show the headline."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from rag.chain import Pipeline

SAMPLE_SET = Path(__file__).resolve().parents[1] / "eval" / "sample_questions.jsonl"


def question_sets(pipeline: Pipeline) -> dict[str, Path]:
    """The sets a user may run, by the name the app shows: the bundled sample, and each .jsonl
    the operator keeps in DATA_DIR/evals/. Nothing else on the server can be named."""
    sets = {"sample (bundled)": SAMPLE_SET}
    for path in sorted((pipeline.settings.data_dir / "evals").glob("*.jsonl")):
        if path.is_file():
            sets[f"evals/{path.name}"] = path
    return sets


def run_eval(pipeline: Pipeline, name: str, limit: int | None) -> tuple[str, str | None]:
    """Markdown with the headline numbers, and the path of report.html."""
    from eval.command import EvalRequest, run_evaluation

    dataset = question_sets(pipeline).get(name)
    if dataset is None:
        return f"**Cannot run this evaluation:** no question set named '{name}' here", None
    out = pipeline.settings.data_dir / "eval-reports" / time.strftime("%Y%m%d-%H%M%S")
    request = EvalRequest(str(dataset), out, limit=limit or None, progress=True)
    try:
        report = run_evaluation(request, pipeline).report
    except ValueError as error:
        return f"**Cannot run this evaluation:** {error}", None
    return headline_markdown(report), str(out / "report.html")


def headline_markdown(report: dict[str, Any]) -> str:
    from eval.report import headline_rows

    rows = ["| metric | value | 95% CI |", "| --- | --- | --- |"]
    rows += [f"| {name} | {shown} | {ci} |" for name, shown, ci in headline_rows(report)]
    failing = sum(1 for c in report["cases"] if c["failures"])
    return (
        f"**{report['dataset']}**: {report['n']} cases, {failing} with a failure\n\n"
        + "\n".join(rows)
    )
