"""Turned copies of the labeled eval photos: the photo and its people turned together.

(The turning itself is :mod:`pose.media.turn`, shared with the photo path.)

No labeled set holds people lying down or upside down, so the accuracy benchmark builds them:
every photo turned by 90, 180, 270 and 45 degrees (counter-clockwise on screen), the canvas
grown so that nothing is cut (a 45-degree copy of a W x H photo is (W + H) / sqrt 2 a side,
its corners black), and every labeled keypoint and box turned with it. Areas (the OKS scale)
and MPII's head sizes do not change when a photo turns, so they are kept.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from benchmarks.eval_sets import Person, Photo
from pose.media.turn import turn_image, turn_matrix, turn_points

__all__ = ["ANGLES", "turn_image", "turn_matrix", "turn_person", "turn_photo", "turn_points"]

ANGLES = (90, 180, 270, 45)


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
