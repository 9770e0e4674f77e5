"""Draw skeletons on images. Pure functions: the input image is never modified."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pose.skeleton import DRAWN_LIMBS, JOINT_COLORS
from pose.types import Pose

_SHIFT = 4  # OpenCV fixed-point bits: sub-pixel positions for smooth anti-aliased lines
_ONE = 1 << _SHIFT


@dataclass(frozen=True)
class DrawSpec:
    """Sizes in pixels; ``None`` scales them with the image (about 0.6 % of its diagonal)."""

    joint_radius: int | None = None
    limb_thickness: int | None = None

    def sizes(self, image: np.ndarray) -> tuple[int, int]:
        diagonal = float(np.hypot(*image.shape[:2]))
        radius = self.joint_radius or max(2, round(diagonal * 0.006))
        thickness = self.limb_thickness or max(1, round(diagonal * 0.004))
        return radius, thickness


def _fixed(x: float, y: float) -> tuple[int, int]:
    return round(float(x) * _ONE), round(float(y) * _ONE)


def draw_poses(
    image: np.ndarray,
    poses: Sequence[Pose],
    spec: DrawSpec = DrawSpec(),
    highlight: Sequence[int] = (),
) -> np.ndarray:
    """Return a copy of RGB uint8 ``image`` (H, W, 3) with each pose's skeleton drawn.

    Limbs are drawn only when both ends were found. Joints listed in ``highlight``
    get a white ring (used to show where two poses differ most).
    """
    canvas = np.ascontiguousarray(image, dtype=np.uint8).copy()
    radius, thickness = spec.sizes(canvas)
    for person in poses:
        points = person.keypoints
        for start, end in DRAWN_LIMBS:
            if points[start, 2] <= 0 or points[end, 2] <= 0:
                continue
            colour = JOINT_COLORS[end]
            cv2.line(
                canvas,
                _fixed(*points[start, :2]),
                _fixed(*points[end, :2]),
                colour,
                thickness,
                cv2.LINE_AA,
                _SHIFT,
            )
        for joint, (x, y, score) in enumerate(points):
            if score <= 0:
                continue
            centre = _fixed(x, y)
            cv2.circle(canvas, centre, radius * _ONE, JOINT_COLORS[joint], -1, cv2.LINE_AA, _SHIFT)
            if joint in highlight:
                ring = (radius + thickness + 1) * _ONE
                cv2.circle(canvas, centre, ring, (255, 255, 255), thickness, cv2.LINE_AA, _SHIFT)
    return canvas
