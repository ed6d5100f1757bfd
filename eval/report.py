"""report.json and cases.csv: the evaluation's results in the format of ../shared/eval-format.md."""

from __future__ import annotations

import csv
import json
import subprocess
from pathlib import Path
from typing import Any

from eval.runner import QUALITY_METRICS, by_type, summarise, values
from eval.stats import bootstrap_ci

CSV_COLUMNS = [
    "id",
    "type",
    "question",
    "gold",
    "answer",
    "refused",
    *QUALITY_METRICS,
    "latency_s",
    "retrieved_doc_ids",
    "failures",
]


def code_version() -> dict[str, Any]:
    """Which code produced a report: the checkout the packages were imported from (an
    editable install imports its own checkout, whatever the working directory), its commit,
    and whether it had uncommitted changes. None where it is not a git checkout."""
    root = Path(__file__).resolve().parent.parent

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    changes = git("status", "--porcelain", "--untracked-files=no") if commit else None
    dirty = None if changes is None else bool(changes)
    return {"path": str(root), "commit": commit, "dirty": dirty}


def build_report(
    dataset: str,
    rows: list[dict[str, Any]],
    config: dict[str, Any],
    models: dict[str, str],
    code: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`code`: code_version() taken when the run started (default: now)."""
    intervals = {}
    for name in QUALITY_METRICS:
        interval = bootstrap_ci(values(rows, name))
        intervals[name] = None if interval is None else [round(x, 4) for x in interval]
    return {
        "dataset": dataset,
        "n": len(rows),
        "config": config,
        "models": models,
        "code": code or code_version(),
        "metrics": summarise(rows),
        "intervals_95": intervals,
        "by_type": by_type(rows),
        "cases": rows,
    }


def write_json(report: dict[str, Any], folder: Path) -> Path:
    path = folder / "report.json"
    path.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_csv(rows: list[dict[str, Any]], folder: Path) -> Path:
    path = folder / "cases.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    **row,
                    "gold": " | ".join(row["gold"]),
                    "retrieved_doc_ids": " ".join(row["retrieved_doc_ids"]),
                    "failures": "; ".join(row["failures"]),
                }
            )
    return path


def read_report(folder_or_file: Path) -> dict[str, Any]:
    """An earlier report, given its folder or its report.json."""
    path = folder_or_file / "report.json" if folder_or_file.is_dir() else folder_or_file
    try:
        report = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise ValueError(f"cannot read the baseline {path}: {error.strerror}") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"the baseline {path} is not JSON: {error}") from None
    if not isinstance(report, dict) or not isinstance(report.get("cases"), list):
        raise ValueError(f"the baseline {path} is not a newsrag report (no 'cases' list)")
    return report


def headline_rows(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(metric, value, 95% interval) as text, for the CLI's summary and the app's table."""
    rows = []
    for name, value in report["metrics"].items():
        interval = report["intervals_95"].get(name)
        shown = "n/a" if value is None else f"{value:.3f}"
        rows.append((name, shown, f"{interval[0]:.3f}–{interval[1]:.3f}" if interval else ""))
    return rows
