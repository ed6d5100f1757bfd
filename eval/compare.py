"""Compare a report with a baseline: paired deltas, flipped cases, and a verdict for CI."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from eval.runner import QUALITY_METRICS
from eval.stats import paired_bootstrap_ci

DEFAULT_TOLERANCE = 0.02


@dataclass
class MetricChange:
    metric: str
    before: float
    after: float
    delta: float  # after - before, over the cases both reports scored
    low: float
    high: float
    n: int
    regressed: bool


@dataclass
class Comparison:
    changes: list[MetricChange]
    flipped: list[dict[str, Any]] = field(default_factory=list)
    unmatched: int = 0  # cases in only one of the two reports

    @property
    def regressions(self) -> list[MetricChange]:
        return [c for c in self.changes if c.regressed]

    def as_dict(self) -> dict[str, Any]:
        return {
            "changes": [asdict(c) for c in self.changes],
            "regressions": [c.metric for c in self.regressions],
            "flipped": self.flipped,
            "unmatched_cases": self.unmatched,
        }


def compare(
    baseline: dict[str, Any], report: dict[str, Any], tolerances: dict[str, float] | None = None
) -> Comparison:
    """A metric regresses when it worsens by more than its tolerance and the paired 95%
    bootstrap interval of the change excludes zero (so noise on a few cases never fails CI)."""
    tolerances = tolerances or {}
    before = {c["id"]: c for c in baseline["cases"]}
    after = {c["id"]: c for c in report["cases"]}
    shared = [case_id for case_id in after if case_id in before]
    changes = []
    for metric, higher_is_better in QUALITY_METRICS.items():
        pairs = [
            (float(before[i][metric]), float(after[i][metric]))
            for i in shared
            if before[i].get(metric) is not None and after[i].get(metric) is not None
        ]
        result = paired_bootstrap_ci([b for b, _ in pairs], [a for _, a in pairs])
        if result is None:
            continue
        delta, low, high = result
        tolerance = tolerances.get(metric, tolerances.get("*", DEFAULT_TOLERANCE))
        worse = -delta if higher_is_better else delta
        interval_excludes_zero = high < 0 if higher_is_better else low > 0
        changes.append(
            MetricChange(
                metric,
                round(sum(b for b, _ in pairs) / len(pairs), 4),
                round(sum(a for _, a in pairs) / len(pairs), 4),
                round(delta, 4),
                round(low, 4),
                round(high, 4),
                len(pairs),
                regressed=worse > tolerance and interval_excludes_zero,
            )
        )
    flipped = [flip(before[i], after[i]) for i in shared if passed(before[i]) != passed(after[i])]
    unmatched = len(set(before) ^ set(after))
    return Comparison(changes, flipped, unmatched)


def passed(case: dict[str, Any]) -> bool:
    return not case.get("failures")


def flip(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": after["id"],
        "now": "passes" if passed(after) else "fails",
        "question": after.get("question", ""),
        "before": before.get("answer", ""),
        "after": after.get("answer", ""),
        "failures": after.get("failures") or before.get("failures", []),
    }


def parse_tolerances(specs: list[str]) -> dict[str, float]:
    """`0.03` sets every metric's tolerance; `answer_contains=0.05` sets one."""
    tolerances: dict[str, float] = {}
    for spec in specs:
        name, _, number = spec.rpartition("=")
        if name and name not in QUALITY_METRICS:
            raise ValueError(
                f"--tolerance: unknown metric {name!r}; one of {list(QUALITY_METRICS)}"
            )
        try:
            tolerances[name or "*"] = float(number)
        except ValueError:
            raise ValueError(f"--tolerance wants a number or METRIC=NUMBER, got {spec!r}") from None
    return tolerances
