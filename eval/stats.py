"""Bootstrap confidence intervals, seeded so that the same report gives the same intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

RESAMPLES = 2000
SEED = 20241228


def bootstrap_ci(
    values: Sequence[float], level: float = 0.95, resamples: int = RESAMPLES
) -> tuple[float, float] | None:
    """Percentile bootstrap interval of the mean; None for no values."""
    if not values:
        return None
    data = np.asarray(values, dtype=float)
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(data), size=(resamples, len(data)))
    means = data[picks].mean(axis=1)
    tail = (1 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1 - tail))


def paired_bootstrap_ci(
    before: Sequence[float],
    after: Sequence[float],
    level: float = 0.95,
    resamples: int = RESAMPLES,
) -> tuple[float, float, float] | None:
    """Mean of (after - before) over the same cases, and its percentile bootstrap interval.

    Pairing matters: two runs on the same questions differ far less than two samples would,
    so a small real drop is told from noise with few cases."""
    if len(before) != len(after):
        raise ValueError("paired values must come from the same cases")
    if not before:
        return None
    deltas = np.asarray(after, dtype=float) - np.asarray(before, dtype=float)
    low_high = bootstrap_ci(deltas.tolist(), level, resamples)
    assert low_high is not None
    return float(deltas.mean()), low_high[0], low_high[1]
