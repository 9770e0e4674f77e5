"""Procrustes alignment of 3D point sets: the rotation, scale and translation that best put
one pose onto another (weighted Kabsch-Umeyama), and the PA-MPJPE figure built on it.

Pure NumPy; points are rows: (N, 3) arrays, the same N joints in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

_EPS = 1e-12


@dataclass(frozen=True)
class Similarity:
    """``apply(p) = scale * p @ rotation.T + translation`` for row vectors ``p`` (N, 3);
    ``rotation`` is a proper rotation (3, 3), determinant +1."""

    scale: float
    rotation: np.ndarray
    translation: np.ndarray

    def apply(self, points: np.ndarray) -> np.ndarray:
        return (
            self.scale * np.asarray(points, dtype=np.float64) @ self.rotation.T + self.translation
        )

    @property
    def angle_degrees(self) -> float:
        """The rotation's angle about its axis, 0-180 degrees."""
        cosine = (float(np.trace(self.rotation)) - 1.0) / 2.0
        return float(np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))))


def fit_similarity(
    source: np.ndarray, target: np.ndarray, weights: np.ndarray | None = None
) -> Similarity:
    """The similarity transform taking ``source`` (N, 3) nearest to ``target`` (N, 3) in the
    weighted least-squares sense (Umeyama 1991), with a proper rotation (no mirroring: a
    left/right swap is not a change of viewpoint). ``weights`` (N,) default to ones.

    Raises ``ValueError`` for mismatched shapes, fewer than 3 points, or points that all
    coincide.
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2 or source.shape[1] != 3:
        raise ValueError(f"need two (N, 3) arrays, got {source.shape} and {target.shape}")
    if len(source) < 3:
        raise ValueError(f"need at least 3 points to fit a rotation, got {len(source)}")
    w = np.ones(len(source)) if weights is None else np.asarray(weights, dtype=np.float64)
    if w.shape != (len(source),) or (w < 0).any() or w.sum() <= _EPS:
        raise ValueError("weights must be (N,) non-negative and not all zero")
    w = w / w.sum()
    source_mean = w @ source
    target_mean = w @ target
    s = source - source_mean
    t = target - target_mean
    source_var = float(w @ (s**2).sum(axis=1))
    if source_var <= _EPS:
        raise ValueError("the source points all coincide")
    covariance = (t * w[:, None]).T @ s  # (3, 3): sum w t s^T
    u, singular, vt = np.linalg.svd(covariance)
    # Flip the smallest axis if needed, so the result is a rotation, never a reflection.
    d = np.ones(3)
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        d[-1] = -1.0
    rotation = (u * d) @ vt
    scale = float((singular * d).sum() / source_var)
    translation = target_mean - scale * source_mean @ rotation.T
    return Similarity(scale, rotation, translation)


def pa_mpjpe(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Procrustes-aligned mean per-joint position error: ``predicted`` (N, 3) aligned onto
    ``truth`` (N, 3) by :func:`fit_similarity`, then the mean Euclidean distance, in the
    units of ``truth`` (metres in, metres out)."""
    transform = fit_similarity(predicted, truth)
    aligned = transform.apply(predicted)
    return float(np.linalg.norm(aligned - np.asarray(truth, dtype=np.float64), axis=1).mean())
