"""BlazePose's person detector on LiteRT: a photo in, each person's centre, size and rotation out.

The photo is letterboxed into the model's 224x224 square (aspect kept, black bars), scaled
to [-1, 1] RGB, run, and decoded by :mod:`pose.pose3d.detection_decode`; the detections are mapped
back to the photo's pixels. The model file is ``models/pose_detection.tflite`` beside the
landmark model (``python -m models.blazepose`` fetches and hash-checks both; the landmark
model's :func:`pose.pose3d.blazepose.ensure_model_file` starts it when a file is missing).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import cv2
import numpy as np

from pose.pose3d.blazepose import process_wide
from pose.pose3d.detection_decode import (
    INPUT_SIZE,
    MIN_SCORE,
    MIN_SUPPRESSION,
    Detection,
    decode_detections,
)

log = logging.getLogger(__name__)

MODEL_NAME = "pose_detection.tflite"
BOXES_OUTPUT = "Identity"  # (1, 2254, 12)
SCORES_OUTPUT = "Identity_1"  # (1, 2254, 1)


def detector_path() -> Path:
    """The detector's file: beside the landmark model (fetched with it when missing)."""
    from pose.pose3d.blazepose import ensure_model_file

    return ensure_model_file().parent / MODEL_NAME


def letterbox(image: np.ndarray, size: int = INPUT_SIZE) -> tuple[np.ndarray, np.ndarray]:
    """RGB uint8 (H, W, 3) -> float32 (size, size, 3) in [-1, 1], the photo scaled to fit
    and centred on black; and the 2x3 matrix from the square's [0, 1] coordinates back to
    the photo's pixels."""
    height, width = image.shape[:2]
    scale = size / max(height, width)
    new_w, new_h = max(1, round(width * scale)), max(1, round(height * scale))
    left, top = (size - new_w) // 2, (size - new_h) // 2
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    square = np.zeros((size, size, 3), np.uint8)
    square[top : top + new_h, left : left + new_w] = cv2.resize(
        image, (new_w, new_h), interpolation=interpolation
    )
    tensor = square.astype(np.float32) * (2.0 / 255.0) - 1.0
    # [0, 1] of the square -> square pixels (x size) -> photo pixels (minus the bars, / scale);
    # the x scale differs from new_w / width by the rounding only.
    fx, fy = width / new_w, height / new_h
    back = np.array([[size * fx, 0.0, -left * fx], [0.0, size * fy, -top * fy]])
    return tensor, back


class PersonDetector:
    """The detector on LiteRT (XNNPACK, ``threads`` threads), loaded on first use, once,
    behind a lock; one photo at a time. :func:`get_detector` gives the process-wide one."""

    def __init__(self, path: Path | None = None, threads: int | None = None) -> None:
        import os

        self.path = Path(path) if path else None
        self.threads = threads or int(os.environ.get("POSE_THREADS", os.cpu_count() or 2))
        self._interpreter = None
        self._lock = threading.Lock()

    def _load(self) -> None:
        from pose.pose3d.blazepose import load_checked

        path = self.path or detector_path()
        interpreter, self._input, outputs = load_checked(
            path, self.threads, (BOXES_OUTPUT, SCORES_OUTPUT), ("person detector",) * 2
        )
        self._boxes, self._scores = outputs[BOXES_OUTPUT], outputs[SCORES_OUTPUT]
        self._interpreter = interpreter
        log.info("person detector loaded (%d threads)", self.threads)

    def run(self, tensor: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """float32 (224, 224, 3) in [-1, 1] -> raw (1, 2254, 12) regressions and
        (1, 2254, 1) score logits."""
        with self._lock:
            if self._interpreter is None:
                self._load()
            self._interpreter.set_tensor(self._input, tensor[None].astype(np.float32))
            self._interpreter.invoke()
            return (
                self._interpreter.get_tensor(self._boxes),
                self._interpreter.get_tensor(self._scores),
            )

    def detect(
        self,
        image: np.ndarray,
        min_score: float = MIN_SCORE,
        min_suppression: float = MIN_SUPPRESSION,
        max_people: int = 0,
    ) -> list[Detection]:
        """People in an RGB uint8 photo (H, W, 3), best first, in the photo's pixels."""
        tensor, back = letterbox(image)
        raw_boxes, raw_scores = self.run(tensor)
        found = decode_detections(raw_boxes, raw_scores, min_score, min_suppression, max_people)
        return [detection.mapped(back) for detection in found]


_detector = process_wide(PersonDetector)


def get_detector() -> PersonDetector:
    """The process-wide :class:`PersonDetector`, created on first call (loads on first run)."""
    return _detector()
