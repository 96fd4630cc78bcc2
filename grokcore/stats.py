"""Small statistics used by the chapters' claims: fits and summaries over seeds."""
from __future__ import annotations

import math
from typing import Sequence


def linfit(x: Sequence[float], y: Sequence[float]) -> tuple[float, float, float]:
    """Least-squares line y = a + b x: returns (b, a, r^2)."""
    n = len(x)
    if n < 2 or n != len(y):
        raise ValueError("linfit needs two equal-length sequences of at least 2 points")
    mx, my = sum(x) / n, sum(y) / n
    sxx = sum((v - mx) ** 2 for v in x)
    sxy = sum((u - mx) * (v - my) for u, v in zip(x, y))
    syy = sum((v - my) ** 2 for v in y)
    b = sxy / sxx
    r2 = (sxy * sxy / (sxx * syy)) if syy > 0 else 1.0
    return b, my - b * mx, r2


def loglog_slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Exponent b of y ~ x^b (least squares in log-log)."""
    return linfit([math.log(v) for v in x], [math.log(v) for v in y])[0]
