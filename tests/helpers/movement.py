"""Clips of a real movement with a known answer, cut from street.avi at test time.

The centre of street.avi (two women part, one walks towards the camera) at 320 x 320:
``reference`` (frames 120-179), ``attempt`` (the same seen by another camera and played by
:data:`WARP`), ``empty`` (no one), ``stride`` (one stride, frames 130-159) and ``reps`` (three
strides from the other camera, the second 1.5 times as fast, a still frame of the hug between).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from pose.media.video_reader import iter_frames, open_video
from pose.media.video_writer import VideoWriter
from tests.helpers.paths import EVAL_DIR

STREET = EVAL_DIR / "video" / "street.avi"
SIDE = 320  # small frames: the model works at its own input size, encoding is cheaper
# Attempt frame t shows reference frame WARP[t]: slow start, a 0.4 s pause, fast end.
WARP = np.concatenate([np.repeat(np.arange(0, 20), 2), np.full(20, 20), np.arange(20, 60, 2)])
# Where the three strides of ``reps`` are (first and last frame).
REP_SPANS = [(12, 41), (54, 73), (86, 115)]


def street_frames(first: int, last: int) -> list[np.ndarray]:
    """Source frames first..last of street.avi cut to the people in its centre, SIDE px."""
    container, info = open_video(STREET)
    frames = []
    try:
        for index, _, image in iter_frames(container, info):
            if first <= index <= last:
                frames.append(
                    cv2.resize(image[:, 380:1100], (SIDE, SIDE), interpolation=cv2.INTER_AREA)
                )
            if index >= last:
                break
    finally:
        container.close()
    return frames


def write(path: Path, frames: list[np.ndarray], fps: int = 50) -> Path:
    with VideoWriter(path, frames[0].shape[1], frames[0].shape[0], fps) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def other_camera(image: np.ndarray) -> np.ndarray:
    """Turned 5 degrees, 85 % the size, shifted: other pixels, the same movement."""
    matrix = cv2.getRotationMatrix2D((SIDE / 2, SIDE / 2), 5.0, 0.85)
    matrix[:, 2] += (20, 10)
    return cv2.warpAffine(image, matrix, (SIDE, SIDE))


def movement_clips(folder: Path) -> dict[str, Path]:
    """Write the clips of the module doc into ``folder``; name -> path."""
    walk = street_frames(120, 179)
    stride = [other_camera(frame) for frame in walk[10:40]]
    faster = [stride[int(k)] for k in np.arange(0, 30, 1.5)]
    hold = [other_camera(street_frames(40, 40)[0])] * 12
    return {
        "reference": write(folder / "reference.mp4", walk),
        "attempt": write(folder / "attempt.mp4", [other_camera(walk[k]) for k in WARP]),
        "empty": write(folder / "empty.mp4", [np.zeros((SIDE, SIDE, 3), np.uint8)] * 10),
        "stride": write(folder / "stride.mp4", walk[10:40]),
        "reps": write(folder / "reps.mp4", hold + stride + hold + faster + hold + stride + hold),
    }
