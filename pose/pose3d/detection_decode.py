"""BlazePose's person detector, decoded: SSD anchors, scores, weighted NMS, alignment points.

The detector (``pose_detection.tflite``, MediaPipe, Apache-2.0) reads a 224x224 letterboxed
photo and predicts, for each of 2254 fixed anchors, a score logit and 12 numbers: a box
(centre x, y, width, height) and four key points (x, y each) as offsets in input pixels from
the anchor's centre. Key point 0 is the centre of the hips and key point 1 a point on the
circle around the whole body, straight "up" the body from the hips: together they give each
person's centre, size and rotation, whatever way they lie. Facts about the anchors and the
outputs are from MediaPipe's published graph configuration for this model (SSD anchors over
strides 8, 16, 32, 32, 32, two anchors per cell per layer, fixed size; sigmoid scores clipped
at 100; weighted non-maximum suppression). Pure NumPy; :mod:`pose.pose3d.person_detector` runs the
model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

INPUT_SIZE = 224
STRIDES = (8, 16, 32, 32, 32)
# Each layer puts one anchor of aspect ratio 1 and one "interpolated" anchor (also square)
# on every cell; with fixed anchor sizes they differ only in the weights that read them.
ANCHORS_PER_LAYER = 2
NUM_ANCHORS = 2254
NUM_COORDS = 12
NUM_KEYPOINTS = 4
SCORE_CLIP = 100.0
# MediaPipe's defaults for this model: detections under 0.5 are dropped, boxes overlapping
# by IoU > 0.3 are merged.
MIN_SCORE = 0.5
MIN_SUPPRESSION = 0.3


def ssd_anchors(input_size: int = INPUT_SIZE, strides: Sequence[int] = STRIDES) -> np.ndarray:
    """Anchor centres (N, 2) x, y in [0, 1] of the input, in the model's output order:
    layers of equal stride share one grid, cell by cell (row-major), all their anchors of
    a cell together."""
    centres = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        same = 1
        while layer + same < len(strides) and strides[layer + same] == stride:
            same += 1
        cells = math.ceil(input_size / stride)
        ys, xs = np.meshgrid(np.arange(cells), np.arange(cells), indexing="ij")
        grid = np.stack([(xs.ravel() + 0.5) / cells, (ys.ravel() + 0.5) / cells], axis=1)
        centres.append(np.repeat(grid, same * ANCHORS_PER_LAYER, axis=0))
        layer += same
    return np.concatenate(centres).astype(np.float64)


ANCHORS = ssd_anchors()


def sigmoid_scores(logits: np.ndarray) -> np.ndarray:
    """Raw score logits (N,) or (N, 1) -> scores (N,) in (0, 1), clipped as MediaPipe does."""
    values = np.clip(np.asarray(logits, np.float64).reshape(-1), -SCORE_CLIP, SCORE_CLIP)
    return 1.0 / (1.0 + np.exp(-values))


def decode_boxes(
    raw: np.ndarray, anchors: np.ndarray = ANCHORS, input_size: int = INPUT_SIZE
) -> tuple[np.ndarray, np.ndarray]:
    """Raw regressions (N, 12) -> boxes (N, 4) x0, y0, x1, y1 and key points (N, 4, 2) x, y,
    all in [0, 1] of the input. Offsets are input pixels from the anchor's centre."""
    raw = np.asarray(raw, np.float64).reshape(-1, NUM_COORDS)
    if len(raw) != len(anchors):
        raise ValueError(f"{len(raw)} regressions for {len(anchors)} anchors")
    centre = raw[:, :2] / input_size + anchors
    half = raw[:, 2:4] / input_size / 2
    boxes = np.concatenate([centre - half, centre + half], axis=1)
    keypoints = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) / input_size + anchors[:, None, :]
    return boxes, keypoints


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one box (4,) with each of ``boxes`` (N, 4), x0 y0 x1 y1."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    union = area + areas - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


@dataclass(frozen=True)
class Detection:
    """One person the detector found.

    ``score`` in (0, 1); ``box`` (4,) x0, y0, x1, y1 and ``keypoints`` (4, 2) x, y in the
    coordinates the detection was decoded in (input [0, 1], or image pixels once mapped).
    Key point 0 is the hips' centre, 1 the top of the circle around the body.
    """

    score: float
    box: np.ndarray
    keypoints: np.ndarray

    @property
    def centre(self) -> np.ndarray:
        """The hips' centre (2,)."""
        return self.keypoints[0]

    @property
    def radius(self) -> float:
        """Radius of the circle around the whole body: hips' centre to key point 1."""
        return float(np.linalg.norm(self.keypoints[1] - self.keypoints[0]))

    @property
    def rotation(self) -> float:
        """How far the body is turned from upright, in degrees counter-clockwise on screen
        (-180, 180]: 0 stands, 90 lies with the head to the left, 180 is upside down."""
        dx, dy = (self.keypoints[1] - self.keypoints[0]).tolist()
        # Upright, key point 1 is straight above the hips: (0, -1) on screen (y down).
        degrees = math.degrees(math.atan2(-dx, -dy))
        return 180.0 if degrees <= -180.0 else degrees

    def mapped(self, matrix: np.ndarray) -> Detection:
        """The detection through a 2x3 affine ``matrix`` (scaling and shifting only: the box
        stays axis-aligned)."""
        corners = self.box.reshape(2, 2) @ matrix[:, :2].T + matrix[:, 2]
        points = self.keypoints @ matrix[:, :2].T + matrix[:, 2]
        return Detection(self.score, corners.reshape(4), points)


def weighted_nms(
    scores: np.ndarray,
    boxes: np.ndarray,
    keypoints: np.ndarray,
    min_score: float = MIN_SCORE,
    min_suppression: float = MIN_SUPPRESSION,
    max_people: int = 0,
) -> list[Detection]:
    """Weighted non-maximum suppression: best first, each kept detection absorbs every
    remaining one that overlaps it by IoU > ``min_suppression``, its box and key points
    becoming the score-weighted mean of the group (its score stays the best one's).
    Detections under ``min_score`` are dropped first. ``max_people`` > 0 caps the count.

    ``scores`` (N,), ``boxes`` (N, 4) x0 y0 x1 y1, ``keypoints`` (N, K, 2).
    """
    keep = np.flatnonzero(scores >= min_score)
    order = keep[np.argsort(-scores[keep], kind="stable")]
    out: list[Detection] = []
    while len(order):
        best = order[0]
        overlap = iou(boxes[best], boxes[order])
        group = order[overlap > min_suppression]
        group = group if best in group else np.append(group, best)  # a zero-area box
        weights = scores[group] / scores[group].sum()
        box = (boxes[group] * weights[:, None]).sum(axis=0)
        points = (keypoints[group] * weights[:, None, None]).sum(axis=0)
        out.append(Detection(float(scores[best]), box, points))
        order = order[~np.isin(order, group)]
        if max_people and len(out) >= max_people:
            break
    return out


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    min_score: float = MIN_SCORE,
    min_suppression: float = MIN_SUPPRESSION,
    max_people: int = 0,
) -> list[Detection]:
    """The model's two outputs, (1, 2254, 12) regressions and (1, 2254, 1) logits, ->
    people best first, in [0, 1] of the (letterboxed) input."""
    scores = sigmoid_scores(raw_scores)
    boxes, keypoints = decode_boxes(raw_boxes)
    return weighted_nms(scores, boxes, keypoints, min_score, min_suppression, max_people)
