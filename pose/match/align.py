"""Two 2D poses brought into one frame: the joints found in both, their weights, and the
weighted robust Procrustes fit (centre, body size, bounded in-plane rotation) of the
second pose onto the first; also the left/right-swapped pose for ``mirror=True``."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from pose.body.skeleton import MIRROR, Joint
from pose.body.types import Pose
from pose.match.constants import _EPS, MIN_SHARED_JOINTS, ROBUST_ITERATIONS, ROBUST_SCALE
from pose.match.result import MatchError


def mirrored(pose: Pose) -> Pose:
    """The left/right-swapped pose: joints relabelled by ``MIRROR`` and x reflected about
    the centre of the pose's bounding box (so it stays in place)."""
    keypoints = pose.keypoints[list(MIRROR)].copy()
    x0, _, x1, _ = pose.bbox()
    visible = keypoints[:, 2] > 0
    keypoints[visible, 0] = (x0 + x1) - keypoints[visible, 0]
    return Pose(keypoints=keypoints, score=pose.score)


def _shared_joints(first: Pose, second: Pose) -> np.ndarray:
    """Indices (n,) of the joints found in both poses; :class:`MatchError` below
    :data:`MIN_SHARED_JOINTS`."""
    shared = np.flatnonzero(first.visible & second.visible)
    if len(shared) < MIN_SHARED_JOINTS:
        names = ", ".join(Joint(index).label for index in shared) or "none"
        raise MatchError(
            f"Only {len(shared)} joints were found in both poses ({names}); matching needs at "
            f"least {MIN_SHARED_JOINTS}. Use photos where more of the body is visible."
        )
    return shared


def _weights(first: Pose, second: Pose, joints: np.ndarray) -> np.ndarray:
    """Geometric mean of the two confidences: a joint counts only as much as its less
    certain side allows, without squaring small confidences away."""
    return np.sqrt(first.keypoints[joints, 2] * second.keypoints[joints, 2]).astype(np.float64)


@dataclass(frozen=True)
class _Alignment:
    """Both poses' shared joints in a common frame: centred, unit body size, second rotated."""

    first: np.ndarray  # (n, 2)
    second: np.ndarray  # (n, 2)
    weights: np.ndarray  # (n,)
    rotation: float  # degrees applied to the second
    aligned: Pose  # the whole second pose in the first's pixel frame


def _fit_similarity(
    first_xy: np.ndarray,
    second_xy: np.ndarray,
    weights: np.ndarray,
    max_rotation: float,
    iterations: int = ROBUST_ITERATIONS,
) -> tuple[np.ndarray, ...]:
    """Weighted robust Procrustes of second poses onto first poses, many pairs at once.

    ``first_xy`` and ``second_xy`` are joint positions (..., n, 2), ``weights`` (..., n)
    (0 leaves a joint out); leading dimensions broadcast, so (N, 1, n, 2) against
    (1, M, n, 2) fits every pair. Each pose is centred on the weighted centroid and divided
    by its body size (weighted RMS distance from it); the second is rotated onto the first
    by at most ``max_rotation`` degrees. Then ``iterations`` refits in which joints far off
    count less (Cauchy weights, :data:`ROBUST_SCALE`), so one raised arm does not drag the
    torso out of line and the breakdown shows the arm alone.

    Returns ``(p, q, angle, first_centre, first_size, second_centre, second_size)``: p, q
    (..., n, 2) in body sizes with q rotated onto p; angle (...) in radians; centres
    (..., 2); sizes (...). A size is 0 (and p, q are not finite) where a pose's weighted
    joints lie on one point or all its weights are 0: callers check.
    """
    bound = math.radians(max_rotation)
    fit = weights
    with np.errstate(divide="ignore", invalid="ignore"):
        for iteration in range(iterations + 1):
            total = fit.sum(axis=-1)[..., None]
            first_centre = (fit[..., None] * first_xy).sum(axis=-2) / total
            second_centre = (fit[..., None] * second_xy).sum(axis=-2) / total
            p = first_xy - first_centre[..., None, :]
            q = second_xy - second_centre[..., None, :]
            first_size = np.sqrt((fit * (p * p).sum(axis=-1)).sum(axis=-1) / total[..., 0])
            second_size = np.sqrt((fit * (q * q).sum(axis=-1)).sum(axis=-1) / total[..., 0])
            p = p / first_size[..., None, None]
            q = q / second_size[..., None, None]
            # In 2-D the weighted Kabsch rotation has a closed form: maximise
            # cos(t) * sum(w p.q) + sin(t) * sum(w p x q); bounding t keeps the optimum on
            # the boundary because that objective is unimodal in t.
            dot = (fit * (p * q).sum(axis=-1)).sum(axis=-1)
            cross = (fit * (p[..., 1] * q[..., 0] - p[..., 0] * q[..., 1])).sum(axis=-1)
            angle = np.clip(np.arctan2(cross, dot), -bound, bound)
            cos, sin = np.cos(angle)[..., None], np.sin(angle)[..., None]
            # Row vectors: q @ [[cos, sin], [-sin, cos]] turns q by the angle.
            q = np.stack(
                [q[..., 0] * cos - q[..., 1] * sin, q[..., 0] * sin + q[..., 1] * cos], axis=-1
            )
            if iteration < iterations:
                residuals = np.linalg.norm(p - q, axis=-1)
                fit = weights / (1.0 + (residuals / ROBUST_SCALE) ** 2)
    return p, q, angle, first_centre, first_size, second_centre, second_size


def _align(first: Pose, second: Pose, shared: np.ndarray, max_rotation: float) -> _Alignment:
    """Weighted robust Procrustes of the second pose onto the first on their shared joints
    (:func:`_fit_similarity`)."""
    weights = _weights(first, second, shared)
    if weights.sum() <= _EPS:
        raise MatchError("The joints found in both poses all have zero confidence.")
    first_xy = first.keypoints[shared, :2].astype(np.float64)
    second_xy = second.keypoints[shared, :2].astype(np.float64)
    p, q, angle, first_centre, first_size, second_centre, second_size = _fit_similarity(
        first_xy, second_xy, weights, max_rotation
    )
    first_size, second_size, angle = float(first_size), float(second_size), float(angle)
    if not (first_size > _EPS and second_size > _EPS):
        raise MatchError("The joints found in both poses lie on one point; cannot compare.")
    # The whole second pose (not just shared joints) in the first pose's pixels.
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = np.array([[cos, sin], [-sin, cos]])
    keypoints = second.keypoints.astype(np.float64).copy()
    keypoints[:, :2] = ((keypoints[:, :2] - second_centre) / second_size) @ rotation
    keypoints[:, :2] = keypoints[:, :2] * first_size + first_centre
    keypoints[second.keypoints[:, 2] <= 0, :2] = 0.0
    aligned = Pose(keypoints=keypoints.astype(np.float32), score=second.score)
    return _Alignment(p, q, weights, math.degrees(angle), aligned)
