"""Joint angles of a person in degrees: elbows, shoulders, hips, knees and trunk lean.

Pure NumPy over OpenPose-18 keypoints (``(18, 3)`` x, y, score; or ``(N, 18, 3)`` for a
sequence). The angles are the interior angles people read off a body, unsigned, in
[0, 180]:

``elbow``      between upper arm and forearm at the elbow: 180 = arm straight.
``shoulder``   between the upper arm and the trunk side (shoulder to hip): 0 = arm down
               along the body, 90 = arm out, 180 = arm straight up.
``hip``        between the trunk side (hip to shoulder) and the thigh: 180 = standing
               straight, about 90 = sitting or a deep squat.
``knee``       between thigh and shin at the knee: 180 = leg straight.
``trunk_lean`` of the line from the mid-hip to the neck against the image vertical:
               0 = upright, 90 = horizontal; it does not say to which side.

These are angles in the image plane (2-D), so they shrink or grow when a limb points
toward the camera. An angle is NaN (``None`` in JSON) when one of its joints was not found.
``pose.match`` keeps its own signed angles for the ``angles`` matching method.
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np

from pose.body.skeleton import NUM_JOINTS, Joint


class Pose(Protocol):
    """Anything with OpenPose-18 ``keypoints`` (18, 3), such as :class:`pose.body.types.Pose`
    (not imported: pose.body.types imports this module)."""

    keypoints: np.ndarray


# Name -> (vertex, first end, second end): the angle at the vertex between its two limbs.
# Right side first, as in Joint.
VERTEX_ANGLES: dict[str, tuple[Joint, Joint, Joint]] = {
    "r_elbow": (Joint.R_ELBOW, Joint.R_SHOULDER, Joint.R_WRIST),
    "l_elbow": (Joint.L_ELBOW, Joint.L_SHOULDER, Joint.L_WRIST),
    "r_shoulder": (Joint.R_SHOULDER, Joint.R_HIP, Joint.R_ELBOW),
    "l_shoulder": (Joint.L_SHOULDER, Joint.L_HIP, Joint.L_ELBOW),
    "r_hip": (Joint.R_HIP, Joint.R_SHOULDER, Joint.R_KNEE),
    "l_hip": (Joint.L_HIP, Joint.L_SHOULDER, Joint.L_KNEE),
    "r_knee": (Joint.R_KNEE, Joint.R_HIP, Joint.R_ANKLE),
    "l_knee": (Joint.L_KNEE, Joint.L_HIP, Joint.L_ANKLE),
}
TRUNK_LEAN = "trunk_lean"

# Every angle name, in column order (tables, CSV, arrays).
ANGLE_NAMES: tuple[str, ...] = (*VERTEX_ANGLES, TRUNK_LEAN)

# The joint each angle is shown against in per-joint tables and CSV rows: its vertex, and
# the neck for the trunk lean.
ANGLE_AT_JOINT: dict[Joint, str] = {
    **{vertex: name for name, (vertex, _, _) in VERTEX_ANGLES.items()},
    Joint.NECK: TRUNK_LEAN,
}

# Limbs shorter than this (pixels) have no reliable direction.
_MIN_LENGTH = 1e-6


def _keypoints(pose: Pose | np.ndarray) -> np.ndarray:
    array = np.asarray(getattr(pose, "keypoints", pose))
    if array.ndim < 2 or array.shape[-2:] != (NUM_JOINTS, 3):
        raise ValueError(f"keypoints must have shape (..., 18, 3), got {array.shape}")
    return array.astype(np.float64)


def _angle_between(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Unsigned angle in degrees between vectors ``a`` and ``b`` of shape (N, 2); NaN
    where either is (near) zero length."""
    norms = np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1)
    cross = a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]
    dot = np.einsum("ij,ij->i", a, b)
    # atan2 of |cross| and dot is accurate near 0 and 180 degrees, where acos is not.
    degrees = np.degrees(np.arctan2(np.abs(cross), dot))
    return np.where(norms > _MIN_LENGTH**2, degrees, np.nan)


def angle_array(keypoints: Pose | np.ndarray) -> np.ndarray:
    """Angles of one pose ``(18, 3)`` as an array ``(len(ANGLE_NAMES),)``, or of a sequence
    ``(N, 18, 3)`` as ``(N, len(ANGLE_NAMES))``; degrees, NaN where a joint is missing."""
    points = _keypoints(keypoints)
    single = points.ndim == 2
    points = points.reshape(-1, NUM_JOINTS, 3)
    xy, found = points[:, :, :2], points[:, :, 2] > 0
    columns = []
    for vertex, start, end in VERTEX_ANGLES.values():
        angle = _angle_between(xy[:, start] - xy[:, vertex], xy[:, end] - xy[:, vertex])
        ok = found[:, vertex] & found[:, start] & found[:, end]
        columns.append(np.where(ok, angle, np.nan))
    columns.append(_trunk_lean(xy, found))
    result = np.stack(columns, axis=-1)
    return result[0] if single else result


def _trunk_lean(xy: np.ndarray, found: np.ndarray) -> np.ndarray:
    """Lean (N,) of mid-hip -> neck from straight up; one found hip stands in for both
    (the hips are close compared with the trunk's length)."""
    hips = found[:, [Joint.R_HIP, Joint.L_HIP]]
    count = hips.sum(axis=1)
    hip_sum = (xy[:, [Joint.R_HIP, Joint.L_HIP]] * hips[:, :, None]).sum(axis=1)
    mid_hip = hip_sum / np.maximum(count, 1)[:, None]
    trunk = xy[:, Joint.NECK] - mid_hip
    up = np.broadcast_to(np.array([0.0, -1.0]), trunk.shape)  # image y grows downward
    lean = _angle_between(trunk, up)
    return np.where(found[:, Joint.NECK] & (count > 0), lean, np.nan)


