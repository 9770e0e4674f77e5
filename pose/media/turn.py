"""Turning a photo by any angle onto a canvas that holds all of it, and points with it.

Used to read turned people upright (:mod:`pose.pose3d.oriented`) and by the accuracy benchmark to
build turned copies of the labeled photos. Angles are degrees counter-clockwise on screen.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

_RIGHT_ANGLES = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180,
                 270: cv2.ROTATE_90_CLOCKWISE}  # fmt: skip


def turn_matrix(width: int, height: int, degrees: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2x3 affine matrix turning a ``width`` x ``height`` photo by ``degrees``
    (counter-clockwise on screen) onto a canvas that holds all of it, and that canvas's
    (width, height). Multiples of 90 degrees give exact matrices (whole pixels)."""
    radians = math.radians(degrees)
    cos, sin = math.cos(radians), math.sin(radians)
    if degrees % 90 == 0:
        cos, sin = round(cos), round(sin)
    # Pixel centres sit at whole coordinates 0..W-1, so the photo spans W-1 between its
    # outer centres; turning that span keeps every pixel on the new grid for multiples of 90.
    out_w = abs(cos) * (width - 1) + abs(sin) * (height - 1)
    out_h = abs(sin) * (width - 1) + abs(cos) * (height - 1)
    # On screen (y down) a counter-clockwise turn is x' = cos x + sin y, y' = -sin x + cos y.
    rotation = np.array([[cos, sin], [-sin, cos]], np.float64)
    centre_in = np.array([(width - 1) / 2, (height - 1) / 2])
    centre_out = np.array([out_w / 2, out_h / 2])
    shift = centre_out - rotation @ centre_in
    size = (round(out_w) + 1, round(out_h) + 1)
    return np.column_stack([rotation, shift]), size


def turn_points(points: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """(N, 2) x, y -> the same points through the 2x3 ``matrix``."""
    points = np.asarray(points, np.float64).reshape(-1, 2)
    return points @ matrix[:, :2].T + matrix[:, 2]


def turn_image(image: np.ndarray, degrees: float) -> tuple[np.ndarray, np.ndarray]:
    """An RGB uint8 photo (H, W, 3) turned by ``degrees`` on a canvas holding all of it
    (black where the photo does not reach), and the 2x3 matrix that took it there."""
    height, width = image.shape[:2]
    matrix, size = turn_matrix(width, height, degrees)
    right = int(degrees) % 360 if degrees % 90 == 0 else None
    if right == 0:
        return image, matrix
    if right is not None:
        return cv2.rotate(image, _RIGHT_ANGLES[right]), matrix
    turned = cv2.warpAffine(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return turned, matrix
