"""Dynamic time warping: the cheapest monotonic path through a cost matrix, inside a
Sakoe-Chiba band around its diagonal (:func:`band`, :func:`dtw`), optionally with open
ends (:class:`OpenEnds`): a few rows or columns at either end may be left out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Chosen by benchmarks/sequence.py (docs/sequence.md has the figures).
DEFAULT_WINDOW = 0.3


@dataclass(frozen=True)
class OpenEnds:
    """How many rows (reference frames) and columns (attempt frames) a warping path may
    leave out at the start and at the end, each left-out one costing ``cost`` (in the
    cost matrix's units), so that one is left out only when it fits worse than that."""

    rows_start: int = 0
    rows_end: int = 0
    columns_start: int = 0
    columns_end: int = 0
    cost: float = 0.0

    def start_costs(self, rows: int, columns: int) -> tuple[np.ndarray, np.ndarray]:
        """The cost of starting the path at (0, j) (columns,) and at (i, 0) (rows,):
        the left-out frames before it; inf where not allowed."""
        top = np.full(columns, np.inf)
        left = np.full(rows, np.inf)
        top[: min(self.columns_start, columns - 1) + 1] = self.cost * np.arange(
            min(self.columns_start, columns - 1) + 1
        )
        left[: min(self.rows_start, rows - 1) + 1] = self.cost * np.arange(
            min(self.rows_start, rows - 1) + 1
        )
        return top, left


CLOSED = OpenEnds()


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


def dtw(
    cost: np.ndarray, window: float | None = None, ends: OpenEnds = CLOSED
) -> tuple[np.ndarray, float]:
    """The cheapest warping path through ``cost`` (N, M) from (0, 0) to (N-1, M-1), or,
    with open ``ends``, from a cell of the first row or column to one of the last, the
    rows and columns left out at either end paid for at ``ends.cost`` each.

    Steps (1, 0), (0, 1), (1, 1), each adding the cost of the cell it enters. ``window``:
    see :func:`band`. Returns (path (K, 2) of (row, column) pairs, K <= N + M - 1; total
    cost, left-out frames included). Time O(N M) (inside the band: O(N w)); memory O(N M)
    for the backtrack.

    Vectorised per row: with t[j] = cost[i, j] + min(D[i-1, j], D[i-1, j-1], start[i, j])
    and S the running sum of row i's costs, the horizontal recursion D[i, j] = min(t[j],
    D[i, j-1] + cost[i, j]) is D[i, j] = S[j] + min over k <= j of (t[k] - S[k]): one
    cumulative minimum instead of a loop over columns.
    """
    cost = np.asarray(cost, dtype=np.float64)
    rows, columns = cost.shape
    if rows == 0 or columns == 0:
        raise ValueError("cannot align an empty sequence")
    low, high = band(rows, columns, window)
    top, left = ends.start_costs(rows, columns)
    total = np.full((rows, columns), np.inf)
    for i in range(rows):
        lo, hi = low[i], high[i]
        start = top[lo : hi + 1].copy() if i == 0 else np.full(hi + 1 - lo, np.inf)
        if lo == 0:
            start[0] = min(start[0], left[i])
        if i > 0:
            above = total[i - 1, lo : hi + 1]
            diagonal = np.concatenate(([total[i - 1, lo - 1] if lo > 0 else np.inf], above[:-1]))
            start = np.minimum(start, np.minimum(above, diagonal))
        entered = cost[i, lo : hi + 1] + start
        running = np.cumsum(cost[i, lo : hi + 1])
        with np.errstate(invalid="ignore"):
            total[i, lo : hi + 1] = running + np.minimum.accumulate(entered - running)
    end, paid = _cheapest_end(total, ends)
    return _backtrack(total, end, top, left), paid


def _cheapest_end(total: np.ndarray, ends: OpenEnds) -> tuple[tuple[int, int], float]:
    """The cell to end at: (N-1, M-1), or one of the last row or column within the open
    ends, the frames after it paid for; the full end wins ties."""
    rows, columns = total.shape
    best, paid = (rows - 1, columns - 1), float(total[-1, -1])
    for left_out in range(1, min(ends.columns_end, columns - 1) + 1):
        value = float(total[-1, columns - 1 - left_out]) + ends.cost * left_out
        if value < paid:
            best, paid = (rows - 1, columns - 1 - left_out), value
    for left_out in range(1, min(ends.rows_end, rows - 1) + 1):
        value = float(total[rows - 1 - left_out, -1]) + ends.cost * left_out
        if value < paid:
            best, paid = (rows - 1 - left_out, columns - 1), value
    return best, paid


def _backtrack(
    total: np.ndarray, end: tuple[int, int], top: np.ndarray, left: np.ndarray
) -> np.ndarray:
    """Walk back from ``end`` along the cheapest predecessor (diagonal on ties), stopping
    at (0, 0) or where starting costs no more than arriving (``top``, ``left``: the
    start costs of the first row and column)."""
    i, j = end
    path = [(i, j)]
    while i > 0 or j > 0:
        if i == 0:
            if top[j] <= total[0, j - 1]:
                break
            j -= 1
        elif j == 0:
            if left[i] <= total[i - 1, 0]:
                break
            i -= 1
        else:
            diagonal, up, back = total[i - 1, j - 1], total[i - 1, j], total[i, j - 1]
            if diagonal <= up and diagonal <= back:
                i, j = i - 1, j - 1
            elif up <= back:
                i -= 1
            else:
                j -= 1
        path.append((i, j))
    return np.array(path[::-1], dtype=np.int64)
