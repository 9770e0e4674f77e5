"""Turned copies of the labeled eval photos: the photo and its people turned together.

No labeled set holds people lying down or upside down, so the accuracy benchmark builds them:
every photo turned by 90, 180, 270 and 45 degrees (counter-clockwise on screen), the canvas
grown so that nothing is cut (a 45-degree copy of a W x H photo is (W + H) / sqrt 2 a side,
its corners black), and every labeled keypoint and box turned with it. Areas (the OKS scale)
and MPII's head sizes do not change when a photo turns, so they are kept.
"""

from __future__ import annotations

import math
from dataclasses import replace

import cv2
import numpy as np

from benchmarks.eval_sets import Person, Photo

ANGLES = (90, 180, 270, 45)


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
    if degrees % 360 == 0:
        return image, matrix
    if degrees % 90 == 0:
        code = {90: cv2.ROTATE_90_COUNTERCLOCKWISE, 180: cv2.ROTATE_180,
                270: cv2.ROTATE_90_CLOCKWISE}[int(degrees) % 360]  # fmt: skip
        return cv2.rotate(image, code), matrix
    turned = cv2.warpAffine(
        image, matrix, size, flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
    )
    return turned, matrix


def turn_person(person: Person, matrix: np.ndarray) -> Person:
    """A labeled person with its labeled keypoints and box turned by ``matrix`` (the box
    becomes the upright box around the turned one); area and head size are kept."""
    keypoints = person.keypoints.copy()
    labeled = keypoints[:, 2] > 0
    keypoints[labeled, :2] = turn_points(keypoints[labeled, :2], matrix)
    x, y, w, h = person.bbox
    corners = turn_points([(x, y), (x + w, y), (x, y + h), (x + w, y + h)], matrix)
    (x0, y0), (x1, y1) = corners.min(axis=0), corners.max(axis=0)
    bbox = (float(x0), float(y0), float(x1 - x0), float(y1 - y0)) if w or h else person.bbox
    return replace(person, keypoints=keypoints, bbox=bbox)


def turn_photo(photo: Photo, matrix: np.ndarray) -> Photo:
    """``photo`` with every labeled person turned by ``matrix`` (same path and id: the
    caller turns the pixels with :func:`turn_image`)."""
    return replace(photo, people=tuple(turn_person(person, matrix) for person in photo.people))
