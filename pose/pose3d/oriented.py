"""People whatever their orientation: OpenPose also reads the photo turned back where the
person detector says people are turned.

The OpenPose network was trained on upright people and finds almost no one lying or upside
down (turned copies of the labeled photos score 2-17 % of upright). BlazePose's detector
gives each prominent person's rotation; :func:`turns_to_read` gathers them into a few
angles (multiples of :data:`TURN_STEP` degrees), and :func:`people_turned_back` runs the
network on the photo turned back by each, so those people stand upright for it. The extra
passes are spent only on photos where someone is turned.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import cv2
import numpy as np

from pose.body.types import Pose
from pose.media.turn import turn_image
from pose.photo.fuse import person_height, similarity
from pose.pose3d.detection_decode import Detection

# Rotations are read in right angles: the detector's rotation is off by 20-25 degrees on some
# labeled people (an upright crowd at 20, one turned by 180 at -155), so steps of 45 read them
# 45 degrees off, where OpenPose finds less than upright; a person leaning by 45 is read as
# well either way (turned copies, every set: docs/accuracy.md, 45 -> 90 lifted the turned
# mean 0.557 -> 0.574, COCO 0.616 -> 0.655, CrowdPose 0.496 -> 0.582, AIC 0.539 -> 0.505).
TURN_STEP = 90
# At most this many turned readings per photo (the angles most detected people share).
MAX_TURNS = 1


def snap(degrees: float, step: int = TURN_STEP) -> int:
    """``degrees`` to the nearest multiple of ``step`` in (-180, 180]."""
    snapped = int(round(degrees / step) * step) % 360
    return snapped - 360 if snapped > 180 else snapped


def turns_to_read(
    detections: Sequence[Detection],
    min_score: float = 0.5,
    step: int = TURN_STEP,
    max_turns: int = MAX_TURNS,
) -> list[int]:
    """The angles (degrees counter-clockwise, multiples of ``step``, never 0) by which
    detected people are turned, most shared first (by summed detector score), at most
    ``max_turns``."""
    weight: dict[int, float] = {}
    for detection in detections:
        if detection.score >= min_score:
            angle = snap(detection.rotation, step)
            weight[angle] = weight.get(angle, 0.0) + detection.score
    ranked = sorted((angle for angle in weight if angle != 0), key=lambda a: -weight[a])
    return ranked[: max(max_turns, 0)]


def people_turned_back(
    image: np.ndarray, degrees: float, find: Callable[[np.ndarray], Sequence[Pose]]
) -> list[Pose]:
    """People turned by ``degrees`` in an RGB uint8 photo (H, W, 3), read upright: ``find``
    runs on the photo turned by ``-degrees`` and their keypoints are mapped back."""
    turned, matrix = turn_image(image, -degrees)
    back = cv2.invertAffineTransform(matrix)
    out = []
    for person in find(turned):
        keypoints = person.keypoints.copy()
        keypoints[:, :2] = keypoints[:, :2] @ back[:, :2].T + back[:, 2]
        out.append(Pose(keypoints=keypoints, score=person.score))
    return out


def merge_people(first: Sequence[Pose], second: Sequence[Pose], same: float = 0.3) -> list[Pose]:
    """Both lists in one: a person of ``second`` that is the same as one of ``first``
    (:func:`pose.photo.fuse.similarity` >= ``same``) replaces it when its score is higher, else is
    dropped; the others are added. Order: ``first``'s, then the added."""
    merged = list(first)
    for person in second:
        height = person_height(person)
        duplicates = [
            index
            for index, other in enumerate(merged)
            if similarity(person, other, max(height, person_height(other))) >= same
        ]
        if not duplicates:
            merged.append(person)
            continue
        best = max(duplicates, key=lambda index: merged[index].score)
        if person.score > merged[best].score:
            merged[best] = person
    return merged
