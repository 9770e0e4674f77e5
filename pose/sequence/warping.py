"""Dynamic time warping: the cheapest monotonic path through a cost matrix, inside a
Sakoe-Chiba band around its diagonal (:func:`band`, :func:`dtw`)."""

from __future__ import annotations

import numpy as np

# Chosen by benchmarks/sequence.py (docs/sequence.md has the figures).
DEFAULT_WINDOW = 0.3


def band(rows: int, columns: int, window: float | None) -> tuple[np.ndarray, np.ndarray]:
    """Sakoe-Chiba band: for each row, the first and last column (inclusive) it may use.

    The band follows the diagonal of the ``rows`` x ``columns`` rectangle, ``window`` times
    the longer side wide on either side (None: no band). It is never narrower than one
    row's step along that diagonal, so a path always exists.
    """
    if window is None or rows <= 1 or columns <= 1:
        return np.zeros(rows, dtype=np.int64), np.full(rows, columns - 1, dtype=np.int64)
    if window <= 0:
        raise ValueError(f"window must be positive or None, not {window}")
    slope = (columns - 1) / (rows - 1)
    radius = max(window * max(rows, columns), slope, 1.0)
    centre = np.arange(rows) * slope
    low = np.clip(np.ceil(centre - radius), 0, columns - 1).astype(np.int64)
    high = np.clip(np.floor(centre + radius), 0, columns - 1).astype(np.int64)
    return low, high


def dtw(cost: np.ndarray, window: float | None = None) -> tuple[np.ndarray, float]:
    """The cheapest warping path through ``cost`` (N, M) from (0, 0) to (N-1, M-1).

    Steps (1, 0), (0, 1), (1, 1), each adding the cost of the cell it enters. ``window``:
    see :func:`band`. Returns (path (K, 2) of (row, column) pairs, N + M - 1 >= K >= max(N, M);
    total cost). Time O(N M) (inside the band: O(N w)); memory O(N M) for the backtrack.

    Vectorised per row: with t[j] = cost[i, j] + min(D[i-1, j], D[i-1, j-1]) and S the
    running sum of row i's costs, the horizontal recursion D[i, j] = min(t[j],
    D[i, j-1] + cost[i, j]) is D[i, j] = S[j] + min over k <= j of (t[k] - S[k]): one
    cumulative minimum instead of a loop over columns.
    """
    cost = np.asarray(cost, dtype=np.float64)
    rows, columns = cost.shape
    if rows == 0 or columns == 0:
        raise ValueError("cannot align an empty sequence")
    low, high = band(rows, columns, window)
    total = np.full((rows, columns), np.inf)
    total[0, : high[0] + 1] = np.cumsum(cost[0, : high[0] + 1])
    for i in range(1, rows):
        lo, hi = low[i], high[i]
        above = total[i - 1, lo : hi + 1]
        diagonal = np.concatenate(([total[i - 1, lo - 1] if lo > 0 else np.inf], above[:-1]))
        entered = cost[i, lo : hi + 1] + np.minimum(above, diagonal)
        running = np.cumsum(cost[i, lo : hi + 1])
        with np.errstate(invalid="ignore"):
            total[i, lo : hi + 1] = running + np.minimum.accumulate(entered - running)
    return _backtrack(total), float(total[-1, -1])


def _backtrack(total: np.ndarray) -> np.ndarray:
    """Walk back from the last cell along the cheapest predecessor (diagonal on ties)."""
    i, j = total.shape[0] - 1, total.shape[1] - 1
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            j -= 1
        elif j == 0:
            i -= 1
        else:
            diagonal, up, left = total[i - 1, j - 1], total[i - 1, j], total[i, j - 1]
            if diagonal <= up and diagonal <= left:
                i, j = i - 1, j - 1
            elif up <= left:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)