def joint_angles(pose: Pose | np.ndarray) -> dict[str, float]:
    """``{name: degrees}`` for every name in :data:`ANGLE_NAMES`; NaN where not measurable."""
    return dict(zip(ANGLE_NAMES, angle_array(pose).tolist(), strict=True))


def angles_to_json(angles: dict[str, float], digits: int = 1) -> dict[str, float | None]:
    """JSON-ready copy of :func:`joint_angles`' output: rounded, ``None`` for NaN."""
    return {
        name: None if value is None or math.isnan(value) else round(float(value), digits)
        for name, value in angles.items()
    }


def joint_angle_cells(pose: Pose | np.ndarray, digits: int = 1) -> list[float | None]:
    """One cell (18,) per joint for per-joint tables: the angle at that joint (the trunk lean
    on the neck), rounded; ``None`` where there is none or it was not measurable."""
    angles = angles_to_json(joint_angles(pose), digits)
    return [
        angles.get(ANGLE_AT_JOINT[joint]) if joint in ANGLE_AT_JOINT else None for joint in Joint
    ]


def pose_angles_json(pose: Pose | np.ndarray, digits: int = 1) -> dict[str, float | None]:
    """:func:`joint_angles` of ``pose``, JSON-ready."""
    return angles_to_json(joint_angles(pose), digits)


# Angles over time (the Video tab's plot, comparison tables). The convention: each angle
# from its fixed joint triple, in [0, 180] as above; no value (a gap, never bridged with a
# jump) where
# - one of its joints is unsure (confidence below UNSURE_BELOW);
# - one of its two limbs is shorter than FORESHORTENED times the other: for limbs of about
#   one length (upper arm and forearm, thigh and shin) that one points over 70 degrees
#   (arccos 1/3) out of the image, nearly at or away from the camera, where its image
#   direction turns by tens of degrees for a small movement and by the joints' own noise
#   (on street.avi an elbow's image angle swept 130 -> 7 -> 40 degrees in two frames as
#   the forearm swung through the line of sight, and 178 -> 145 -> 83 as the smoothed wrist
#   travelled from a misplaced spot past the elbow to the right one);
# - a value leaves its neighbours by more than MAX_ANGLE_STEP degrees within
#   MAX_STEP_SECONDS: a misplaced joint, not a movement (an elbow does not fold 150 degrees
#   and back in 40 ms). With both neighbours near in time, it must leave both; with only
#   one (next to a gap or at an end), leaving that one is enough, since nothing on the other
#   side confirms it.
UNSURE_BELOW = 0.15
FORESHORTENED = 1.0 / 3.0
MAX_ANGLE_STEP = 45.0
MAX_STEP_SECONDS = 0.1


def foreshortened(keypoints: np.ndarray, ratio: float = FORESHORTENED) -> np.ndarray:
    """(T, len(ANGLE_NAMES)) bool: the vertex angles of keypoints (T, 18, 3) whose one limb
    is shorter than ``ratio`` times the other (False for the trunk lean, a single line)."""
    xy = _keypoints(keypoints).reshape(-1, NUM_JOINTS, 3)[:, :, :2]
    out = np.zeros((len(xy), len(ANGLE_NAMES)), dtype=bool)
    for column, (vertex, start, end) in enumerate(VERTEX_ANGLES.values()):
        first = np.linalg.norm(xy[:, start] - xy[:, vertex], axis=-1)
        second = np.linalg.norm(xy[:, end] - xy[:, vertex], axis=-1)
        out[:, column] = np.minimum(first, second) < ratio * np.maximum(first, second)
    return out


def _jumps(angles: np.ndarray, times: np.ndarray, max_step: float) -> np.ndarray:
    """(T, A) bool: values that leave their neighbours near in time (at most
    :data:`MAX_STEP_SECONDS` apart, with a value) by more than ``max_step``: both of them,
    or the only one (see the convention above). ``angles`` (T, A), ``times`` (T,)."""
    near = np.diff(times) <= MAX_STEP_SECONDS  # (T-1,): rows t and t+1 are neighbours
    with np.errstate(invalid="ignore"):
        step = np.abs(np.diff(angles, axis=0))  # (T-1, A), NaN where either is missing
    usable = np.isfinite(step) & near[:, None]
    big = usable & (step > max_step)
    pad = np.zeros((1, angles.shape[1]), dtype=bool)
    before_ok, before_big = np.vstack([pad, usable]), np.vstack([pad, big])
    after_ok, after_big = np.vstack([usable, pad]), np.vstack([big, pad])
    both = before_ok & after_ok & before_big & after_big
    only = (before_ok ^ after_ok) & (before_big | after_big)
    return both | only


def angle_series(
    keypoints: np.ndarray,
    times: np.ndarray,
    min_confidence: float = UNSURE_BELOW,
    max_step: float = MAX_ANGLE_STEP,
) -> np.ndarray:
    """Angles (T, len(ANGLE_NAMES)) of one person's keypoints (T, 18, 3) at ``times`` (T,)
    seconds, continuous over time as the convention above says; NaN where left out."""
    points = _keypoints(keypoints).reshape(-1, NUM_JOINTS, 3).copy()
    points[points[:, :, 2] < min_confidence, 2] = 0.0
    angles = angle_array(points)
    angles[foreshortened(points)] = np.nan
    if len(angles) < 2:
        return angles
    angles[_jumps(angles, np.asarray(times, dtype=np.float64), max_step)] = np.nan
    return angles
