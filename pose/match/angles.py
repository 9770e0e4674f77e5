"""The ``angles`` method: eight signed joint angles (elbows, shoulders, hips, knees)
compared, whatever the position, size and in-plane rotation of either pose."""

from __future__ import annotations

import math

import numpy as np

from pose.body.skeleton import Joint
from pose.body.types import Pose
from pose.match.align import _align
from pose.match.constants import _EPS, MIN_SHARED_ANGLES
from pose.match.result import JointDifference, Match, MatchError, worst_first

# An angle this far off (degrees) scores 0 in ``angles``.
ANGLE_TOLERANCE = 90.0

# (vertex, first end, second end): the angle at the vertex between its two limbs.
ANGLES: tuple[tuple[Joint, Joint, Joint], ...] = (
    (Joint.R_ELBOW, Joint.R_SHOULDER, Joint.R_WRIST),
    (Joint.L_ELBOW, Joint.L_SHOULDER, Joint.L_WRIST),
    (Joint.R_SHOULDER, Joint.NECK, Joint.R_ELBOW),
    (Joint.L_SHOULDER, Joint.NECK, Joint.L_ELBOW),
    (Joint.R_HIP, Joint.NECK, Joint.R_KNEE),
    (Joint.L_HIP, Joint.NECK, Joint.L_KNEE),
    (Joint.R_KNEE, Joint.R_HIP, Joint.R_ANKLE),
    (Joint.L_KNEE, Joint.L_HIP, Joint.L_ANKLE),
)


def joint_angles(pose: Pose) -> dict[Joint, float]:
    """Signed angle in degrees (-180, 180] at each vertex of :data:`ANGLES` whose three
    joints were found, from the first limb to the second (image axes, y down)."""
    angles = {}
    points = pose.keypoints.astype(np.float64)
    for vertex, start, end in ANGLES:
        if min(points[vertex, 2], points[start, 2], points[end, 2]) <= 0:
            continue
        a = points[start, :2] - points[vertex, :2]
        b = points[end, :2] - points[vertex, :2]
        if np.hypot(*a) <= _EPS or np.hypot(*b) <= _EPS:
            continue  # a zero-length limb has no direction
        cross = a[0] * b[1] - a[1] * b[0]
        angles[vertex] = math.degrees(math.atan2(cross, float(a @ b)))
    return angles


def _match_angles(first: Pose, second: Pose) -> Match:
    first_angles = joint_angles(first)
    second_angles = joint_angles(second)
    vertices = [
        vertex for vertex, _, _ in ANGLES if vertex in first_angles and vertex in second_angles
    ]
    if len(vertices) < MIN_SHARED_ANGLES:
        names = ", ".join(vertex.label for vertex in vertices) or "none"
        raise MatchError(
            f"Only {len(vertices)} joint angles could be measured in both poses ({names}); "
            f"the angles method needs at least {MIN_SHARED_ANGLES} (elbows, shoulders, hips, "
            "knees with both neighbours found). Use photos where more of the body is visible."
        )
    items = []
    for vertex, start, end in ANGLES:
        if vertex not in vertices:
            continue
        difference = abs((first_angles[vertex] - second_angles[vertex] + 180.0) % 360.0 - 180.0)
        trio = [vertex, start, end]
        weight = float(np.sqrt(first.keypoints[trio, 2].min() * second.keypoints[trio, 2].min()))
        score = 100.0 * max(0.0, 1.0 - difference / ANGLE_TOLERANCE)
        items.append(JointDifference(vertex, difference, score, weight))
    weights = np.array([item.weight for item in items])
    scores = np.array([item.score for item in items])
    # Every weight is positive: the three joints of each angle were found in both poses.
    similarity = float(weights @ scores / weights.sum())
    # Angles ignore rotation, so draw the second pose fully rotated onto the first.
    aligned = None
    shared = np.flatnonzero(first.visible & second.visible)
    if len(shared) >= 2:
        try:
            aligned = _align(first, second, shared, 180.0).aligned
        except MatchError:
            aligned = None
    return Match(
        similarity=similarity,
        method="angles",
        joints=tuple(sorted(vertices)),
        breakdown=worst_first(items),
        aligned=aligned,
    )
