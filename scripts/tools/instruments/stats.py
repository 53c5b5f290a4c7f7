"""Percentiles and medians of measurements, the figures every report is made of."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np


def percentiles(values: Sequence[float], scale: float = 1.0) -> dict[str, float]:
    """p50/p95/p99 and mean of ``values`` times ``scale`` (e.g. 1000 for seconds -> ms)."""
    if not values:
        return {"n": 0}
    data = np.asarray(values, dtype=np.float64) * scale
    p50, p95, p99 = np.percentile(data, [50, 95, 99])
    return {
        "n": len(values),
        "p50": float(p50),
        "p95": float(p95),
        "p99": float(p99),
        "mean": float(data.mean()),
        "max": float(data.max()),
    }


def median_of(runs: Sequence[dict[str, Any]], key: str) -> float | None:
    """Median over runs of one figure (None when no run has it)."""
    values = [run[key] for run in runs if run.get(key) is not None]
    return float(np.median(values)) if values else None
