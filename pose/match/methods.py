"""The point-wise 2D methods, scoring each shared joint by its distance: ``normalized``
and ``oks`` after the alignment of :mod:`pose.match.align`, ``classic`` in raw pixels."""

from __future__ import annotations

import numpy as np

from pose.body.skeleton import NUM_JOINTS, OPENPOSE_FOR_COCO, Joint
from pose.body.types import Pose
from pose.match.align import _Alignment
from pose.match.constants import _EPS, NORMALIZED_TOLERANCE
from pose.match.result import JointDifference, Match, worst_first

# Pixel scale of the original formula.
CLASSIC_SCALE = 200.0

# COCO keypoint sigmas (cocoapi, see ../shared/eval/SOURCES.md) in OpenPose-18 order. The
# neck has no COCO sigma: OpenPose's neck is learned from the midpoint of the two
# shoulders, so its uncertainty is that of a shoulder (0.079); we use that.
_COCO_SIGMAS = (0.26, 0.25, 0.25, 0.35, 0.35, 0.79, 0.79, 0.72, 0.72, 0.62, 0.62,
                1.07, 1.07, 0.87, 0.87, 0.89, 0.89)  # fmt: skip
NECK_SIGMA = 0.079
OKS_SIGMAS = np.full(NUM_JOINTS, NECK_SIGMA, dtype=np.float64)
OKS_SIGMAS[OPENPOSE_FOR_COCO] = np.array(_COCO_SIGMAS) / 10.0


def _match_normalized(
    first: Pose, second: Pose, shared: np.ndarray, alignment: _Alignment
) -> Match:
    distances = np.linalg.norm(alignment.first - alignment.second, axis=1)
    scores = 100.0 * np.clip(1.0 - distances / NORMALIZED_TOLERANCE, 0.0, 1.0)
    weights = alignment.weights
    similarity = float(weights @ scores / weights.sum())
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), float(w))
        for j, d, s, w in zip(shared, distances, scores, weights, strict=True)
    ]
    return Match(
        similarity=similarity,
        method="normalized",
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        rotation=alignment.rotation,
        aligned=alignment.aligned,
    )


def _match_oks(first: Pose, second: Pose, shared: np.ndarray, alignment: _Alignment) -> Match:
    distances = np.linalg.norm(alignment.first - alignment.second, axis=1)
    both = np.vstack([alignment.first, alignment.second])
    extent = both.max(axis=0) - both.min(axis=0)
    area = max(float(extent[0] * extent[1]), _EPS)
    k = 2.0 * OKS_SIGMAS[shared]
    per_joint = np.exp(-(distances**2) / (2.0 * area * k**2))
    scores = 100.0 * per_joint
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), 1.0)
        for j, d, s in zip(shared, distances, scores, strict=True)
    ]
    return Match(
        similarity=float(scores.mean()),
        method="oks",
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        rotation=alignment.rotation,
        aligned=alignment.aligned,
    )


def _match_classic(first: Pose, second: Pose, shared: np.ndarray) -> Match:
    first_xy = first.keypoints[shared, :2].astype(np.float64)
    second_xy = second.keypoints[shared, :2].astype(np.float64)
    distances = np.linalg.norm(first_xy - second_xy, axis=1)
    scores = 100.0 * np.clip(1.0 - distances / CLASSIC_SCALE, 0.0, 1.0)
    similarity = max(0.0, 100.0 * (1.0 - float(distances.mean()) / CLASSIC_SCALE))
    items = [
        JointDifference(Joint(int(j)), float(d), float(s), 1.0)
        for j, d, s in zip(shared, distances, scores, strict=True)
    ]
    return Match(
        similarity=similarity,
        method="classic",
        joints=tuple(Joint(int(j)) for j in shared),
        breakdown=worst_first(items),
        aligned=second,
    )
