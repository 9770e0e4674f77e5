"""People found in several passes over one photo (scales, flips) fused into one list.

Each pass finds people best at one size: the network was trained on people about as tall as
half its input, and misses or splits people much larger or smaller than that. Fusion keeps,
for each person, the detection from the pass where that person's height in network pixels
was closest to :data:`TARGET_HEIGHT`, and drops the other passes' detections of the same
person. Pure NumPy on :class:`Pose` lists; no model needed to test it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pose.body.skeleton import Joint
from pose.body.types import Pose, number_people

J = Joint
# Body segments and their typical length as a share of standing height (anthropometric
# tables, rounded). A segment seen at an angle only looks shorter, so each gives a lower
# bound on the height; see person_height.
SEGMENTS: tuple[tuple[Joint, Joint, float], ...] = (
    (J.R_SHOULDER, J.R_ELBOW, 0.19), (J.L_SHOULDER, J.L_ELBOW, 0.19),
    (J.R_ELBOW, J.R_WRIST, 0.15), (J.L_ELBOW, J.L_WRIST, 0.15),
    (J.R_HIP, J.R_KNEE, 0.245), (J.L_HIP, J.L_KNEE, 0.245),
    (J.R_KNEE, J.R_ANKLE, 0.25), (J.L_KNEE, J.L_ANKLE, 0.25),
    (J.NECK, J.R_HIP, 0.30), (J.NECK, J.L_HIP, 0.30),
    (J.R_SHOULDER, J.L_SHOULDER, 0.22), (J.NECK, J.NOSE, 0.10),
)  # fmt: skip
_SEG_A = np.array([int(a) for a, _, _ in SEGMENTS])
_SEG_B = np.array([int(b) for _, b, _ in SEGMENTS])
_SEG_RATIO = np.array([ratio for _, _, ratio in SEGMENTS])

# Person height (as person_height estimates it) in network input pixels that fusion prefers:
# 200 to 300 score alike on the eval sets, 500 loses people (benchmarks/photo_sweep.py,
# docs/accuracy.md).
TARGET_HEIGHT = 250.0


def person_height(person: Pose) -> float:
    """Estimated standing height of ``person`` in its own pixels; 0 when no segment is found.

    Each found segment gives length / typical share of height, a lower bound (segments
    seen at an angle look shorter); the second largest is used, so one wrong joint cannot
    inflate the estimate.
    """
    points = person.keypoints
    found = (points[_SEG_A, 2] > 0) & (points[_SEG_B, 2] > 0)
    if not found.any():
        return 0.0
    lengths = np.linalg.norm(points[_SEG_A[found], :2] - points[_SEG_B[found], :2], axis=1)
    estimates = np.sort(lengths / _SEG_RATIO[found])[::-1]
    return float(estimates[1] if len(estimates) > 1 else estimates[0])


def similarity(a: Pose, b: Pose, size: float) -> float:
    """How likely ``a`` and ``b`` are the same person: the mean over joints found in both of
    exp(-d² / (2 (0.1 size)²)), d their distance; 0 with fewer than two shared joints.
    ``size``: the person's height in the poses' pixels."""
    shared = (a.keypoints[:, 2] > 0) & (b.keypoints[:, 2] > 0)
    if shared.sum() < 2 or size <= 0:
        return 0.0
    squared = ((a.keypoints[shared, :2] - b.keypoints[shared, :2]) ** 2).sum(axis=1)
    return float(np.exp(-squared / (2 * (0.1 * size) ** 2)).mean())


def body_box(pose: Pose) -> np.ndarray | None:
    """(x0, y0, x1, y1) around a person's found joints, or None when fewer than two."""
    found = pose.keypoints[:, 2] > 0
    if found.sum() < 2:
        return None
    points = pose.keypoints[found, :2]
    return np.concatenate([points.min(axis=0), points.max(axis=0)])


