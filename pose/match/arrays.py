"""The ``normalized`` comparison for many pose pairs at once, in arrays: the similarity of
broadcast pairs (:func:`normalized_scores`) and the distance matrix of two pose sequences
in closed form (:func:`procrustes_distances`), as :mod:`pose.sequence` needs them."""

from __future__ import annotations

import math

import numpy as np

from pose.body.skeleton import NUM_JOINTS
from pose.match.align import _fit_similarity
from pose.match.constants import (
    _EPS,
    DEFAULT_MAX_ROTATION,
    MIN_SHARED_JOINTS,
    NORMALIZED_TOLERANCE,
    ROBUST_ITERATIONS,
)


def normalized_scores(
    first: np.ndarray,
    second: np.ndarray,
    max_rotation: float = DEFAULT_MAX_ROTATION,
    iterations: int = ROBUST_ITERATIONS,
) -> tuple[np.ndarray, np.ndarray]:
    """The ``normalized`` method for many pose pairs at once, in arrays.

    ``first`` and ``second`` are keypoints (..., 18, 3) whose leading dimensions broadcast:
    (K, 18, 3) against (K, 18, 3) compares K pairs, (N, 1, 18, 3) against (1, M, 18, 3)
    every pair of two sequences. Returns ``(similarity, distances)``: similarity (...) in
    percent, the same number as :func:`match` with ``method="normalized"`` (no mirroring),
    NaN where a pair shares fewer than :data:`MIN_SHARED_JOINTS` joints or cannot be
    aligned; distances (..., 18) in body sizes, NaN for joints not found in both.
    ``iterations`` < :data:`ROBUST_ITERATIONS` trades the robust refits for speed.
    Memory: a few float64 arrays of the broadcast shape (..., 18, 2).
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape[-2:] != (NUM_JOINTS, 3) or second.shape[-2:] != (NUM_JOINTS, 3):
        raise ValueError(f"keypoints must be (..., 18, 3), got {first.shape}, {second.shape}")
    shared = (first[..., 2] > 0) & (second[..., 2] > 0)
    weights = np.sqrt(np.where(shared, first[..., 2] * second[..., 2], 0.0))
    p, q, *_, first_size, _, second_size = _fit_similarity(
        first[..., :2], second[..., :2], weights, max_rotation, iterations
    )
    with np.errstate(invalid="ignore"):
        distances = np.where(shared, np.linalg.norm(p - q, axis=-1), np.nan)
        scores = 100.0 * np.clip(1.0 - distances / NORMALIZED_TOLERANCE, 0.0, 1.0)
        total = weights.sum(axis=-1)
        similarity = np.where(shared, weights * scores, 0.0).sum(axis=-1) / total
    usable = (
        (shared.sum(axis=-1) >= MIN_SHARED_JOINTS)
        & (total > _EPS)
        & (first_size > _EPS)
        & (second_size > _EPS)
    )
    return np.where(usable, similarity, np.nan), distances


def _sums(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    """(N, J) x (M, J) -> (N, M) sums over J. einsum's own loop rather than BLAS: for such
    thin products OpenBLAS's threads cost 50-100x more than the arithmetic on a busy
    two-core machine (measured: 40 ms against 0.5 ms for 300 x 18 x 300)."""
    return np.einsum("ik,jk->ij", left, right)


def _visible_mean(values: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(N, J) values -> (N, 1) mean over the joints with a positive weight (0 if none)."""
    found = weights > 0
    return (np.where(found, values, 0.0).sum(axis=1) / np.maximum(found.sum(axis=1), 1))[:, None]


def procrustes_distances(
    first: np.ndarray, second: np.ndarray, max_rotation: float = DEFAULT_MAX_ROTATION
) -> np.ndarray:
    """Every pose of ``first`` (N, 18, 3) against every pose of ``second`` (M, 18, 3):
    the weighted RMS distance of their joints, in body sizes, after the alignment of
    :func:`_fit_similarity` without its robust refits. Returns (N, M); NaN where a pair
    shares fewer than :data:`MIN_SHARED_JOINTS` joints or cannot be aligned.

    The same centring, body size, bounded rotation and weights as the ``normalized``
    method, in closed form: with w = sqrt(c1 c2) the weight of a joint found in both, every
    weighted sum over joints is a product of an (N, 18) and an (18, M) matrix, and the mean
    squared distance after the best rotation t is 2 - 2 (dot cos t + cross sin t) / sum w,
    since each pose has unit weighted spread. So a whole matrix costs a dozen matrix
    products, O(N M 18), instead of N M calls; distances lie in [0, 2].
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    if first.shape[1:] != (NUM_JOINTS, 3) or second.shape[1:] != (NUM_JOINTS, 3):
        raise ValueError(f"keypoints must be (N, 18, 3), got {first.shape}, {second.shape}")
    a = np.sqrt(np.clip(first[:, :, 2], 0.0, None))  # (N, 18)
    b = np.sqrt(np.clip(second[:, :, 2], 0.0, None))  # (M, 18)
    # Coordinates of missing joints are meaningless: zero them so 0 * NaN cannot appear.
    # Each pose is first moved near the origin (the result ignores position anyway) so the
    # variances below, differences of large sums, keep their precision.
    px, py, qx, qy = (
        np.where(w > 0, points[:, :, k] - _visible_mean(points[:, :, k], w), 0.0)
        for points, w in ((first, a), (second, b))
        for k in (0, 1)
    )
    total = _sums(a, b)
    count = _sums((a > 0).astype(np.float64), (b > 0).astype(np.float64))
    with np.errstate(divide="ignore", invalid="ignore"):
        first_x, first_y = _sums(a * px, b) / total, _sums(a * py, b) / total
        second_x, second_y = _sums(a, b * qx) / total, _sums(a, b * qy) / total
        first_var = _sums(a * (px**2 + py**2), b) / total - first_x**2 - first_y**2
        second_var = _sums(a, b * (qx**2 + qy**2)) / total - second_x**2 - second_y**2
        dot = _sums(a * px, b * qx) + _sums(a * py, b * qy)
        dot -= total * (first_x * second_x + first_y * second_y)
        cross = _sums(a * py, b * qx) - _sums(a * px, b * qy)
        cross -= total * (first_y * second_x - first_x * second_y)
        sizes = np.sqrt(np.clip(first_var, 0.0, None) * np.clip(second_var, 0.0, None))
        bound = math.radians(max_rotation)
        angle = np.clip(np.arctan2(cross, dot), -bound, bound)
        agreement = (dot * np.cos(angle) + cross * np.sin(angle)) / (sizes * total)
        distance = np.sqrt(np.clip(2.0 - 2.0 * agreement, 0.0, None))
    usable = (count >= MIN_SHARED_JOINTS) & (total > _EPS)
    usable &= (first_var > _EPS**2) & (second_var > _EPS**2)
    return np.where(usable, distance, np.nan)
