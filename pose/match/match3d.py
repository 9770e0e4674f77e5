"""The ``3d`` method: two people's 3D joints (:attr:`pose.pose3d.blazepose.Person3D.joints`, (18,
4):
x, y, z metres, visibility) compared after the best rotation about any axis, so the score
does not depend on where each camera stood.

Joints seen (visibility at least :data:`MIN_VISIBILITY_3D`) in both are centred on their
weighted centroid and scaled to unit body size (weighted RMS distance from it), then the
second is turned onto the first by the weighted Kabsch rotation, refitted with less weight
on joints far off as ``normalized`` does in 2D. Each joint scores
``1 - distance / TOLERANCE_3D``; the similarity is the weighted mean. Not invariant to the
3D model's own errors: its depth is a guess from one photo (docs/pose3d.md).
"""

from __future__ import annotations

import math

import numpy as np

from pose.body.skeleton import MIRROR, NUM_JOINTS, Joint
from pose.body.types import Pose
from pose.match.constants import (
    _EPS,
    METHOD_3D,
    MIN_SHARED_JOINTS,
    NORMALIZED_TOLERANCE,
    ROBUST_ITERATIONS,
    ROBUST_SCALE,
)
from pose.match.procrustes import fit_similarity
from pose.match.result import JointDifference, Match, MatchError, _better_of_mirrored, worst_first
from pose.pose3d.blazepose import Person3D

# A joint the model gives less visibility than this in either pose is left out: BlazePose
# still places hidden joints, but those places are guesses.
MIN_VISIBILITY_3D = 0.3
# Same tolerance as ``normalized``: half a body size off scores 0 (body size here is the
# RMS distance in 3D, which for an upright person facing the camera is close to 2D's).
TOLERANCE_3D = NORMALIZED_TOLERANCE


def mirrored_joints3d(joints: np.ndarray) -> np.ndarray:
    """(18, 4) -> the left/right-swapped pose: sides relabelled by ``MIRROR`` and x negated
    (the origin, between the hips, stays put)."""
    out = np.asarray(joints, dtype=np.float64)[list(MIRROR)].copy()
    out[:, 0] = -out[:, 0]
    return out


def _normalise_3d(points: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray, float]:
    centre = weights @ points / weights.sum()
    size = math.sqrt(float(weights @ ((points - centre) ** 2).sum(axis=1)) / weights.sum())
    if size <= _EPS:
        raise MatchError("The joints seen in both poses lie on one point; cannot compare.")
    return (points - centre) / size, centre, size


def match_joints3d(
    first: np.ndarray,
    second: np.ndarray,
    mirror: bool = False,
    first_pixels: Pose | None = None,
) -> Match:
    """Compare ``second`` with ``first`` (the reference), both (18, 4) OpenPose-ordered 3D
    joints (x, y, z metres, visibility in [0, 1]).

    ``mirror`` also tries the left/right-swapped second pose and keeps the better fit.
    ``first_pixels`` (the first person's 2D joints, OpenPose-18 in image pixels) lets the
    result carry the aligned second pose drawn into the first's image (``Match.aligned``).
    Raises :class:`MatchError` when fewer than ``MIN_SHARED_JOINTS`` joints are seen in both.
    """
    first = np.asarray(first, dtype=np.float64)
    second = np.asarray(second, dtype=np.float64)
    for name, joints in (("first", first), ("second", second)):
        if joints.shape != (NUM_JOINTS, 4):
            raise ValueError(f"{name} pose must be (18, 4) 3D joints, got {joints.shape}")
    result = _match_one_3d(first, second, first_pixels)
    if not mirror:
        return result
    return _better_of_mirrored(
        result, lambda: _match_one_3d(first, mirrored_joints3d(second), first_pixels)
    )


