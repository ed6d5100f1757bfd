"""`newsrag eval`: kept apart from ui/cli.py so that each module stays short."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from ui.cli_output import emit_json


def eval_command(
    dataset: Annotated[
        str, typer.Option(help="FILE.jsonl (../shared/eval-format.md), rgb:FILE or multihop:DIR")
    ],
    out: Annotated[
        Path, typer.Option(help="Folder for report.json, report.html, cases.csv")
    ] = Path("newsrag-eval"),
    baseline: Annotated[
        Path | None,
        typer.Option(help="An earlier report (folder or report.json); exit 1 on a regression"),
    ] = None,
    tolerance: Annotated[
        list[str] | None,
        typer.Option(help="Allowed drop: 0.02 for all metrics, or METRIC=0.05; repeatable"),
    ] = None,
    top_k: Annotated[int | None, typer.Option("-k", "--top-k", min=1)] = None,
    limit: Annotated[int | None, typer.Option(help="Only the first N cases", min=1)] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="as for `newsrag ask`")] = None,
    data_dir: Annotated[Path | None, typer.Option("--data-dir", show_default=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the metrics as JSON.")] = False,
) -> None:
    """Score answers and retrieval on a question set; write report.json, report.html, cases.csv.

    Examples:

    \b
      newsrag eval --dataset ../shared/datasets/qa/dev.jsonl --out eval-out
      newsrag eval --dataset dev.jsonl --baseline eval-out --out eval-new   # exit 1 on regression
      newsrag eval --dataset rgb:../shared/datasets/rgb/en_fact.json --limit 20
      newsrag eval --dataset multihop:../shared/datasets/multihop --llm none
    """
    from eval.command import EvalRequest, run_evaluation
    from eval.compare import parse_tolerances
    from rag.chain import build_pipeline
    from ui.cli import fail, guarded, load_settings

    try:
        tolerances = parse_tolerances(tolerance or [])
    except ValueError as error:
        raise fail(str(error)) from None
    settings = load_settings(data_dir, llm)
    request = EvalRequest(
        dataset, out, baseline, top_k, limit, tolerances, progress=sys.stderr.isatty()
    )
    outcome = guarded(lambda: run_evaluation(request, guarded(lambda: build_pipeline(settings))))
    if as_json:
        emit_json(
            {
                "metrics": outcome.report["metrics"],
                "files": [str(f) for f in outcome.files],
                "regressions": [c.metric for c in outcome.comparison.regressions]
                if outcome.comparison
                else [],
            }
        )
    else:
        print_summary(outcome)
    if outcome.comparison is not None and outcome.comparison.regressions:
        raise typer.Exit(code=1)


def print_summary(outcome: Any) -> None:
    report = outcome.report
    typer.echo(f"{report['dataset']}: {report['n']} cases")
    from eval.report import headline_rows

    for name, shown, interval in headline_rows(report):
        typer.echo(f"  {name:27}{shown}" + (f"  (95% CI {interval})" if interval else ""))
    if outcome.comparison is not None:
        print_comparison(outcome.comparison)
    for path in outcome.files:
        typer.echo(f"wrote {path}")


def print_comparison(comparison: Any) -> None:
    typer.echo("against the baseline:")
    for change in comparison.changes:
        flag = "  REGRESSION" if change.regressed else ""
        typer.echo(
            f"  {change.metric:27}{change.before:.3f} -> {change.after:.3f} "
            f"({change.delta:+.3f}, 95% CI {change.low:+.3f}..{change.high:+.3f}, "
            f"{change.n} cases){flag}"
        )
    for case in comparison.flipped:
        typer.echo(f"  {case['id']} now {case['now']}: {case['question'][:70]}")
    if comparison.unmatched:
        typer.echo(f"  {comparison.unmatched} cases are in only one of the two reports")


def compare_command(
    baseline: Annotated[Path, typer.Argument(help="The earlier report (folder or report.json)")],
    report: Annotated[Path, typer.Argument(help="The new report (folder or report.json)")],
    tolerance: Annotated[
        list[str] | None,
        typer.Option(help="Allowed drop: 0.02 for all metrics, or METRIC=0.05; repeatable"),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the comparison as JSON.")] = False,
) -> None:
    """Compare two evaluation reports; exit 1 when a metric regressed (for CI).

    A metric regresses when it drops by more than its tolerance and the paired 95% bootstrap
    interval of the change excludes zero.

    Examples:

    \b
      newsrag compare eval-main eval-branch
      newsrag compare eval-main/report.json eval-branch --tolerance answer_contains=0.05
    """
    from eval.compare import compare, parse_tolerances
    from eval.report import read_report
    from ui.cli import fail

    try:
        tolerances = parse_tolerances(tolerance or [])
        comparison = compare(read_report(baseline), read_report(report), tolerances)
    except ValueError as error:
        raise fail(str(error)) from None
    if as_json:
        emit_json(comparison.as_dict())
    else:
        print_comparison(comparison)
    if comparison.regressions:
        raise typer.Exit(code=1)
