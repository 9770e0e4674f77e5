"""The local cost of every (reference frame, attempt frame) pair, the input of the time
alignment: procrustes distances, ``normalized`` dissimilarities or plain pixel distances."""

from __future__ import annotations

import numpy as np

from pose.match import (
    DEFAULT_MAX_ROTATION,
    MIN_SHARED_JOINTS,
    normalized_scores,
    procrustes_distances,
)

ALIGN_METHODS: tuple[str, ...] = ("procrustes", "normalized", "positions")
# Chosen by benchmarks/sequence.py (docs/sequence.md has the figures).
DEFAULT_ALIGN = "procrustes"
# Cost of a pair that cannot be compared (too few joints in both): the largest possible
# procrustes distance, so the path avoids such pairs when it can.
MISSING_COST = 2.0


def cost_matrix(
    reference: np.ndarray,
    attempt: np.ndarray,
    method: str = DEFAULT_ALIGN,
    max_rotation: float = DEFAULT_MAX_ROTATION,
) -> np.ndarray:
    """Local costs (N, M) of reference poses (N, 18, 3) against attempt poses (M, 18, 3).

    ``procrustes``: RMS joint distance in body sizes after removing position, size and
    tilt (0-2). ``normalized``: 1 - the ``normalized`` similarity / 100, robust refits
    included (0-1; about 50 times slower). ``positions``: plain mean pixel distance of
    the joints found in both, nothing removed (for comparison). Pairs that cannot be
    compared cost :data:`MISSING_COST` (``positions``: twice the largest distance).
    """
    if method == "procrustes":
        costs = procrustes_distances(reference, attempt, max_rotation)
        return np.where(np.isnan(costs), MISSING_COST, costs)
    if method == "normalized":
        rows = []
        step = max(1, 20000 // max(1, len(attempt)))  # bounds memory to ~20k pairs a chunk
        for start in range(0, len(reference), step):
            similarity, _ = normalized_scores(
                reference[start : start + step, None], attempt[None], max_rotation
            )
            rows.append(1.0 - similarity / 100.0)
        costs = np.concatenate(rows)
        return np.where(np.isnan(costs), 1.0, costs)
    if method == "positions":
        ref = np.asarray(reference, dtype=np.float64)[:, None]
        att = np.asarray(attempt, dtype=np.float64)[None]
        both = (ref[..., 2] > 0) & (att[..., 2] > 0)
        distance = np.linalg.norm(ref[..., :2] - att[..., :2], axis=-1)
        count = both.sum(axis=-1)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = np.where(both, distance, 0.0).sum(axis=-1) / count
        worst = np.nanmax(mean[count >= MIN_SHARED_JOINTS], initial=1.0)
        return np.where(count >= MIN_SHARED_JOINTS, mean, 2.0 * worst)
    raise ValueError(f"Unknown alignment method {method!r}: use one of {', '.join(ALIGN_METHODS)}.")