def share_inside(pose: Pose, box: np.ndarray | None) -> float:
    """Share of ``pose``'s found joints inside ``box`` (x0, y0, x1, y1); 0 without either."""
    found = pose.keypoints[:, 2] > 0
    if box is None or not found.any():
        return 0.0
    points = pose.keypoints[found, :2]
    return float(np.all((points >= box[:2]) & (points <= box[2:]), axis=1).mean())


@dataclass(frozen=True)
class Pass:
    """People from one pass, in original image pixels, and ``factor``: network input
    pixels per image pixel in that pass (so a height h in the image was h * factor tall
    in the network's input)."""

    people: tuple[Pose, ...]
    factor: float


def fuse_passes(
    passes: Sequence[Pass],
    target: float = TARGET_HEIGHT,
    same: float = 0.5,
    min_height: float = 0.0,
    joints: str = "pick",
) -> list[Pose]:
    """One list of people, largest first, from several passes over the same photo.

    Every detection is ranked by how close its network-pixel height is to ``target``
    (log ratio); in that order, a detection is kept unless it is the same person
    (:func:`similarity` >= ``same``) as one already kept. So each person comes from the
    pass that suited their size, and people seen in one pass only are kept as well.
    Detections less than ``min_height`` network pixels tall in their pass are dropped
    first: a few heatmap cells cannot hold a person (they are mostly limb-like clutter).
    ``joints``: "pick" keeps the kept detection's joints as they are; "medoid" and "median"
    combine each joint over every pass's reading of the person (:func:`combine_readings`).
    """
    candidates = []
    for index, item in enumerate(passes):
        for person in item.people:
            height = person_height(person)
            if height * item.factor < min_height:
                continue
            fit = abs(np.log(max(height * item.factor, 1e-3) / target)) if height else np.inf
            candidates.append((fit, -person.score, index, person, height))
    candidates.sort(key=lambda entry: entry[:3])
    kept: list[tuple[Pose, float]] = []
    # For each kept person, per pass, the most similar duplicate: (similarity, detection).
    others: list[dict[int, tuple[float, Pose]]] = []
    for _, _, index, person, height in candidates:
        scores = [similarity(person, other, max(height, h)) for other, h in kept]
        best = int(np.argmax(scores)) if scores else -1
        if best < 0 or scores[best] < same:
            kept.append((person, height))
            others.append({index: (1.0, person)})
        elif scores[best] > others[best].get(index, (0.0, None))[0]:
            others[best][index] = (scores[best], person)
    people = [person for person, _ in kept]
    if joints != "pick":
        people = [
            combine_readings(person, [p for _, p in found.values() if p is not person], joints)
            for person, found in zip(people, others, strict=True)
        ]
    # One numbering everywhere: largest first, as a single pass gives them.
    return number_people(people)


def combine_readings(person: Pose, others: Sequence[Pose], how: str = "medoid") -> Pose:
    """``person`` (keypoints (18, 3)) with each joint that at least three readings found
    (``person`` and ``others``, other passes' detections of the same person) replaced by:
    "medoid", the reading with the smallest summed distance to the other readings (an
    outlier pass cannot win, and the joint stays a real reading, confidence and all);
    "median", the per-coordinate median (confidence: the median too). Joints fewer than
    three readings found keep ``person``'s."""
    if how not in ("medoid", "median"):
        raise ValueError(f"Unknown pass joint combination {how!r}: use pick, medoid or median.")
    stack = np.stack([person.keypoints, *(other.keypoints for other in others)])  # (R, 18, 3)
    found = stack[:, :, 2] > 0
    out = person.keypoints.copy()
    for joint in np.flatnonzero(found.sum(axis=0) >= 3):
        readings = stack[found[:, joint], joint]  # (r, 3)
        if how == "median":
            out[joint] = np.median(readings, axis=0)
            continue
        apart = np.linalg.norm(readings[:, None, :2] - readings[None, :, :2], axis=2)
        out[joint] = readings[int(np.argmin(apart.sum(axis=1)))]
    return Pose(keypoints=out, score=person.score)
