"""Pictures for matching: two aligned skeletons on one canvas, and numbered people.

Pure functions: inputs are never modified; images are RGB uint8 (H, W, 3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from pose.body.types import Pose
from pose.output.draw import SHIFT, draw_numbers, draw_poses, draw_ring, draw_skeleton, to_fixed

# Colour-blind-safe pair (RGB): the first pose blue, the second orange.
FIRST_COLOR = (0, 114, 178)
SECOND_COLOR = (230, 159, 0)
WORST_COLOR = (213, 0, 0)
OFFSET_COLOR = (150, 150, 150)
BACKGROUND = (255, 255, 255)


def draw_overlay(
    first: Pose,
    second: Pose,
    highlight: Sequence[int] = (),
    size: int = 512,
    mirrored: bool = False,
    labels: tuple[str, str] | None = None,
) -> np.ndarray:
    """Both skeletons on one white canvas, the second already aligned to the first.

    The canvas's longer side is ``size`` pixels (wider if the legend needs it) and frames
    both poses' found joints, with the legend in a strip below.
    The first pose is drawn blue, the second orange; a grey line joins each joint found
    in both; joints in ``highlight`` (the worst) get a red ring. The legend says whether
    the second pose was ``mirrored``, unless ``labels`` are given. Returns RGB uint8.
    """
    if labels is None:
        labels = ("image 1", f"image 2 ({'mirrored, ' if mirrored else ''}aligned)")
    frame = _overlay_frame((first, second), size, labels)
    canvas = np.full((frame.height, frame.width, 3), BACKGROUND, np.uint8)
    a, b = frame.to_canvas(first), frame.to_canvas(second)
    thickness = max(2, size // 150)
    radius = max(3, size // 110)
    for joint in range(len(a)):
        if a[joint, 2] > 0 and b[joint, 2] > 0:
            cv2.line(
                canvas, to_fixed(a[joint]), to_fixed(b[joint]), OFFSET_COLOR, 1, cv2.LINE_AA, SHIFT
            )
    draw_skeleton(canvas, a, radius, thickness, FIRST_COLOR)
    draw_skeleton(canvas, b, radius, thickness, SECOND_COLOR)
    for joint in highlight:
        if a[joint, 2] > 0:
            draw_ring(canvas, a[joint], radius + thickness + 2, WORST_COLOR, 2)
    # Bottom-left: viewers (Gradio among them) put their own label top-left.
    for row, (text, colour) in enumerate(zip(labels, (FIRST_COLOR, SECOND_COLOR), strict=True)):
        origin = (8, frame.height - 8 - frame.line * (1 - row))
        cv2.putText(
            canvas, text, origin, cv2.FONT_HERSHEY_SIMPLEX, frame.font_scale, colour, 2, cv2.LINE_AA
        )
    return canvas


@dataclass(frozen=True)
class _OverlayFrame:
    """Where the overlay's poses go: canvas pixels = (keypoint - ``low``) * ``scale``."""

    low: np.ndarray  # (2,) the poses' top-left corner, margin included, in their pixels
    scale: float
    width: int
    height: int
    line: int  # the legend's line height in pixels
    font_scale: float

    def to_canvas(self, pose: Pose) -> np.ndarray:
        """``pose``'s keypoints (18, 3) with x, y in canvas pixels."""
        mapped = pose.keypoints.astype(np.float64).copy()
        mapped[:, :2] = (mapped[:, :2] - self.low) * self.scale
        return mapped


def _overlay_frame(poses: tuple[Pose, Pose], size: int, labels: tuple[str, str]) -> _OverlayFrame:
    """Fit both poses' found joints, with a margin, into a canvas whose longer side is
    ``size``, leaving a strip below for the two legend lines (wider if they need it)."""
    points = [pose.keypoints[pose.visible, :2] for pose in poses]
    found = np.vstack(points) if any(len(p) for p in points) else np.zeros((1, 2), np.float32)
    low, high = found.min(axis=0), found.max(axis=0)
    extent = np.maximum(high - low, 1.0)
    margin = 0.12 * float(extent.max()) + 1.0
    low, extent = low - margin, extent + 2 * margin
    # A strip under the skeletons holds the legend, so it never covers a joint.
    font_scale = max(0.4, size / 900)
    line = round(22 * font_scale / 0.57)
    strip = 2 * line + 12
    scale = min(size / float(extent[0]), (size - strip) / float(extent[1]))
    legend_width = max(
        cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, font_scale, 2)[0][0] for text in labels
    )
    width = max(64, legend_width + 16, round(float(extent[0]) * scale))
    height = max(64, round(float(extent[1]) * scale) + strip)
    return _OverlayFrame(low, scale, width, height, line, font_scale)


def draw_numbered(
    image: np.ndarray, people: Sequence[Pose], chosen: int = 1, highlight: Sequence[int] = ()
) -> np.ndarray:
    """``image`` with every person's skeleton and their number (1-based, in the given
    order) above their head; the ``chosen`` person's number on green, the others on grey
    (0: none chosen). ``highlight`` joints of the chosen person get a white ring.
    Returns RGB uint8."""
    canvas = draw_poses(image, [p for n, p in enumerate(people, 1) if n != chosen])
    if 1 <= chosen <= len(people):
        canvas = draw_poses(canvas, [people[chosen - 1]], highlight=highlight)
    return draw_numbers(canvas, people, chosen=chosen)