def _match_one_3d(first: np.ndarray, second: np.ndarray, first_pixels: Pose | None) -> Match:
    seen = (first[:, 3] >= MIN_VISIBILITY_3D) & (second[:, 3] >= MIN_VISIBILITY_3D)
    shared = np.flatnonzero(seen)
    if len(shared) < MIN_SHARED_JOINTS:
        names = ", ".join(Joint(int(j)).label for j in shared) or "none"
        raise MatchError(
            f"Only {len(shared)} joints were seen in both 3D poses ({names}); matching needs "
            f"at least {MIN_SHARED_JOINTS}. Use photos where more of the body is visible."
        )
    weights = np.sqrt(first[shared, 3] * second[shared, 3])
    fit = weights
    for iteration in range(ROBUST_ITERATIONS + 1):
        p, first_centre, first_size = _normalise_3d(first[shared, :3], fit)
        q, second_centre, second_size = _normalise_3d(second[shared, :3], fit)
        # Only the rotation is used: sizes were equalised above, symmetrically.
        rotation = fit_similarity(q, p, fit).rotation
        q = q @ rotation.T
        if iteration < ROBUST_ITERATIONS:
            residuals = np.linalg.norm(p - q, axis=1)
            fit = weights / (1.0 + (residuals / ROBUST_SCALE) ** 2)
    distances = np.linalg.norm(p - q, axis=1)
    scores = 100.0 * np.clip(1.0 - distances / TOLERANCE_3D, 0.0, 1.0)
    similarity = float(weights @ scores / weights.sum())
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), float(w))
        for j, d, s, w in zip(shared, distances, scores, weights, strict=True)
    ]
    angle = math.degrees(math.acos(min(1.0, max(-1.0, (float(np.trace(rotation)) - 1) / 2))))
    aligned = None
    if first_pixels is not None:
        # The whole second pose in the first's metres, then drawn as the first person is.
        whole = ((second[:, :3] - second_centre) / second_size) @ rotation.T
        whole = whole * first_size + first_centre
        aligned = project_like(first, first_pixels, whole, second[:, 3])
    return Match(
        similarity=similarity,
        method=METHOD_3D,
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        rotation=angle,
        aligned=aligned,
    )


def project_like(
    reference: np.ndarray, pixels: Pose, points: np.ndarray, visibility: np.ndarray
) -> Pose | None:
    """Draw 3D ``points`` (18, 3) into the image of ``reference`` (18, 4): the scale and
    offset that take the reference's x, y (metres) to its 2D joints ``pixels`` (an
    orthographic camera, fitted on the joints found in both) applied to ``points``."""
    found = (pixels.keypoints[:, 2] > 0) & (reference[:, 3] >= MIN_VISIBILITY_3D)
    if found.sum() < 2:
        return None
    source = reference[found, :2]
    target = pixels.keypoints[found, :2].astype(np.float64)
    source_centre, target_centre = source.mean(axis=0), target.mean(axis=0)
    spread = float(((source - source_centre) ** 2).sum())
    if spread <= _EPS:
        return None
    scale = float(((source - source_centre) * (target - target_centre)).sum()) / spread
    xy = (points[:, :2] - source_centre) * scale + target_centre
    keypoints = np.column_stack([xy, np.where(visibility >= MIN_VISIBILITY_3D, visibility, 0.0)])
    keypoints[keypoints[:, 2] <= 0, :2] = 0.0
    return Pose(keypoints=keypoints.astype(np.float32), score=pixels.score)


def match_people3d(first: Person3D, second: Person3D, mirror: bool = False) -> Match:
    """:func:`match_joints3d` for two lifted people (:func:`pose.pose3d.blazepose.lift`); the
    aligned
    second pose is drawn into the first person's image."""
    if not (isinstance(first, Person3D) and isinstance(second, Person3D)):
        raise ValueError(
            "The 3d method compares two 3D poses: lift both people first "
            "(pose.pose3d.blazepose.lift; on the command line, --method 3d does)."
        )
    return match_joints3d(first.joints, second.joints, mirror, first.pixels)
