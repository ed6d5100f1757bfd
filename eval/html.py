"""report.html: one self-contained page (inline CSS, plots embedded as PNG data URIs)."""

from __future__ import annotations

import base64
import io
from pathlib import Path
from typing import Any

import jinja2

from eval.runner import FAMILIES

TEMPLATE_DIR = Path(__file__).parent / "templates"


def family_plot(report: dict[str, Any], names: list[str], title: str) -> str | None:
    """A horizontal bar per metric with its 95% interval; None when no metric has a value."""
    import matplotlib

    matplotlib.use("Agg")  # no display; must precede pyplot
    from matplotlib import pyplot as plt

    shown = [n for n in names if report["metrics"].get(n) is not None]
    if not shown:
        return None
    means = [report["metrics"][n] for n in shown]
    intervals = [report["intervals_95"].get(n) or [m, m] for n, m in zip(shown, means, strict=True)]
    errors = [
        [m - lo for m, (lo, _) in zip(means, intervals, strict=True)],
        [hi - m for m, (_, hi) in zip(means, intervals, strict=True)],
    ]
    figure, axes = plt.subplots(figsize=(5.5, 0.45 * len(shown) + 0.9), dpi=96)
    axes.barh(shown, means, xerr=errors, color="#3b6ea8", ecolor="#222", capsize=3)
    axes.set_xlim(0, 1)
    axes.invert_yaxis()
    axes.set_title(title, fontsize=10)
    axes.grid(axis="x", alpha=0.3)
    return to_data_uri(figure)


def latency_plot(report: dict[str, Any]) -> str | None:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    latencies = [c["latency_s"] for c in report["cases"] if c.get("latency_s") is not None]
    if not latencies:
        return None
    figure, axes = plt.subplots(figsize=(5.5, 2.4), dpi=96)
    axes.hist(latencies, bins=min(20, max(5, len(latencies) // 3)), color="#6a8f3b")
    axes.set_xlabel("seconds per case")
    axes.set_title("answer latency", fontsize=10)
    return to_data_uri(figure)


def to_data_uri(figure: Any) -> str:
    from matplotlib import pyplot as plt

    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    plt.close(figure)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def worst_first(cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        cases, key=lambda c: (-len(c.get("failures", [])), c.get("token_f1") or 0.0, c["id"])
    )


def render_html(report: dict[str, Any], comparison: dict[str, Any] | None = None) -> str:
    environment = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATE_DIR), autoescape=True, keep_trailing_newline=True
    )
    plots = [family_plot(report, names, family) for family, names in FAMILIES.items()]
    plots.append(latency_plot(report))
    return environment.get_template("report.html.j2").render(
        report=report,
        plots=[p for p in plots if p],
        cases=worst_first(report["cases"]),
        comparison=comparison,
        failing=sum(1 for c in report["cases"] if c.get("failures")),
    )


def write_html(
    report: dict[str, Any], folder: Path, comparison: dict[str, Any] | None = None
) -> Path:
    path = folder / "report.html"
    path.write_text(render_html(report, comparison), encoding="utf-8")
    return path
